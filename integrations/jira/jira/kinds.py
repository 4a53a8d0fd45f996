"""One declaration per kind: how to read it from Jira for a resync, and for live events.

`main.py` registers a resync handler for every entry of `KINDS`, and a webhook processor for
every kind with `live` events; the gate, the processors, webhook registration and the docs read
the same declarations, so a kind is defined in exactly one place.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loguru import logger
from port_ocean.core.handlers.port_app_config.models import ResourceConfig, Selector

from jira.client import JiraClient
from jira.errors import JiraApiError, JiraNotFoundError
from jira.fields import issue_fields
from jira.issue_fetch import issue_pages, issue_strategy
from jira.jql import and_clause, quoted
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

# Both read the resource config (the kind's `resource_config` model): its selector, and for
# issues the mapping too (the fields it reads).
Fetch = Callable[[JiraClient, Any], AsyncIterator[Page]]
Payload = Mapping[str, Any]
# Reads one object again for the resource's selector: None means gone, or no longer selected.
FetchOne = Callable[[JiraClient, Any, Payload], Awaitable[dict[str, Any] | None]]

MEMBERS_KEY = "__members"
PREFETCH_PAGES = 2


@dataclass(frozen=True)
class LiveEvents:
    """How a kind follows Jira's webhooks.

    Upsert events are never trusted as data: the object is read again (`fetch_one`) with the
    resource's selector, so stale or partial payloads never reach Port and an object that left
    the selector is removed. Delete events are applied from the payload's object alone, never
    looked up (a deleted user cannot be read back).
    """

    upsert_events: frozenset[str]
    delete_events: frozenset[str]
    # The payload's key holding the object ("issue", "project", "user") and the fields it must
    # carry, with their formats. The first field is stable across renames and moves.
    payload_key: str
    identity: tuple[tuple[str, str], ...]
    fetch_one: FetchOne
    # The object's last change in epoch ms, when Jira records one (orders concurrent updates).
    updated_at: Callable[[Payload], int | None] | None = None
    # Objects an event makes obsolete besides its own (an issue's key before a move).
    superseded: Callable[[Payload], list[dict[str, Any]]] | None = None
    _patterns: tuple[tuple[str, re.Pattern[str]], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        compiled = tuple((name, re.compile(pattern)) for name, pattern in self.identity)
        object.__setattr__(self, "_patterns", compiled)

    @property
    def events(self) -> frozenset[str]:
        return self.upsert_events | self.delete_events

    def object_of(self, payload: Payload) -> dict[str, Any] | None:
        """The payload's object when it carries every identity field in a valid format."""
        obj = payload.get(self.payload_key)
        if not isinstance(obj, dict):
            return None
        for name, pattern in self._patterns:
            value = obj.get(name)
            if isinstance(value, bool) or not isinstance(value, str | int):
                return None
            if not pattern.fullmatch(str(value)):
                return None
        return obj

    def stable_id(self, obj: Payload) -> str:
        return str(obj[self.identity[0][0]])

    def describe(self) -> str:
        return f"{self.payload_key}.{{{', '.join(name for name, _ in self.identity)}}}"


@dataclass(frozen=True)
class Kind:
    name: str
    resource_config: type[ResourceConfig]
    selector: type[Selector]
    fetch: Fetch
    description: str
    live: LiveEvents | None = None


async def _fetch_projects(
    client: JiraClient, resource: ProjectResourceConfig
) -> AsyncIterator[Page]:
    async for page in client.projects(expand=resource.selector.expand):
        yield page


async def _fetch_users(client: JiraClient, resource: ResourceConfig) -> AsyncIterator[Page]:
    async for page in client.users():
        yield page


async def _with_members(client: JiraClient, organization_id: str, team: dict[str, Any]) -> None:
    members: list[dict[str, Any]] = []
    async for page in client.team_members(organization_id, str(team["teamId"])):
        members.extend(page)
    team[MEMBERS_KEY] = members


async def _fetch_teams(client: JiraClient, resource: TeamResourceConfig) -> AsyncIterator[Page]:
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
        if resource.selector.include_members:
            await asyncio.gather(*(_with_members(client, organization_id, t) for t in page))
        yield page


async def _fetch_issues(client: JiraClient, resource: IssueResourceConfig) -> AsyncIterator[Page]:
    selector = resource.selector
    fields = issue_fields(resource)
    if fields != selector.field_list:
        logger.info(f"Reading only the issue fields the mapping uses: {', '.join(fields)}")
    pages = issue_pages(client.http, selector.jql, fields, selector.expand, issue_strategy())
    async for page in prefetch(pages, depth=PREFETCH_PAGES):
        yield page


# Live events: re-reading one object.


def jira_time_ms(value: Any) -> int | None:
    """Jira's `2024-01-02T10:00:00.000+0000` (or epoch ms) as epoch milliseconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value:
        return None
    for parse in (
        lambda v: datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%f%z"),
        datetime.fromisoformat,
    ):
        try:
            parsed = parse(value)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            return None
        return int(parsed.timestamp() * 1000)
    return None


def _issue_updated(issue: Payload) -> int | None:
    fields = issue.get("fields")
    return jira_time_ms(fields.get("updated")) if isinstance(fields, dict) else None


def _issue_lookup_fields(resource: IssueResourceConfig) -> list[str]:
    """The fields a resync reads, plus `updated` (it orders concurrent events)."""
    fields = issue_fields(resource)
    if not {"*all", "*navigable", "updated", "-updated"}.intersection(fields):
        fields = [*fields, "updated"]
    return fields


async def _fetch_one_issue(
    client: JiraClient, resource: IssueResourceConfig, payload: Payload
) -> dict[str, Any] | None:
    selector = resource.selector
    issue = payload["issue"]
    key, issue_id = str(issue["key"]), str(issue["id"])
    try:
        found = await client.find_issues(
            and_clause(selector.jql, f"key = {quoted(key)}"),
            _issue_lookup_fields(resource),
            selector.expand,
            reconcile_ids=[int(issue_id)],
        )
    except JiraApiError as exc:
        # Jira answers 400 to `key = X` once X is gone; a GET tells gone from a broken JQL.
        if exc.status != 400:
            raise
        try:
            await client.issue(key, fields=["updated"])
        except JiraNotFoundError:
            logger.info(f"Issue {key} is gone from Jira; removing it")
            return None
        raise

    for candidate in found:
        if str(candidate.get("id")) == issue_id or candidate.get("key") == key:
            return candidate
    # Not in the selector's JQL. Confirm the issue still exists before calling it deselected;
    # a transient error here propagates so the event is retried and nothing is deleted.
    try:
        await client.issue(key, fields=["updated"])
    except JiraNotFoundError:
        logger.info(f"Issue {key} is gone from Jira; removing it")
        return None
    logger.info(f"Issue {key} no longer matches the selector's JQL; removing it")
    return None


def _issue_previous_keys(payload: Payload) -> list[dict[str, Any]]:
    """After a move, Jira's changelog carries the old key: that entity is obsolete."""
    issue = payload.get("issue")
    changelog = payload.get("changelog")
    if not isinstance(issue, dict) or not isinstance(changelog, dict):
        return []
    old_keys = {
        str(item["fromString"])
        for item in changelog.get("items") or []
        if isinstance(item, dict)
        and str(item.get("field", "")).lower() == "key"
        and item.get("fromString")
        and item.get("fromString") != issue.get("key")
    }
    return [{**issue, "key": old} for old in sorted(old_keys)]


async def _fetch_one_project(
    client: JiraClient, resource: ProjectResourceConfig, payload: Payload
) -> dict[str, Any] | None:
    # Same endpoint and expand as the resync, which lists live projects only: a deleted,
    # trashed or archived project is not returned, so it is removed here too.
    return await client.live_project(str(payload["project"]["id"]), expand=resource.selector.expand)


async def _fetch_one_user(
    client: JiraClient, resource: ResourceConfig, payload: Payload
) -> dict[str, Any] | None:
    try:
        return await client.user(str(payload["user"]["accountId"]))
    except JiraNotFoundError:
        return None


_NUMERIC_ID = r"[0-9]{1,19}"
_PROJECT_KEY = r"[A-Za-z][A-Za-z0-9_]{0,254}"

ISSUE_EVENTS = LiveEvents(
    upsert_events=frozenset(
        {
            "jira:issue_created",
            "jira:issue_updated",
            # Comment events carry their issue; the issue is read again like any update.
            "comment_created",
            "comment_updated",
            "comment_deleted",
        }
    ),
    delete_events=frozenset({"jira:issue_deleted"}),
    payload_key="issue",
    identity=(("id", _NUMERIC_ID), ("key", rf"{_PROJECT_KEY}-[0-9]{{1,19}}")),
    fetch_one=_fetch_one_issue,
    updated_at=_issue_updated,
    superseded=_issue_previous_keys,
)

PROJECT_EVENTS = LiveEvents(
    upsert_events=frozenset(
        {
            "project_created",
            "project_updated",
            "project_restored_deleted",
            "project_restored_archived",
        }
    ),
    delete_events=frozenset({"project_deleted", "project_soft_deleted", "project_archived"}),
    payload_key="project",
    identity=(("id", _NUMERIC_ID), ("key", _PROJECT_KEY)),
    fetch_one=_fetch_one_project,
)

USER_EVENTS = LiveEvents(
    upsert_events=frozenset({"user_created", "user_updated"}),
    delete_events=frozenset({"user_deleted"}),
    payload_key="user",
    identity=(("accountId", r"[A-Za-z0-9:_\-]{1,128}"),),
    fetch_one=_fetch_one_user,
)


KINDS: tuple[Kind, ...] = (
    Kind(
        "project",
        ProjectResourceConfig,
        ProjectSelector,
        _fetch_projects,
        "Jira projects",
        live=PROJECT_EVENTS,
    ),
    Kind(
        "user",
        ResourceConfig,
        Selector,
        _fetch_users,
        "Jira users (all account types)",
        live=USER_EVENTS,
    ),
    Kind("team", TeamResourceConfig, TeamSelector, _fetch_teams, "Atlassian teams"),
    Kind(
        "issue",
        IssueResourceConfig,
        IssueSelector,
        _fetch_issues,
        "Jira issues (JQL)",
        live=ISSUE_EVENTS,
    ),
)

KINDS_BY_NAME = {kind.name: kind for kind in KINDS}
