"""SimConfig: every knob of the simulator (data sizes, credentials, faults)."""

from __future__ import annotations

import os
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The unkind Jira: every knob below at the worst value Jira's documentation allows. `unkind: true`
# (or `--unkind` on the demo and the benchmarks, or SANDBOX_JIRA_UNKIND=1 for the end-to-end tests)
# applies this profile; a knob given explicitly beside it wins. Each entry names a documented
# behaviour the kind simulator never shows.
UNKIND_PROFILE: Final[dict[str, Any]] = {
    # Teams API queryTeams (openapi/teams.json): "if the org is site-scoped, teams will not be
    # included in response if siteId is not provided" (KB: Fetch Site-scoped Atlassian Teams).
    "site_scoped_team_share": 0.5,
    # Jira stamps `updated`, webhook timestamps and its `Date` header (RFC 9110 §6.6.1: the
    # origin's clock) with its own clock; nothing ties it to the client's: ten minutes behind.
    "clock_offset_s": -600.0,
    # RFC 9110 §10.2.3 (RFC 7231 §7.1.3): Retry-After is delay-seconds OR an HTTP-date.
    "retry_after_http_date": True,
    # /myself `timeZone` is the zone absolute JQL dates are read in (User.timeZone in
    # jira-platform.json); St John's crosses DST (and is off UTC by a half hour).
    "user_time_zone": "America/St_Johns",
    # Jira does not document which instant a wall time in the DST fall-back hour names
    # (JQL `updated` "breaks across DST fallback", jira-cloud-api.md §2.1): the later one.
    "ambiguous_local_time": "later",
    # /search/jql: "Recent updates might not be immediately visible … use reconcileIssues"
    # (SearchAndReconcileRequestBean, jira-platform.json): the index lags writes.
    "search_lag_s": 5.0,
    # bulkfetch lists issues in issueErrors "due to a retriable error or payload constraint"
    "bulkfetch_retriable_rate": 0.2,
    # /search/jql "may return fewer items per page where a large number of fields are requested"
    "search_field_budget": 300,
    # offset pages shift when issues change between two requests (KB "Inconsistent paginated
    # API search result while using JQL"; nodes of a cluster can differ)
    "search_page_shift": 2,
    # a site's jira.search.views.default.max may be lower than the 1000 the integration asks
    "search_page_max": 37,
}
UNKIND_ENV: Final = "SANDBOX_JIRA_UNKIND"


def unkind_requested() -> bool:
    """Whether the environment asks for the unkind Jira (the end-to-end tests' setting)."""
    return os.environ.get(UNKIND_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


class SimConfig(BaseModel):
    """All simulator knobs. Unknown keys are rejected; rates are fractions in [0, 1]."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # credentials / tenant
    email: str = "demo@example.com"
    api_token: str = "sandbox-token"
    oauth_token: str = "sandbox-oauth-token"
    cloud_id: str = "11111111-2222-3333-4444-555555555555"
    org_id: str = "sandbox-org"
    # Data Center mode (sandbox/jira_sim/datacenter.py): REST v2 only, these credentials
    deployment: Literal["cloud", "datacenter"] = "cloud"
    pat: str = "sandbox-pat"
    search_window: int = Field(default=10_000, ge=1)  # OpenSearch's max_result_window
    search_page_max: int = Field(default=1000, ge=1)  # jira.search.views.default.max
    # documented search and bulk fetch behaviours (unkind_search.py); 0: off
    bulkfetch_retriable_rate: float = Field(default=0.0, ge=0, le=1)  # share in issueErrors
    search_field_budget: int = Field(default=0, ge=0)  # fewer issues a page for many fields
    search_page_shift: int = Field(default=0, ge=0)  # changes a later offset page sees

    # dataset
    seed: int = 1
    projects: int = Field(default=3, ge=0)
    users: int = Field(default=10, ge=1)
    teams: int = Field(default=2, ge=0)
    members_per_team: int = Field(default=4, ge=0)
    # The share of the teams (the last ones) pinned to this site: listed, and their members
    # read, only with `siteId` = cloud_id.
    site_scoped_team_share: float = Field(default=0.0, ge=0, le=1)
    issues: int = Field(default=60, ge=0)
    # Jira Software and per-issue extras (drawn from their own RNGs: the data above is the
    # same with or without them)
    extra_boards: bool = True  # a kanban board on two projects, a kanban board with a
    # backlog, and a cross-team scrum board sharing the active sprints of two projects
    max_worklogs_per_issue: int = Field(default=3, ge=0)
    busy_issues: int = Field(default=1, ge=0)  # the newest issues get many comments/worklogs
    busy_comments: int = Field(default=60, ge=0)
    busy_worklogs: int = Field(default=130, ge=0)
    worklog_feed_page: int = Field(default=1000, ge=1)  # /worklog/updated|deleted page size

    # performance
    latency_ms: float = Field(default=0.0, ge=0)
    # Extra delay on the paths matching each regex, e.g. {"/rest/webhooks/": 1500}: a slow
    # endpoint widens the window in which processes starting together all find no webhook.
    path_latency_ms: dict[str, float] = Field(default_factory=dict)
    per_item_ms: float = Field(default=0.0, ge=0)

    # time: Jira's clock (seconds ahead of this host; negative: behind), the API user's time
    # zone (None: the generated one), which instant an ambiguous wall time names, and how
    # long a write stays invisible to /search/jql unless reconcileIssues names the issue
    clock_offset_s: float = 0.0
    user_time_zone: str | None = None
    ambiguous_local_time: Literal["earlier", "later"] = "earlier"
    search_lag_s: float = Field(default=0.0, ge=0)

    # rate limits and faults
    retry_after_http_date: bool = False  # Retry-After as an HTTP date, not seconds
    burst_limit_rps: float = Field(default=0.0, ge=0)
    rate_429: float = Field(default=0.0, ge=0, le=1)
    rate_5xx: float = Field(default=0.0, ge=0, le=1)
    rate_timeout: float = Field(default=0.0, ge=0, le=1)
    timeout_sleep_s: float = Field(default=30.0, ge=0)
    fail_paths: list[str] = Field(default_factory=list)
    malformed_paths: list[str] = Field(default_factory=list)  # 200 with a truncated JSON body
    # Paths (regexes) answered 401 whatever the credentials, anonymous serverInfo too: a site
    # that refuses this user there (Atlassian's gateway answers 401 "scope does not match" to a
    # scoped token without the endpoint's scope; sites can turn anonymous access off).
    refused_paths: list[str] = Field(default_factory=list)
    # Project keys the API user may not browse: /mypermissions?projectKey= and
    # POST /permissions/project say so (Jira still lists them: an admin of a project may not
    # browse it).
    forbidden_projects: list[str] = Field(default_factory=list)
    fault_seed: int | None = None

    # webhook deliveries (registry.py), as Jira documents its retry policy: a delivery answered
    # 408, 409, 425, 429 or 5xx, or whose connection failed or timed out, is sent again (same
    # X-Atlassian-Webhook-Identifier, X-Atlassian-Webhook-Retry: n) up to 5 times, 5-15 minutes
    # apart. Tests shorten the wait; Jira does not document its timeout (10 s here).
    webhook_retries: int = Field(default=5, ge=0)
    webhook_retry_min_s: float = Field(default=300.0, ge=0)
    webhook_retry_max_s: float = Field(default=900.0, ge=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)

    # the traffic recorder (recorder.py): each request and answer appended to this JSONL file
    record_path: str | None = None

    # the unkind Jira: applies UNKIND_PROFILE (see above)
    unkind: bool = False

    @model_validator(mode="before")
    @classmethod
    def _apply_unkind_profile(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("unkind"):
            return {**UNKIND_PROFILE, **data}
        return data

    @model_validator(mode="after")
    def _retry_window_is_ordered(self) -> SimConfig:
        if self.webhook_retry_min_s > self.webhook_retry_max_s:
            raise ValueError("webhook_retry_min_s must not exceed webhook_retry_max_s")
        return self

    @property
    def effective_fault_seed(self) -> int:
        return self.seed if self.fault_seed is None else self.fault_seed

    def merged(self, patch: dict[str, Any]) -> SimConfig:
        """A new validated config with ``patch`` applied on top of this one."""
        return SimConfig.model_validate({**self.model_dump(), **patch})
