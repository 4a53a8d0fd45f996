"""Delete events are hints: every kind removes an object only when Jira confirms it is gone.

A correctly signed delete replayed later (with another delivery id, which the signature does
not cover) must not remove an object Jira still has; a 404 removes it; Jira being down or
refusing (403) removes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
from port_ocean.exceptions.webhook_processor import RetryableError

from jira.kinds import KINDS, KINDS_BY_NAME
from jira.webhooks.processors import LiveEventsContext
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
    user,
    version,
    worklog,
)
from tests.webhooks.payloads import (
    SECRET,
    body_of,
    delivery_headers,
    sample_payload,
    version_event,
)
from tests.webhooks.support import handle, processor

API = f"{SITE}/rest/api/3"
AGILE = f"{SITE}/rest/agile/1.0"
SEARCH = f"{API}/search/jql"

DELETES = [(k.name, e) for k in KINDS if k.live is not None for e in sorted(k.live.delete_events)]


def _jira_has(kind: str) -> list[dict[str, Any]]:
    """Mocks Jira still holding the sample object of `kind`; returns what Port should get."""
    if kind in ("issue", "comment", "worklog"):  # the selector's JQL still selects the issue
        respx.post(SEARCH).mock(return_value=json_response({"issues": [issue(1)]}))
    if kind == "issue":
        return [issue(1)]
    if kind == "comment":
        respx.get(f"{API}/issue/P1-1/comment/60005").mock(return_value=json_response(comment(5)))
        return [{**comment(5), "__issueKey": "P1-1", "__bodyText": "Comment 5"}]
    if kind == "project":
        respx.get(f"{API}/project/search").mock(
            return_value=json_response({"values": [project(1)]})
        )
        return [project(1)]
    if kind == "user":
        respx.get(f"{API}/user").mock(return_value=json_response(user(1)))
        return [user(1)]
    if kind == "release":
        respx.get(f"{API}/version/30001").mock(return_value=json_response(version(1)))
        respx.get(f"{API}/project/10001").mock(return_value=json_response(project(1)))
        return [{**version(1), "__projectKey": "P1", "__project": project(1)}]
    if kind == "board":
        respx.get(f"{AGILE}/board/1").mock(return_value=json_response(board(1)))
        respx.get(f"{AGILE}/board/1/project").mock(side_effect=offset_pager([project(1)]))
        return [{**board(1), "__projectKeys": ["P1"]}]
    if kind == "sprint":
        respx.get(f"{AGILE}/sprint/1").mock(return_value=json_response(sprint(1)))
        return [{**sprint(1), "__boardId": 1}]
    assert kind == "worklog"
    respx.get(f"{API}/issue/20001").mock(return_value=json_response(issue(1)))
    respx.get(f"{API}/issue/P1-1/worklog/50001").mock(return_value=json_response(worklog(1)))
    return [{**worklog(1), "__issueKey": "P1-1", "__commentText": "Worked on 1"}]


def _jira_lost(kind: str) -> None:
    """Mocks Jira once the sample object of `kind` is gone, answering as Jira does."""
    missing = {"errorMessages": ["An issue with key 'P1-1' does not exist for field 'key'."]}
    if kind == "issue":  # a search naming a gone key is refused; the GET says 404
        respx.post(SEARCH).mock(return_value=json_response(missing, 400))
    elif kind in ("comment", "worklog"):  # its issue is still there
        respx.post(SEARCH).mock(return_value=json_response({"issues": [issue(1)]}))
    elif kind == "project":  # deleted, trashed or archived: no longer listed as live
        respx.get(f"{API}/project/search").mock(return_value=json_response({"values": []}))
    respx.route(host="myaccount.atlassian.net").mock(side_effect=_jira_answers(404))


def _jira_answers(status: int) -> Callable[[httpx.Request], httpx.Response]:
    body = {"errorMessages": [f"answered {status}"], "errors": {}}
    return lambda request: json_response(body, status)


def test_every_kind_with_live_events_has_delete_events() -> None:
    assert {kind for kind, _ in DELETES} == {
        "issue",
        "project",
        "user",
        "release",
        "board",
        "sprint",
        "worklog",
        "comment",
    }


@pytest.mark.parametrize(("kind", "event"), DELETES)
@respx.mock
async def test_a_replayed_signed_delete_of_a_live_object_removes_nothing(
    live: LiveEventsContext, kind: str, event: str
) -> None:
    live.secret = lambda: SECRET
    payload = sample_payload(event)
    raw = body_of(payload)
    current = _jira_has(kind)
    for delivery in ("original-delivery", "replayed-with-another-id"):
        headers = delivery_headers(raw, SECRET, delivery_id=delivery)
        proc = processor(kind, payload, headers, raw)
        assert await proc.authenticate(payload, headers)  # genuinely signed
        result = await proc.handle_event(payload, resource(kind))
        assert result.deleted_raw_results == []
        assert result.updated_raw_results == current  # refreshed from Jira instead


@pytest.mark.parametrize(("kind", "event"), DELETES)
@respx.mock
async def test_a_delete_jira_confirms_removes_the_object(
    live: LiveEventsContext, kind: str, event: str
) -> None:
    _jira_lost(kind)
    payload = sample_payload(event)
    key = KINDS_BY_NAME[kind].live.payload_key  # type: ignore[union-attr]
    result = await handle(kind, payload, resource(kind))
    assert result.updated_raw_results == []
    assert result.deleted_raw_results == [payload[key]]
    assert respx.calls.call_count >= 1  # asked, never assumed


@pytest.mark.parametrize(("kind", "event"), DELETES)
@respx.mock
async def test_a_delete_while_jira_is_down_is_retried_and_removes_nothing(
    live: LiveEventsContext, kind: str, event: str
) -> None:
    respx.route(host="myaccount.atlassian.net").mock(return_value=httpx.Response(503))
    proc = processor(kind, sample_payload(event))
    with pytest.raises(RetryableError, match="503"):
        await proc.handle_event(proc.event.payload, resource(kind))


@pytest.mark.parametrize(("kind", "event"), DELETES)
@respx.mock
async def test_an_object_jira_refuses_with_403_is_neither_removed_nor_updated(
    live: LiveEventsContext, kind: str, event: str, warnings: list[str]
) -> None:
    respx.route(host="myaccount.atlassian.net").mock(side_effect=_jira_answers(403))
    result = await handle(kind, sample_payload(event), resource(kind))
    assert result.updated_raw_results == [] and result.deleted_raw_results == []
    assert len(warnings) == 1
    permission = KINDS_BY_NAME[kind].live.permission  # type: ignore[union-attr]
    assert "403" in warnings[0] and permission in warnings[0] and kind in warnings[0]


@pytest.mark.parametrize(("age_minutes", "acted"), [(89, True), (91, False)])
@respx.mock
async def test_a_delivery_older_than_the_freshness_window_is_ignored(
    live: LiveEventsContext, age_minutes: int, acted: bool, warnings: list[str]
) -> None:
    payload = sample_payload("jira:issue_deleted")
    live.max_age_ms = lambda: 90 * 60_000
    live.now_ms = lambda: int(payload["timestamp"]) + age_minutes * 60_000
    _jira_lost("issue")
    result = await handle("issue", payload, resource("issue"))
    assert bool(result.deleted_raw_results) is acted
    assert bool(respx.calls.call_count) is acted
    assert bool(warnings) is not acted
    if warnings:
        assert "webhookMaxAgeMinutes" in warnings[0]


@respx.mock
async def test_a_merge_removes_the_merged_version_and_refreshes_its_target(
    live: LiveEventsContext,
) -> None:
    respx.get(f"{API}/version/30002").mock(side_effect=_jira_answers(404))
    target = {**version(3), "description": "now holds 2's issues"}
    respx.get(f"{API}/version/30003").mock(return_value=json_response(target))
    respx.get(f"{API}/project/10001").mock(return_value=json_response(project(1)))
    payload = version_event("jira:version_deleted", 2, mergedTo=version(3))
    result = await handle("release", payload, resource("release"))
    assert result.deleted_raw_results == [payload["version"]]
    assert result.updated_raw_results == [{**target, "__projectKey": "P1", "__project": project(1)}]
