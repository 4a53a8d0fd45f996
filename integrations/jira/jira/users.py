"""The user kind: every account Jira lists (all account types)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from port_ocean.core.handlers.port_app_config.models import ResourceConfig

from jira.client import JiraClient
from jira.paging import Page


async def fetch_users(client: JiraClient, resource: ResourceConfig) -> AsyncIterator[Page]:
    async for page in client.users():
        yield page


async def fetch_one_user(
    client: JiraClient, resource: ResourceConfig, payload: Mapping[str, Any]
) -> dict[str, Any] | None:
    return await client.user(str(payload["user"]["accountId"]))
