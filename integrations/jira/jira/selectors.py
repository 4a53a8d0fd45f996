"""The mapping's selector models for each kind (Port's models are still pydantic.v1).

Selector keys, shapes and defaults are those of Port's own Jira integration (port-labs/ocean
integrations/jira), so a mapping written for it parses the same here; every field carries the
`title` and `description` Port's UI renders its selector forms from. Values are taken as
written: a wrong type (`sprintState: "active"`, `fields: 3`) is an error, never coerced.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal

from port_ocean.core.handlers.port_app_config.models import (
    PortAppConfig,
    ResourceConfig,
    Selector,
)
from pydantic.v1 import BaseModel, Field, PrivateAttr, StrictBool, StrictInt, StrictStr, validator

from jira.resources import by_kind

DEFAULT_ISSUE_JQL = "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)"
DEFAULT_BACKLOG_JQL = "updated >= -1w OR statusCategory != Done"
DEFAULT_WORKLOG_JQL = "updated >= -1w"
_PERIOD = re.compile(r"^\s*-?\s*(\d+)\s*([wdhm])\s*$", re.IGNORECASE)
_PERIOD_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60}


def _bounded_jql(value: object) -> object:
    # Jira rejects an unbounded search; an empty selector means "the default issues".
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_ISSUE_JQL
    return value


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _distinct(name: str, value: list[str] | None) -> list[str] | None:
    """A list of states: null means all of them; empty or repeated is a mistake."""
    if value is None:
        return None
    if not value:
        raise ValueError(f"must not be empty: list at least one, or set {name} to null for all")
    repeated = sorted({v for v in value if value.count(v) > 1})
    if repeated:
        raise ValueError(f"must not repeat a value, found {', '.join(repeated)} more than once")
    return value


class ProjectSelector(Selector):
    expand: StrictStr = Field(
        default="insight",
        title="Expand Properties",
        description="Comma-separated `expand` of /project/search: description, lead, url, "
        "projectKeys, insight (`insight` gives totalIssueCount)",
    )


class IssueSelector(Selector):
    jql: StrictStr = Field(
        default=DEFAULT_ISSUE_JQL,
        title="JQL Query",
        description="JQL that picks the issues to sync. Jira needs a bounded query: empty "
        "means the default (open issues, and those created or updated in the last week)",
    )
    fields: StrictStr = Field(
        default="*all",
        title="Included Fields",
        description="Comma-separated issue fields: *all, *navigable, names, -name to exclude",
    )
    expand: StrictStr | None = Field(
        default=None,
        title="Fields To Expand",
        description="Comma-separated issue `expand`: renderedFields, names, schema, "
        "transitions, operations, editmeta, changelog",
    )

    _jql = validator("jql", pre=True, allow_reuse=True)(_bounded_jql)

    @validator("fields", pre=True)
    def _all_fields_when_unset(cls, value: object) -> object:
        return "*all" if value is None else value

    @property
    def field_list(self) -> list[str]:
        return [part.strip() for part in self.fields.split(",") if part.strip()] or ["*all"]


class TeamSelector(Selector):
    include_members: StrictBool = Field(
        default=False,
        alias="includeMembers",
        title="Include Members",
        description="Also read each team's members, exposed to the mapping as `.__members` "
        "(one more request per team)",
    )


class BoardSelector(Selector):
    board_type: Literal["scrum", "kanban", "simple"] | None = Field(
        default=None,
        alias="boardType",
        title="Board Type",
        description="Only boards of this type: scrum, kanban or simple. Omit for every type",
    )
    project_key: StrictStr | None = Field(
        default=None,
        alias="projectKey",
        title="Project Key",
        description="Only boards of this project (a project key such as PORT, or its id)",
    )

    @validator("project_key")
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty: give a project key, or omit it")
        return value


SprintState = Literal["active", "closed", "future"]
SPRINT_STATES: tuple[SprintState, ...] = ("active", "closed", "future")


class SprintSelector(Selector):
    sprint_state: list[SprintState] | None = Field(
        default=["active"],
        alias="sprintState",
        title="Sprint State",
        description="Sprint states to sync, a list of active, closed, future (default "
        "[active]: closed sprints pile up over the years). null syncs every state",
    )

    @validator("sprint_state")
    def _states(cls, value: list[str] | None) -> list[str] | None:
        return _distinct("sprintState", value)

    @property
    def states(self) -> list[str]:
        return sorted(self.sprint_state or SPRINT_STATES)


class EpicSelector(Selector):
    status: list[Literal["incomplete", "complete"]] | None = Field(
        default=["incomplete"],
        title="Epic Status",
        description="Epics to sync by status, a list of incomplete, complete (default "
        "[incomplete]). null syncs every epic",
    )

    @validator("status")
    def _statuses(cls, value: list[str] | None) -> list[str] | None:
        return _distinct("status", value)

    @property
    def done(self) -> bool | None:
        """Jira's `done` filter: None asks for every epic."""
        if not self.status or len(self.status) != 1:
            return None
        return self.status[0] == "complete"


class BacklogSelector(Selector):
    jql: StrictStr | None = Field(
        default=DEFAULT_BACKLOG_JQL,
        title="JQL Filter",
        description="JQL applied on top of each board's backlog (default: updated in the last "
        "week or not done). null (or empty) reads the whole backlog",
    )
    fields: list[StrictStr] | None = Field(
        default=None,
        title="Fields",
        description="Issue fields to read, e.g. [summary, status, assignee]. Omit for all",
    )
    use_software_api: StrictBool = Field(
        default=True,
        alias="useSoftwareApi",
        title="Use Software API",
        description="Read backlogs from Jira's rest/software/1.0 API, and from the older "
        "rest/agile/1.0 one only when Jira refuses it (401/403). false uses rest/agile/1.0",
    )

    _blank = validator("jql", pre=True, allow_reuse=True)(_blank_is_none)

    @property
    def field_csv(self) -> str | None:
        return ",".join(self.fields) if self.fields else None


class WorklogQueryParams(BaseModel):
    started_after: StrictInt | None = Field(
        default=None,
        alias="startedAfter",
        title="Started After",
        description="Epoch milliseconds: only worklogs started after this time",
    )
    started_before: StrictInt | None = Field(
        default=None,
        alias="startedBefore",
        title="Started Before",
        description="Epoch milliseconds: only worklogs started before this time",
    )
    expand: StrictStr | None = Field(
        default=None,
        title="Expand",
        description="Comma-separated worklog `expand`, e.g. properties",
    )

    class Config:
        allow_population_by_field_name = True

    def params(self) -> dict[str, str | int]:
        found = {
            "startedAfter": self.started_after,
            "startedBefore": self.started_before,
            "expand": self.expand,
        }
        return {name: value for name, value in found.items() if value is not None}


class WorklogSelector(Selector):
    jql: StrictStr = Field(
        default=DEFAULT_WORKLOG_JQL,
        title="JQL Filter",
        description="The issues whose worklogs are synced (every worklog of each; default: "
        "updated in the last week). Empty means the default",
    )
    api_query_params: WorklogQueryParams | None = Field(
        default=None,
        alias="apiQueryParams",
        title="API Query Params",
        description="Passed to Jira's /issue/{key}/worklog: startedAfter, startedBefore, expand",
    )
    since: StrictStr | StrictInt | None = Field(
        default=None,
        title="Changed Since (change feed)",
        description="Opt-in: read every worklog changed since this time from Jira's worklog "
        "change feed instead of per issue (jql and apiQueryParams are then not used), and "
        "remove deleted ones. Epoch milliseconds, or a period back from now such as -30d",
    )

    @validator("jql", pre=True)
    def _default_when_blank(cls, value: object) -> object:
        return DEFAULT_WORKLOG_JQL if value is None or value == "" else value

    @validator("since")
    def _since(cls, value: str | int | None) -> str | None:
        if value is None:
            return None
        if isinstance(value, int):
            return str(value)
        if value.strip().isdigit() or _PERIOD.match(value):
            return value.strip()
        raise ValueError(f"must be epoch milliseconds or a period such as -30d, got {value!r}")

    @property
    def worklog_params(self) -> dict[str, str | int]:
        return self.api_query_params.params() if self.api_query_params else {}

    def since_ms(self, now: datetime) -> int | None:
        """The change feed's start, or None when the worklogs are read per issue."""
        if self.since is None:
            return None
        if str(self.since).isdigit():
            return int(self.since)
        match = _PERIOD.match(str(self.since))
        assert match is not None  # checked by the validator
        seconds = int(match.group(1)) * _PERIOD_SECONDS[match.group(2).lower()]
        return int((now - timedelta(seconds=seconds)).timestamp() * 1000)


class ComponentSelector(Selector):
    component_source: Literal["jira", "compass", "auto"] = Field(
        default="jira",
        alias="componentSource",
        title="Component Source",
        description="jira, compass (Compass components), or auto (Compass when the project "
        "uses it, else Jira)",
    )
    name_filter: StrictStr | None = Field(
        default=None,
        alias="nameFilter",
        title="Name Filter",
        description="Only components whose name contains this text (case-insensitive)",
    )

    _blank = validator("name_filter", pre=True, allow_reuse=True)(_blank_is_none)


class CommentSelector(Selector):
    jql: StrictStr = Field(
        default=DEFAULT_ISSUE_JQL,
        title="JQL Query",
        description="JQL that picks the issues whose comments are synced (Jira needs a "
        "bounded query: empty means the issue kind's default)",
    )

    _jql = validator("jql", pre=True, allow_reuse=True)(_bounded_jql)


class JiraResourceConfig(ResourceConfig):
    """A kind's resource. When its selector did not validate, `selector_error` says why in one
    line and the selector holds only `query`: the kind then fails with that line (nothing of
    it is deleted) rather than run with defaults the user did not ask for."""

    _selector_error: str | None = PrivateAttr(default=None)

    @property
    def selector_error(self) -> str | None:
        return self._selector_error

    def failed_selector(self, error: str) -> JiraResourceConfig:
        self._selector_error = error
        return self


class ProjectResourceConfig(JiraResourceConfig):
    kind: Literal["project"] = Field(title="Jira Project", description="Jira projects")
    selector: ProjectSelector = Field(
        title="Jira Project Selector", description="Which projects to sync"
    )


class UserResourceConfig(JiraResourceConfig):
    kind: Literal["user"] = Field(title="Jira User", description="Jira users (all account types)")
    selector: Selector = Field(title="Jira User Selector", description="Which users to sync")


class TeamResourceConfig(JiraResourceConfig):
    kind: Literal["team"] = Field(
        title="Atlassian Team", description="Atlassian teams of the organization"
    )
    selector: TeamSelector = Field(
        title="Atlassian Team Selector", description="Which teams to sync"
    )


class IssueResourceConfig(JiraResourceConfig):
    kind: Literal["issue"] = Field(title="Jira Issue", description="Jira issues picked by JQL")
    selector: IssueSelector = Field(title="Jira Issue Selector", description="Which issues to sync")


class ReleaseResourceConfig(JiraResourceConfig):
    kind: Literal["release"] = Field(
        title="Jira Release", description="Project versions (releases)"
    )
    selector: Selector = Field(title="Jira Release Selector", description="Which releases to sync")


class ComponentResourceConfig(JiraResourceConfig):
    kind: Literal["component"] = Field(title="Jira Component", description="Project components")
    selector: ComponentSelector = Field(
        title="Jira Component Selector", description="Which components to sync"
    )


class BoardResourceConfig(JiraResourceConfig):
    kind: Literal["board"] = Field(title="Jira Board", description="Jira Software boards")
    selector: BoardSelector = Field(title="Jira Board Selector", description="Which boards to sync")


class SprintResourceConfig(JiraResourceConfig):
    kind: Literal["sprint"] = Field(title="Jira Sprint", description="Sprints of every board")
    selector: SprintSelector = Field(
        title="Jira Sprint Selector", description="Which sprints to sync"
    )


class EpicResourceConfig(JiraResourceConfig):
    kind: Literal["epic"] = Field(title="Jira Epic", description="Epics of every board")
    selector: EpicSelector = Field(title="Jira Epic Selector", description="Which epics to sync")


class BacklogResourceConfig(JiraResourceConfig):
    kind: Literal["backlog"] = Field(
        title="Jira Backlog", description="Issues on each board's backlog"
    )
    selector: BacklogSelector = Field(
        title="Jira Backlog Selector", description="Which backlogs to sync"
    )


class WorklogResourceConfig(JiraResourceConfig):
    kind: Literal["worklog"] = Field(
        title="Jira Worklog", description="Time tracking entries on issues"
    )
    selector: WorklogSelector = Field(
        title="Jira Worklog Selector", description="Which worklogs to sync"
    )


class CommentResourceConfig(JiraResourceConfig):
    kind: Literal["comment"] = Field(title="Jira Comment", description="Comments on issues")
    selector: CommentSelector = Field(
        title="Jira Comment Selector", description="Which comments to sync"
    )


RESOURCE_CONFIGS: tuple[type[JiraResourceConfig], ...] = (
    ProjectResourceConfig,
    UserResourceConfig,
    TeamResourceConfig,
    IssueResourceConfig,
    ReleaseResourceConfig,
    ComponentResourceConfig,
    BoardResourceConfig,
    SprintResourceConfig,
    EpicResourceConfig,
    BacklogResourceConfig,
    WorklogResourceConfig,
    CommentResourceConfig,
)


class JiraPortAppConfig(PortAppConfig):
    resources: list[
        ProjectResourceConfig
        | UserResourceConfig
        | TeamResourceConfig
        | IssueResourceConfig
        | ReleaseResourceConfig
        | ComponentResourceConfig
        | BoardResourceConfig
        | SprintResourceConfig
        | EpicResourceConfig
        | BacklogResourceConfig
        | WorklogResourceConfig
        | CommentResourceConfig
    ] = Field(default_factory=list)  # type: ignore[assignment]  # narrows the kinds

    @validator("resources", pre=True)
    def _each_by_its_kind(cls, value: object) -> object:
        return by_kind(value, RESOURCE_CONFIGS)
