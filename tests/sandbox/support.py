"""What the sandbox tests share besides fixtures: in-memory clients on the Jira simulator,
Port test blueprints, Ocean's writer, a clock."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from starlette.applications import Starlette

from sandbox.jira_sim import Dataset, SimConfig, SimState, create_app

Auth = Literal["basic", "bearer", "none"]
SITE: str = "http://jira-sim.test"


def jira_error(*messages: str) -> dict[str, Any]:
    """The body Jira answers a refused request with: these messages, no field errors."""
    return {"errorMessages": list(messages), "errors": {}}


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


OCEAN_UA = "port-ocean/jira/0.1.0/my-jira/exporter"
UPSERT = "upsert=true&merge=true&create_missing_related_entities=true"  # as Ocean writes
PROJECT_BP: dict[str, Any] = {
    "identifier": "jiraProject",
    "title": "Jira Project",
    "schema": {"properties": {"url": {"type": "string", "format": "url"}}, "required": []},
}
ISSUE_BP: dict[str, Any] = {
    "identifier": "jiraIssue",
    "title": "Jira Issue",
    "schema": {
        "properties": {
            "status": {"type": "string"},
            "storyPoints": {"type": "number"},
            "labels": {"type": "array"},
        },
        "required": [],
    },
    "relations": {
        "project": {"title": "Project", "target": "jiraProject", "required": False, "many": False},
        "epics": {"title": "Epics", "target": "jiraIssue", "required": False, "many": True},
    },
}
Bulk = Callable[..., Awaitable[httpx.Response]]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1) -> None:
        self.now += timedelta(seconds=seconds)
