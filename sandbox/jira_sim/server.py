"""Run the simulator in-process on a free port (tests and tools)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sandbox.serving import serving

from .app import SimState, create_app
from .config import SimConfig


@dataclass
class SimHandle:
    """A running simulator: its URL and its state (dataset, config, stats)."""

    base_url: str
    state: SimState


@contextlib.asynccontextmanager
async def running_jira_sim(config: SimConfig | None = None) -> AsyncIterator[SimHandle]:
    """Serve the simulator with uvicorn on the current event loop, on a free loopback port."""
    app = create_app(config or SimConfig())
    sim: SimState = app.state.sim
    async with serving(app, on_url=sim.serve_at) as url:
        yield SimHandle(url, sim)
