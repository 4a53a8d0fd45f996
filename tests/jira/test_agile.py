"""Boards, sprints, epics and backlogs: their endpoints, pagination and skip rules (respx)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from jira.client import JiraClient
from tests.builders import (
    SITE,
    board,
    epic,
    issue,
    json_response,
    offset_pager,
    project,
    query_token_pager,
    sprint,
)
from tests.jira.support import board_id, fetch, per_board

AGILE = f"{SITE}/rest/agile/1.0"


BOARDS = [board(1), board(2, "kanban"), board(3), board(4, "simple")]


# Boards


@respx.mock
async def test_boards_page_until_is_last_and_carry_all_their_projects(client: JiraClient) -> None:
    listing = respx.get(f"{AGILE}/board").mock(side_effect=offset_pager(BOARDS))
    projects = respx.get(url__regex=rf"{AGILE}/board/\d+/project").mock(
        side_effect=per_board(
            {
                1: offset_pager([project(1)]),
                2: offset_pager([project(1), project(2), project(3)]),  # 2 pages
                3: offset_pager([]),
                4: offset_pager([project(4)]),
            }
        )
    )
    boards = await fetch(client, "board", boardType="scrum", projectKey="P1")
    assert {b["id"]: b["__projectKeys"] for b in boards} == {
        1: ["P1"],
        2: ["P1", "P2", "P3"],
        3: [],
        4: ["P4"],
    }
    params = listing.calls[0].request.url.params
    assert params["type"] == "scrum" and params["projectKeyOrId"] == "P1"
    assert [c.request.url.params["startAt"] for c in listing.calls] == ["0", "2"]
    assert projects.call_count == 5


@respx.mock
async def test_a_board_whose_projects_answer_403_is_skipped(
    client: JiraClient, warnings: list[str]
) -> None:
    respx.get(f"{AGILE}/board").mock(side_effect=offset_pager(BOARDS[:2]))
    respx.get(url__regex=rf"{AGILE}/board/\d+/project").mock(
        side_effect=per_board(
            {
                1: offset_pager([project(1)]),
                2: json_response({"errorMessages": ["No permission"]}, status=403),
            }
        )
    )
    assert [b["id"] for b in await fetch(client, "board")] == [1]
    assert len(warnings) == 1 and "board 2 (Board 2)" in warnings[0]


# Sprints


@respx.mock
async def test_sprints_of_every_non_kanban_board_once_each(client: JiraClient) -> None:
    respx.get(f"{AGILE}/board").mock(side_effect=offset_pager(BOARDS))
    shared = sprint(10, "active", board_id=1)
    sprints = respx.get(url__regex=rf"{AGILE}/board/\d+/sprint").mock(
        side_effect=per_board(
            {
                1: offset_pager([sprint(1, "closed"), shared, sprint(2, "future")]),
                3: offset_pager([shared, sprint(3, "active", board_id=3)]),
                4: offset_pager([{**sprint(4), "originBoardId": None}]),
            }
        )
    )
    found = await fetch(client, "sprint", sprintState=["active", "closed", "future"])
    assert sorted((s["id"], s["__boardId"]) for s in found) == [
        (1, 1),
        (2, 1),
        (3, 3),
        (4, 4),  # no originBoardId: the board listing it
        (10, 1),  # shared by boards 1 and 3: once
    ]
    assert sorted(board_id(c.request) for c in sprints.calls) == [1, 1, 3, 4]  # no kanban board
    assert {c.request.url.params["state"] for c in sprints.calls} == {"active,closed,future"}


@respx.mock
async def test_sprint_state_defaults_to_active(client: JiraClient) -> None:
    respx.get(f"{AGILE}/board").mock(side_effect=offset_pager([board(1)]))
    route = respx.get(f"{AGILE}/board/1/sprint").mock(side_effect=offset_pager([sprint(1)]))
    assert len(await fetch(client, "sprint")) == 1
    assert route.calls[0].request.url.params["state"] == "active"


@respx.mock
async def test_boards_without_sprints_are_skipped_quietly(
    client: JiraClient, warnings: list[str]
) -> None:
    respx.get(f"{AGILE}/board").mock(side_effect=offset_pager([board(1), board(4, "simple")]))
    respx.get(url__regex=rf"{AGILE}/board/\d+/sprint").mock(
        side_effect=per_board(
            {
                1: offset_pager([sprint(1)]),
                4: json_response({"errorMessages": ["The board does not support sprints"]}, 400),
            }
        )
    )
    assert [s["id"] for s in await fetch(client, "sprint")] == [1]
    assert warnings == []


@respx.mock
async def test_a_sprint_answer_404_is_warned_and_skipped_a_500_fails(
    client: JiraClient, warnings: list[str]
) -> None:
    respx.get(f"{AGILE}/board").mock(side_effect=offset_pager([board(1), board(3)]))
    respx.get(url__regex=rf"{AGILE}/board/\d+/sprint").mock(
        side_effect=per_board(
            {1: offset_pager([sprint(1)]), 3: json_response({"errorMessages": ["Gone"]}, 404)}
        )
    )
    assert [s["id"] for s in await fetch(client, "sprint")] == [1]
    assert len(warnings) == 1 and "board 3" in warnings[0] and "404" in warnings[0]

    respx.get(url__regex=rf"{AGILE}/board/\d+/sprint").mock(
        side_effect=per_board(
            {1: offset_pager([sprint(1)]), 3: json_response({"errorMessages": ["Oops"]}, 501)}
        )
    )
    with pytest.raises(Exception, match="501"):
        await fetch(client, "sprint")


# Epics


@respx.mock
async def test_epics_of_every_board_once_with_their_board(client: JiraClient) -> None:
    respx.get(f"{AGILE}/board").mock(side_effect=offset_pager([board(1), board(2, "kanban")]))
    route = respx.get(url__regex=rf"{AGILE}/board/\d+/epic").mock(
        side_effect=per_board(
            {
                1: offset_pager([epic(1), epic(2), epic(3)], is_last=True, total=False),
                2: offset_pager([epic(1)], is_last=True, total=False),
            }
        )
    )
    found = await fetch(client, "epic", status=["complete"])
    assert sorted(e["key"] for e in found) == ["P1-1", "P1-2", "P1-3"]
    assert all(e["__boardId"] in (1, 2) for e in found)
    assert {c.request.url.params["done"] for c in route.calls} == {"true"}
    assert len([c for c in route.calls if board_id(c.request) == 1]) == 2  # two pages


@respx.mock
async def test_epics_status_null_or_both_ask_for_every_epic(client: JiraClient) -> None:
    respx.get(f"{AGILE}/board").mock(side_effect=offset_pager([board(1)]))
    route = respx.get(f"{AGILE}/board/1/epic").mock(side_effect=offset_pager([epic(1)]))
    await fetch(client, "epic", status=None)
    assert "done" not in route.calls[-1].request.url.params
    await fetch(client, "epic", status=["complete", "incomplete"])
    assert "done" not in route.calls[-1].request.url.params
    await fetch(client, "epic")  # the default, as in Port's integration: incomplete only
    assert route.calls[-1].request.url.params["done"] == "false"


# Backlogs


@respx.mock
async def test_backlog_uses_the_software_api_with_jql_and_fields(
    client: JiraClient, warnings: list[str]
) -> None:
    respx.get(f"{AGILE}/board").mock(side_effect=offset_pager([board(1), board(2, "kanban")]))
    backlog = respx.get(url__regex=rf"{SITE}/rest/software/1\.0/board/\d+/backlog").mock(
        side_effect=per_board(
            {
                1: query_token_pager([issue(n) for n in range(1, 6)]),
                2: json_response({"errorMessages": ["The board does not have a backlog"]}, 400),
            }
        )
    )
    agile_backlog = respx.get(url__regex=rf"{AGILE}/board/\d+/backlog")
    found = await fetch(client, "backlog", jql="priority = High", fields=["summary", "status"])
    assert [(i["key"], i["__boardId"]) for i in found] == [(f"P1-{n}", 1) for n in range(1, 6)]
    params = [c.request.url.params for c in backlog.calls if board_id(c.request) == 1]
    # paged by token, as Atlassian describes the enhanced backlog (it has no startAt)
    assert len(params) == 3 and "nextPageToken" not in params[0]
    assert all(p["nextPageToken"] for p in params[1:])
    assert all("startAt" not in p for p in params)
    assert params[0]["jql"] == "priority = High" and params[0]["fields"] == "summary,status"
    assert not agile_backlog.called
    assert warnings == []  # the kanban board has no backlog: skipped quietly


@respx.mock
async def test_backlog_defaults_are_port_integration_s(client: JiraClient) -> None:
    respx.get(f"{AGILE}/board").mock(side_effect=offset_pager([board(1)]))
    route = respx.get(f"{SITE}/rest/software/1.0/board/1/backlog").mock(
        side_effect=query_token_pager([])
    )
    assert await fetch(client, "backlog") == []
    params = route.calls[-1].request.url.params
    assert params["jql"] == "updated >= -1w OR statusCategory != Done"
    assert "fields" not in params  # every field
    for whole_backlog in (None, "  "):
        assert await fetch(client, "backlog", jql=whole_backlog) == []
        assert "jql" not in route.calls[-1].request.url.params


@respx.mock
async def test_backlog_falls_back_to_the_agile_api_only_when_the_software_one_is_refused(
    client: JiraClient, warnings: list[str]
) -> None:
    respx.get(f"{AGILE}/board").mock(side_effect=offset_pager([board(1)]))
    software = respx.get(f"{SITE}/rest/software/1.0/board/1/backlog").mock(
        return_value=json_response({"errorMessages": ["Forbidden"]}, 403)
    )
    agile = respx.get(f"{AGILE}/board/1/backlog").mock(
        side_effect=offset_pager([issue(1)], values_key="issues", is_last=False)
    )
    found = await fetch(client, "backlog")
    assert [(i["key"], i["__boardId"]) for i in found] == [("P1-1", 1)]
    assert software.call_count == 1 and agile.call_count == 1
    assert any("rest/agile/1.0" in w for w in warnings)

    found = await fetch(client, "backlog", useSoftwareApi=False)
    assert [i["key"] for i in found] == ["P1-1"]
    assert software.call_count == 1 and agile.call_count == 2  # the software API not asked


@respx.mock
async def test_fan_outs_run_boards_concurrently_within_the_client_bound(
    client: JiraClient,
) -> None:
    in_flight = peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return json_response({"values": [epic(board_id(request))], "isLast": True})

    respx.get(f"{AGILE}/board").mock(side_effect=offset_pager([board(n) for n in range(12)], 50))
    respx.get(url__regex=rf"{AGILE}/board/\d+/epic").mock(side_effect=slow)
    assert len(await fetch(client, "epic")) == 12
    assert peak == client.concurrency == 4
