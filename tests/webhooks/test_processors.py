"""The processors: deletes from the payload, upserts re-read from Jira with the selector."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.handlers.webhook.webhook_event import (
    WebhookEvent,
)
from port_ocean.exceptions.webhook_processor import RetryableError

from jira.errors import JiraApiError
from jira.selectors import IssueResourceConfig, ProjectResourceConfig
from jira.webhooks.processors import LiveEventsContext
from tests.builders import SITE, issue, json_response, project, user
from tests.webhooks.payloads import (
    SECRET,
    body_of,
    comment_event,
    issue_event,
    project_event,
    sign,
    user_event,
)
from tests.webhooks.support import PROCESSOR, handle, processor

SEARCH = f"{SITE}/rest/api/3/search/jql"
MAPPING = {"entity": {"mappings": {"identifier": ".key", "title": ".key", "blueprint": '"x"'}}}


def issue_resource(**selector: Any) -> ResourceConfig:
    return IssueResourceConfig.parse_obj(
        {"kind": "issue", "selector": {"query": "true", **selector}, "port": MAPPING}
    )


def project_resource(expand: str = "insight") -> ResourceConfig:
    return ProjectResourceConfig.parse_obj(
        {"kind": "project", "selector": {"query": "true", "expand": expand}, "port": MAPPING}
    )


def user_resource() -> ResourceConfig:
    return ResourceConfig.parse_obj(
        {"kind": "user", "selector": {"query": "true"}, "port": MAPPING}
    )


def search_returning(*issues: dict[str, Any]) -> respx.Route:
    return respx.post(SEARCH).mock(
        return_value=json_response({"issues": list(issues), "isLast": True})
    )


def issue_gone(key: str = "P1-1") -> None:
    """Jira once an issue is deleted: a search naming its key is refused, a GET answers 404."""
    message = f"An issue with key '{key}' does not exist for field 'key'."
    respx.post(SEARCH).mock(return_value=json_response({"errorMessages": [message]}, status=400))
    respx.get(f"{SITE}/rest/api/3/issue/{key}").mock(
        return_value=json_response({"errorMessages": ["Issue does not exist"]}, status=404)
    )


def sent_body(route: respx.Route) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body


# Issues


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
async def test_transient_search_failure_raises_retryable_and_removes_nothing(
    live: LiveEventsContext,
) -> None:
    respx.post(SEARCH).mock(return_value=httpx.Response(503))
    proc = processor("issue", issue_event("jira:issue_updated"))
    with pytest.raises(RetryableError, match="503"):
        await proc.handle_event(proc.event.payload, issue_resource())
    assert proc.should_retry(RetryableError())


@respx.mock
async def test_transient_failure_of_the_confirmation_raises_and_removes_nothing(
    live: LiveEventsContext,
) -> None:
    search_returning()
    respx.get(f"{SITE}/rest/api/3/issue/P1-1").mock(return_value=httpx.Response(502))
    proc = processor("issue", issue_event("jira:issue_updated"))
    with pytest.raises(RetryableError):
        await proc.handle_event(proc.event.payload, issue_resource())


@respx.mock
async def test_a_jql_rejected_by_jira_raises_without_removing(live: LiveEventsContext) -> None:
    respx.post(SEARCH).mock(
        return_value=json_response({"errorMessages": ["Field 'nope' does not exist"]}, status=400)
    )
    payload = issue_event("jira:issue_updated")
    exists = respx.get(f"{SITE}/rest/api/3/issue/{payload['issue']['key']}").mock(
        return_value=json_response(issue(1))
    )
    proc = processor("issue", payload)
    with pytest.raises(JiraApiError, match="nope"):
        await proc.handle_event(proc.event.payload, issue_resource(jql="nope = 1"))
    assert exists.called  # the issue exists: the 400 is the JQL's fault, so nothing is removed


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
async def test_an_older_state_finishing_late_does_not_overwrite_a_newer_one(
    live: LiveEventsContext,
) -> None:
    newer = issue(1, updated="2024-01-02T10:00:05.000+0000")
    older = issue(1, updated="2024-01-02T10:00:00.000+0000")
    resource = issue_resource()
    search_returning(newer)
    first = await handle("issue", issue_event("jira:issue_updated"), resource)
    respx.post(SEARCH).mock(return_value=json_response({"issues": [older]}))
    late = await handle("issue", issue_event("jira:issue_updated"), resource)
    assert first.updated_raw_results == [newer]
    assert late.updated_raw_results == [] and late.deleted_raw_results == []


@respx.mock
async def test_jiras_answer_not_the_deliverys_time_decides_a_removal(
    live: LiveEventsContext,
) -> None:
    # applied: updated at 10:00:05; a delete stamped earlier arrives late (out of order)
    search_returning(issue(1, updated="2024-01-02T10:00:05.000+0000"))
    resource = issue_resource()
    await handle("issue", issue_event("jira:issue_updated"), resource)
    issue_gone()
    early = 1704189600000  # 2024-01-02T10:00:00Z
    result = await handle("issue", issue_event("jira:issue_deleted", timestamp=early), resource)
    assert len(result.deleted_raw_results) == 1  # Jira says it is gone: it is
    # a stale search that still holds the old state cannot bring it back
    search_returning(issue(1, updated="2024-01-02T10:00:05.000+0000"))
    late = await handle("issue", issue_event("jira:issue_updated"), resource)
    assert late.updated_raw_results == []


# Projects


@respx.mock
async def test_project_update_is_read_again_like_the_resync(live: LiveEventsContext) -> None:
    current = project(1)
    route = respx.get(f"{SITE}/rest/api/3/project/search").mock(
        return_value=json_response({"values": [current], "isLast": True})
    )
    result = await handle(
        "project", project_event("project_updated"), project_resource("insight,lead")
    )
    assert result.updated_raw_results == [current]
    params = route.calls.last.request.url.params
    assert params["id"] == "10001" and params["expand"] == "insight,lead"


@respx.mock
async def test_project_no_longer_live_is_removed(live: LiveEventsContext) -> None:
    respx.get(f"{SITE}/rest/api/3/project/search").mock(
        return_value=json_response({"values": [], "isLast": True})
    )
    payload = project_event("project_restored_archived")
    result = await handle("project", payload, project_resource())
    assert result.deleted_raw_results == [payload["project"]]


@pytest.mark.parametrize("event", ["project_deleted", "project_soft_deleted", "project_archived"])
@respx.mock
async def test_a_project_deleted_trashed_or_archived_leaves_port_as_a_resync_would(
    live: LiveEventsContext, event: str
) -> None:
    # /project/search lists live projects only: one in the trash or archived is not there.
    search = respx.get(f"{SITE}/rest/api/3/project/search").mock(
        return_value=json_response({"values": []})
    )
    payload = project_event(event)
    result = await handle("project", payload, project_resource())
    assert result.deleted_raw_results == [payload["project"]]
    assert search.calls.last.request.url.params["id"] == "10001"


# Users


@respx.mock
async def test_user_update_is_read_by_account_id(live: LiveEventsContext) -> None:
    current = user(3)
    route = respx.get(f"{SITE}/rest/api/3/user").mock(return_value=json_response(current))
    result = await handle("user", user_event("user_updated", 3), user_resource())
    assert result.updated_raw_results == [current]
    assert route.calls.last.request.url.params["accountId"] == "acc-3"


@respx.mock
async def test_user_gone_on_update_is_removed(live: LiveEventsContext) -> None:
    respx.get(f"{SITE}/rest/api/3/user").mock(return_value=json_response({}, status=404))
    payload = user_event("user_created", 4)
    result = await handle("user", payload, user_resource())
    assert result.deleted_raw_results == [payload["user"]]


@respx.mock
async def test_user_deleted_is_removed_once_jira_answers_404(live: LiveEventsContext) -> None:
    route = respx.get(f"{SITE}/rest/api/3/user").mock(return_value=json_response({}, status=404))
    payload = user_event("user_deleted", 4)
    result = await handle("user", payload, user_resource())
    assert result.deleted_raw_results == [payload["user"]]
    assert route.calls.last.request.url.params["accountId"] == "acc-4"


# Matching, validation, authentication


async def test_processors_match_only_their_own_events(live: LiveEventsContext) -> None:
    event = WebhookEvent("t", project_event("project_created"), {})
    assert await PROCESSOR["project"](event).should_process_event(event)
    assert not await PROCESSOR["issue"](event).should_process_event(event)
    assert not await PROCESSOR["user"](event).should_process_event(event)


@pytest.mark.parametrize(
    "payload",
    [
        issue_event("jira:issue_updated", {"id": "1"}),
        issue_event("jira:issue_updated", {"key": "P1-1"}),
        issue_event("jira:issue_updated", {"id": "1", "key": 'P1-1" OR project = X'}),
        {"webhookEvent": "jira:issue_updated"},
    ],
)
async def test_payloads_without_a_valid_identity_are_invalid(
    live: LiveEventsContext, payload: dict[str, Any]
) -> None:
    assert not await processor("issue", payload).validate_payload(payload)


async def test_authentication_without_a_secret_accepts(live: LiveEventsContext) -> None:
    assert await processor("issue", issue_event("jira:issue_updated")).authenticate({}, {})


async def test_authentication_verifies_the_original_raw_body(live: LiveEventsContext) -> None:
    live.secret = lambda: SECRET
    payload = issue_event("jira:issue_updated")
    raw = body_of(payload)
    good = {"x-hub-signature": sign(SECRET, raw)}
    assert await processor("issue", payload, good, raw).authenticate(payload, good)
    bad = {"x-hub-signature": sign("other", raw)}
    assert not await processor("issue", payload, bad, raw).authenticate(payload, bad)
    assert not await processor("issue", payload, {}, raw).authenticate(payload, {})
    tampered = raw.replace(b"P1-1", b"P1-2")
    assert not await processor("issue", payload, good, tampered).authenticate(payload, good)


async def test_authentication_without_the_raw_body_fails_closed(live: LiveEventsContext) -> None:
    live.secret = lambda: SECRET
    payload = issue_event("jira:issue_updated")
    headers = {"x-hub-signature": sign(SECRET, body_of(payload))}
    assert not await processor("issue", payload, headers).authenticate(payload, headers)
