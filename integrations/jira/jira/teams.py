"""The team kind: Atlassian teams of the organization, with their members when asked.

Atlassian's Teams API is per organization and is served under the site: without
atlassianOrganizationId, with an OAuth token, or with jiraHost on the api.atlassian.com gateway
(scoped tokens), the kind is skipped with one warning.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from loguru import logger

from jira import relations
from jira.client import JiraClient
from jira.paging import Page
from jira.selectors import TeamResourceConfig


async def _with_members(client: JiraClient, organization_id: str, team: dict[str, Any]) -> None:
    members: list[dict[str, Any]] = []
    async for page in client.team_members(organization_id, str(team["teamId"])):
        members.extend(page)
    team[relations.MEMBERS] = members


async def fetch_teams(client: JiraClient, resource: TeamResourceConfig) -> AsyncIterator[Page]:
    settings = client.settings
    if settings.is_oauth:
        logger.warning(
            "Skipping kind team: Atlassian's Teams API does not accept OAuth tokens "
            "(Port-hosted installs); install with an API token to sync teams"
        )
        return
    if settings.cloud_id is not None:
        logger.warning(
            "Skipping kind team: Atlassian's Teams API is served under your site, not the "
            "api.atlassian.com gateway jiraHost names; use an unscoped API token with jiraHost "
            "set to your site (https://<site>.atlassian.net) to sync teams"
        )
        return
    if not settings.organization_id:
        logger.warning(
            "Skipping kind team: set atlassianOrganizationId "
            "(OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID) to sync teams; "
            "find it at admin.atlassian.com/o/<organizationId>"
        )
        return
    organization_id = settings.organization_id
    async for page in client.teams(organization_id):
        if resource.selector.include_members:
            await asyncio.gather(*(_with_members(client, organization_id, t) for t in page))
        yield page
