"""The mapping's selector models for each kind (Port's models are still pydantic.v1)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from port_ocean.core.handlers.port_app_config.models import (
    PortAppConfig,
    ResourceConfig,
    Selector,
)
from pydantic.v1 import Field, validator

DEFAULT_ISSUE_JQL = "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)"
DEFAULT_BACKLOG_FIELDS = "summary,status,issuetype,priority,assignee,project,updated"
DEFAULT_WORKLOG_SINCE = "-30d"
_PERIOD = re.compile(r"^\s*-?\s*(\d+)\s*([wdhm])\s*$", re.IGNORECASE)
_PERIOD_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60}


def _bounded_jql(value: object) -> object:
    # Jira rejects an unbounded search; an empty selector means "the default issues".
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_ISSUE_JQL
    return value


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class ProjectSelector(Selector):
    expand: str = Field(
        default="insight",
        description="Comma-separated `expand` of /project/search; `insight` gives totalIssueCount",
    )


class IssueSelector(Selector):
    jql: str = Field(
        default=DEFAULT_ISSUE_JQL,
        description="JQL that picks the issues to sync (Jira needs a bounded query)",
    )
    fields: str = Field(
        default="*all",
        description="Comma-separated issue fields: *all, *navigable, names, -name to exclude",
    )
    expand: str | None = Field(default=None, description="Comma-separated issue `expand`")

    _jql = validator("jql", pre=True, allow_reuse=True)(_bounded_jql)

    @property
    def field_list(self) -> list[str]:
        return [part.strip() for part in self.fields.split(",") if part.strip()] or ["*all"]


class TeamSelector(Selector):
    include_members: bool = Field(
        default=False,
        alias="includeMembers",
        description="Also read each team's members, exposed to the mapping as `.__members`",
    )


class BoardSelector(Selector):
    board_type: Literal["scrum", "kanban", "simple"] | None = Field(
        default=None, alias="boardType", description="Only boards of this type"
    )
    project_key: str | None = Field(
        default=None,
        alias="projectKey",
        description="Only boards relevant to this project (key or id)",
    )

    _blank = validator("board_type", "project_key", pre=True, allow_reuse=True)(_blank_is_none)


SprintState = Literal["active", "closed", "future"]


class SprintSelector(Selector):
    sprint_state: list[SprintState] = Field(
        default_factory=lambda: ["active"],
        alias="sprintState",
        description="Sprint states to sync: any of active, closed, future (default: active)",
    )

    @validator("sprint_state", pre=True)
    def _states(cls, value: object) -> object:
        if value is None:
            return ["active"]
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list) and not value:
            return ["active"]
        return value

    @property
    def states(self) -> list[str]:
        return sorted(set(self.sprint_state))


class BacklogSelector(Selector):
    jql: str | None = Field(default=None, description="JQL that narrows each board's backlog")
    fields: str = Field(
        default=DEFAULT_BACKLOG_FIELDS, description="Comma-separated issue fields to read"
    )

    _blank = validator("jql", pre=True, allow_reuse=True)(_blank_is_none)

    @validator("fields", pre=True)
    def _default_fields(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return DEFAULT_BACKLOG_FIELDS
        return value


class EpicSelector(Selector):
    status: Literal["complete", "incomplete"] | None = Field(
        default=None, description="Only complete (done) or incomplete epics; both when unset"
    )

    _blank = validator("status", pre=True, allow_reuse=True)(_blank_is_none)


class WorklogSelector(Selector):
    jql: str | None = Field(
        default=None,
        description="Read the worklogs of these issues (one request per issue); when unset, "
        "read the worklogs changed since `since` from Jira's worklog change feed",
    )
    since: str = Field(
        default=DEFAULT_WORKLOG_SINCE,
        description="Epoch milliseconds, or a period back from now such as -30d, -4w, -12h",
    )

    _blank = validator("jql", pre=True, allow_reuse=True)(_blank_is_none)

    @validator("since", pre=True)
    def _since(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return DEFAULT_WORKLOG_SINCE
        if isinstance(value, bool):
            raise ValueError("since must be epoch milliseconds or a period such as -30d")
        if isinstance(value, int):
            return str(value)
        if isinstance(value, str) and (value.strip().isdigit() or _PERIOD.match(value)):
            return value.strip()
        raise ValueError(
            f"since must be epoch milliseconds or a period such as -30d, got {value!r}"
        )

    def since_ms(self, now: datetime) -> int:
        if self.since.isdigit():
            return int(self.since)
        match = _PERIOD.match(self.since)
        assert match is not None  # checked by the validator
        seconds = int(match.group(1)) * _PERIOD_SECONDS[match.group(2).lower()]
        return int((now - timedelta(seconds=seconds)).timestamp() * 1000)


class ComponentSelector(Selector):
    component_source: Literal["jira", "compass", "auto"] = Field(
        default="jira",
        alias="componentSource",
        description="jira, compass (Compass components), or auto (Compass when the project "
        "uses it, else Jira)",
    )
    name_filter: str | None = Field(
        default=None,
        alias="nameFilter",
        description="Only components whose name contains this text (case-insensitive)",
    )

    _blank = validator("name_filter", pre=True, allow_reuse=True)(_blank_is_none)


class CommentSelector(Selector):
    jql: str = Field(
        default=DEFAULT_ISSUE_JQL,
        description="JQL that picks the issues whose comments are synced (must be bounded)",
    )

    _jql = validator("jql", pre=True, allow_reuse=True)(_bounded_jql)


class ProjectResourceConfig(ResourceConfig):
    kind: Literal["project"]
    selector: ProjectSelector


class UserResourceConfig(ResourceConfig):
    kind: Literal["user"]
    selector: Selector


class IssueResourceConfig(ResourceConfig):
    kind: Literal["issue"]
    selector: IssueSelector


class TeamResourceConfig(ResourceConfig):
    kind: Literal["team"]
    selector: TeamSelector


class ReleaseResourceConfig(ResourceConfig):
    kind: Literal["release"]
    selector: Selector


class BoardResourceConfig(ResourceConfig):
    kind: Literal["board"]
    selector: BoardSelector


class SprintResourceConfig(ResourceConfig):
    kind: Literal["sprint"]
    selector: SprintSelector


class BacklogResourceConfig(ResourceConfig):
    kind: Literal["backlog"]
    selector: BacklogSelector


class EpicResourceConfig(ResourceConfig):
    kind: Literal["epic"]
    selector: EpicSelector


class WorklogResourceConfig(ResourceConfig):
    kind: Literal["worklog"]
    selector: WorklogSelector


class ComponentResourceConfig(ResourceConfig):
    kind: Literal["component"]
    selector: ComponentSelector


class CommentResourceConfig(ResourceConfig):
    kind: Literal["comment"]
    selector: CommentSelector


class JiraPortAppConfig(PortAppConfig):
    # The last member takes any other kind (Ocean skips kinds nobody handles); Ocean's probe
    # and schema need this flag to accept it.
    allow_custom_kinds: ClassVar[bool] = True

    resources: list[
        ProjectResourceConfig
        | UserResourceConfig
        | IssueResourceConfig
        | TeamResourceConfig
        | ReleaseResourceConfig
        | BoardResourceConfig
        | SprintResourceConfig
        | BacklogResourceConfig
        | EpicResourceConfig
        | WorklogResourceConfig
        | ComponentResourceConfig
        | CommentResourceConfig
        | ResourceConfig
    ] = Field(default_factory=list)
