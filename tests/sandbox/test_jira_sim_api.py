"""The simulator's Jira REST endpoints over ASGI: pagination styles, auth, shapes, limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sandbox.jira_sim import SimConfig, create_app
from sandbox.jira_sim.testing import asgi_client, sim_state

NOT_AUTH = {
    "errorMessages": ["Client must be authenticated to access this resource."],
    "errors": {},
}
CLOUD = "11111111-2222-3333-4444-555555555555"
DEFAULT_JQL = "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(config=SimConfig(issues=150, users=12, teams=3)) as c:
        yield c


async def search_all(client: httpx.AsyncClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(1000):
        page = dict(body, **({"nextPageToken": token} if token else {}))
        r = await client.post("/rest/api/3/search/jql", json=page)
        assert r.status_code == 200, r.text
        data = r.json()
        assert "total" not in data and "startAt" not in data
        issues += data["issues"]
        if data["isLast"]:
            assert "nextPageToken" not in data
            return issues
        token = data["nextPageToken"]
    raise AssertionError("search never ended")


# ------------------------------------------------------------------------------- projects


async def test_project_search_pagebean_ends_with_is_last(client: httpx.AsyncClient) -> None:
    r1 = await client.get("/rest/api/3/project/search", params={"maxResults": 2})
    page1 = r1.json()
    assert page1["isLast"] is False and page1["total"] == 3 and len(page1["values"]) == 2
    assert page1["nextPage"].startswith("http://jira-sim.test/rest/api/3/project/search?")
    assert "startAt=2" in page1["nextPage"]
    r2 = await client.get(page1["nextPage"])
    page2 = r2.json()
    assert page2["isLast"] is True and "nextPage" not in page2 and len(page2["values"]) == 1
    keys = [p["key"] for p in page1["values"] + page2["values"]]
    assert sorted(keys) == keys == ["MOB", "PA", "PLAT"]
    pa = next(p for p in page1["values"] if p["key"] == "PA")
    assert pa["name"] == "Port-AI" and pa["self"] == "http://jira-sim.test/rest/api/3/project/10000"
    assert {
        "id",
        "projectTypeKey",
        "style",
        "simplified",
        "isPrivate",
        "avatarUrls",
        "uuid",
    } <= set(pa)
    assert "insight" not in pa


async def test_project_search_caps_page_size_and_expands_insight(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/rest/api/3/project/search", params={"maxResults": 500, "expand": "insight"}
    )
    data = r.json()
    assert data["maxResults"] == 100
    store = sim_state(client).dataset
    for project in data["values"]:
        count, _last = store.project_issue_stats(project["key"])
        assert project["insight"]["totalIssueCount"] == count > 0
        assert project["insight"]["lastIssueUpdateTime"].endswith("+0000")


async def test_project_get_and_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/rest/api/3/project/PA")).json()["id"] == "10000"
    assert (await client.get("/rest/api/3/project/10000")).json()["key"] == "PA"
    r = await client.get("/rest/api/3/project/NOPE")
    assert r.status_code == 404
    assert r.json() == {
        "errorMessages": ["No project could be found with key 'NOPE'."],
        "errors": {},
    }


# ------------------------------------------------------------------------------- users


async def test_users_search_is_a_bare_array_until_an_empty_page(client: httpx.AsyncClient) -> None:
    seen: list[dict[str, Any]] = []
    start = 0
    while True:
        r = await client.get("/rest/api/3/users/search", params={"startAt": start, "maxResults": 5})
        page = r.json()
        assert isinstance(page, list)
        if not page:
            break
        seen += page
        start += len(page)
    assert len(seen) == 12 == len({u["accountId"] for u in seen})
    assert {u["accountType"] for u in seen} == {"atlassian", "app"}
    assert any(u["active"] is False for u in seen)
    assert any("emailAddress" not in u for u in seen if u["accountType"] == "atlassian")
    assert all(u["accountId"].startswith(("712020:", "557058:")) for u in seen)
    me = seen[0]
    assert me["emailAddress"] == "demo@example.com"
    assert me["self"].startswith("http://jira-sim.test/rest/api/3/user?accountId=712020%3A")
    r = await client.get("/rest/api/3/users/search", params={"maxResults": 5000})
    assert len(r.json()) == 12


async def test_user_get_and_404(client: httpx.AsyncClient) -> None:
    users = (await client.get("/rest/api/3/users/search")).json()
    r = await client.get("/rest/api/3/user", params={"accountId": users[1]["accountId"]})
    assert r.json()["displayName"] == users[1]["displayName"]
    r = await client.get("/rest/api/3/user", params={"accountId": "712020:nobody"})
    assert r.status_code == 404 and r.json()["errorMessages"]


# ------------------------------------------------------------------------------- teams


async def test_teams_cursor_paging_ends_on_an_empty_page_that_still_has_a_cursor(
    client: httpx.AsyncClient,
) -> None:
    url = "/gateway/api/public/teams/v1/org/sandbox-org/teams"
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"size": 2, "siteId": CLOUD}
        if cursor:
            params["cursor"] = cursor
        data = (await client.get(url, params=params)).json()
        pages += 1
        assert data["cursor"]  # present on every page, including the empty one
        if not data["entities"]:
            break
        seen += [t["teamId"] for t in data["entities"]]
        cursor = data["cursor"]
    assert pages == 3 and len(seen) == 3
    team = (await client.get(url)).json()["entities"][0]
    assert team["state"] == "ACTIVE" and team["teamType"] == "OPEN"
    assert team["organizationId"] == "sandbox-org" and team["displayName"]
    again = (await client.get(url, params={"cursor": cursor})).json()
    assert again["entities"] == [] and again["cursor"]


async def test_teams_errors(client: httpx.AsyncClient) -> None:
    assert (await client.get("/gateway/api/public/teams/v1/org/other/teams")).status_code == 404
    r = await client.get(
        "/gateway/api/public/teams/v1/org/sandbox-org/teams", params={"cursor": "!!"}
    )
    assert r.status_code == 400
    r = await client.get("/gateway/api/public/teams/v1/org/sandbox-org/teams", params={"size": 301})
    assert r.status_code == 400


async def test_team_members_relay_paging(client: httpx.AsyncClient) -> None:
    team = (await client.get("/gateway/api/public/teams/v1/org/sandbox-org/teams")).json()[
        "entities"
    ][0]
    url = f"/gateway/api/public/teams/v1/org/sandbox-org/teams/{team['teamId']}/members"
    members: list[str] = []
    after: str | None = None
    while True:
        body: dict[str, Any] = {"first": 3}
        if after:
            body["after"] = after
        data = (await client.post(url, json=body)).json()
        members += [m["accountId"] for m in data["results"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert members == sim_state(client).dataset.team_members[team["teamId"]]
    assert len(members) == 4
    missing = url.replace(team["teamId"], "nope")
    assert (await client.post(missing, json={})).status_code == 404


# ------------------------------------------------------------------------------- auth


async def test_auth_rules() -> None:
    app = create_app(SimConfig(issues=5))
    async with asgi_client(app, auth="none") as anon:
        r = await anon.get("/rest/api/3/project/search")
        assert r.status_code == 401 and r.json() == NOT_AUTH
        wrong = httpx.BasicAuth("demo@example.com", "wrong-token")
        r = await anon.get("/rest/api/3/project/search", auth=wrong)
        assert r.status_code == 401 and r.json() == NOT_AUTH
        r = await anon.get(
            "/rest/api/3/project/search", headers={"Authorization": "Bearer sandbox-oauth-token"}
        )
        assert r.status_code == 401  # the site takes Basic only
        r = await anon.get(
            f"/ex/jira/{CLOUD}/rest/api/3/project/search",
            auth=httpx.BasicAuth("demo@example.com", "sandbox-token"),
        )
        assert r.status_code == 401  # the gateway takes Bearer only
        r = await anon.get(
            "/ex/jira/00000000-0000-0000-0000-000000000000/rest/api/3/project/search",
            headers={"Authorization": "Bearer sandbox-oauth-token"},
        )
        assert r.status_code == 404 and r.json()["errorMessages"]
        assert (await anon.get("/_sim/stats")).status_code == 200  # control API: no auth
    async with asgi_client(app, auth="bearer", gateway=True) as oauth:
        r = await oauth.get("/rest/api/3/issue/PA-1", params={"fields": "summary"})
        assert r.status_code == 200
        assert r.json()["self"] == f"http://jira-sim.test/ex/jira/{CLOUD}/rest/api/3/issue/10000"
        r = await oauth.get("/gateway/api/public/teams/v1/org/sandbox-org/teams")
        assert r.status_code == 401 and r.json() == NOT_AUTH  # Teams refuse OAuth tokens
    stats = sim_state(oauth).stats.snapshot()
    assert stats["by_status"]["401"] == 5
    assert stats["by_endpoint"]["GET /rest/api/3/issue/{issueIdOrKey}"] == 1


# ------------------------------------------------------------------------------- search


async def test_search_defaults_to_ids_and_pages_until_is_last(client: httpx.AsyncClient) -> None:
    issues = await search_all(client, {"jql": DEFAULT_JQL, "maxResults": 40})
    assert all(set(i) == {"id"} for i in issues)
    ids = [int(i["id"]) for i in issues]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    share = len(ids) / 150
    assert 0.6 <= share <= 0.8
    stats = sim_state(client).stats.snapshot()
    assert stats["issues_returned"] == 0 and stats["items_returned"] == len(ids)


async def test_search_page_caps(client: httpx.AsyncClient) -> None:
    body = {"jql": "project in (PA, PLAT, MOB)", "maxResults": 1000}
    r = await client.post("/rest/api/3/search/jql", json=body)
    assert len(r.json()["issues"]) == 150 and r.json()["isLast"] is True
    r = await client.post("/rest/api/3/search/jql", json={**body, "fields": ["key"]})
    assert len(r.json()["issues"]) == 150 and set(r.json()["issues"][0]) == {"id", "key"}
    r = await client.post("/rest/api/3/search/jql", json={**body, "fields": ["summary"]})
    data = r.json()
    assert len(data["issues"]) == 100 and data["isLast"] is False and data["nextPageToken"]
    r = await client.post("/rest/api/3/search/jql", json={"jql": "project = PA"})
    assert len(r.json()["issues"]) == min(50, sum(1 for k in _keys(client) if k.startswith("PA-")))


def _keys(client: httpx.AsyncClient) -> list[str]:
    return [rec.key for rec in sim_state(client).dataset.issues.values()]


async def test_search_order_by_and_full_walk(client: httpx.AsyncClient) -> None:
    issues = await search_all(
        client,
        {"jql": "project = PA ORDER BY created ASC", "maxResults": 7, "fields": ["created", "key"]},
    )
    created = [i["fields"]["created"] for i in issues]
    assert created == sorted(created)
    assert len(issues) == sum(1 for k in _keys(client) if k.startswith("PA-"))
    by_key = await search_all(client, {"jql": "project = PA order by key desc", "fields": "key"})
    numbers = [int(i["key"].split("-")[1]) for i in by_key]
    assert numbers == sorted(numbers, reverse=True)


async def test_search_fields_and_errors(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/rest/api/3/search/jql",
        json={"jql": "project = PA", "maxResults": 3, "fields": "summary,status"},
    )
    data = r.json()
    assert len(data["issues"]) == 3 and set(data["issues"][0]["fields"]) == {"summary", "status"}
    r = await client.post("/rest/api/3/search/jql", json={"jql": ""})
    assert r.status_code == 400
    assert r.json()["errorMessages"] == [
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
    ]
    r = await client.post("/rest/api/3/search/jql", json={"jql": "ORDER BY created DESC"})
    assert r.status_code == 400 and "Unbounded" in r.json()["errorMessages"][0]
    r = await client.post(
        "/rest/api/3/search/jql", json={"jql": "project = PA", "nextPageToken": "garbage!"}
    )
    assert r.status_code == 400
    page = (
        await client.post("/rest/api/3/search/jql", json={"jql": "project = PA", "maxResults": 1})
    ).json()
    r = await client.post(
        "/rest/api/3/search/jql",
        json={"jql": "project = PLAT", "nextPageToken": page["nextPageToken"]},
    )
    assert r.status_code == 400  # a token belongs to its query
    r = await client.post(
        "/rest/api/3/search/jql", json={"jql": "project = PA", "expand": ["names"]}
    )
    assert r.status_code == 400  # expand is a comma-separated STRING on search/jql


async def test_reconcile_issues_reveals_unindexed_issues(client: httpx.AsyncClient) -> None:
    created = (
        await client.post(
            "/_sim/issues", json={"project": "PA", "summary": "fresh", "indexed": False}
        )
    ).json()
    jql = f"key = {created['key']}"
    assert (await client.post("/rest/api/3/search/jql", json={"jql": jql})).json()["issues"] == []
    r = await client.post(
        "/rest/api/3/search/jql", json={"jql": jql, "reconcileIssues": [int(created["id"])]}
    )
    assert r.json()["issues"] == [{"id": created["id"]}]
    assert (await client.get(f"/rest/api/3/issue/{created['key']}")).status_code == 200
    r = await client.post(
        "/rest/api/3/search/jql", json={"jql": jql, "reconcileIssues": list(range(51))}
    )
    assert r.status_code == 400
    await client.put(f"/_sim/issues/{created['key']}", json={"indexed": True})
    assert (
        len((await client.post("/rest/api/3/search/jql", json={"jql": jql})).json()["issues"]) == 1
    )


async def test_fields_projection(client: httpx.AsyncClient) -> None:
    async def one(fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"jql": "key = PA-1", "fields": fields}
        data = (await client.post("/rest/api/3/search/jql", json=body)).json()
        return data  # type: ignore[no-any-return]

    everything = (await one(["*all"]))["issues"][0]["fields"]
    assert {"comment", "worklog", "attachment", "customfield_10020", "summary", "parent"} - {
        "parent"
    } <= set(everything)
    assert len(everything) > 60
    navigable = (await one(["*navigable"]))["issues"][0]["fields"]
    assert "comment" not in navigable and "summary" in navigable
    minus = (await one(["*all", "-comment", "-description"]))["issues"][0]["fields"]
    assert "comment" not in minus and "description" not in minus and "summary" in minus
    assert set((await one("summary, labels"))["issues"][0]["fields"]) == {"summary", "labels"}
    assert set((await one(["nonexistent"]))["issues"][0]["fields"]) == set()


async def test_issue_get(client: httpx.AsyncClient) -> None:
    r = await client.get("/rest/api/3/issue/PA-1")
    issue = r.json()
    fields = issue["fields"]
    assert issue["key"] == "PA-1" and issue["id"] == "10000"
    assert fields["summary"] == "Setup infra" and fields["labels"] == ["infra"]
    assert fields["project"]["key"] == "PA" and fields["project"]["name"] == "Port-AI"
    assert fields["status"]["statusCategory"]["key"] in {"new", "indeterminate", "done"}
    assert fields["issuetype"]["name"] == "Task" and fields["issuetype"]["hierarchyLevel"] == 0
    assert "comment" in fields  # default fields = *all
    assert (await client.get("/rest/api/3/issue/10000?fields=key")).json() == {
        "id": "10000",
        "key": "PA-1",
    }
    r = await client.get("/rest/api/3/issue/PA-99999")
    assert r.status_code == 404
    assert r.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }


# ------------------------------------------------------------------------------- bulk fetch


async def test_bulkfetch_order_limits_and_errors(client: httpx.AsyncClient) -> None:
    url = "/rest/api/3/issue/bulkfetch"
    r = await client.post(
        url, json={"issueIdsOrKeys": ["PA-3", "10001", "pa-1", "NOPE-1", "99999"]}
    )
    data = r.json()
    ids = [int(i["id"]) for i in data["issues"]]
    assert ids == sorted(ids) and ids[0] == 10000
    assert "summary" in data["issues"][0]["fields"] and "comment" not in data["issues"][0]["fields"]
    assert [e["id"] for e in data["issueErrors"]] == ["NOPE-1", "99999"]
    all_ids = [str(i) for i in range(10000, 10150)]
    r = await client.post(url, json={"issueIdsOrKeys": all_ids[:101]})
    assert r.status_code == 400  # default *navigable: 100 max
    r = await client.post(url, json={"issueIdsOrKeys": all_ids[:100]})
    assert r.status_code == 200 and len(r.json()["issues"]) == 100
    r = await client.post(url, json={"issueIdsOrKeys": all_ids, "fields": ["summary", "status"]})
    assert r.status_code == 200 and len(r.json()["issues"]) == 150  # efficient shape: 1000 max
    r = await client.post(url, json={"issueIdsOrKeys": all_ids, "fields": ["comment"]})
    assert r.status_code == 400
    r = await client.post(
        url, json={"issueIdsOrKeys": [str(i) for i in range(1001)], "fields": ["summary"]}
    )
    assert r.status_code == 400
    assert (await client.post(url, json={"issueIdsOrKeys": []})).status_code == 400


# ------------------------------------------------------------------------------- permissions


async def test_mypermissions() -> None:
    for admin in (True, False):
        async with asgi_client(config=SimConfig(issues=1, has_admin_permission=admin)) as c:
            r = await c.get("/rest/api/3/mypermissions", params={"permissions": "ADMINISTER"})
            perm = r.json()["permissions"]["ADMINISTER"]
            assert perm["havePermission"] is admin
            assert {"id", "key", "name", "type"} <= set(perm)


# ------------------------------------------------------------------------------- webhooks


async def test_admin_webhooks_crud_hides_secret(client: httpx.AsyncClient) -> None:
    url = "/rest/webhooks/1.0/webhook"
    body = {
        "name": "port",
        "url": "https://example.com/hook",
        "events": ["jira:issue_created", "jira:issue_updated"],
        "filters": {"issue-related-events-section": "project = PA"},
        "excludeBody": False,
        "enabled": True,
        "secret": "s3cr3t",
    }
    r = await client.post(url, json=body)
    assert r.status_code == 201
    created = r.json()
    assert (
        "secret" not in created
        and created["filters"]["issue-related-events-section"] == "project = PA"
    )
    hook_id = created["self"].rsplit("/", 1)[1]
    listed = (await client.get(url)).json()
    assert len(listed) == 1 and "secret" not in listed[0]
    r = await client.put(
        f"{url}/{hook_id}", json={"enabled": False, "events": ["jira:issue_deleted"]}
    )
    assert r.json()["enabled"] is False and r.json()["events"] == ["jira:issue_deleted"]
    assert sim_state(client).webhooks.admin[int(hook_id)].secret == "s3cr3t"
    assert (await client.get(f"{url}/{hook_id}")).json()["name"] == "port"
    assert (await client.delete(f"{url}/{hook_id}")).status_code == 204
    assert (await client.get(f"{url}/{hook_id}")).status_code == 404
    r = await client.post(url, json={**body, "filters": {"issue-related-events-section": "foo ="}})
    assert r.status_code == 400


async def test_admin_webhooks_need_admin() -> None:
    async with asgi_client(config=SimConfig(issues=1, has_admin_permission=False)) as c:
        assert (await c.get("/rest/webhooks/1.0/webhook")).status_code == 403
        r = await c.post("/rest/webhooks/1.0/webhook", json={"name": "x", "url": "https://x"})
        assert r.status_code == 403 and r.json()["errorMessages"]


async def test_dynamic_webhooks_lifecycle() -> None:
    app = create_app(SimConfig(issues=5))
    async with asgi_client(app) as basic:
        r = await basic.post("/rest/api/3/webhook", json={"url": "https://x", "webhooks": []})
        assert r.status_code == 403  # OAuth apps only
    async with asgi_client(app, auth="bearer", gateway=True) as c:
        r = await c.post(
            "/rest/api/3/webhook",
            json={
                "url": "https://example.com/dyn",
                "webhooks": [
                    {
                        "events": ["jira:issue_created", "jira:issue_updated"],
                        "jqlFilter": "project = PA",
                    },
                    {"events": ["sprint_started"], "jqlFilter": "project = PA"},
                    {"events": ["jira:issue_updated"], "jqlFilter": "project IS NOT EMPTY"},
                    {
                        "events": ["jira:issue_updated"],
                        "jqlFilter": "project in (PA, PLAT) AND status != Done",
                    },
                ],
            },
        )
        assert r.status_code == 200
        results = r.json()["webhookRegistrationResult"]
        assert "createdWebhookId" in results[0] and "createdWebhookId" in results[3]
        assert results[1]["errors"] and results[2]["errors"]
        assert "IS NOT" in results[2]["errors"][0]
        listing = (await c.get("/rest/api/3/webhook")).json()
        assert listing["isLast"] is True and len(listing["values"]) == 2
        before = listing["values"][0]["expirationDate"]
        assert before.endswith("+0000")
        ids = [results[0]["createdWebhookId"], results[3]["createdWebhookId"]]
        r = await c.put("/rest/api/3/webhook/refresh", json={"webhookIds": ids})
        assert r.status_code == 200 and r.json()["expirationDate"] >= before
        r = await c.request("DELETE", "/rest/api/3/webhook", json={"webhookIds": ids[:1]})
        assert r.status_code == 202
        assert len((await c.get("/rest/api/3/webhook")).json()["values"]) == 1


# ------------------------------------------------------------------------------- /_sim
