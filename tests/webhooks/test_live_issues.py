"""Live events of issues and their comments and worklogs (jira.issues, jira.issue_items)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent

from jira.errors import JiraApiError
from jira.webhooks.processors import PROCESSORS, LiveEventsContext
from tests.builders import SITE, comment, issue, json_response, resource, worklog
from tests.webhooks.payloads import comment_event, issue_event, worklog_event
from tests.webhooks.support import (
    API,
    GONE,
    PROCESSOR,
    SEARCH,
    handle,
    issue_gone,
    issue_resource,
    search_returning,
    sent_body,
)


@respx.mock
async def test_issue_update_is_read_again_with_the_selector_jql_and_reconcile(
    live: LiveEventsContext,
) -> None:
    current = issue(1, summary="fresh")
    search = search_returning(current)
    payload = issue_event("jira:issue_updated", issue(1, summary="stale"))

    result = await handle(
        "issue", payload, issue_resource(jql="project = P1 OR labels = x ORDER BY key")
    )

    assert result.updated_raw_results == [current]
    assert result.deleted_raw_results == []
    body = sent_body(search)
    assert body["jql"] == '(project = P1 OR labels = x) AND key = "P1-1"'
    assert body["reconcileIssues"] == [20001]
    assert body["fields"] == ["*all"]


@respx.mock
async def test_issue_created_a_moment_ago_is_found_through_reconcile(
    live: LiveEventsContext,
) -> None:
    created = issue(7)
    search = respx.post(SEARCH).mock(
        side_effect=lambda request: json_response(
            {"issues": [created] if json.loads(request.content).get("reconcileIssues") else []}
        )
    )
    result = await handle("issue", issue_event("jira:issue_created", created), issue_resource())
    assert result.updated_raw_results == [created]
    assert search.call_count == 1


@respx.mock
async def test_issue_fields_and_expand_are_honoured(live: LiveEventsContext) -> None:
    search = search_returning(issue(1))
    await handle(
        "issue",
        issue_event("jira:issue_updated"),
        issue_resource(jql="project = P1", fields="summary, status", expand="names,changelog"),
    )
    body = sent_body(search)
    assert body["fields"] == ["summary", "status", "updated"]
    assert body["expand"] == "names,changelog"


@respx.mock
async def test_issue_no_longer_matching_the_jql_is_removed(live: LiveEventsContext) -> None:
    search_returning()
    confirm = respx.get(f"{SITE}/rest/api/3/issue/P1-1").mock(
        return_value=json_response({"id": "20001", "key": "P1-1", "fields": {}})
    )
    payload = issue_event("jira:issue_updated")
    result = await handle("issue", payload, issue_resource(jql="project = P1"))
    assert result.updated_raw_results == []
    assert result.deleted_raw_results == [payload["issue"]]
    assert confirm.calls.last.request.url.params["fields"] == "updated"


@respx.mock
async def test_issue_answered_404_is_removed(live: LiveEventsContext) -> None:
    search_returning()
    respx.get(f"{SITE}/rest/api/3/issue/P1-1").mock(
        return_value=json_response({"errorMessages": ["Issue does not exist"]}, status=404)
    )
    payload = issue_event("jira:issue_updated")
    result = await handle("issue", payload, issue_resource())
    assert result.deleted_raw_results == [payload["issue"]]


@respx.mock
async def test_an_update_for_an_issue_deleted_since_removes_it(live: LiveEventsContext) -> None:
    # Jira answers 400 to `key = X` once X no longer exists; a GET confirms it is gone.
    respx.post(SEARCH).mock(
        return_value=json_response(
            {"errorMessages": ["The value 'P1-1' does not exist for the field 'key'."]}, status=400
        )
    )
    payload = issue_event("jira:issue_updated")
    respx.get(f"{SITE}/rest/api/3/issue/{payload['issue']['key']}").mock(
        return_value=json_response({"errorMessages": ["Issue does not exist"]}, status=404)
    )
    result = await handle("issue", payload, issue_resource())
    assert result.updated_raw_results == []
    assert result.deleted_raw_results == [payload["issue"]]


@respx.mock
async def test_issue_deleted_is_removed_once_jira_confirms_it_is_gone(
    live: LiveEventsContext,
) -> None:
    issue_gone()
    payload = issue_event("jira:issue_deleted")
    result = await handle("issue", payload, issue_resource())
    assert result.updated_raw_results == []
    assert result.deleted_raw_results == [payload["issue"]]


@respx.mock
async def test_comment_events_read_their_issue_again(live: LiveEventsContext) -> None:
    current = issue(3)
    search = search_returning(current)
    result = await handle("issue", comment_event("comment_created", n=3), issue_resource())
    assert result.updated_raw_results == [current]
    assert sent_body(search)["reconcileIssues"] == [20003]


@respx.mock
async def test_a_moved_issue_removes_its_old_key(live: LiveEventsContext) -> None:
    moved = issue(5, project_key="P2")
    search_returning(moved)
    payload = issue_event(
        "jira:issue_updated",
        moved,
        changelog={"items": [{"field": "Key", "fromString": "P1-5", "toString": "P2-5"}]},
    )
    result = await handle("issue", payload, issue_resource())
    assert result.updated_raw_results == [moved]
    assert [item["key"] for item in result.deleted_raw_results] == ["P1-5"]


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
async def test_a_worklog_gone_is_removed(live: LiveEventsContext) -> None:
    respx.get(f"{API}/issue/20001").mock(return_value=json_response(issue(1)))
    respx.get(f"{API}/issue/P1-1/worklog/50001").mock(return_value=json_response(GONE, 404))
    updated = worklog_event("worklog_updated")
    result = await handle("worklog", updated, resource("worklog", since="-30d"))
    assert result.deleted_raw_results == [updated["worklog"]]


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
    search = respx.post(f"{API}/search/jql").mock(
        return_value=json_response({"issues": [issue(3)]})
    )
    respx.get(f"{API}/issue/P1-3/comment/60005").mock(return_value=json_response(GONE, 404))
    result = await handle("comment", payload, resource("comment"))
    assert result.deleted_raw_results == [payload["comment"]]
    result = await handle("issue", payload, resource("issue"))
    assert [i["key"] for i in result.updated_raw_results] == ["P1-3"]
    assert search.called


@pytest.mark.parametrize(
    ("kind", "payload", "issue_ref"),
    [
        ("issue", issue_event("jira:issue_updated"), "P1-1"),
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


def _deleted_with_comments() -> dict[str, Any]:
    listed = issue(3)
    listed["fields"]["comment"] = {"comments": [comment(5), comment(6)], "total": 2}
    return issue_event("jira:issue_deleted", listed)


@respx.mock
async def test_a_deleted_issue_takes_the_comments_its_event_lists_once_jira_confirms(
    live: LiveEventsContext,
) -> None:
    # Jira sends no comment event for them (or only later): Port would keep them otherwise.
    respx.get(f"{API}/issue/20003").mock(return_value=json_response(GONE, 404))
    result = await handle("comment", _deleted_with_comments(), resource("comment"))
    assert [c["id"] for c in result.deleted_raw_results] == ["60005", "60006"]
    assert all(c["__issueKey"] == "P1-3" for c in result.deleted_raw_results)


@respx.mock
async def test_an_issue_delete_event_for_an_issue_jira_still_has_removes_no_comment(
    live: LiveEventsContext,
) -> None:
    respx.get(f"{API}/issue/20003").mock(return_value=json_response(issue(3)))
    result = await handle("comment", _deleted_with_comments(), resource("comment"))
    assert result.deleted_raw_results == [] and result.updated_raw_results == []
