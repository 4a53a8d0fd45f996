"""One declaration per kind, as a table: how to read it from Jira for a resync, and for live
events.

`main.py` registers a resync handler for every entry of `KINDS`, an incremental handler for
every kind that reads `changed` objects, and a webhook processor for every kind with `live`
events; the gate, the processors, webhook registration and the docs
(docs/kinds.md, checked by tests/jira/test_kinds.py) read the same declarations, so a kind is
defined in exactly one place. Each kind's readers live in the module of its parent:
`jira.projects` (projects; releases, components per project), `jira.users`, `jira.teams`,
`jira.issues`, `jira.agile` (boards; sprints, epics, backlogs per board) and `jira.issue_items`
(worklogs, comments per issue).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from port_ocean.core.handlers.port_app_config.models import ResourceConfig, Selector

from jira import agile, issue_items, issues, projects, relations, teams, users
from jira.client import JiraClient
from jira.paging import Page
from jira.relations import Enrichment
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
    UserResourceConfig,
    WorklogResourceConfig,
)

# Both read the resource config (the kind's `resource_config` model): its selector, and for
# issues the mapping too (the fields it reads).
Fetch = Callable[[JiraClient, Any], AsyncIterator[Page]]
# Reads what changed since a time, for an incremental run (`jira.incremental`).
FetchChanged = Callable[[JiraClient, Any, datetime], AsyncIterator[Page]]
Payload = Mapping[str, Any]
# Reads one object again for the resource's selector: None means no longer selected; a
# `JiraNotFoundError` means gone (the processor removes it in both cases).
FetchOne = Callable[[JiraClient, Any, Payload], Awaitable[dict[str, Any] | None]]
# Reads several objects again in one request: per payload, in order, the object, None or the
# exception reading it raised (`JiraNotFoundError` for a gone one).
FetchMany = Callable[
    [JiraClient, Any, Sequence[Payload]], Awaitable[Sequence[dict[str, Any] | BaseException | None]]
]


@dataclass(frozen=True)
class LiveEvents:
    """How a kind follows Jira's webhooks.

    No event is trusted as data: the object is read again (`fetch_one`, or `fetch_many` for
    several at once) with the resource's selector, so stale or partial payloads never reach
    Port, an object that left the selector is removed, and a delete event removes the object
    only when Jira confirms it is gone (404) or no longer selected; otherwise it refreshes it.
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
    # Payloads of other objects of this kind the event changed (a merge's target version).
    also_changed: Callable[[Payload], list[Payload]] | None = None
    fetch_many: FetchMany | None = None
    batch_size: int = 1  # objects a `fetch_many` request reads at most
    # What Jira's 403 for the object means the integration's user lacks (for the warning).
    permission: str = "the Browse Projects permission"
    # Events that delete the issue the objects belong to, taking them along with no event of
    # their own (jira.deleted_issue): removed once Jira confirms the issue gone.
    gone_with_issue: frozenset[str] = frozenset()
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
    # One line for the docs' table of kinds (docs/kinds.md).
    description: str
    resource_config: type[ResourceConfig]
    fetch: Fetch
    live: LiveEvents | None = None
    # Set for the kinds Jira can list by change time: an incremental run reads only those
    # (the others are kept current by the full resync and live events).
    changed: FetchChanged | None = None
    # The private keys it adds to Jira's objects for mappings (jira.relations).
    adds: tuple[Enrichment, ...] = ()
    # Port's own Jira integration (port-labs/ocean integrations/jira): whether it has this
    # kind, and its selector keys besides `query` (each one is also a key of ours, checked by
    # tests/jira/test_kinds.py), so its mappings work here unchanged.
    upstream: bool = True
    upstream_keys: tuple[str, ...] = ()

    @property
    def selector(self) -> type[Selector]:
        """The selector model, as the resource config declares it."""
        selector: type[Selector] = self.resource_config.__fields__["selector"].outer_type_
        return selector


_NUMERIC_ID = r"[0-9]{1,19}"
_PROJECT_KEY = r"[A-Za-z][A-Za-z0-9_]{0,254}"
_ISSUE_IDENTITY = (("id", _NUMERIC_ID), ("key", rf"{_PROJECT_KEY}-[0-9]{{1,19}}"))


KINDS: tuple[Kind, ...] = (
    Kind(
        name="project",
        description="Jira projects",
        resource_config=ProjectResourceConfig,
        fetch=projects.fetch_projects,
        upstream_keys=("expand",),
        live=LiveEvents(
            upsert_events=frozenset(
                {
                    "project_created",
                    "project_updated",
                    "project_restored_deleted",
                    "project_restored_archived",
                }
            ),
            delete_events=frozenset(
                {"project_deleted", "project_soft_deleted", "project_archived"}
            ),
            payload_key="project",
            identity=(("id", _NUMERIC_ID), ("key", _PROJECT_KEY)),
            fetch_one=projects.fetch_one_project,
        ),
    ),
    Kind(
        name="user",
        description="Jira users (all account types)",
        resource_config=UserResourceConfig,
        fetch=users.fetch_users,
        live=LiveEvents(
            upsert_events=frozenset({"user_created", "user_updated"}),
            delete_events=frozenset({"user_deleted"}),
            payload_key="user",
            # Cloud account ids; Data Center user keys (JIRAUSER10100, or an old login).
            identity=(("accountId", r"[A-Za-z0-9:_\-.@+]{1,255}"),),
            fetch_one=users.fetch_one_user,
            permission="the Browse users and groups permission",
        ),
    ),
    Kind(
        name="team",
        description="Atlassian teams",
        resource_config=TeamResourceConfig,
        fetch=teams.fetch_teams,
        adds=(
            Enrichment(
                relations.MEMBERS, "the members `[{accountId}]` (with `includeMembers`)", True
            ),
        ),
        upstream_keys=("includeMembers",),
    ),
    Kind(
        name="issue",
        description="Jira issues (JQL)",
        resource_config=IssueResourceConfig,
        fetch=issues.fetch_issues,
        changed=issues.fetch_changed_issues,
        upstream_keys=("jql", "fields", "expand"),
        live=LiveEvents(
            upsert_events=frozenset(
                {
                    "jira:issue_created",
                    "jira:issue_updated",
                    # Comment events carry their issue; the issue is read again like any
                    # update (the comment kind follows the same events for the comment itself).
                    "comment_created",
                    "comment_updated",
                    "comment_deleted",
                }
            ),
            delete_events=frozenset({"jira:issue_deleted"}),
            payload_key="issue",
            identity=_ISSUE_IDENTITY,
            fetch_one=issues.fetch_one_issue,
            fetch_many=issues.fetch_many_issues,
            batch_size=issues.LIVE_BATCH,
            updated_at=issues.issue_updated,
            superseded=issues.issue_previous_keys,
        ),
    ),
    Kind(
        name="release",
        description="Project versions (releases), per project",
        resource_config=ReleaseResourceConfig,
        fetch=projects.fetch_releases,
        adds=(
            Enrichment(relations.PROJECT_KEY, "the project's key", True),
            Enrichment(relations.PROJECT, "the project object", False),
        ),
        live=LiveEvents(
            upsert_events=frozenset(
                {
                    "jira:version_created",
                    "jira:version_updated",
                    "jira:version_released",
                    "jira:version_unreleased",
                    "jira:version_moved",
                }
            ),
            # A merge arrives as jira:version_deleted with `mergedTo`: the merged one is gone
            # (confirmed like any delete) and the target is read again.
            delete_events=frozenset({"jira:version_deleted"}),
            payload_key="version",
            identity=(("id", _NUMERIC_ID),),
            fetch_one=projects.fetch_one_release,
            also_changed=projects.merge_target,
        ),
    ),
    Kind(
        name="component",
        description="Project components, per project",
        resource_config=ComponentResourceConfig,
        fetch=projects.fetch_components,
        adds=(
            Enrichment(relations.PROJECT, "the project object (`.__project.key`)", True),
            Enrichment(relations.PROJECT_KEY, "the project's key", False),
        ),
    ),
    Kind(
        name="board",
        description="Jira Software boards, with their projects",
        resource_config=BoardResourceConfig,
        fetch=agile.fetch_boards,
        adds=(
            Enrichment(relations.PROJECT_KEYS, "the keys of its projects (`[]` when none)", True),
        ),
        upstream_keys=("boardType", "projectKey"),
        live=LiveEvents(
            upsert_events=frozenset(
                {"board_created", "board_updated", "board_configuration_changed"}
            ),
            delete_events=frozenset({"board_deleted"}),
            payload_key="board",
            identity=(("id", _NUMERIC_ID),),
            fetch_one=agile.fetch_one_board,
            permission="access to the board (its filter shared with the user)",
        ),
    ),
    Kind(
        name="sprint",
        description="Sprints of every board (each once)",
        resource_config=SprintResourceConfig,
        fetch=agile.fetch_sprints,
        adds=(
            Enrichment(relations.BOARD_ID, "the board id (integer): its `originBoardId`", False),
        ),
        upstream_keys=("sprintState",),
        live=LiveEvents(
            upsert_events=frozenset(
                {"sprint_created", "sprint_updated", "sprint_started", "sprint_closed"}
            ),
            delete_events=frozenset({"sprint_deleted"}),
            payload_key="sprint",
            identity=(("id", _NUMERIC_ID),),
            fetch_one=agile.fetch_one_sprint,
            permission="access to the sprint's board (its filter shared with the user)",
        ),
    ),
    Kind(
        name="epic",
        description="Epics of every board",
        resource_config=EpicResourceConfig,
        fetch=agile.fetch_epics,
        adds=(Enrichment(relations.BOARD_ID, "the board id (integer)", True),),
        upstream_keys=("status",),
    ),
    Kind(
        name="backlog",
        description="Issues on each board's backlog (one entity per board and issue)",
        resource_config=BacklogResourceConfig,
        fetch=agile.fetch_backlog,
        changed=agile.fetch_changed_backlog,
        adds=(Enrichment(relations.BOARD_ID, "the board id (integer)", True),),
        upstream_keys=("jql", "fields", "useSoftwareApi"),
    ),
    Kind(
        name="worklog",
        description="Worklogs of a JQL's issues, or changed since a time (`since`)",
        resource_config=WorklogResourceConfig,
        fetch=issue_items.fetch_worklogs,
        changed=issue_items.fetch_changed_worklogs,
        adds=(
            Enrichment(relations.ISSUE_KEY, "the issue's key", True),
            Enrichment(relations.COMMENT_TEXT, "its comment as plain text", False),
        ),
        upstream_keys=("jql", "apiQueryParams"),
        live=LiveEvents(
            upsert_events=frozenset({"worklog_created", "worklog_updated"}),
            delete_events=frozenset({"worklog_deleted"}),
            gone_with_issue=frozenset({"jira:issue_deleted"}),
            payload_key="worklog",
            identity=(("id", _NUMERIC_ID), ("issueId", _NUMERIC_ID)),
            fetch_one=issue_items.fetch_one_worklog,
            updated_at=issue_items.item_updated,
        ),
    ),
    Kind(
        name="comment",
        description="Comments of a JQL's issues",
        resource_config=CommentResourceConfig,
        fetch=issue_items.fetch_comments,
        changed=issue_items.fetch_changed_comments,
        adds=(
            Enrichment(relations.ISSUE_KEY, "the issue's key", False),
            Enrichment(relations.BODY_TEXT, "the body as plain text", False),
        ),
        upstream=False,
        # The issue kind also follows comment events (an issue's comments are part of it):
        # both processors run for one delivery, each for its own kind's resources.
        live=LiveEvents(
            upsert_events=frozenset({"comment_created", "comment_updated"}),
            delete_events=frozenset({"comment_deleted"}),
            gone_with_issue=frozenset({"jira:issue_deleted"}),
            payload_key="comment",
            identity=(("id", _NUMERIC_ID),),
            context=(("issue", _ISSUE_IDENTITY),),
            fetch_one=issue_items.fetch_one_comment,
            updated_at=issue_items.item_updated,
        ),
    ),
)

KINDS_BY_NAME = {kind.name: kind for kind in KINDS}
