"""One declaration per kind: how to read it from Jira for a resync.

`main.py` registers a resync handler for every entry of `KINDS`; live events and docs read the
same declarations, so a kind is defined in exactly one place.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from loguru import logger
from port_ocean.core.handlers.port_app_config.models import ResourceConfig, Selector

from jira.client import JiraClient
from jira.paging import Page
from jira.selectors import (
    IssueResourceConfig,
    IssueSelector,
    ProjectResourceConfig,
    ProjectSelector,
    TeamResourceConfig,
    TeamSelector,
)
from jira.streaming import prefetch

Fetch = Callable[[JiraClient, Any], AsyncIterator[Page]]

MEMBERS_KEY = "__members"


@dataclass(frozen=True)
class Kind:
    name: str
    resource_config: type[ResourceConfig]
    selector: type[Selector]
    fetch: Fetch
    description: str


async def _fetch_projects(client: JiraClient, selector: ProjectSelector) -> AsyncIterator[Page]:
    async for page in client.projects(expand=selector.expand):
        yield page


async def _fetch_users(client: JiraClient, selector: Selector) -> AsyncIterator[Page]:
    async for page in client.users():
        yield page


async def _with_members(client: JiraClient, organization_id: str, team: dict[str, Any]) -> None:
    members: list[dict[str, Any]] = []
    async for page in client.team_members(organization_id, str(team["teamId"])):
        members.extend(page)
    team[MEMBERS_KEY] = members


async def _fetch_teams(client: JiraClient, selector: TeamSelector) -> AsyncIterator[Page]:
    settings = client.settings
    if settings.is_oauth:
        logger.warning(
            "Skipping kind team: Atlassian's Teams API does not accept OAuth tokens "
            "(Port-hosted installs); install with an API token to sync teams"
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
        if selector.include_members:
            await asyncio.gather(*(_with_members(client, organization_id, t) for t in page))
        yield page


async def _fetch_issues(client: JiraClient, selector: IssueSelector) -> AsyncIterator[Page]:
    pages = client.search_issues(selector.jql, selector.field_list, selector.expand)
    async for page in prefetch(pages, depth=2):
        yield page


KINDS: tuple[Kind, ...] = (
    Kind("project", ProjectResourceConfig, ProjectSelector, _fetch_projects, "Jira projects"),
    Kind("user", ResourceConfig, Selector, _fetch_users, "Jira users (all account types)"),
    Kind("team", TeamResourceConfig, TeamSelector, _fetch_teams, "Atlassian teams"),
    Kind("issue", IssueResourceConfig, IssueSelector, _fetch_issues, "Jira issues (JQL)"),
)

KINDS_BY_NAME = {kind.name: kind for kind in KINDS}
