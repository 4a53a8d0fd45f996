"""Live events through the real Ocean app: HTTP → gate → Ocean's route → queue → processor → Port.

Ocean's test harness boots main.py (so the gate, the processors and the resync handlers are the
registered ones); the event listener and lifespan are not run, so each test drains the queue
itself with the manager's own `_process_webhook_event`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.queue import LocalQueue
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent
from port_ocean.integration_testing import IntegrationTestHarness, InterceptTransport

from jira.entity_processor import CompiledJQEntityProcessor
from jira.factory import reset_jira_client
from jira.webhooks.answers import applier
from jira.webhooks.dedupe import NewestApplied
from jira.webhooks.events import WEBHOOK_PATH, webhook_route
from jira.webhooks.gate import MAX_DEPTH
from jira.webhooks.processors import CONTEXT, LiveEventsContext
from jira.webhooks.stream import Entry, read_entry
from tests.builders import comment, issue, json_response, sprint
from tests.integration.harness_setup import (
    INTEGRATION,
    default_mapping,
    every_kind_mapping,
    integration_config,
)
from tests.webhooks.gate_support import EVENT, nested, raw_headers
from tests.webhooks.payloads import (
    SECRET,
    body_of,
    comment_event,
    delivery_headers,
    issue_event,
    sprint_event,
    user_event,
)

WEBHOOK = webhook_route()
Route = tuple[str, str, Any]  # method, URL pattern, response (or responder)


@pytest.fixture(autouse=True)
def fresh_context() -> Iterator[LiveEventsContext]:
    saved = CONTEXT.newest
    CONTEXT.newest = NewestApplied()
    yield CONTEXT
    CONTEXT.newest = saved


class Live:
    def __init__(self, h: IntegrationTestHarness, transport: InterceptTransport) -> None:
        self.h = h
        self.transport = transport
        self.ocean = ocean.app
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.ocean), base_url="http://ocean"
        )
        self.processed = 0

    @property
    def queue(self) -> LocalQueue[WebhookEvent]:
        # Ocean's workers read this queue; no public route runs one event to completion.
        queue = self.ocean.webhook_manager._event_queues[WEBHOOK_PATH]
        assert isinstance(queue, LocalQueue)
        return queue

    async def deliver(
        self,
        payload: dict[str, Any],
        secret: str | None = SECRET,
        delivery_id: str | None = None,
        sent_at: int | None = None,
    ) -> httpx.Response:
        """Sends `payload` as Jira would: stamped with the time it was sent (now), signed;
        Ocean's worker (played here) processes it while the delivery waits for its answer."""
        body = body_of({**payload, "timestamp": sent_at or int(time.time() * 1000)})
        headers = delivery_headers(body, secret, delivery_id)
        return await self.post(body, headers)

    async def post(self, body: bytes, headers: Any) -> httpx.Response:
        answer = asyncio.create_task(self.http.post(WEBHOOK, content=body, headers=headers))
        while not answer.done():
            if await self.queue.size():
                await self.process_one()
            else:
                await asyncio.sleep(0.01)
        return answer.result()

    async def process_one(self) -> None:
        event = await self.queue.get()
        await self.ocean.webhook_manager._process_webhook_event(WEBHOOK_PATH, 0, event)
        await self.queue.commit()
        self.processed += 1

    async def drain(self) -> int:
        """How many deliveries were processed since the last call (the rest now)."""
        while await self.queue.size():
            await self.process_one()
        processed, self.processed = self.processed, 0
        return processed


@asynccontextmanager
async def live_harness(
    routes: list[Route],
    in_port: list[dict[str, Any]] | None = None,
    mapping: dict[str, Any] | None = None,
) -> AsyncIterator[Live]:
    reset_jira_client()
    transport = InterceptTransport(strict=True)
    for method, pattern, response in routes:
        transport.add_route(method, pattern, response)
    h = IntegrationTestHarness(
        integration_path=str(INTEGRATION),
        port_mapping_config=mapping or default_mapping(),
        third_party_transport=transport,
        config_overrides=integration_config(webhook_secret=SECRET),
        port_search_entities_response=in_port or [],
    )
    await h.start()
    live = Live(h, transport)
    await live.ocean.webhook_manager.initialize_handlers()  # normally done by the event listener
    try:
        yield live
    finally:
        await live.http.aclose()
        await h.shutdown()
        reset_jira_client()


async def test_a_signed_issue_update_reaches_port_with_jiras_current_state() -> None:
    fresh = issue(1, summary="Current summary")
    routes: list[Route] = [("POST", "/rest/api/3/search/jql", json_response({"issues": [fresh]}))]
    async with live_harness(routes) as live:
        response = await live.deliver(issue_event("jira:issue_updated", issue(1, summary="old")))
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert await live.drain() == 1
        upserted = live.h.port_mock.upserted_entities
        assert [(e["identifier"], e["title"]) for e in upserted] == [("P1-1", "Current summary")]


async def test_an_unsigned_delivery_is_refused_before_ocean_queues_it() -> None:
    async with live_harness([]) as live:
        response = await live.deliver(issue_event("jira:issue_deleted"), secret=None)
        assert response.status_code == 401
        assert await live.queue.size() == 0


async def test_a_deleted_user_is_removed_once_jira_confirms_it() -> None:
    routes: list[Route] = [("GET", "/rest/api/3/user", json_response({}, 404))]
    in_port = [{"identifier": "acc-4", "blueprint": "jiraUser"}]
    async with live_harness(routes, in_port=in_port) as live:
        assert (await live.deliver(user_event("user_deleted", 4))).status_code == 200
        await live.drain()
        assert live.h.port_mock.deleted_entity_ids == ["acc-4"]
        assert len(live.transport.calls_for("/rest/api/3/user")) == 1


async def test_a_replayed_signed_delete_of_a_live_issue_leaves_it_in_port() -> None:
    current = issue(1, summary="Still here")
    routes: list[Route] = [("POST", "/rest/api/3/search/jql", json_response({"issues": [current]}))]
    in_port = [{"identifier": "P1-1", "blueprint": "jiraIssue"}]
    async with live_harness(routes, in_port=in_port) as live:
        deleted, sent_at = issue_event("jira:issue_deleted"), int(time.time() * 1000)
        for delivery in ("first", "replayed-under-another-id"):  # the same signed body
            response = await live.deliver(deleted, delivery_id=delivery, sent_at=sent_at)
            assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert await live.drain() == 2
        assert live.h.port_mock.deleted_entity_ids == []
        upserted = {(e["identifier"], e["title"]) for e in live.h.port_mock.upserted_entities}
        assert upserted == {("P1-1", "Still here")}


async def test_an_issue_leaving_the_selector_is_removed_from_port() -> None:
    routes: list[Route] = [
        ("POST", "/rest/api/3/search/jql", json_response({"issues": []})),
        ("GET", "/rest/api/3/issue/P1-2", json_response({"id": "20002", "key": "P1-2"})),
    ]
    in_port = [{"identifier": "P1-2", "blueprint": "jiraIssue"}]
    async with live_harness(routes, in_port=in_port) as live:
        await live.deliver(issue_event("jira:issue_updated", issue(2)))
        await live.drain()
        assert live.h.port_mock.upserted_entities == []
        assert live.h.port_mock.deleted_entity_ids == ["P1-2"]


async def test_one_comment_event_updates_both_the_comment_and_its_issue() -> None:
    routes: list[Route] = [
        ("POST", "/rest/api/3/search/jql", json_response({"issues": [issue(3)]})),
        ("GET", "/rest/api/3/issue/P1-3/comment/60005", json_response(comment(5, "Hi there"))),
    ]
    async with live_harness(routes, mapping=every_kind_mapping()) as live:
        response = await live.deliver(comment_event("comment_created", 3))
        assert response.status_code == 200
        assert await live.drain() == 1
        upserted = {(e["blueprint"], e["identifier"]) for e in live.h.port_mock.upserted_entities}
        assert upserted == {("jiraIssue", "P1-3"), ("jiraComment", "60005")}
        body = next(
            e for e in live.h.port_mock.upserted_entities if e["blueprint"] == "jiraComment"
        )
        assert body["properties"]["body"] == "Hi there"
        assert body["relations"] == {"issue": "P1-3", "author": "acc-2"}


async def test_a_closed_sprint_leaves_the_catalog_of_active_and_future_sprints() -> None:
    routes: list[Route] = [
        ("GET", "/rest/agile/1.0/sprint/4", json_response(sprint(4, "closed"))),
    ]
    in_port = [{"identifier": "4", "blueprint": "jiraSprint"}]
    async with live_harness(routes, in_port=in_port) as live:
        await live.deliver(sprint_event("sprint_closed", 4, state="closed"))
        await live.drain()
        assert live.h.port_mock.upserted_entities == []
        assert live.h.port_mock.deleted_entity_ids == ["4"]


async def test_the_reported_hostile_deliveries_get_4xx_from_the_real_ocean_app() -> None:
    """Issue #12's three reports (a 500, a 500, and a 200 that Ocean then dropped with a
    RecursionError) and a lone surrogate (a 200 that Ocean's jq then refused), against main.py's
    Ocean app."""
    deliveries = [
        (nested(2), raw_headers(nested(2), x_hub_signature="sha256=\u00e9" + "0" * 63), 401),
        (nested(100_000), raw_headers(nested(100_000)), 400),
        (nested(900), raw_headers(nested(900)), 400),
        (EVENT + b', "x": "\\ud800"}', raw_headers(EVENT + b', "x": "\\ud800"}'), 400),
    ]
    async with live_harness([]) as live:
        for body, headers, status in deliveries:
            response = await live.post(body, headers)
            assert response.status_code == status
        assert await live.queue.size() == 0


async def test_the_deepest_and_oddest_body_the_gate_lets_through_is_processed_by_ocean() -> None:
    body = (
        b'{"webhookEvent": "user_deleted", "timestamp": ' + b"9" * 4000 + b', "user": '
        b'{"accountId": "acc-4", "displayName": "\\u0000\\ud83d\\ude00 \\\\ud800", "y": 1e308, '
        b'"x": ' + b"[" * (MAX_DEPTH - 2) + b"]" * (MAX_DEPTH - 2) + b"}}"
    )
    in_port = [{"identifier": "acc-4", "blueprint": "jiraUser"}]
    gone = ("GET", "/rest/api/3/user", json_response({}, 404))  # Jira confirms the delete
    async with live_harness([gone], in_port=in_port) as live:
        response = await live.post(body, raw_headers(body))
        assert response.status_code == 200
        assert await live.drain() == 1
        assert live.h.port_mock.deleted_entities == in_port


async def test_live_events_are_mapped_by_the_integrations_entity_processor() -> None:
    # Ocean's default (JQEntityProcessor) forks a process pool for every delivery it maps.
    async with live_harness([]) as live:
        assert isinstance(live.ocean.webhook_manager.entity_processor, CompiledJQEntityProcessor)


async def test_a_delivery_jira_could_not_answer_for_is_answered_503_and_retried() -> None:
    # Jira refuses the re-read (a failure no retry of ours mends): nothing is written, and the
    # delivery's answer says so, instead of Ocean's 200 on queueing.
    routes: list[Route] = [
        ("POST", "/rest/api/3/search/jql", json_response({"errorMessages": ["boom"]}, 400))
    ]
    async with live_harness(routes) as live:
        response = await live.deliver(issue_event("jira:issue_updated", issue(1)), delivery_id="d1")
        assert response.status_code == 503
        assert response.json()["status"] == "retry"
        assert "IssueWebhookProcessor for the issue kind" in response.json()["reason"]
        assert live.h.port_mock.upserted_entities == []
        # Jira's retry of it (same id) is not taken for a duplicate: it is processed again
        await live.deliver(issue_event("jira:issue_updated", issue(1)), delivery_id="d1")
        assert await live.drain() == 2


async def test_a_delivery_port_did_not_take_is_answered_503() -> None:
    found = json_response({"issues": [issue(1)]})
    routes: list[Route] = [("POST", "/rest/api/3/search/jql", found)]
    async with live_harness(routes) as live:
        port = live.h.port_mock.transport
        refusal = {"status_code": 422, "json": {"ok": False, "error": "invalid_entity"}}
        port.add_route("POST", "/entities/bulk", refusal, times=1)
        port._routes.insert(0, port._routes.pop())  # before the mock's own bulk route
        response = await live.deliver(issue_event("jira:issue_updated", issue(1)))
        assert response.status_code == 503
        assert "Port did not take 1 of its entities" in response.json()["reason"]
        # applied on Jira's retry, once Port takes it
        assert (await live.deliver(issue_event("jira:issue_updated", issue(1)))).status_code == 200
        assert [e["identifier"] for e in live.h.port_mock.upserted_entities] == ["P1-1"]


async def test_deliveries_waiting_for_their_answers_are_applied_together() -> None:
    # Five deliveries in flight at once: each waits for its answer while Ocean's workers apply
    # them side by side, and their re-reads still share one Jira search.
    found = json_response({"issues": [issue(n, summary=f"Now {n}") for n in range(1, 6)]})
    async with live_harness([("POST", "/rest/api/3/search/jql", found)]) as live:
        bodies = [
            body_of(
                {
                    **issue_event("jira:issue_updated", issue(n)),
                    "timestamp": int(time.time() * 1000),
                }
            )
            for n in range(1, 6)
        ]
        answers = [
            asyncio.create_task(
                live.http.post(WEBHOOK, content=b, headers=delivery_headers(b, SECRET))
            )
            for b in bodies
        ]
        while await live.queue.size() < len(bodies):
            await asyncio.wait(answers, timeout=0.01)
        assert not any(answer.done() for answer in answers)  # nothing answered before applied
        events = [await live.queue.get() for _ in bodies]
        manager = live.ocean.webhook_manager
        await asyncio.gather(
            *(manager._process_webhook_event(WEBHOOK_PATH, n, e) for n, e in enumerate(events))
        )
        for _ in events:
            await live.queue.commit()
        assert [(await answer).status_code for answer in answers] == [200] * 5
        assert len(live.transport.calls_for("/rest/api/3/search/jql")) == 1
        titles = {(e["identifier"], e["title"]) for e in live.h.port_mock.upserted_entities}
        assert titles == {(f"P1-{n}", f"Now {n}") for n in range(1, 6)}


async def test_a_delivery_whose_processing_is_stopped_is_answered_503() -> None:
    # Ocean cancels its workers when the process is asked to stop (a rolling update).
    found = json_response({"issues": [issue(1)]})
    async with live_harness([("POST", "/rest/api/3/search/jql", found)]) as live:
        body = body_of(
            {**issue_event("jira:issue_updated", issue(1)), "timestamp": int(time.time() * 1000)}
        )
        answer = asyncio.create_task(
            live.http.post(WEBHOOK, content=body, headers=delivery_headers(body, SECRET))
        )
        while not await live.queue.size():
            await asyncio.wait({answer}, timeout=0.01)
        event = await live.queue.get()
        worker = asyncio.create_task(
            live.ocean.webhook_manager._process_webhook_event(WEBHOOK_PATH, 0, event)
        )
        await asyncio.sleep(0.05)  # inside the re-read's coalescing window
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await live.queue.commit()
        response = await answer
        assert response.status_code == 503
        assert "the integration stopped before applying it" in response.json()["reason"]
        assert live.h.port_mock.upserted_entities == []


async def from_the_stream(payload: dict[str, Any]) -> Entry:
    """`payload` as a signed Redis stream entry, read as the stream consumer reads it."""
    body = body_of({**payload, "timestamp": int(time.time() * 1000)})
    fields = {
        "webhookPath": f"/live-events/abc{WEBHOOK}",
        "payload": body.decode(),
        "headers": json.dumps(delivery_headers(body, SECRET)),
    }
    read = await read_entry("1-0", fields, secret=SECRET, paths={WEBHOOK_PATH})
    assert isinstance(read, Entry)
    return read


async def test_a_stream_entry_is_applied_as_a_delivery_and_told_what_failed() -> None:
    # The Redis stream consumer applies an entry with Ocean's manager, as its workers apply an
    # HTTP delivery: the same receipt tells it what failed and whether that may pass.
    found = json_response({"issues": [issue(1)]})
    async with live_harness([("POST", "/rest/api/3/search/jql", found)]) as live:
        apply = applier(live.ocean.webhook_manager)
        port = live.h.port_mock.transport
        refusal = {"status_code": 422, "json": {"ok": False, "error": "invalid_entity"}}
        port.add_route("POST", "/entities/bulk", refusal, times=1)
        port._routes.insert(0, port._routes.pop())  # before the mock's own bulk route
        entry = await from_the_stream(issue_event("jira:issue_updated", issue(1)))
        [refused] = await apply(entry.path, entry.event)
        assert str(refused) == "Port did not take 1 of its entities"
        assert not refused.may_pass  # acknowledged: the same entity is refused the same way
        entry = await from_the_stream(issue_event("jira:issue_updated", issue(1)))
        assert await apply(entry.path, entry.event) == []
        assert [e["identifier"] for e in live.h.port_mock.upserted_entities] == ["P1-1"]


async def test_a_stream_entry_jira_could_not_answer_for_names_the_processor_that_failed() -> None:
    refused = json_response({"errorMessages": ["boom"]}, 400)
    async with live_harness([("POST", "/rest/api/3/search/jql", refused)]) as live:
        entry = await from_the_stream(issue_event("jira:issue_updated", issue(1)))
        [failure] = await applier(live.ocean.webhook_manager)(entry.path, entry.event)
        assert str(failure).startswith("IssueWebhookProcessor for the issue kind: ")
        assert not failure.may_pass
        assert live.h.port_mock.upserted_entities == []
        assert await live.queue.size() == 0  # applied in place, never queued as HTTP's are
