"""The team kind asks Atlassian's Teams API with `siteId` (the site's cloud id), as it documents:
without it, teams pinned to the site are left out of the answer, silently."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from jira.client import JiraClient
from jira.errors import JiraError
from jira.selectors import TeamResourceConfig
from jira.settings import JiraSettings
from jira.teams import fetch_teams
from tests.builders import SITE, team
from tests.conftest import FakeClock, build_http

TEAMS = f"{SITE}/gateway/api/public/teams/v1/org/org-1/teams"
CLOUD_ID = "cloud-0001"
ORG_TEAMS = [team(1), team(2)]
SITE_TEAMS = [team(3)]


def team_resource(members: bool = True) -> TeamResourceConfig:
    mappings = {"identifier": ".teamId", "blueprint": '"jiraTeam"'}
    return TeamResourceConfig.parse_obj(
        {
            "kind": "team",
            "selector": {"query": "true", "includeMembers": members},
            "port": {"entity": {"mappings": mappings}},
        }
    )


@pytest.fixture
def org_client(clock: FakeClock) -> JiraClient:
    settings = JiraSettings.from_config(
        {
            "jira_host": SITE,
            "atlassian_user_email": "me@example.com",
            "atlassian_user_token": "tok-SECRET",
            "atlassian_organization_id": "org-1",
        }
    )
    return JiraClient(build_http(settings, clock))


def teams_of_a_site_scoped_org(request: httpx.Request) -> httpx.Response:
    """Atlassian's queryTeams: the site's own teams only with `siteId` = its cloud id."""
    site = request.url.params.get("siteId") == CLOUD_ID
    return httpx.Response(200, json={"entities": ORG_TEAMS + (SITE_TEAMS if site else [])})


async def fetched(client: JiraClient, members: bool = True) -> list[dict[str, object]]:
    return [t async for page in fetch_teams(client, team_resource(members)) for t in page]


@respx.mock
async def test_teams_pinned_to_the_site_are_read_with_its_cloud_id(org_client: JiraClient) -> None:
    tenant = respx.get(f"{SITE}/_edge/tenant_info").respond(json={"cloudId": CLOUD_ID})
    listing = respx.get(TEAMS).mock(side_effect=teams_of_a_site_scoped_org)
    members = respx.post(url__regex=rf"{TEAMS}/team-\d/members").respond(
        json={"results": [{"accountId": "a-1"}], "pageInfo": {"hasNextPage": False}}
    )
    found = await fetched(org_client)
    assert [t["teamId"] for t in found] == ["team-1", "team-2", "team-3"]
    assert all(c.request.url.params["siteId"] == CLOUD_ID for c in listing.calls)
    assert all(c.request.url.params["siteId"] == CLOUD_ID for c in members.calls)
    assert members.call_count == 3
    assert json.loads(members.calls[0].request.content) == {"first": 50}
    await fetched(org_client, members=False)
    assert tenant.call_count == 1  # the cloud id is read once per client


@respx.mock
async def test_a_site_that_does_not_tell_its_cloud_id_fails_the_kind(
    org_client: JiraClient,
) -> None:
    """Without the cloud id the site's teams would be missing, and so deleted from Port: the
    kind fails instead (a failed kind deletes nothing), with one line saying why."""
    respx.get(f"{SITE}/_edge/tenant_info").respond(json={"tenant": "?"})
    listing = respx.get(TEAMS).mock(side_effect=teams_of_a_site_scoped_org)
    with pytest.raises(JiraError) as failure:
        await fetched(org_client)
    assert not listing.called
    assert str(failure.value) == (
        f"Jira {SITE}/_edge/tenant_info did not give the site's cloud id, which Atlassian's "
        "Teams API needs (siteId) to list the teams pinned to this site"
    )
