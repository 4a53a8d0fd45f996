"""The webhook gate driven through a tiny Starlette app or as raw ASGI: shared by the gate's
example tests, its property tests and the real-app tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message

from jira.webhooks.answers import RECEIPT_KEY, Receipt, Unfinished
from jira.webhooks.dedupe import RecentIds
from jira.webhooks.gate import WebhookGate
from tests.webhooks.payloads import SECRET, delivery_headers

PATH = "/integration/webhook"


class Downstream:
    """Stands in for Ocean's route and its workers: records what it received, and applies it
    at once (or fails to, with `problem`; or never finishes, with `finishes` False)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.status = 200
        self.problem: str | None = None
        self.finishes = True
        self.receipts: list[Receipt] = []  # those it did not finish
        self.arrived = asyncio.Event()  # set once a delivery reached it

    async def handle(self, request: Request) -> Response:
        self.bodies.append(await request.body())
        self.arrived.set()
        receipt = request.scope.get("state", {}).get(RECEIPT_KEY)
        if isinstance(receipt, Receipt) and not self.finishes:
            self.receipts.append(receipt)
        elif isinstance(receipt, Receipt):
            if self.problem:
                receipt.failed(Unfinished(self.problem))
            receipt.applied = self.problem is None
            receipt.settle()
        return JSONResponse({"status": "ok"}, status_code=self.status)


def build(
    secret: str | None = None, max_body: int = 10 * 1024 * 1024, answer_within: float = 10.0
) -> tuple[httpx.AsyncClient, Downstream, WebhookGate]:
    downstream = Downstream()
    app = Starlette(
        routes=[
            Route(PATH, downstream.handle, methods=["POST", "GET"]),
            Route("/other", downstream.handle, methods=["POST"]),
        ]
    )
    gate = WebhookGate(
        app,
        path=PATH,
        secret=lambda: secret,
        max_body_bytes=max_body,
        recent=RecentIds(size=100),
        answer_within=answer_within,
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://ocean")
    return client, downstream, gate


async def post(
    client: httpx.AsyncClient, body: bytes, headers: dict[str, str], path: str = PATH
) -> httpx.Response:
    return await client.post(path, content=body, headers=headers)



async def deliver(
    gate: WebhookGate, chunks: list[bytes], headers: list[tuple[bytes, bytes]]
) -> int:
    """Sends a request to the gate as raw ASGI (any header bytes, repeated names, a
    Content-Length that lies, a body in chunks) and returns the one status it answered."""
    messages: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks or [b""])
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "server": ("ocean", 80),
        "client": ("192.0.2.1", 40000),
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
    }
    await gate(scope, receive, send)
    statuses = [message["status"] for message in sent if message["type"] == "http.response.start"]
    assert len(statuses) == 1
    return int(statuses[0])



EVENT = b'{"webhookEvent": "jira:issue_updated", "issue": {"id": "20001", "key": "P1-1"}'


def nested(depth: int) -> bytes:
    """A valid issue event whose `extra` arrays make the body nest `depth` levels deep."""
    return EVENT + b', "extra": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


def raw_headers(body: bytes, **changes: str | bytes) -> list[tuple[bytes, bytes]]:
    """Jira's headers for `body`, signed with SECRET, with `changes` (names use _ for -)."""
    headers: dict[str, str | bytes] = {**delivery_headers(body, secret=SECRET)}
    headers.update({name.replace("_", "-"): value for name, value in changes.items()})
    return [
        (name.encode(), value if isinstance(value, bytes) else value.encode("latin-1"))
        for name, value in headers.items()
    ]


