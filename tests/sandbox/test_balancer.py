"""The sandbox's load balancer (sandbox/balancer.py): round robin over replicas, and a dead
replica costs its clients their connections, as a Kubernetes Service's vanished endpoint does."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from sandbox.balancer import running_balancer
from sandbox.stack import free_port


@contextmanager
def replica(name: str) -> Iterator[tuple[str, uvicorn.Server]]:
    """A tiny HTTP server answering its name and the size of the body it was sent."""

    async def who(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"{name}:{len(await request.body())}")

    app = Starlette(routes=[Route("/", who, methods=["GET", "POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(10)


def post(url: str, body: bytes = b"x") -> str:
    with httpx.Client(timeout=10) as http:  # a new connection each time, as Jira opens them
        return http.post(url, content=body).text


def test_connections_go_to_each_replica_in_turn_and_bodies_pass_untouched() -> None:
    with replica("a") as (a, _), replica("b") as (b, _), running_balancer() as balancer:
        balancer.add(a)
        balancer.add(b)
        answers = [post(balancer.url, b"y" * 200_000) for _ in range(4)]
    assert answers == ["a:200000", "b:200000", "a:200000", "b:200000"]


def test_a_dead_replica_costs_one_connection_then_leaves_the_rotation() -> None:
    with replica("a") as (a, _), running_balancer(eject_seconds=60) as balancer:
        dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        balancer.add(dead)
        balancer.add(a)
        with pytest.raises(httpx.TransportError):  # no answer at all: Jira retries it
            post(balancer.url)
        assert [post(balancer.url) for _ in range(3)] == ["a:1"] * 3
        assert balancer.refused[dead] == 1 and balancer.connections[a] == 3


# A replica process that takes a connection, reads the request and never answers.
SILENT = """
import socket, sys, time
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
connection, _ = server.accept()
connection.recv(65536)
print("read", flush=True)
time.sleep(120)
"""


def test_a_replica_killed_with_a_request_in_flight_cuts_that_connection() -> None:
    port = free_port()
    silent = subprocess.Popen(
        [sys.executable, "-c", SILENT, str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert silent.stdout is not None and silent.stdout.readline() == "ready\n"
        with running_balancer() as balancer:
            balancer.add(f"http://127.0.0.1:{port}")
            failed: list[BaseException] = []

            def call() -> None:
                try:
                    with httpx.Client(timeout=60) as http:
                        http.post(balancer.url, content=b"delivery")
                except httpx.TransportError as exc:
                    failed.append(exc)

            caller = threading.Thread(target=call)
            caller.start()
            assert silent.stdout.readline() == "read\n"  # the request is in flight
            silent.send_signal(signal.SIGKILL)
            caller.join(30)
        # cut (the server went away without answering), long before the client's timeout
        assert len(failed) == 1 and not isinstance(failed[0], httpx.TimeoutException)
    finally:
        silent.kill()
        silent.wait()
