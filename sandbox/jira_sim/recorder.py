"""The traffic recorder: with ``record_path`` set, every request outside ``/_sim`` is appended
to that file as one JSON line, as the client sent it and as the simulator answered it.

A line: ``{"method", "path", "query": [[name, value], ...], "body", "status", "response"}``.
``path`` is the path the client asked for (gateway prefix and Data Center ``/rest/api/2``
included); ``body`` and ``response`` are the parsed JSON (``null`` for none, the text when it is
not JSON). The contract test (tests/contract/) validates the lines against Atlassian's OpenAPI
descriptions.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.serving import is_control

_WRITE = threading.Lock()


def _decoded(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


class Recorder:
    """Outermost middleware: records each request and its answer in ``path`` (JSON lines)."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app = app
        self.path = Path(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_control(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        sent: list[bytes] = []
        answered: list[bytes] = []
        status = [0]

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                sent.append(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            elif message["type"] == "http.response.body":
                answered.append(message.get("body", b""))
                if not message.get("more_body", False):
                    # written before the client can read the end of the answer: a client that
                    # has its answer finds the line in the file
                    self._write(scope, b"".join(sent), status[0], b"".join(answered))
            await send(message)

        await self.app(scope, receiving, sending)

    def _write(self, scope: Scope, sent: bytes, status: int, answered: bytes) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        line = {
            "method": scope["method"],
            "path": scope["path"],
            "query": parse_qsl(query, keep_blank_values=True),
            "body": _decoded(sent),
            "status": status,
            "response": _decoded(answered),
        }
        text = json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n"
        with _WRITE, self.path.open("a", encoding="utf-8") as out:
            out.write(text)
