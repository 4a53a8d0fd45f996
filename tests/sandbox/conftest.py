"""Fixtures shared by the sandbox tests: in-memory clients on the Jira and Port simulators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sandbox.jira_sim import SimConfig as JiraConfig
from sandbox.port_sim import SimConfig, SimState, create_app
from tests.sandbox.support import ISSUE_BP, OCEAN_UA, PROJECT_BP, UPSERT, Bulk, Clock, asgi_client


@pytest.fixture
async def jira() -> AsyncIterator[httpx.AsyncClient]:
    """A generated Jira site (3 projects, 12 users, 3 teams, 150 issues) over ASGI, Basic auth."""
    async with asgi_client(config=JiraConfig(issues=150, users=12, teams=3)) as client:
        yield client


@pytest.fixture
async def agile_site() -> AsyncIterator[httpx.AsyncClient]:
    """A smaller site (80 issues) whose worklog change feed pages by 40."""
    async with asgi_client(config=JiraConfig(issues=80, worklog_feed_page=40)) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def port(clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    """The Port simulator with Ocean's token and User-Agent, and the jiraProject and jiraIssue
    blueprints (``port.app`` is the Starlette app)."""
    app = create_app(SimConfig(), SimState(clock=clock))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://port.test") as client:
        credentials = {"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret"}
        token = (await client.post("/v1/auth/access_token", json=credentials)).json()
        client.headers.update(
            {"Authorization": f"Bearer {token['accessToken']}", "User-Agent": OCEAN_UA}
        )
        for blueprint in (PROJECT_BP, ISSUE_BP):
            assert (await client.post("/v1/blueprints", json=blueprint)).status_code == 201
        client.app = app  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def bulk(port: httpx.AsyncClient) -> Bulk:
    """``await bulk(entities, params=UPSERT, blueprint="jiraIssue", user_agent=OCEAN_UA)``."""

    async def upsert(
        entities: list[dict[str, Any]],
        params: str = UPSERT,
        blueprint: str = "jiraIssue",
        user_agent: str = OCEAN_UA,
    ) -> httpx.Response:
        return await port.post(
            f"/v1/blueprints/{blueprint}/entities/bulk?{params}",
            json={"entities": entities},
            headers={"User-Agent": user_agent},
        )

    return upsert
