"""Atlassian Teams API (sandbox/jira_sim/api_teams.py): cursor paging and its errors."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.jira_sim import SimConfig as JiraConfig
from tests.sandbox.support import asgi_client, sim_state

CLOUD = "11111111-2222-3333-4444-555555555555"


async def test_teams_cursor_paging_ends_on_an_empty_page_that_still_has_a_cursor(
    jira: httpx.AsyncClient,
) -> None:
    url = "/gateway/api/public/teams/v1/org/sandbox-org/teams"
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"size": 2, "siteId": CLOUD}
        if cursor:
            params["cursor"] = cursor
        data = (await jira.get(url, params=params)).json()
        pages += 1
        assert data["cursor"]  # present on every page, including the empty one
        if not data["entities"]:
            break
        seen += [t["teamId"] for t in data["entities"]]
        cursor = data["cursor"]
    assert pages == 3 and len(seen) == 3
    team = (await jira.get(url)).json()["entities"][0]
    assert team["state"] == "ACTIVE" and team["teamType"] == "OPEN"
    assert team["organizationId"] == "sandbox-org" and team["displayName"]
    again = (await jira.get(url, params={"cursor": cursor})).json()
    assert again["entities"] == [] and again["cursor"]


async def test_teams_errors(jira: httpx.AsyncClient) -> None:
    r = await jira.get(
        "/gateway/api/public/teams/v1/org/sandbox-org/teams", params={"cursor": "!!"}
    )
    assert r.status_code == 400


async def test_team_members_relay_paging(jira: httpx.AsyncClient) -> None:
    team = (await jira.get("/gateway/api/public/teams/v1/org/sandbox-org/teams")).json()[
        "entities"
    ][0]
    url = f"/gateway/api/public/teams/v1/org/sandbox-org/teams/{team['teamId']}/members"
    members: list[str] = []
    after: str | None = None
    while True:
        body: dict[str, Any] = {"first": 3}
        if after:
            body["after"] = after
        data = (await jira.post(url, json=body)).json()
        members += [m["accountId"] for m in data["results"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert members == sim_state(jira).dataset.team_members[team["teamId"]]
    assert len(members) == 4
    missing = url.replace(team["teamId"], "nope")
    assert (await jira.post(missing, json={})).status_code == 404


async def test_site_scoped_teams_are_listed_only_with_the_site_s_id() -> None:
    """Atlassian's Teams API: teams pinned to a site are not returned without `siteId`
    (teams.json, queryTeams; KB "How to Fetch Site-scoped Atlassian Teams"); the site's id is
    its cloud id, which `/_edge/tenant_info` tells without credentials."""
    config = JiraConfig(teams=4, site_scoped_team_share=0.5)
    url = "/gateway/api/public/teams/v1/org/sandbox-org/teams"
    async with asgi_client(config=config) as jira:
        every = list(sim_state(jira).dataset.teams)
        anonymous = httpx.AsyncClient(transport=jira._transport, base_url=str(jira.base_url))
        tenant = await anonymous.get("/_edge/tenant_info")
        assert tenant.status_code == 200 and tenant.json() == {"cloudId": CLOUD}
        with_site = (await jira.get(url, params={"siteId": CLOUD})).json()["entities"]
        without = (await jira.get(url)).json()["entities"]
        elsewhere = (await jira.get(url, params={"siteId": "another-site"})).json()["entities"]
        assert [t["teamId"] for t in with_site] == every
        assert [t["teamId"] for t in without] == every[:2] == [t["teamId"] for t in elsewhere]
        members = f"{url}/{every[3]}/members"
        assert (await jira.post(members, json={})).status_code == 404
        found = await jira.post(members, params={"siteId": CLOUD}, json={})
        assert found.status_code == 200 and found.json()["results"]


def test_the_unkind_jira_pins_teams_to_the_site() -> None:
    assert JiraConfig(unkind=True).site_scoped_team_share > 0
