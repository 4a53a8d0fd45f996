"""Running one kind's resync fetch with a selector, for the respx tests of each kind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from port_ocean.core.handlers.port_app_config.models import ResourceConfig

from jira.client import JiraClient
from jira.kinds import KINDS_BY_NAME
from jira.paging import Page
from jira.selectors import JiraPortAppConfig

MAPPING = {"entity": {"mappings": {"identifier": ".id", "blueprint": '"x"'}}}


def resource(kind: str, **selector: Any) -> ResourceConfig:
    """The resource as Ocean parses it from the mapping (the kind's own selector model)."""
    config = {"kind": kind, "selector": {"query": "true", **selector}, "port": MAPPING}
    parsed: ResourceConfig = JiraPortAppConfig.parse_obj({"resources": [config]}).resources[0]
    return parsed


async def fetch(client: JiraClient, kind: str, **selector: Any) -> list[dict[str, Any]]:
    pages: AsyncIterator[Page] = KINDS_BY_NAME[kind].fetch(client, resource(kind, **selector))
    return [item async for page in pages for item in page]
