"""Run the simulator in-process on a (free) loopback port."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette

from sandbox.port_sim.app import PortSim, create_app, get_sim
from sandbox.port_sim.config import SimConfig
from sandbox.port_sim.faults import FaultInjector
from sandbox.port_sim.state import SimState
from sandbox.serving import RequestStats, serving


@dataclass
class PortSimHandle:
    base_url: str
    app: Starlette

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

    def client(self, **kwargs: object) -> httpx.AsyncClient:
        """An httpx client for this simulator (caller closes it)."""
        return httpx.AsyncClient(base_url=self.base_url, **kwargs)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running_port_sim(
    config: SimConfig | None = None, state: SimState | None = None
) -> AsyncIterator[PortSimHandle]:
    """Serve the simulator on a free loopback port for the duration of the block."""
    app = create_app(config or SimConfig(), state or SimState())
    async with serving(app) as url:
        yield PortSimHandle(base_url=url, app=app)
