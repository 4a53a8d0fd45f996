"""A pure-ASGI gate in front of Ocean's webhook route.

Ocean's route answers 200 to anything and authenticates later, in a worker: Jira (or anyone)
would never learn that a delivery was refused, and junk would fill the queue. The gate answers
first, on `POST {prefix}/integration/webhook` only:

- 413 when the body is over the limit (Content-Length, or the bytes actually read);
- 401 when webhookSecret is set and X-Hub-Signature is missing, unknown or wrong;
- 400 when the body is not a JSON object, has no webhookEvent or one no kind handles, or lacks
  the object its event needs;
- 200 `{"status": "duplicate"}`, without queueing, for an X-Atlassian-Webhook-Identifier
  already accepted (Jira repeats it on retries);
- otherwise the request goes on to Ocean's route with its body replayed byte for byte.

Each refusal is logged once, at warning, with its reason: never the body or the secret.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from loguru import logger
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jira.webhooks import signature
from jira.webhooks.dedupe import RecentIds
from jira.webhooks.events import payload_problem

MAX_BODY_BYTES = 10 * 1024 * 1024
DELIVERY_HEADER = "x-atlassian-webhook-identifier"


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def _headers(scope: Scope) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): value.decode("latin-1")
        for key, value in scope.get("headers") or []
    }


class WebhookGate:
    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str | Callable[[], str],
        secret: Callable[[], str | None],
        max_body_bytes: int = MAX_BODY_BYTES,
        recent: RecentIds | None = None,
    ) -> None:
        self.app = app
        self._path = path
        self._secret = secret
        self.max_body_bytes = max_body_bytes
        self.recent = recent if recent is not None else RecentIds()

    @property
    def path(self) -> str:
        return (self._path() if callable(self._path) else self._path).rstrip("/")

    def _guards(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope.get("method") == "POST"
            and str(scope.get("path", "")).rstrip("/") == self.path
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._guards(scope):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        delivery = headers.get(DELIVERY_HEADER, "")[:100] or None

        async def reject(status: int, reason: str) -> None:
            client = scope.get("client")
            origin = f" from {client[0]}" if client else ""
            delivery_note = f" (delivery {delivery})" if delivery else ""
            logger.warning(
                f"Refused a Jira webhook delivery{origin}{delivery_note} with {status}: {reason}"
            )
            await _respond(send, status, {"status": "rejected", "reason": reason})

        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await reject(400, "Content-Length is not a number")
                return
            if int(declared) > self.max_body_bytes:
                await reject(413, f"body of {int(declared)} bytes is over {self.max_body_bytes}")
                return
        try:
            body = await self._read_body(receive)
        except _TooLarge:
            await reject(413, f"body is over {self.max_body_bytes} bytes")
            return
        except _Disconnected:
            return

        secret = self._secret()
        if secret:
            problem = signature.problem(secret, body, headers.get(signature.HEADER))
            if problem:
                await reject(401, problem)
                return
        try:
            payload: Any = json.loads(body)
        except ValueError:
            await reject(400, "the body is not JSON")
            return
        problem = payload_problem(payload)
        if problem:
            await reject(400, problem)
            return

        if delivery and self.recent.seen_or_add(delivery):
            logger.info(f"Jira webhook delivery {delivery} was already accepted; not queued again")
            await _respond(send, 200, {"status": "duplicate"})
            return
        await self._pass_on(scope, receive, send, body, delivery)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _pass_on(
        self, scope: Scope, receive: Receive, send: Send, body: bytes, delivery: str | None
    ) -> None:
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status: int | None = None

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, replay, watch)
        finally:
            # Not queued: let Jira's retry of this delivery through.
            if delivery and (status is None or status >= 500):
                self.recent.forget(delivery)


async def _respond(send: Send, status: int, content: dict[str, str]) -> None:
    body = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
