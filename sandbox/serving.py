"""What both simulators share to be served: request counters, the route-template lookup, a
uvicorn server on a loopback socket (in-process for tests, or as a CLI process that writes a
ready file for the stack) and the CLI's common flags.

A simulator is a Starlette app with one route table (:func:`route_table`: ``"METHOD /path"`` ->
endpoint) and a middleware that counts every non-``/_sim`` request through :class:`RequestStats`
under its route template (``"GET /rest/api/3/issue/{issueIdOrKey}"``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Message, Scope, Send


def is_control(path: str) -> bool:
    """``/_sim`` routes: the simulators' control API, never counted, faulted or authenticated."""
    return path == "/_sim" or path.startswith("/_sim/")


class RequestStats:
    """Counts requests by route template and status, faults by kind, and named tallies."""

    def __init__(self) -> None:
        self.total = 0
        self.by_endpoint: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.tallies: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests: list[tuple[float, float, str]] = []  # (start, end, endpoint), epoch seconds

    def begin(self, endpoint: str) -> None:
        self.total += 1
        self.by_endpoint[endpoint] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def end(self, status: int) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.by_status[str(status)] += 1

    def served(self, endpoint: str, started: float) -> None:
        """Notes when a request to `endpoint` started and ended (the benchmark's timeline)."""
        self.requests.append((started, time.time(), endpoint))

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_endpoint": dict(sorted(self.by_endpoint.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "faults": dict(self.faults),
            "max_in_flight": self.max_in_flight,
            **self.tallies,
        }


Endpoint = Callable[[Request], Awaitable[Response]]


def route_table(table: Mapping[str, Endpoint]) -> list[Route]:
    """Starlette routes from ``{"GET /path/{param}": endpoint}`` (``"POST,PUT /path"``: both)."""
    routes = []
    for key, endpoint in table.items():
        methods, _, path = key.partition(" ")
        routes.append(Route(path, endpoint, methods=methods.split(",")))
    return routes


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str | None:
    """``"METHOD /path/{param}"`` of the route that serves ``scope`` (None: no route does)."""
    for route in routes:
        if route.matches(scope)[0] == Match.FULL:
            return f"{scope['method']} {getattr(route, 'path', '?')}"
    return None


def status_recorder(send: Send, status: list[int]) -> Send:
    """``send`` that notes the response status in ``status[0]``."""

    async def recording(message: Message) -> None:
        if message["type"] == "http.response.start":
            status[0] = int(message["status"])
        await send(message)

    return recording


# ------------------------------------------------------------------------------ serving


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves the host process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def listening_socket(host: str, port: int) -> socket.socket:
    """An IPv4 listening socket (SO_REUSEADDR set) whose connections answer at once, as a real
    server's do. uvicorn writes a response's head and body separately; asyncio sets TCP_NODELAY
    only on sockets whose proto is IPPROTO_TCP, and `create_server`'s is 0, so without it Nagle
    held each body back until the client's delayed ACK: 40 ms added to every request on a
    kept-alive connection. Linux hands the listener's setting to the connections it accepts."""
    sock = socket.create_server((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


@contextlib.asynccontextmanager
async def serving(
    app: Starlette,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    on_url: Callable[[str], None] | None = None,
) -> AsyncIterator[str]:
    """Serve ``app`` on the current loop (``port=0``: a free port); the block gets the base URL,
    which ``on_url`` learns before the first request."""
    sock = listening_socket(host, port)
    url = "http://{}:{}".format(*sock.getsockname())
    if on_url is not None:
        on_url(url)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        date_header=False,  # the Jira simulator dates its answers on its own clock
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the simulator's server stopped during start-up")
            await asyncio.sleep(0.01)
        yield url
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


# ---------------------------------------------------------------------------------- CLI


def cli_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The flags every simulator takes: ``--host``, ``--port`` and ``--ready-file``."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--ready-file", type=Path, help="write the base URL here once serving")
    return parser


async def serve_until_signalled(
    app: Starlette,
    args: argparse.Namespace,
    *,
    on_url: Callable[[str], None] | None = None,
    banner: Callable[[str], str] | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT; once listening, write the ready file and print the URL
    (and ``banner(url)`` on stderr)."""
    async with serving(app, host=args.host, port=args.port, on_url=on_url) as url:
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopped.set)
        if (ready := args.ready_file) is not None:  # written whole, then renamed: never half a URL
            temporary = ready.with_name(f".{ready.name}.{os.getpid()}.tmp")
            temporary.write_text(url + "\n", encoding="utf-8")
            temporary.replace(ready)
        print(url, flush=True)
        if banner is not None:
            print(banner(url), file=sys.stderr, flush=True)
        await stopped.wait()
