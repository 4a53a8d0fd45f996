"""The team kind: Atlassian teams of the organization, with their members when asked.

Atlassian's Teams API is per organization and is served under the site; it is asked with
`siteId`, the site's cloud id (`/_edge/tenant_info`), without which it leaves out the teams
pinned to the site. On Data Center, without atlassianOrganizationId, with an OAuth token, or
with jiraHost on the api.atlassian.com gateway (scoped tokens), the kind is skipped with one
warning, and the team entities already in Port are kept (jira.unavailable).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from jira import relations
from jira.client import JiraClient
from jira.deployment import Deployment
from jira.paging import Page
from jira.selectors import TeamResourceConfig
from jira.settings import JiraSettings
from jira.streaming import prefetch
from jira.unavailable import skip


async def _with_members(
    client: JiraClient, organization_id: str, site_id: str, team: dict[str, Any]
) -> None:
    members: list[dict[str, Any]] = []
    async for page in client.team_members(organization_id, str(team["teamId"]), site_id):
        members.extend(page)
    team[relations.MEMBERS] = members


# The setting is optional (Port's docs: "required to sync teams"): without it the kind is skipped.
NO_ORGANIZATION_ID = (
    "set atlassianOrganizationId (OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID) to sync "
    "teams; find it at admin.atlassian.com/o/<organizationId>"
)


def teams_unavailable(settings: JiraSettings, deployment: Deployment) -> str | None:
    """Why this install cannot read Atlassian's Teams API at all (the kind is then skipped with
    one warning, its entities kept in Port), or None."""
    if not deployment.has_teams:
        return f"{deployment.label} has no Atlassian Teams API"
    if settings.is_oauth:
        return (
            "Atlassian's Teams API does not accept OAuth tokens (Port-hosted installs); install "
            "with an API token to sync teams"
        )
    if settings.cloud_id is not None:
        return (
            "Atlassian's Teams API is served under your site, not the api.atlassian.com gateway "
            "jiraHost names; use an unscoped API token with jiraHost set to your site "
            "(https://<site>.atlassian.net) to sync teams"
        )
    if not settings.organization_id:
        return NO_ORGANIZATION_ID
    return None


async def fetch_teams(client: JiraClient, resource: TeamResourceConfig) -> AsyncIterator[Page]:
    settings = client.settings
    unavailable = teams_unavailable(settings, await client.deployment())
    organization_id = settings.organization_id
    if unavailable is not None or not organization_id:
        skip(resource, unavailable or NO_ORGANIZATION_ID)
        return
    # Without siteId Atlassian leaves the teams pinned to the site out (they would be deleted
    # from Port): no cloud id fails the kind instead.
    site_id = await client.site_cloud_id()
    # The next page (often the empty one that ends the list) is read while this one's members are.
    async for page in prefetch(client.teams(organization_id, site_id), depth=1):
        if resource.selector.include_members:
            await asyncio.gather(
                *(_with_members(client, organization_id, site_id, t) for t in page)
            )
        yield page
