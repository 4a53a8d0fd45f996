"""One declaration per kind: how to read it from Jira for a resync, and for live events.

`main.py` registers a resync handler for every entry of `KINDS`, and a webhook processor for
every kind with `live` events; the gate, the processors, webhook registration and the docs read
the same declarations, so a kind is defined in exactly one place. The readers of the child
kinds live beside their parents: `jira.project_items` (releases, components per project),
`jira.agile` (boards; sprints, epics, backlogs per board) and `jira.issue_items` (worklogs,
comments per issue), all fanned out by `jira.fanout`.
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

from jira import relations
from jira.agile import (
    fetch_backlog,
    fetch_boards,
    fetch_epics,
    fetch_one_board,
    fetch_one_sprint,
    fetch_sprints,
)
from jira.client import JiraClient
from jira.errors import JiraApiError, JiraNotFoundError
from jira.fields import issue_fields
from jira.issue_fetch import issue_pages, issue_strategy
from jira.issue_items import (
    fetch_comments,
    fetch_one_comment,
    fetch_one_worklog,
    fetch_worklogs,
)
from jira.jql import and_clause, quoted
from jira.paging import Page
from jira.project_items import fetch_components, fetch_one_release, fetch_releases
from jira.selectors import (
    BacklogResourceConfig,
    BoardResourceConfig,
    CommentResourceConfig,
    ComponentResourceConfig,
    EpicResourceConfig,
    IssueResourceConfig,
    ProjectResourceConfig,
    ReleaseResourceConfig,
    SprintResourceConfig,
    TeamResourceConfig,
    WorklogResourceConfig,
)
from jira.streaming import prefetch

# Both read the resource config (the kind's `resource_config` model): its selector, and for
# issues the mapping too (the fields it reads).
Fetch = Callable[[JiraClient, Any], AsyncIterator[Page]]
Payload = Mapping[str, Any]
# Reads one object again for the resource's selector: None means gone, or no longer selected.
FetchOne = Callable[[JiraClient, Any, Payload], Awaitable[dict[str, Any] | None]]

MEMBERS_KEY = relations.MEMBERS
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
    # Other objects the payload must carry to read the object again (a comment's issue), with
    # their fields and formats.
    context: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    # The object's last change in epoch ms, when Jira records one (orders concurrent updates).
    updated_at: Callable[[Payload], int | None] | None = None
    # Objects an event makes obsolete besides its own (an issue's key before a move).
    superseded: Callable[[Payload], list[dict[str, Any]]] | None = None
    _patterns: tuple[tuple[str, tuple[tuple[str, re.Pattern[str]], ...]], ...] = field(
        init=False, repr=False
    )

    def __post_init__(self) -> None:
        compiled = tuple(
            (key, tuple((name, re.compile(pattern)) for name, pattern in fields))
            for key, fields in ((self.payload_key, self.identity), *self.context)
        )
        object.__setattr__(self, "_patterns", compiled)

    @property
    def events(self) -> frozenset[str]:
        return self.upsert_events | self.delete_events

    def object_of(self, payload: Payload) -> dict[str, Any] | None:
        """The payload's object when it (and its context) carry every identity field in a
        valid format."""
        for key, patterns in self._patterns:
            obj = payload.get(key)
            if not isinstance(obj, dict):
                return None
            for name, pattern in patterns:
                value = obj.get(name)
                if isinstance(value, bool) or not isinstance(value, str | int):
                    return None
                if not pattern.fullmatch(str(value)):
                    return None
        found: dict[str, Any] = payload[self.payload_key]
        return found

    def stable_id(self, obj: Payload) -> str:
        return str(obj[self.identity[0][0]])

    def describe(self) -> str:
        return " and ".join(
            f"{key}.{{{', '.join(name for name, _ in fields)}}}"
            for key, fields in ((self.payload_key, self.identity), *self.context)
        )


@dataclass(frozen=True)
class Kind:
    name: str
    resource_config: type[ResourceConfig]
    fetch: Fetch
    description: str
    live: LiveEvents | None = None

    @property
    def selector(self) -> type[Selector]:
        """The selector model, as the resource config declares it."""
        selector: type[Selector] = self.resource_config.__fields__["selector"].outer_type_
        return selector


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
    team[relations.MEMBERS] = members


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
_ISSUE_IDENTITY = (("id", _NUMERIC_ID), ("key", rf"{_PROJECT_KEY}-[0-9]{{1,19}}"))

ISSUE_EVENTS = LiveEvents(
    upsert_events=frozenset(
        {
            "jira:issue_created",
            "jira:issue_updated",
            # Comment events carry their issue; the issue is read again like any update (the
            # comment kind follows the same events for the comment itself).
            "comment_created",
            "comment_updated",
            "comment_deleted",
        }
    ),
    delete_events=frozenset({"jira:issue_deleted"}),
    payload_key="issue",
    identity=_ISSUE_IDENTITY,
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


def _updated(obj: Payload) -> int | None:
    return jira_time_ms(obj.get("updated"))


RELEASE_EVENTS = LiveEvents(
    upsert_events=frozenset(
        {
            "jira:version_created",
            "jira:version_updated",
            "jira:version_released",
            "jira:version_unreleased",
            "jira:version_moved",
        }
    ),
    # A merge arrives as jira:version_deleted with `mergedTo`: the merged version is gone.
    delete_events=frozenset({"jira:version_deleted"}),
    payload_key="version",
    identity=(("id", _NUMERIC_ID),),
    fetch_one=fetch_one_release,
)

BOARD_EVENTS = LiveEvents(
    upsert_events=frozenset({"board_created", "board_updated", "board_configuration_changed"}),
    delete_events=frozenset({"board_deleted"}),
    payload_key="board",
    identity=(("id", _NUMERIC_ID),),
    fetch_one=fetch_one_board,
)

SPRINT_EVENTS = LiveEvents(
    upsert_events=frozenset(
        {"sprint_created", "sprint_updated", "sprint_started", "sprint_closed"}
    ),
    delete_events=frozenset({"sprint_deleted"}),
    payload_key="sprint",
    identity=(("id", _NUMERIC_ID),),
    fetch_one=fetch_one_sprint,
)

WORKLOG_EVENTS = LiveEvents(
    upsert_events=frozenset({"worklog_created", "worklog_updated"}),
    delete_events=frozenset({"worklog_deleted"}),
    payload_key="worklog",
    identity=(("id", _NUMERIC_ID), ("issueId", _NUMERIC_ID)),
    fetch_one=fetch_one_worklog,
    updated_at=_updated,
)

# The issue kind also follows comment events (an issue's comments are part of it): both
# processors run for one delivery, each for its own kind's resources.
COMMENT_EVENTS = LiveEvents(
    upsert_events=frozenset({"comment_created", "comment_updated"}),
    delete_events=frozenset({"comment_deleted"}),
    payload_key="comment",
    identity=(("id", _NUMERIC_ID),),
    fetch_one=fetch_one_comment,
    updated_at=_updated,
    context=(("issue", _ISSUE_IDENTITY),),
)


KINDS: tuple[Kind, ...] = (
    Kind(
        "project",
        ProjectResourceConfig,
        _fetch_projects,
        "Jira projects",
        live=PROJECT_EVENTS,
    ),
    Kind(
        "user",
        ResourceConfig,
        _fetch_users,
        "Jira users (all account types)",
        live=USER_EVENTS,
    ),
    Kind("team", TeamResourceConfig, _fetch_teams, "Atlassian teams"),
    Kind(
        "issue",
        IssueResourceConfig,
        _fetch_issues,
        "Jira issues (JQL)",
        live=ISSUE_EVENTS,
    ),
    Kind(
        "release",
        ReleaseResourceConfig,
        fetch_releases,
        "Project versions (releases), per project",
        live=RELEASE_EVENTS,
    ),
    Kind(
        "component",
        ComponentResourceConfig,
        fetch_components,
        "Project components, per project",
    ),
    Kind(
        "board",
        BoardResourceConfig,
        fetch_boards,
        "Jira Software boards, with their projects",
        live=BOARD_EVENTS,
    ),
    Kind(
        "sprint",
        SprintResourceConfig,
        fetch_sprints,
        "Sprints of every board (each once)",
        live=SPRINT_EVENTS,
    ),
    Kind("epic", EpicResourceConfig, fetch_epics, "Epics of every board"),
    Kind(
        "backlog",
        BacklogResourceConfig,
        fetch_backlog,
        "Issues on each board's backlog (one entity per board and issue)",
    ),
    Kind(
        "worklog",
        WorklogResourceConfig,
        fetch_worklogs,
        "Worklogs changed since a time (deletes applied), or of a JQL's issues",
        live=WORKLOG_EVENTS,
    ),
    Kind(
        "comment",
        CommentResourceConfig,
        fetch_comments,
        "Comments of a JQL's issues",
        live=COMMENT_EVENTS,
    ),
)

KINDS_BY_NAME = {kind.name: kind for kind in KINDS}
