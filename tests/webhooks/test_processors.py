"""The processor base: matching, validation, signatures, ordering, and Jira failures."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import respx
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent
from port_ocean.exceptions.webhook_processor import RetryableError

from jira.errors import JiraApiError
from jira.webhooks.dedupe import Applied, NewestApplied
from jira.webhooks.processors import LiveEventsContext
from tests.builders import SITE, issue, json_response, resource
from tests.webhooks.payloads import SECRET, body_of, issue_event, project_event, sign, worklog_event
from tests.webhooks.support import (
    API,
    PROCESSOR,
    SEARCH,
    handle,
    issue_gone,
    issue_resource,
    processor,
    search_returning,
)


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


@pytest.mark.parametrize(
    ("kind", "payload"),
    [("issue", issue_event("jira:issue_updated")), ("project", project_event("project_updated"))],
)
@respx.mock
async def test_a_search_answering_404_fails_the_event_and_removes_nothing(
    live: LiveEventsContext, kind: str, payload: dict[str, Any]
) -> None:
    # A search is never "gone": a 404 there is a wrong address (a wrong cloud id, a proxy).
    respx.post(SEARCH).mock(return_value=json_response({}, status=404))
    respx.get(f"{API}/project/search").mock(return_value=json_response({}, status=404))
    with pytest.raises(JiraApiError, match="404"):
        await processor(kind, payload).handle_event(payload, resource(kind))


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


@respx.mock
async def test_a_transient_failure_is_retried_and_removes_nothing(
    live: LiveEventsContext,
) -> None:
    respx.get(f"{API}/issue/20001").mock(return_value=httpx.Response(503))
    event = WebhookEvent("t", worklog_event("worklog_updated"), {})
    processor = PROCESSOR["worklog"](event)
    with pytest.raises(RetryableError):
        await processor.handle_event(event.payload, resource("worklog", since="-30d"))


def _deselected() -> None:
    """Jira still has P1-1, but the selector's JQL no longer selects it."""
    search_returning()
    respx.get(f"{API}/issue/P1-1").mock(return_value=json_response(issue(1)))


def _mapped_to(blueprint: str) -> Any:
    """The issue resource of `issue_resource()`, mapped to another blueprint."""
    raw = issue_resource().dict(by_alias=True)
    raw["port"]["entity"]["mappings"]["blueprint"] = f'"{blueprint}"'
    return type(issue_resource()).parse_obj(raw)


@respx.mock
async def test_two_resources_with_one_selector_each_apply_every_delivery(
    live: LiveEventsContext,
) -> None:
    # Issues mapped to two blueprints: Ocean hands each delivery to both resources at once.
    # They share Jira's answer, and each writes its own entities: update and removal alike.
    search_returning(issue(1, updated="2024-01-02T10:00:05.000+0000"))
    resources = [_mapped_to("jiraIssue"), _mapped_to("issueMirror")]
    payload = issue_event("jira:issue_updated")
    results = await asyncio.gather(*(handle("issue", payload, r) for r in resources))
    assert [len(r.updated_raw_results) for r in results] == [1, 1]

    _deselected()
    results = await asyncio.gather(*(handle("issue", payload, r) for r in resources))
    assert [len(r.deleted_raw_results) for r in results] == [1, 1]


@respx.mock
async def test_an_issue_reselected_after_its_removal_comes_back_whatever_the_clocks(
    live: LiveEventsContext,
) -> None:
    # Jira's clock runs an hour behind the host: the removal must not be stamped with the
    # host's time, or the re-selected issue (updated in Jira's clock) is refused as older.
    live.now_ms = lambda: 1704189600000 + 3_600_000
    resource = issue_resource()
    search_returning(issue(1, updated="2024-01-02T10:00:00.000+0000"))
    await handle("issue", issue_event("jira:issue_updated"), resource)
    _deselected()  # at 10:00:05
    gone = await handle("issue", issue_event("jira:issue_updated"), resource)
    assert len(gone.deleted_raw_results) == 1
    back = issue(1, updated="2024-01-02T10:00:09.000+0000")  # re-selected at 10:00:09
    search_returning(back)
    again = await handle("issue", issue_event("jira:issue_updated"), resource)
    assert again.updated_raw_results == [back]


@pytest.mark.parametrize(
    ("applied", "late", "accepted"),
    [
        # a removal read before a newer state, finishing after it, removes nothing
        (Applied(2, 500, removed=False), Applied(1, None, removed=True), False),
        # a removal read after it removes it, whatever Jira's or the host's clock says
        (Applied(1, 500, removed=False), Applied(2, None, removed=True), True),
        # a state read before the removal cannot bring the object back ...
        (Applied(2, 500, removed=True), Applied(1, 500, removed=False), False),
        # ... nor can the removed state answered late by a lagging search ...
        (Applied(2, 500, removed=True), Applied(3, 500, removed=False), False),
        # ... but a state Jira changed since the removal does
        (Applied(2, 500, removed=True), Applied(3, 501, removed=False), True),
        # between two states, Jira's version decides (a lagging search answers late) ...
        (Applied(1, 500, removed=False), Applied(2, 400, removed=False), False),
        # ... or, for kinds without one, the order of the reads
        (Applied(2, None, removed=False), Applied(1, None, removed=False), False),
        # a removal after a removal is harmless
        (Applied(2, 500, removed=True), Applied(1, None, removed=True), True),
    ],
)
def test_the_order_of_reads_and_jiras_versions_decide_what_is_applied(
    applied: Applied, late: Applied, accepted: bool
) -> None:
    newest = NewestApplied()
    assert newest.accept("P1-1", applied)
    assert newest.accept("P1-1", late) is accepted


@respx.mock
async def test_a_state_older_than_the_event_announces_is_retried_not_written(
    live: LiveEventsContext,
) -> None:
    # Jira's search index (a Data Center node's) lags the change the event announces.
    announced = issue(1, updated="2024-01-02T10:00:05.000+0000")
    search_returning(issue(1, updated="2024-01-02T10:00:00.000+0000"))
    with pytest.raises(RetryableError, match="older than the event's"):
        await handle("issue", issue_event("jira:issue_updated", announced), issue_resource())
    search_returning(announced)  # caught up: the retry writes it
    result = await handle("issue", issue_event("jira:issue_updated", announced), issue_resource())
    assert result.updated_raw_results == [announced]
