"""Helpers for tests: an in-memory (ASGI) client on the simulator with the right credentials."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator
from typing import Literal

import httpx
from starlette.applications import Starlette

from .app import SimState, create_app
from .config import SimConfig
from .data import Dataset

Auth = Literal["basic", "bearer", "none"]
SITE: str = "http://jira-sim.test"


def auth_headers(config: SimConfig, auth: Auth) -> dict[str, str]:
    if auth == "bearer":
        return {"Authorization": f"Bearer {config.oauth_token}"}
    if auth == "basic":
        token = base64.b64encode(f"{config.email}:{config.api_token}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {}


@contextlib.asynccontextmanager
async def asgi_client(
    app: Starlette | None = None,
    *,
    config: SimConfig | None = None,
    dataset: Dataset | None = None,
    auth: Auth = "basic",
    gateway: bool = False,
) -> AsyncIterator[httpx.AsyncClient]:
    """An ``httpx.AsyncClient`` talking to the app in memory.

    ``gateway=True`` puts the base URL under ``/ex/jira/{cloudId}`` (use with ``auth="bearer"``).
    The app's state is at ``client.sim`` via :func:`sim_state`.
    """
    app = app or create_app(config or SimConfig(), dataset)
    cfg: SimConfig = app.state.sim.config
    base = f"{SITE}/ex/jira/{cfg.cloud_id}" if gateway else SITE
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=base,
        headers=auth_headers(cfg, auth),
        timeout=30,
    ) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


def sim_state(client: httpx.AsyncClient) -> SimState:
    """The :class:`SimState` of a client made by :func:`asgi_client`."""
    return client.app.state.sim  # type: ignore[attr-defined,no-any-return]
