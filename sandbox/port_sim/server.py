"""Run the simulator in-process with uvicorn on a (free) loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass

import httpx
import uvicorn
from starlette.applications import Starlette

from sandbox.port_sim.app import PortSim, create_app, get_sim
from sandbox.port_sim.config import SimConfig
from sandbox.port_sim.faults import FaultInjector
from sandbox.port_sim.state import SimState
from sandbox.port_sim.stats import RequestStats

logger = logging.getLogger("port_sim")


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None]:
        yield


@dataclass
class PortSimHandle:
    base_url: str
    app: Starlette
    server: uvicorn.Server

    @property
    def sim(self) -> PortSim:
        return get_sim(self.app)

    @property
    def state(self) -> SimState:
        return self.sim.state

    @property
    def config(self) -> SimConfig:
        return self.sim.config

    @property
    def faults(self) -> FaultInjector:
        return self.sim.faults

    @property
    def stats(self) -> RequestStats:
        return self.sim.stats

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def client(self, **kwargs: object) -> httpx.AsyncClient:
        """An httpx client for this simulator (caller closes it)."""
        return httpx.AsyncClient(base_url=self.base_url, **kwargs)  # type: ignore[arg-type]


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def build_server(app: Starlette, log_level: str = "warning") -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    return _EmbeddedServer(config)


async def wait_until_started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """uvicorn has no start-up event: poll ``server.started`` (fails if serving stopped)."""
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("port-sim server stopped during start-up")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running_port_sim(
    config: SimConfig | None = None,
    state: SimState | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
) -> AsyncIterator[PortSimHandle]:
    """Serve the simulator on ``host:port`` (0 = a free port) for the duration of the block.

    When ``config.state_file`` is set, the state is loaded from it (if it exists and no
    ``state`` was given) and dumped to it on exit.
    """
    config = config or SimConfig()
    if state is None:
        if config.state_file is not None and config.state_file.exists():
            state = SimState.load(config.state_file)
        else:
            state = SimState()
    app = create_app(config, state)
    sock = bind_socket(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    server = build_server(app, log_level)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await wait_until_started(server, task)
        handle = PortSimHandle(base_url=f"http://{bound_host}:{bound_port}", app=app, server=server)
        yield handle
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()
        if config.state_file is not None:
            state.dump(config.state_file)
