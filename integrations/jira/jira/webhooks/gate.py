"""A pure-ASGI gate in front of Ocean's webhook route.

Ocean's route answers 200 to anything and authenticates later, in a worker: Jira (or anyone)
would never learn that a delivery was refused, and junk would fill the queue. The gate answers
first, on `POST {prefix}/integration/webhook` only:

- 413 when the body is over the limit (Content-Length, or the bytes actually read);
- 400 when Content-Length is not a number, is sent twice with different values, or differs from
  the bytes actually sent;
- 401 when webhookSecret is set and X-Hub-Signature is missing, repeated, unknown or wrong;
- 400 when the body is not UTF-8 JSON, nests arrays/objects deeper than MAX_DEPTH (checked on
  the raw bytes before anything recursive parses them), repeats a key in an object, uses
  NaN/Infinity or a number no float can hold, escapes half a surrogate pair, is not an object,
  has no webhookEvent or one no kind handles, or lacks the object its event needs;
- 200 `{"status": "duplicate"}`, without queueing, for an X-Atlassian-Webhook-Identifier
  already applied (Jira repeats it on retries); one still being applied is answered as the
  original will be;
- otherwise the request goes on to Ocean's route with its body replayed byte for byte, and
  Ocean's answer is held until the delivery is applied: 200 once it is, 503 (which Jira
  retries) when applying it failed or took over ANSWER_WITHIN_SECONDS (jira.webhooks.answers).

Each refusal is logged once, at warning, with its reason: never the body or the secret. Nothing
a client sends makes the gate answer 5xx or raise; a 503 only ever says that the integration
could not apply a valid delivery yet.
"""

from __future__ import annotations

import asyncio
import json
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate, count
from typing import Any
from urllib.parse import parse_qs

from loguru import logger
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jira.webhooks import answers, signature
from jira.webhooks.dedupe import RecentIds
from jira.webhooks.events import payload_problem

MAX_BODY_BYTES = 10 * 1024 * 1024
# Far above what Jira sends (Jira-shaped test events nest at most 7 levels; a rich-text field
# adds about 4 per nested list) and far below Python's and Ocean's recursion limits.
MAX_DEPTH = 64
# A body over this is parsed in a worker thread: a hostile 10 MB body takes a second or two to
# check and parse, and the event loop keeps serving other requests meanwhile.
PARSE_IN_THREAD_BYTES = 256 * 1024
DELIVERY_HEADER = "x-atlassian-webhook-identifier"
CONTENT_LENGTH = re.compile(r"[0-9]{1,20}")


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class _NotJson(ValueError):
    """Why the body is not JSON the gate lets through to Ocean (never quoting the body)."""


def _headers(scope: Scope) -> dict[str, list[str]]:
    """Every value of each header, by lower-cased name (latin-1 decodes any byte)."""
    found: dict[str, list[str]] = {}
    for key, value in scope.get("headers") or []:
        found.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return found


# A JSON string, escapes included. The closing quote is optional so that an unterminated string
# is consumed to the end in one pass (linear time whatever the input; json.loads then refuses it).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
_OPEN_AS_TWO = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_SLICE = 64 * 1024


def _url_secret(scope: Scope) -> str | None:
    """The delivery URL's `secret` (Data Center before 10, which cannot sign)."""
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    values = query.get(signature.URL_SECRET_PARAM)
    return values[-1] if values else None


def nests_deeper_than(limit: int, body: bytes) -> bool:
    """Whether arrays and objects nest more than `limit` deep in the JSON text `body`, found
    without parsing it.

    Strings are cut out first, so brackets inside them do not count (UTF-8 never uses these
    ASCII bytes inside a multi-byte character). Non-recursive and at C speed: every opening
    bracket becomes 2 and every closing one 0, so after k brackets the depth is (their sum - k).
    Done in slices, to stop at the first slice that goes too deep.
    """
    brackets = _STRING.sub(b"", body).translate(_OPEN_AS_TWO, _NOT_BRACKET)
    depth = 0
    for start in range(0, len(brackets), _SLICE):
        piece = brackets[start : start + _SLICE]
        if depth + max(map(operator.sub, accumulate(piece), count(1))) > limit:
            return True
        depth += sum(piece) - len(piece)
    return False


# A \u escape of a UTF-16 surrogate. A valid pair decodes to one character; a lone one decodes
# to a str that no UTF-8 encoder or jq takes (Ocean's mapping then drops the event).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _NotJson("an object repeats a key")
    return obj


def _no_constant(name: str) -> Any:
    raise _NotJson(f"the body uses {name}, which JSON does not allow")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotJson("a number is too large for a float")
    return number


def parse(body: bytes) -> Any:
    """The JSON value of `body`, strictly: _NotJson says why it is refused."""
    try:
        text = body.decode("utf-8-sig")  # RFC 8259: UTF-8; a leading BOM may be ignored
    except UnicodeDecodeError as error:
        raise _NotJson(f"the body is not UTF-8 (invalid byte at {error.start})") from None
    if nests_deeper_than(MAX_DEPTH, body):
        raise _NotJson(f"the body nests arrays/objects over {MAX_DEPTH} levels deep")
    try:
        value = json.loads(
            text, object_pairs_hook=_unique_keys, parse_constant=_no_constant, parse_float=_finite
        )
    except json.JSONDecodeError as error:
        raise _NotJson(f"the body is not JSON ({error.msg} at char {error.pos})") from None
    except _NotJson:
        raise
    except ValueError:  # e.g. an integer over Python's 4,300-digit limit
        raise _NotJson("the body is not JSON (a number is too long)") from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise _NotJson("a string has a \\u escape of half a UTF-16 surrogate pair")
    return value


@dataclass(frozen=True)
class Refusal:
    """Why a delivery is refused: 401 (not signed by webhookSecret) or 400 (not a delivery)."""

    status: int
    reason: str


@dataclass(frozen=True)
class Accepted:
    payload: dict[str, Any]


async def check_delivery(
    body: bytes, secret: str | None, signatures: list[str], url_secret: str | None
) -> Accepted | Refusal:
    """The checks every delivery passes, over HTTP (the gate) and from Ocean's Redis stream:
    its signature when webhookSecret is set, then strict JSON, then a payload a kind handles."""
    if secret:
        problem = (
            "X-Hub-Signature is sent more than once"
            if len(signatures) > 1
            else signature.problem(secret, body, signatures[0] if signatures else None, url_secret)
        )
        if problem:
            return Refusal(401, problem)
    try:
        payload = (
            await asyncio.to_thread(parse, body)
            if len(body) > PARSE_IN_THREAD_BYTES
            else parse(body)
        )
    except _NotJson as error:
        return Refusal(400, str(error))
    problem = payload_problem(payload)
    if problem:
        return Refusal(400, problem)
    return Accepted(payload)


def _printable(value: str) -> str:
    """A client-sent value fit for one log line."""
    return "".join(char for char in value if char.isprintable())


class WebhookGate:
    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str | Callable[[], str],
        secret: Callable[[], str | None],
        max_body_bytes: int = MAX_BODY_BYTES,
        recent: RecentIds | None = None,
        answer_within: float = answers.ANSWER_WITHIN_SECONDS,
    ) -> None:
        self.app = app
        self._path = path
        self._secret = secret
        self.max_body_bytes = max_body_bytes
        self.recent = recent if recent is not None else RecentIds()
        self.answer_within = answer_within
        # the deliveries being applied, by id: a retry of one is answered as it will be
        self._applying: dict[str, answers.Receipt] = {}

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
        delivery = (headers.get(DELIVERY_HEADER) or [""])[-1][:100] or None

        async def reject(status: int, reason: str) -> None:
            client = scope.get("client")
            origin = f" from {client[0]}" if client else ""
            shown = _printable(delivery or "")
            delivery_note = f" (delivery {shown})" if shown else ""
            logger.warning(
                f"Refused a Jira webhook delivery{origin}{delivery_note} with {status}: {reason}"
            )
            await _respond(send, status, {"status": "rejected", "reason": reason})

        declared: int | None = None
        lengths = {value.strip() for value in headers.get("content-length", [])}
        if lengths:
            if len(lengths) > 1:
                await reject(400, "Content-Length is sent more than once with different values")
                return
            length = lengths.pop()
            if not CONTENT_LENGTH.fullmatch(length):
                await reject(400, "Content-Length is not a number")
                return
            declared = int(length)
            if declared > self.max_body_bytes:
                await reject(413, f"body of {declared} bytes is over {self.max_body_bytes}")
                return
        try:
            body = await self._read_body(receive)
        except _TooLarge:
            await reject(413, f"body is over {self.max_body_bytes} bytes")
            return
        except _Disconnected:
            return
        if declared is not None and declared != len(body):
            await reject(400, f"Content-Length says {declared} bytes but {len(body)} were sent")
            return

        checked = await check_delivery(
            body, self._secret(), headers.get(signature.HEADER, []), _url_secret(scope)
        )
        if isinstance(checked, Refusal):
            await reject(checked.status, checked.reason)
            return

        if delivery and self.recent.seen_or_add(delivery):
            original = self._applying.get(delivery)
            if original is not None:  # still being applied: answer as the original will be
                problems = await original.outcome(self.answer_within)
                if problems != []:
                    await self._retry_later(send, delivery, self._not_applied(problems))
                    return
            logger.info(f"Jira webhook delivery {delivery} was already accepted; not queued again")
            await _respond(send, 200, {"status": "duplicate"})
            return
        await self._pass_on(scope, receive, send, body, delivery)

    def _not_applied(self, problems: list[str] | None) -> str:
        """Why a delivery was not applied: its problems, or None when it was not in time."""
        if problems is None:
            return (
                f"not applied within {self.answer_within:g} s (applying it goes on; "
                "Jira's retry is applied again)"
            )
        return f"not applied: {'; '.join(problems)}"

    @staticmethod
    async def _retry_later(send: Send, delivery: str | None, reason: str) -> None:
        """Answers 503, which Jira retries, with one warning."""
        shown = _printable(delivery or "")
        logger.warning(
            f"Jira webhook delivery{f' {shown}' if shown else ''} answered 503 so that Jira "
            f"sends it again: {reason}"
        )
        await _respond(send, 503, {"status": "retry", "reason": reason})

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
        """Ocean's route queues the delivery; its answer is held until the delivery is applied
        (jira.webhooks.answers), and becomes a 503 when it was not."""
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status: int | None = None
        held: list[Message] = []

        async def hold(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            held.append(message)

        receipt = answers.attach(scope)
        if delivery:
            self._applying[delivery] = receipt
        try:
            await self.app(scope, replay, hold)
            problems = await receipt.outcome(self.answer_within) if status == 200 else []
            if problems == []:
                for message in held:
                    await send(message)
                return
            status = 503
            await self._retry_later(send, delivery, self._not_applied(problems))
        finally:
            if delivery:
                self._applying.pop(delivery, None)
            # Not applied (or not queued): let Jira's retry of this delivery through.
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
