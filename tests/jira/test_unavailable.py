"""A Cloud install that cannot read teams skips the kind, asks Atlassian nothing, and keeps the
team entities already in Port (Data Center: tests/jira/test_datacenter.py; whole resyncs: tests/integration)."""

from __future__ import annotations

from typing import Any

import pytest
import respx
from port_ocean.core.models import Entity

from jira.client import JiraClient
from jira.progress import ResyncProgress, summary_table
from jira.selectors import TeamResourceConfig
from jira.settings import JiraSettings
from jira.teams import fetch_teams
from jira.unavailable import kept, literal_blueprint
from tests.builders import SITE
from tests.conftest import FakeClock, build_http

API_TOKEN = {"atlassian_user_email": "me@example.com", "atlassian_user_token": "tok-SECRET"}
GATEWAY = "https://api.atlassian.com/ex/jira/cloud-1"


def team_resource() -> TeamResourceConfig:
    mappings = {"identifier": ".teamId", "blueprint": '"jiraTeam"'}
    return TeamResourceConfig.parse_obj(
        {"kind": "team", "selector": {"query": "true"}, "port": {"entity": {"mappings": mappings}}}
    )


@pytest.mark.parametrize(
    ("config", "oauth", "reason"),
    [
        (
            {"jira_host": SITE, **API_TOKEN},
            False,
            "set atlassianOrganizationId (OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID)",
        ),
        (
            {"jira_host": GATEWAY, "atlassian_organization_id": "org-1", **API_TOKEN},
            False,
            "Atlassian's Teams API is served under your site, not the api.atlassian.com gateway",
        ),
        (
            {"jira_host": GATEWAY, "atlassian_organization_id": "org-1", **API_TOKEN},
            True,
            "Atlassian's Teams API does not accept OAuth tokens",
        ),
    ],
    ids=["no-organization-id", "gateway-host", "oauth-token"],
)
@respx.mock
async def test_a_skipped_team_kind_keeps_its_entities_in_port(
    config: dict[str, Any], oauth: bool, reason: str, clock: FakeClock, warnings: list[str]
) -> None:
    client = JiraClient(build_http(JiraSettings.from_config(config, oauth=oauth), clock))
    resync = ResyncProgress(clock)
    tracker = resync.track("team")
    pages = [page async for page in fetch_teams(client, team_resource())]
    assert pages == [] and not respx.calls
    assert len(warnings) == 1
    assert warnings[0].startswith(f"Skipping kind team: {reason}")
    assert warnings[0].endswith("Its entities in Port (blueprint jiraTeam) are kept, not deleted")
    team = Entity.parse_obj({"identifier": "team-1", "blueprint": "jiraTeam"})
    issue = Entity.parse_obj({"identifier": "P1-1", "blueprint": "jiraIssue"})
    assert kept([team, issue], [team_resource()], resync) == [team]
    assert summary_table([tracker]).splitlines()[1].startswith("team (skipped)  ")


@pytest.mark.parametrize(
    ("blueprint", "literal"),
    [
        ('"jiraTeam"', "jiraTeam"),
        ("'jiraTeam'", "jiraTeam"),  # Ocean rewrites single quotes: the same literal
        (" 'jiraTeam' ", "jiraTeam"),
        ('"jira\\u0054eam"', "jiraTeam"),
        ('"team-\\(.teamId)"', None),  # interpolated per object
        ('.type + "Team"', None),
        ("if .x then 'a' else 'b' end", None),
    ],
)
def test_a_blueprint_named_as_a_literal_is_told_apart_however_it_is_quoted(
    blueprint: str, literal: str | None
) -> None:
    raw = team_resource().dict(by_alias=True)
    raw["port"]["entity"]["mappings"]["blueprint"] = blueprint
    resource = TeamResourceConfig.parse_obj(raw)
    assert literal_blueprint(resource) == literal


def test_a_single_quoted_team_blueprint_on_a_skipped_kind_still_lets_other_kinds_delete(
    clock: FakeClock,
) -> None:
    raw = team_resource().dict(by_alias=True)
    raw["port"]["entity"]["mappings"]["blueprint"] = "'jiraTeam'"
    resync = ResyncProgress(clock)
    resync.track("team").skipped = True
    team = Entity.parse_obj({"identifier": "team-1", "blueprint": "jiraTeam"})
    stale_issue = Entity.parse_obj({"identifier": "P1-1", "blueprint": "jiraIssue"})
    assert kept([team, stale_issue], [TeamResourceConfig.parse_obj(raw)], resync) == [team]
