"""The mapping's selector models for each kind (Port's models are still pydantic.v1)."""

from __future__ import annotations

from typing import Literal

from port_ocean.core.handlers.port_app_config.models import (
    PortAppConfig,
    ResourceConfig,
    Selector,
)
from pydantic.v1 import Field, validator

DEFAULT_ISSUE_JQL = "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)"


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

    @validator("jql", pre=True)
    def _bounded_jql(cls, value: object) -> object:
        # Jira rejects an unbounded search; an empty selector means "the default issues".
        if value is None or (isinstance(value, str) and not value.strip()):
            return DEFAULT_ISSUE_JQL
        return value

    @property
    def field_list(self) -> list[str]:
        return [part.strip() for part in self.fields.split(",") if part.strip()] or ["*all"]


class TeamSelector(Selector):
    include_members: bool = Field(
        default=False,
        alias="includeMembers",
        description="Also read each team's members, exposed to the mapping as `.__members`",
    )


class ProjectResourceConfig(ResourceConfig):
    kind: Literal["project"]
    selector: ProjectSelector


class IssueResourceConfig(ResourceConfig):
    kind: Literal["issue"]
    selector: IssueSelector


class TeamResourceConfig(ResourceConfig):
    kind: Literal["team"]
    selector: TeamSelector


class JiraPortAppConfig(PortAppConfig):
    resources: list[
        ProjectResourceConfig | IssueResourceConfig | TeamResourceConfig | ResourceConfig
    ] = Field(default_factory=list)
