"""Live events of releases, boards, sprints, worklogs and comments, through their processors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent
from port_ocean.exceptions.webhook_processor import RetryableError

from jira.errors import JiraApiError
from jira.webhooks.processors import PROCESSORS, LiveEventsContext
from tests.builders import (
    SITE,
    board,
    comment,
    issue,
    json_response,
    offset_pager,
    project,
    resource,
    sprint,
    version,
    worklog,
)
from tests.webhooks.payloads import (
    board_event,
    comment_event,
    sprint_event,
    version_event,
    worklog_event,
)
from tests.webhooks.support import PROCESSOR, handle

API = f"{SITE}/rest/api/3"
AGILE = f"{SITE}/rest/agile/1.0"
GONE = {"errorMessages": ["It does not exist"], "errors": {}}


# Releases


@pytest.mark.parametrize(
    "event",
    [
        "jira:version_created",
        "jira:version_updated",
        "jira:version_released",
        "jira:version_unreleased",
        "jira:version_moved",
    ],
)
@respx.mock
async def test_a_release_is_read_again_with_its_project(
    live: LiveEventsContext, event: str
) -> None:
    current = version(1, released=True)
    respx.get(f"{API}/version/30001").mock(return_value=json_response(current))
    respx.get(f"{API}/project/10001").mock(return_value=json_response(project(1)))
    result = await handle("release", version_event(event), resource("release"))
    assert result.updated_raw_results == [
        {**current, "__projectKey": "P1", "__project": project(1)}
    ]
    assert result.deleted_raw_results == []


@respx.mock
async def test_a_release_gone_on_update_is_removed(live: LiveEventsContext) -> None:
    respx.get(f"{API}/version/30001").mock(return_value=json_response(GONE, 404))
    payload = version_event("jira:version_updated")
    result = await handle("release", payload, resource("release"))
    assert result.deleted_raw_results == [payload["version"]]


@respx.mock
async def test_a_deleted_or_merged_release_is_removed_from_the_payload(
    live: LiveEventsContext,
) -> None:
    merged = version_event("jira:version_deleted", 2, mergedTo=version(3))
    result = await handle("release", merged, resource("release"))
    assert result.deleted_raw_results == [merged["version"]]
    assert respx.calls.call_count == 0


# Boards


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
async def test_board_deleted_and_board_gone(live: LiveEventsContext) -> None:
    deleted = board_event("board_deleted", 7)
    assert (await handle("board", deleted, resource("board"))).deleted_raw_results == [
        deleted["board"]
    ]
    respx.get(f"{AGILE}/board/8").mock(return_value=json_response(GONE, 404))
    updated = board_event("board_updated", 8)
    assert (await handle("board", updated, resource("board"))).deleted_raw_results == [
        updated["board"]
    ]


# Sprints


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


@respx.mock
async def test_sprint_deleted_uses_the_payload(live: LiveEventsContext) -> None:
    payload = sprint_event("sprint_deleted", 3)
    result = await handle("sprint", payload, resource("sprint"))
    assert result.deleted_raw_results == [payload["sprint"]]
    assert respx.calls.call_count == 0


# Worklogs


@respx.mock
async def test_a_worklog_is_read_again_with_its_issue_key(live: LiveEventsContext) -> None:
    respx.get(f"{API}/issue/20001").mock(return_value=json_response(issue(1)))
    current = worklog(1, seconds=7200)
    route = respx.get(f"{API}/issue/P1-1/worklog/50001").mock(return_value=json_response(current))
    result = await handle(
        "worklog", worklog_event("worklog_updated"), resource("worklog", since="-30d")
    )
    assert result.updated_raw_results == [
        {**current, "__issueKey": "P1-1", "__commentText": "Worked on 1"}
    ]
    assert route.called


@respx.mock
async def test_a_worklog_whose_issue_left_the_jql_is_removed(live: LiveEventsContext) -> None:
    search = respx.post(f"{API}/search/jql").mock(return_value=json_response({"issues": []}))
    respx.get(f"{API}/issue/20001").mock(return_value=json_response(issue(1)))
    payload = worklog_event("worklog_created")
    result = await handle("worklog", payload, resource("worklog", jql="project = P9"))
    assert result.deleted_raw_results == [payload["worklog"]]
    body = json.loads(search.calls[0].request.content)
    assert body["jql"] == "(project = P9) AND id = 20001"
    assert body["reconcileIssues"] == [20001]


@respx.mock
async def test_a_worklog_gone_is_removed_and_a_delete_needs_no_lookup(
    live: LiveEventsContext,
) -> None:
    respx.get(f"{API}/issue/20001").mock(return_value=json_response(issue(1)))
    respx.get(f"{API}/issue/P1-1/worklog/50001").mock(return_value=json_response(GONE, 404))
    updated = worklog_event("worklog_updated")
    result = await handle("worklog", updated, resource("worklog", since="-30d"))
    assert result.deleted_raw_results == [updated["worklog"]]
    respx.reset()
    deleted = worklog_event("worklog_deleted", timestamp=1_800_000_000_000)  # after the update
    result = await handle("worklog", deleted, resource("worklog", since="-30d"))
    assert result.deleted_raw_results == [deleted["worklog"]]
    assert respx.calls.call_count == 0


@respx.mock
async def test_an_older_worklog_state_never_overwrites_a_newer_one(
    live: LiveEventsContext,
) -> None:
    respx.get(f"{API}/issue/20001").mock(return_value=json_response(issue(1)))
    newer = {**worklog(1), "updated": "2024-01-02T12:00:00.000+0000"}
    older = worklog(1)  # updated 11:00
    route = respx.get(f"{API}/issue/P1-1/worklog/50001")
    route.mock(return_value=json_response(newer))
    first = await handle(
        "worklog", worklog_event("worklog_updated"), resource("worklog", since="-30d")
    )
    route.mock(return_value=json_response(older))
    late = await handle(
        "worklog", worklog_event("worklog_updated"), resource("worklog", since="-30d")
    )
    assert len(first.updated_raw_results) == 1
    assert late.updated_raw_results == [] and late.deleted_raw_results == []


@respx.mock
async def test_a_transient_failure_is_retried_and_removes_nothing(
    live: LiveEventsContext,
) -> None:
    respx.get(f"{API}/issue/20001").mock(return_value=httpx.Response(503))
    event = WebhookEvent("t", worklog_event("worklog_updated"), {})
    processor = PROCESSOR["worklog"](event)
    with pytest.raises(RetryableError):
        await processor.handle_event(event.payload, resource("worklog", since="-30d"))


# Comments: both the comment and its issue follow the events


@respx.mock
async def test_a_comment_is_read_again_for_the_selectors_jql(live: LiveEventsContext) -> None:
    search = respx.post(f"{API}/search/jql").mock(
        return_value=json_response({"issues": [{"id": "20003", "key": "P1-3"}]})
    )
    current = comment(5, "Edited\nbody")
    respx.get(f"{API}/issue/P1-3/comment/60005").mock(return_value=json_response(current))
    result = await handle(
        "comment", comment_event("comment_updated", 3), resource("comment", jql="project = P1")
    )
    assert result.updated_raw_results == [
        {**current, "__issueKey": "P1-3", "__bodyText": "Edited\nbody"}
    ]
    body = json.loads(search.calls[0].request.content)
    assert body["jql"] == '(project = P1) AND key = "P1-3"' and body["fields"] == ["key"]


@respx.mock
async def test_a_comment_whose_issue_left_the_jql_or_that_is_gone_is_removed(
    live: LiveEventsContext,
) -> None:
    respx.post(f"{API}/search/jql").mock(return_value=json_response({"issues": []}))
    respx.get(f"{API}/issue/P1-3").mock(return_value=json_response(issue(3)))
    payload = comment_event("comment_created", 3)
    result = await handle("comment", payload, resource("comment"))
    assert result.deleted_raw_results == [payload["comment"]]

    respx.post(f"{API}/search/jql").mock(
        return_value=json_response({"issues": [{"id": "20003", "key": "P1-3"}]})
    )
    respx.get(f"{API}/issue/P1-3/comment/60005").mock(return_value=json_response(GONE, 404))
    result = await handle(
        "comment", comment_event("comment_updated", 3, timestamp=2), resource("comment")
    )
    assert result.deleted_raw_results == [payload["comment"]]


@respx.mock
async def test_comment_deleted_removes_the_comment_and_rereads_the_issue(
    live: LiveEventsContext,
) -> None:
    payload = comment_event("comment_deleted", 3)
    event = WebhookEvent("t", payload, {})
    matching = [p for p in PROCESSORS if await p(event).should_process_event(event)]
    assert {p.kind.name for p in matching} == {"issue", "comment"}
    result = await handle("comment", payload, resource("comment"))
    assert result.deleted_raw_results == [payload["comment"]]
    assert respx.calls.call_count == 0
    search = respx.post(f"{API}/search/jql").mock(
        return_value=json_response({"issues": [issue(3)]})
    )
    result = await handle("issue", payload, resource("issue"))
    assert [i["key"] for i in result.updated_raw_results] == ["P1-3"]
    assert search.called


@pytest.mark.parametrize(
    ("kind", "payload", "issue_ref"),
    [
        ("comment", comment_event("comment_updated", 3), "P1-3"),
        ("worklog", worklog_event("worklog_updated"), "20001"),
    ],
)
@respx.mock
async def test_a_jql_jira_rejects_fails_the_event_and_removes_nothing(
    live: LiveEventsContext, kind: str, payload: dict[str, Any], issue_ref: str
) -> None:
    # The issue exists: the 400 is the selector's fault, never a sign the object is gone.
    respx.post(f"{API}/search/jql").mock(
        return_value=json_response({"errorMessages": ["Field 'nope' does not exist"]}, 400)
    )
    exists = respx.get(f"{API}/issue/{issue_ref}").mock(return_value=json_response(issue(1)))
    event = WebhookEvent("t", payload, {})
    with pytest.raises(JiraApiError, match="nope"):
        await PROCESSOR[kind](event).handle_event(payload, resource(kind, jql="nope = 1"))
    assert exists.called


async def test_a_comment_event_without_its_issue_is_invalid(live: LiveEventsContext) -> None:
    payload = comment_event("comment_created")
    del payload["issue"]
    event = WebhookEvent("t", payload, {})
    assert not await PROCESSOR["comment"](event).validate_payload(payload)
