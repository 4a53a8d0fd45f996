"""Run the simulator in-process on a free port (tests and tools)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from sandbox.serving import serving

from .app import SimState, create_app
from .config import SimConfig
from .data import Dataset


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
    def basic_auth(self) -> tuple[str, str]:
        return self.config.email, self.config.api_token

    def patch_config(self, **knobs: Any) -> SimConfig:
        self.state.apply_config(self.config.merged(knobs))
        return self.config


@contextlib.asynccontextmanager
async def running_jira_sim(
    config: SimConfig | None = None, *, dataset: Dataset | None = None
) -> AsyncIterator[SimHandle]:
    """Serve the simulator with uvicorn on the current event loop, on a free loopback port."""
    app = create_app(config or SimConfig(), dataset)
    sim: SimState = app.state.sim
    async with serving(app, on_url=sim.serve_at) as url:
        yield SimHandle(url, app)
