"""Each pagination style and its end conditions, through the client's real endpoints."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from jira.client import JiraClient
from jira.errors import JiraMalformedResponse
from jira.http import Api
from tests.builders import (
    SITE,
    array_pager,
    cursor_pager,
    issue,
    offset_pager,
    project,
    relay_pager,
    since_pager,
    team,
    token_pager,
    user,
)
from tests.jira.support import collect_pages

TEAMS = f"{SITE}/gateway/api/public/teams/v1/org/org-1/teams"


@respx.mock
async def test_projects_page_until_is_last(client: JiraClient) -> None:
    projects = [project(n) for n in range(5)]
    route = respx.get(f"{SITE}/rest/api/3/project/search").mock(side_effect=offset_pager(projects))
    pages = await collect_pages(client.projects(expand="insight"))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [p["key"] for page in pages for p in page] == [f"P{n}" for n in range(5)]
    assert route.calls[0].request.url.params["expand"] == "insight"
    assert [c.request.url.params["startAt"] for c in route.calls] == ["0", "2", "4"]


@respx.mock
async def test_projects_stop_on_total_when_is_last_is_absent(client: JiraClient) -> None:
    route = respx.get(f"{SITE}/rest/api/3/project/search").respond(
        json={"startAt": 0, "maxResults": 50, "total": 1, "values": [project(1)]}
    )
    assert len(await collect_pages(client.projects())) == 1
    assert route.call_count == 1


@respx.mock
async def test_users_page_a_bare_array_until_an_empty_page(client: JiraClient) -> None:
    users = [user(n) for n in range(3)]
    route = respx.get(f"{SITE}/rest/api/3/users/search").mock(side_effect=array_pager(users))
    pages = await collect_pages(client.users())
    assert [len(p) for p in pages] == [2, 1]
    assert route.call_count == 3  # the last call answered []
    assert route.calls[0].request.url.params["maxResults"] == "1000"


@respx.mock
async def test_users_answer_that_is_not_an_array_fails(client: JiraClient) -> None:
    respx.get(f"{SITE}/rest/api/3/users/search").respond(json={"values": []})
    with pytest.raises(JiraMalformedResponse, match="did not answer an array"):
        await collect_pages(client.users())


@respx.mock
async def test_teams_stop_on_an_empty_page_even_with_a_cursor(client: JiraClient) -> None:
    teams = [team(n) for n in range(3)]
    route = respx.get(TEAMS).mock(side_effect=cursor_pager(teams))
    pages = await collect_pages(client.teams("org-1", "cloud-1"))
    assert [len(p) for p in pages] == [2, 1]
    assert route.call_count == 3
    assert route.calls[2].request.url.params["cursor"]  # the empty page was reached by cursor


@respx.mock
async def test_team_members_page_through_the_json_body(client: JiraClient) -> None:
    members = [{"accountId": f"acc-{n}"} for n in range(5)]
    route = respx.post(f"{TEAMS}/team-1/members").mock(side_effect=relay_pager(members))
    pages = await collect_pages(client.team_members("org-1", "team-1", "cloud-1"))
    assert [m["accountId"] for page in pages for m in page] == [f"acc-{n}" for n in range(5)]
    bodies = [json.loads(c.request.content) for c in route.calls]
    assert bodies[0] == {"first": 50}
    assert all("after" in body for body in bodies[1:])
    assert route.call_count == 3


@respx.mock
async def test_issues_follow_next_page_token_in_the_post_body(client: JiraClient) -> None:
    issues = [issue(n) for n in range(5)]
    route = respx.post(f"{SITE}/rest/api/3/search/jql").mock(side_effect=token_pager(issues))
    pages = await collect_pages(
        client.search_issues("project = P1", ["summary", "status"], expand="names")
    )
    assert [i["key"] for page in pages for i in page] == [f"P1-{n}" for n in range(5)]
    bodies = [json.loads(c.request.content) for c in route.calls]
    assert bodies[0] == {
        "jql": "project = P1",
        "fields": ["summary", "status"],
        "maxResults": 100,
        "expand": "names",
    }
    assert "nextPageToken" not in bodies[0] and all(b["nextPageToken"] for b in bodies[1:])
    assert route.call_count == 3


@respx.mock
async def test_a_repeated_page_token_fails_instead_of_looping(client: JiraClient) -> None:
    respx.post(f"{SITE}/rest/api/3/search/jql").mock(
        return_value=httpx.Response(200, json={"issues": [issue(1)], "nextPageToken": "same"})
    )
    with pytest.raises(JiraMalformedResponse, match="repeated a page token"):
        await collect_pages(client.search_issues("project = P1", ["*all"]))


@respx.mock
async def test_teams_and_members_fail_on_a_repeated_cursor_instead_of_looping(
    client: JiraClient,
) -> None:
    respx.get(TEAMS).respond(json={"entities": [team(1)], "cursor": "same"})
    respx.post(f"{TEAMS}/team-1/members").respond(
        json={"results": [{"accountId": "a"}], "pageInfo": {"hasNextPage": True, "endCursor": "x"}}
    )
    with pytest.raises(JiraMalformedResponse, match="teams repeated a page token"):
        await collect_pages(client.teams("org-1", "cloud-1"))
    with pytest.raises(JiraMalformedResponse, match="members repeated a page token"):
        await collect_pages(client.team_members("org-1", "team-1", "cloud-1"))


@respx.mock
async def test_an_empty_search_yields_nothing(client: JiraClient) -> None:
    respx.post(f"{SITE}/rest/api/3/search/jql").respond(json={"issues": [], "isLast": True})
    assert await collect_pages(client.search_issues("project = EMPTY", ["*all"])) == []


# The worklog change feeds: `since`, `until`, `lastPage`, `nextPage`

UPDATED = f"{SITE}/rest/api/3/worklog/updated"


@respx.mock
async def test_worklog_feed_asks_again_since_each_pages_until(client: JiraClient) -> None:
    changes = [(1000 + n, 500 + n) for n in range(5)]
    route = respx.get(UPDATED).mock(side_effect=since_pager(changes))
    pages = await collect_pages(client.updated_worklogs(999))
    assert [[v["worklogId"] for v in page] for page in pages] == [[500, 501], [502, 503], [504]]
    assert [c.request.url.params["since"] for c in route.calls] == ["999", "1001", "1003"]


@respx.mock
async def test_worklog_feed_with_nothing_new_is_one_request(client: JiraClient) -> None:
    route = respx.get(UPDATED).mock(side_effect=since_pager([(10, 1)]))
    assert await collect_pages(client.updated_worklogs(10)) == []
    assert route.call_count == 1


@respx.mock
async def test_worklog_feed_that_does_not_advance_raises(client: JiraClient) -> None:
    respx.get(UPDATED).respond(
        json={"values": [], "since": 5, "until": 5, "lastPage": False, "nextPage": "x"}
    )
    with pytest.raises(JiraMalformedResponse, match="'until'"):
        await collect_pages(client.updated_worklogs(5))


@respx.mock
async def test_worklog_feed_without_last_page_stops_when_there_is_no_next_page(
    client: JiraClient,
) -> None:
    route = respx.get(UPDATED).respond(
        json={"values": [{"worklogId": 1, "updatedTime": 9}], "since": 0, "until": 9}
    )
    assert len(await collect_pages(client.updated_worklogs(0))) == 1
    assert route.call_count == 1


@respx.mock
async def test_an_offset_page_that_comes_back_again_fails_instead_of_looping(
    client: JiraClient,
) -> None:
    """A site that ignores `startAt` (and says neither `isLast` nor `total`) answers the first
    page again and again: the kind fails with one line instead of asking forever."""
    route = respx.get(f"{SITE}/rest/agile/1.0/board/1/backlog").respond(
        json={"maxResults": 2, "issues": [issue(1), issue(2)]}
    )
    with pytest.raises(JiraMalformedResponse) as failure:
        await collect_pages(client.board_backlog(1, None, None, Api.AGILE))
    assert route.call_count == 2
    assert str(failure.value) == (
        "Jira GET /rest/agile/1.0/board/{id}/backlog answered the same page again at startAt=2; "
        "stopping to avoid an endless loop"
    )
