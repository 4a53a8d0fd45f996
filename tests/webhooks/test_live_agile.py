"""Live events of boards and sprints (jira.agile)."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from jira.webhooks.processors import LiveEventsContext
from tests.builders import board, json_response, offset_pager, project, resource, sprint
from tests.webhooks.payloads import board_event, sprint_event
from tests.webhooks.support import AGILE, GONE, handle


@respx.mock
async def test_a_board_is_read_again_with_its_projects(live: LiveEventsContext) -> None:
    respx.get(f"{AGILE}/board/7").mock(return_value=json_response(board(7)))
    respx.get(f"{AGILE}/board/7/project").mock(
        side_effect=offset_pager([project(1), project(2), project(3)])
    )
    result = await handle("board", board_event("board_configuration_changed", 7), resource("board"))
    assert result.updated_raw_results == [{**board(7), "__projectKeys": ["P1", "P2", "P3"]}]


@pytest.mark.parametrize(
    ("selector", "selected"),
    [
        ({"boardType": "scrum"}, True),
        ({"boardType": "kanban"}, False),
        ({"projectKey": "p2"}, True),
        ({"projectKey": "P9"}, False),
    ],
)
@respx.mock
async def test_a_board_outside_the_selector_is_removed(
    live: LiveEventsContext, selector: dict[str, Any], selected: bool
) -> None:
    respx.get(f"{AGILE}/board/7").mock(return_value=json_response(board(7)))
    respx.get(f"{AGILE}/board/7/project").mock(side_effect=offset_pager([project(2)]))
    payload = board_event("board_updated", 7)
    result = await handle("board", payload, resource("board", **selector))
    assert bool(result.updated_raw_results) is selected
    assert result.deleted_raw_results == ([] if selected else [payload["board"]])


@respx.mock
async def test_board_gone_on_update_is_removed(live: LiveEventsContext) -> None:
    respx.get(f"{AGILE}/board/8").mock(return_value=json_response(GONE, 404))
    updated = board_event("board_updated", 8)
    assert (await handle("board", updated, resource("board"))).deleted_raw_results == [
        updated["board"]
    ]


@respx.mock
async def test_a_started_sprint_is_read_again_and_kept_when_its_state_is_selected(
    live: LiveEventsContext,
) -> None:
    respx.get(f"{AGILE}/sprint/3").mock(return_value=json_response(sprint(3, "active", 2)))
    result = await handle("sprint", sprint_event("sprint_started", 3), resource("sprint"))
    assert result.updated_raw_results == [{**sprint(3, "active", 2), "__boardId": 2}]


@respx.mock
async def test_a_closed_sprint_leaves_a_selector_of_active_sprints(
    live: LiveEventsContext,
) -> None:
    respx.get(f"{AGILE}/sprint/3").mock(return_value=json_response(sprint(3, "closed")))
    payload = sprint_event("sprint_closed", 3, state="closed")
    result = await handle("sprint", payload, resource("sprint"))
    assert result.updated_raw_results == []
    assert result.deleted_raw_results == [payload["sprint"]]
    kept = await handle("sprint", payload, resource("sprint", sprintState=["active", "closed"]))
    assert [s["id"] for s in kept.updated_raw_results] == [3]
