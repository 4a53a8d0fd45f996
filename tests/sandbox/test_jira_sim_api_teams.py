"""Atlassian Teams API (sandbox/jira_sim/api_teams.py): cursor paging and its errors."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.support import sim_state

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
