"""Webhook events (sandbox/jira_sim/webhooks.py and registry.py): payloads, Jira's HMAC
signature, delivery to a real local receiver, and registered webhooks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from sandbox.jira_sim import SimConfig, create_app, generate_dataset
from sandbox.jira_sim.store import NotFoundError
from sandbox.jira_sim.webhooks import build_event, send_event, sign
from tests.sandbox.support import asgi_client, sim_state

JIRA_VECTOR = "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9"


@dataclass
class Received:
    request_line: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        return json.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class Receiver:
    """A tiny HTTP/1.1 server on 127.0.0.1 that records what it is sent."""

    status: int = 200
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {}
        for line in head[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append(Received(head[0], headers, body))
        writer.write(
            f"HTTP/1.1 {self.status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".encode()
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    server = await asyncio.start_server(rec.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    rec.url = f"http://127.0.0.1:{port}/webhook"
    async with server:
        yield rec


def test_sign_matches_jira_test_vector() -> None:
    assert sign(b"Hello World!", "It's a Secret to Everybody") == JIRA_VECTOR


def test_build_event_shapes() -> None:
    ds = generate_dataset(SimConfig(issues=10))
    created = build_event(
        ds, "jira:issue_created", key="PA-1", base_url="https://acme.atlassian.net"
    )
    assert set(created) == {"timestamp", "webhookEvent", "user", "issue"}
    assert created["issue"]["key"] == "PA-1" and "summary" in created["issue"]["fields"]
    assert created["issue"]["self"] == "https://acme.atlassian.net/rest/api/3/issue/10000"
    assert "emailAddress" not in created["user"] and created["user"]["accountId"]

    ds.update_issue("PA-1", {"status": "In Progress"})
    updated = build_event(ds, "jira:issue_updated", key="PA-1")
    assert updated["changelog"]["items"][0]["field"] == "status"
    assert updated["changelog"]["items"][0]["toString"] == "In Progress"

    last = ds.delete_issue("PA-1")
    deleted = build_event(ds, "jira:issue_deleted", key="PA-1")
    assert deleted["issue"]["id"] == last["id"]

    account = next(iter(ds.users))
    user_updated = build_event(ds, "user_updated", account_id=account)
    assert user_updated["user"]["accountId"] == account
    project = build_event(ds, "project_created", project_key="PLAT")
    assert project["project"]["key"] == "PLAT" and project["project"]["id"] == "10001"
    with pytest.raises(NotFoundError):
        build_event(ds, "jira:issue_updated", key="PA-999")
    with pytest.raises(ValueError, match="unsupported"):
        build_event(ds, "filter_created")
    with pytest.raises(ValueError, match="needs the id"):
        build_event(ds, "sprint_started")


async def test_send_event_signs_the_raw_body(receiver: Receiver) -> None:
    ds = generate_dataset(SimConfig(issues=5))
    payload = build_event(ds, "jira:issue_created", key="PA-1")
    delivery = await send_event(receiver.url, payload, secret="s3cret")
    assert delivery.status == 200 and delivery.error is None
    got = receiver.requests[0]
    assert got.request_line.startswith("POST /webhook ")
    assert got.headers["x-atlassian-webhook-identifier"] == delivery.identifier
    assert got.headers["x-hub-signature"] == sign(got.body, "s3cret")
    assert got.json() == payload
    unsigned = await send_event(receiver.url, payload)
    assert "x-hub-signature" not in receiver.requests[1].headers
    assert unsigned.identifier != delivery.identifier


async def test_send_event_reports_connection_errors() -> None:
    delivery = await send_event("http://127.0.0.1:9/nothing", {"webhookEvent": "x"})
    assert delivery.status is None and delivery.error


async def test_sim_send_route(receiver: Receiver) -> None:
    async with asgi_client(config=SimConfig(issues=5)) as c:
        r = await c.post(
            "/_sim/webhooks/send",
            json={
                "url": receiver.url,
                "event": "jira:issue_updated",
                "key": "PA-1",
                "secret": "abc",
                "identifier": "delivery-1",
            },
        )
        assert r.json()["status"] == 200
        got = receiver.requests[0]
        assert got.headers["x-atlassian-webhook-identifier"] == "delivery-1"
        assert got.headers["x-hub-signature"] == sign(got.body, "abc")
        body = got.json()
        assert body["webhookEvent"] == "jira:issue_updated" and "changelog" in body
        assert body["issue"]["self"].startswith("http://jira-sim.test/")  # type: ignore[index]
        r = await c.post(
            "/_sim/webhooks/send",
            json={"url": receiver.url, "event": "jira:issue_deleted", "key": "PA-999"},
        )
        assert r.status_code == 400


async def test_registered_webhooks_receive_their_events(receiver: Receiver) -> None:
    app = create_app(SimConfig(issues=30))
    async with asgi_client(app) as admin:
        await admin.post(
            "/rest/webhooks/1.0/webhook",
            json={
                "name": "port",
                "url": receiver.url,
                "events": ["jira:issue_updated", "jira:issue_deleted"],
                "secret": "hook-secret",
            },
        )
        await admin.put("/_sim/issues/PA-1", json={"summary": "changed", "notify": True})
        await admin.post("/_sim/issues/PA-3/comments", json={"body": "hi", "notify": True})
        await admin.delete("/_sim/issues/PA-2", params={"notify": "true"})
        assert len(receiver.requests) == 2  # comment_created: not subscribed
        first, second = receiver.requests
        assert first.headers["x-hub-signature"] == sign(first.body, "hook-secret")
        assert first.json()["matchedWebhookIds"] == [1]
        assert first.json()["changelog"]["items"][0]["toString"] == "changed"  # type: ignore[index]
        assert second.json()["webhookEvent"] == "jira:issue_deleted"
        assert second.json()["issue"]["key"] == "PA-2"  # type: ignore[index]
        assert len(sim_state(admin).webhooks.deliveries) == 2
        snapshot = (await admin.get("/_sim/webhooks")).json()
        assert snapshot["admin"][0]["secret"] == "hook-secret"


@asynccontextmanager
async def changed_with_a_hook_at(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A simulator retrying as Jira does, but in milliseconds, with a webhook registered for
    `url`; an issue change has just been delivered to it. Yields the simulator's client."""
    app = create_app(quick_retries())
    async with asgi_client(app) as admin:
        hook = {"name": "port", "url": url, "events": ["jira:issue_updated"], "secret": "s"}
        await admin.post("/rest/webhooks/1.0/webhook", json=hook)
        await admin.put("/_sim/issues/PA-1", json={"summary": "changed", "notify": True})
        yield admin


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)


def quick_retries(issues: int = 5) -> SimConfig:
    """Jira's retries, minutes apart, shortened to milliseconds."""
    return SimConfig(
        issues=issues, webhook_retries=5, webhook_retry_min_s=0.01, webhook_retry_max_s=0.02
    )


@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 502, 503])
async def test_a_delivery_answered_with_a_status_jira_retries_is_sent_again(
    receiver: Receiver, status: int
) -> None:
    receiver.status = status
    async with changed_with_a_hook_at(receiver.url) as admin:
        await _until(lambda: len(receiver.requests) == 2)
        receiver.status = 200  # the first retry fails too, the second one is taken
        await _until(lambda: len(receiver.requests) == 3)
        await asyncio.sleep(0.1)
        assert len(receiver.requests) == 3  # answered 200: no more retries
        first, *retries = receiver.requests
        assert "x-atlassian-webhook-retry" not in first.headers
        assert [r.headers["x-atlassian-webhook-retry"] for r in retries] == ["1", "2"]
        ids = {r.headers["x-atlassian-webhook-identifier"] for r in receiver.requests}
        assert len(ids) == 1 and all(r.body == first.body for r in retries)
        log = sim_state(admin).webhooks.deliveries
        assert [(d["retry"], d["status"]) for d in log] == [(0, status), (1, status), (2, 200)]


@pytest.mark.parametrize("status", [200, 204, 400, 401, 404, 413])
async def test_a_delivery_answered_otherwise_is_not_sent_again(
    receiver: Receiver, status: int
) -> None:
    receiver.status = status
    async with changed_with_a_hook_at(receiver.url):
        await asyncio.sleep(0.2)
        assert len(receiver.requests) == 1


async def test_a_delivery_whose_connection_fails_is_retried_jiras_five_times() -> None:
    async with changed_with_a_hook_at("http://127.0.0.1:9/nothing") as admin:  # nothing there
        log = sim_state(admin).webhooks.deliveries
        await _until(lambda: len(log) == 6)
        await asyncio.sleep(0.1)
        assert [d["retry"] for d in log] == [0, 1, 2, 3, 4, 5]
        assert all(d["status"] is None and d["error"] for d in log)


def test_jiras_own_retry_schedule_is_the_default() -> None:
    config = SimConfig()
    assert (config.webhook_retries, config.webhook_retry_min_s, config.webhook_retry_max_s) == (
        5,
        300.0,
        900.0,
    )
    with pytest.raises(ValueError, match="webhook_retry_min_s"):
        SimConfig(webhook_retry_min_s=10, webhook_retry_max_s=1)


async def test_path_latency_delays_only_the_matching_paths() -> None:
    never = 600_000.0  # ten minutes: applied to the wrong path, the wait below times out
    config = SimConfig(issues=1, path_latency_ms={"^/rest/webhooks/": 200, "^/nowhere/": never})
    async with asgi_client(config=config) as jira:
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(jira.get("/rest/api/3/myself"), timeout=60)
        started = loop.time()
        await jira.get("/rest/webhooks/1.0/webhook")
        assert loop.time() - started >= 0.2
