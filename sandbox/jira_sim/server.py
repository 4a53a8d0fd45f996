"""Run the simulator in-process on a free port (tests) or in a background thread (scripts)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette

from .app import SimState, create_app
from .config import SimConfig
from .data import Dataset


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves the host process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def make_server(
    app: Starlette, sock: socket.socket, *, embedded: bool, graceful_s: float = 1.0
) -> uvicorn.Server:
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=int(max(1, graceful_s)),
    )
    return _EmbeddedServer(config) if embedded else uvicorn.Server(config)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class SimHandle:
    """A running simulator."""

    base_url: str
    app: Starlette

    @property
    def state(self) -> SimState:
        return self.app.state.sim  # type: ignore[no-any-return]

    @property
    def dataset(self) -> Dataset:
        return self.state.dataset

    @property
    def config(self) -> SimConfig:
        return self.state.config

    @property
    def stats(self) -> dict[str, Any]:
        """A snapshot of ``/_sim/stats``."""
        return self.state.stats.snapshot()

    @property
    def oauth_base_url(self) -> str:
        """The OAuth gateway base (``{base}/ex/jira/{cloudId}``): use ``Bearer oauth_token``."""
        return f"{self.base_url}/ex/jira/{self.config.cloud_id}"

    @property
    def basic_auth(self) -> tuple[str, str]:
        return self.config.email, self.config.api_token

    def patch_config(self, **knobs: Any) -> SimConfig:
        self.state.apply_config(self.config.merged(knobs))
        return self.config

    def reset_stats(self) -> None:
        self.state.stats.reset()


@contextlib.asynccontextmanager
async def running_jira_sim(
    config: SimConfig | None = None,
    *,
    dataset: Dataset | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> AsyncIterator[SimHandle]:
    """Serve the simulator with uvicorn on the current event loop (``port=0``: a free port)."""
    app = create_app(config or SimConfig(), dataset)
    sock = bind_socket(host, port)
    server = make_server(app, sock, embedded=True)
    handle = SimHandle(url_of(sock), app)
    handle.dataset.public_base = handle.base_url
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("jira-sim server exited during startup")
            await asyncio.sleep(0.01)
        yield handle
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


@contextlib.contextmanager
def jira_sim_in_thread(
    config: SimConfig | None = None,
    *,
    dataset: Dataset | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[SimHandle]:
    """The same, for synchronous callers: the server runs its own loop in a daemon thread."""
    app = create_app(config or SimConfig(), dataset)
    sock = bind_socket(host, port)
    server = make_server(app, sock, embedded=True)
    handle = SimHandle(url_of(sock), app)
    handle.dataset.public_base = handle.base_url
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])), name="jira-sim", daemon=True
    )
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("jira-sim server exited during startup")
            threading.Event().wait(0.01)
        yield handle
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
