"""Boots the integration in Ocean's test harness with a Jira stand-in built from tests.builders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml
from port_ocean.integration_testing import IntegrationTestHarness, InterceptTransport

from jira.factory import reset_jira_client
from tests.builders import SITE

INTEGRATION = Path(__file__).resolve().parents[2] / "integrations" / "jira"
RESOURCES = INTEGRATION / ".port" / "resources"


def default_mapping() -> dict[str, Any]:
    mapping: dict[str, Any] = yaml.safe_load((RESOURCES / "port-app-config.yaml").read_text())
    return mapping


def integration_config(**extra: Any) -> dict[str, Any]:
    config = {
        "jira_host": SITE,
        "atlassian_user_email": "me@example.com",
        "atlassian_user_token": "tok-SECRET",
        "atlassian_organization_id": "org-1",
    }
    config.update(extra)
    config = {k: v for k, v in config.items() if v is not None}
    return {"integration": {"identifier": "jira-test", "type": "jira", "config": config}}


Route = tuple[str, str, Callable[..., Any] | dict[str, Any]]


@asynccontextmanager
async def harness(
    routes: list[Route],
    mapping: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
) -> AsyncIterator[tuple[IntegrationTestHarness, InterceptTransport]]:
    reset_jira_client()
    transport = InterceptTransport(strict=True)
    for method, pattern, response in routes:
        transport.add_route(method, pattern, response)
    h = IntegrationTestHarness(
        integration_path=str(INTEGRATION),
        port_mapping_config=mapping or default_mapping(),
        third_party_transport=transport,
        config_overrides=config or integration_config(),
    )
    await h.start()
    try:
        yield h, transport
    finally:
        await h.shutdown()
        reset_jira_client()


def by_blueprint(entities: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for entity in entities:
        out.setdefault(entity["blueprint"], {})[entity["identifier"]] = entity
    return out
