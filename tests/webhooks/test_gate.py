"""The HTTP gate in front of Ocean's webhook route, driven through a tiny Starlette app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message

from jira.webhooks.dedupe import RecentIds
from jira.webhooks.gate import WebhookGate
from tests.webhooks.payloads import SECRET, body_of, delivery_headers, issue_event, sign, user_event

PATH = "/integration/webhook"


class Downstream:
    """Stands in for Ocean's route: records what it received."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.status = 200

    async def handle(self, request: Request) -> Response:
        self.bodies.append(await request.body())
        return JSONResponse({"status": "ok"}, status_code=self.status)


def build(
    secret: str | None = None, max_body: int = 10 * 1024 * 1024
) -> tuple[httpx.AsyncClient, Downstream, WebhookGate]:
    downstream = Downstream()
    app = Starlette(
        routes=[
            Route(PATH, downstream.handle, methods=["POST", "GET"]),
            Route("/other", downstream.handle, methods=["POST"]),
        ]
    )
    gate = WebhookGate(
        app, path=PATH, secret=lambda: secret, max_body_bytes=max_body, recent=RecentIds(size=100)
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://ocean")
    return client, downstream, gate


async def post(
    client: httpx.AsyncClient, body: bytes, headers: dict[str, str], path: str = PATH
) -> httpx.Response:
    return await client.post(path, content=body, headers=headers)


async def test_a_valid_delivery_passes_with_its_body_byte_for_byte() -> None:
    client, downstream, _ = build()
    body = b'{ "webhookEvent" : "jira:issue_updated",\n "issue": {"id": "20001", "key": "P1-1"} }'
    response = await post(client, body, delivery_headers(body))
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert downstream.bodies == [body]


async def test_a_signed_delivery_passes_when_a_secret_is_set() -> None:
    client, downstream, _ = build(secret=SECRET)
    body = body_of(issue_event("jira:issue_created"))
    response = await post(client, body, delivery_headers(body, secret=SECRET))
    assert response.status_code == 200
    assert downstream.bodies == [body]


@pytest.mark.parametrize(
    ("signature", "reason"),
    [(None, "missing"), ("sha256=" + "0" * 64, "does not match"), ("md5=abc", "unsupported")],
)
async def test_bad_signatures_are_refused_with_401(
    warnings: list[str], signature: str | None, reason: str
) -> None:
    client, downstream, _ = build(secret=SECRET)
    body = body_of(issue_event("jira:issue_updated"))
    headers = delivery_headers(body)
    if signature:
        headers["x-hub-signature"] = signature
    response = await post(client, body, headers)
    assert response.status_code == 401
    assert reason in response.json()["reason"]
    assert downstream.bodies == []
    assert len(warnings) == 1 and reason in warnings[0]
    assert SECRET not in warnings[0] and "P1-1" not in warnings[0]


async def test_a_body_changed_after_signing_is_refused() -> None:
    client, downstream, _ = build(secret=SECRET)
    body = body_of(issue_event("jira:issue_updated"))
    headers = delivery_headers(body, secret=SECRET)
    response = await post(client, body.replace(b"P1-1", b"P1-9"), headers)
    assert response.status_code == 401 and downstream.bodies == []


async def test_an_oversized_content_length_is_refused_with_413(warnings: list[str]) -> None:
    client, downstream, _ = build(max_body=1000)
    body = body_of(issue_event("jira:issue_updated", summary="x" * 2000))
    response = await post(client, body, delivery_headers(body))
    assert response.status_code == 413
    assert downstream.bodies == [] and len(warnings) == 1


async def test_oversized_bytes_without_content_length_are_refused_with_413() -> None:
    _, downstream, gate = build(max_body=1000)
    chunks: list[Message] = [
        {"type": "http.request", "body": b"x" * 600, "more_body": True},
        {"type": "http.request", "body": b"x" * 600, "more_body": False},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return chunks.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": PATH, "headers": []}
    await gate(scope, receive, send)
    assert sent[0]["status"] == 413
    assert downstream.bodies == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"issue": {"id": "1", "key": "P1-1"}}', "unsupported webhookEvent"),
        (b'{"webhookEvent": "filter_created", "filter": {"id": 1}}', "unsupported webhookEvent"),
        (b'{"webhookEvent": "sprint_started", "sprint": {}}', "missing sprint"),
        (b'{"webhookEvent": "worklog_deleted", "worklog": {"id": "1"}}', "missing worklog"),
        (b'{"webhookEvent": "comment_deleted", "comment": {"id": "5"}}', "and issue.{id, key}"),
        (b'{"webhookEvent": "jira:issue_updated", "issue": {"id": "1"}}', "missing issue"),
        (b'{"webhookEvent": "jira:issue_deleted"}', "missing issue"),
        (b'{"webhookEvent": "user_deleted", "user": {"name": "x"}}', "missing user"),
    ],
)
async def test_malformed_deliveries_are_refused_with_400(
    warnings: list[str], body: bytes, reason: str
) -> None:
    client, downstream, _ = build()
    response = await post(client, body, delivery_headers(body))
    assert response.status_code == 400
    assert reason in response.json()["reason"]
    assert downstream.bodies == []
    assert len(warnings) == 1 and reason in warnings[0]


async def test_a_repeated_delivery_id_is_answered_without_queueing() -> None:
    client, downstream, _ = build()
    body = body_of(user_event("user_updated"))
    headers = delivery_headers(body, delivery_id="delivery-1")
    first = await post(client, body, headers)
    second = await post(client, body, headers)
    assert first.status_code == 200 and first.json() == {"status": "ok"}
    assert second.status_code == 200 and second.json() == {"status": "duplicate"}
    assert len(downstream.bodies) == 1
    other = await post(client, body, delivery_headers(body, delivery_id="delivery-2"))
    assert other.json() == {"status": "ok"} and len(downstream.bodies) == 2


async def test_a_delivery_the_route_failed_to_queue_can_be_retried() -> None:
    client, downstream, _ = build()
    body = body_of(user_event("user_updated"))
    headers = delivery_headers(body, delivery_id="delivery-1")
    downstream.status = 500
    assert (await post(client, body, headers)).status_code == 500
    downstream.status = 200
    assert (await post(client, body, headers)).json() == {"status": "ok"}


async def test_a_refused_delivery_does_not_mark_its_id_as_seen() -> None:
    client, _, _ = build(secret=SECRET)
    body = body_of(user_event("user_updated"))
    await post(client, body, delivery_headers(body, delivery_id="d-1"))  # unsigned: 401
    response = await post(client, body, delivery_headers(body, secret=SECRET, delivery_id="d-1"))
    assert response.json() == {"status": "ok"}


async def test_other_paths_and_methods_are_not_guarded() -> None:
    client, downstream, _ = build(secret=SECRET)
    assert (await post(client, b"junk", {}, path="/other")).status_code == 200
    assert (await client.get(PATH)).status_code == 200
    assert downstream.bodies == [b"junk", b""]


async def test_the_duplicate_memory_is_bounded() -> None:
    recent = RecentIds(size=3)
    for n in range(5):
        assert not recent.seen_or_add(f"id-{n}")
    assert len(recent) == 3
    assert not recent.seen_or_add("id-0")  # forgotten: at worst an idempotent re-update
    assert recent.seen_or_add("id-4")


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    yield body


async def test_a_signature_over_a_streamed_body_is_checked_on_all_its_bytes() -> None:
    client, downstream, _ = build(secret=SECRET)
    body = json.dumps(issue_event("jira:issue_updated")).encode()
    headers = {"x-hub-signature": sign(SECRET, body), "content-type": "application/json"}
    response = await client.post(PATH, content=_chunks(body), headers=headers)
    assert response.status_code == 200 and downstream.bodies == [body]
