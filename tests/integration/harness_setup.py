"""Boots the integration in Ocean's test harness with a Jira stand-in built from tests.builders."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml
from port_ocean.integration_testing import IntegrationTestHarness, InterceptTransport

from jira.factory import reset_jira_client
from tests.builders import SITE

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "integrations" / "jira"
RESOURCES = INTEGRATION / ".port" / "resources"
KINDS_DOC = ROOT / "docs" / "kinds.md"
_YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def default_mapping() -> dict[str, Any]:
    mapping: dict[str, Any] = yaml.safe_load((RESOURCES / "port-app-config.yaml").read_text())
    return mapping


def documented_resources() -> dict[str, dict[str, Any]]:
    """The mapping example of each kind in docs/kinds.md, by kind."""
    examples: dict[str, dict[str, Any]] = {}
    for block in _YAML_BLOCK.findall(KINDS_DOC.read_text()):
        for resource in yaml.safe_load(block)["resources"]:
            examples[resource["kind"]] = resource
    return examples


def every_kind_mapping() -> dict[str, Any]:
    """The default mapping plus the documented example of every kind it leaves out."""
    mapping = default_mapping()
    present = {resource["kind"] for resource in mapping["resources"]}
    mapping["resources"] += [
        resource for kind, resource in documented_resources().items() if kind not in present
    ]
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
