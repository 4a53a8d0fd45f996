"""Jira platform REST API (sandbox/jira_sim/api_platform.py): projects, users, search, bulk
fetch, issues and permissions; their paging styles, shapes and limits."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

from sandbox.jira_sim import SimConfig
from tests.sandbox.support import asgi_client, jira_error, sim_state

# getPermittedProjects' 200 answer, as Atlassian's OpenAPI document (jira-platform.json,
# components PermittedProjects and ProjectIdentifierBean) states it.
PERMITTED_PROJECTS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "projects": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "integer", "format": "int64"},
                    "key": {"type": "string"},
                },
            },
        }
    },
}

DEFAULT_JQL = "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)"


async def search_all(jira: httpx.AsyncClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(1000):
        page = dict(body, **({"nextPageToken": token} if token else {}))
        r = await jira.post("/rest/api/3/search/jql", json=page)
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


async def test_project_search_pagebean_ends_with_is_last(jira: httpx.AsyncClient) -> None:
    r1 = await jira.get("/rest/api/3/project/search", params={"maxResults": 2})
    page1 = r1.json()
    assert page1["isLast"] is False and page1["total"] == 3 and len(page1["values"]) == 2
    r2 = await jira.get("/rest/api/3/project/search", params={"maxResults": 2, "startAt": 2})
    page2 = r2.json()
    assert page2["isLast"] is True and len(page2["values"]) == 1
    keys = [p["key"] for p in page1["values"] + page2["values"]]
    assert sorted(keys) == keys == ["MOB", "PA", "PLAT"]
    pa = next(p for p in page1["values"] if p["key"] == "PA")
    assert pa["name"] == "Port-AI" and pa["self"] == "http://jira-sim.test/rest/api/3/project/10000"
    assert {"id", "style", "avatarUrls"} <= set(pa)
    assert "insight" not in pa


async def test_project_search_caps_page_size_and_expands_insight(jira: httpx.AsyncClient) -> None:
    r = await jira.get(
        "/rest/api/3/project/search", params={"maxResults": 500, "expand": "insight"}
    )
    data = r.json()
    assert data["maxResults"] == 100
    store = sim_state(jira).dataset
    stats = store.project_issue_stats()
    for project in data["values"]:
        count, _last = stats[project["key"]]
        assert project["insight"]["totalIssueCount"] == count > 0
        assert project["insight"]["lastIssueUpdateTime"].endswith("+0000")


async def test_project_get_and_404(jira: httpx.AsyncClient) -> None:
    assert (await jira.get("/rest/api/3/project/PA")).json()["id"] == "10000"
    assert (await jira.get("/rest/api/3/project/10000")).json()["key"] == "PA"
    r = await jira.get("/rest/api/3/project/NOPE")
    assert r.status_code == 404
    assert r.json() == jira_error("No project could be found with key 'NOPE'.")


# ------------------------------------------------------------------------------- users


async def test_users_search_is_a_bare_array_until_an_empty_page(jira: httpx.AsyncClient) -> None:
    seen: list[dict[str, Any]] = []
    start = 0
    while True:
        r = await jira.get("/rest/api/3/users/search", params={"startAt": start, "maxResults": 5})
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
    r = await jira.get("/rest/api/3/users/search", params={"maxResults": 5000})
    assert len(r.json()) == 12


async def test_user_get_and_404(jira: httpx.AsyncClient) -> None:
    users = (await jira.get("/rest/api/3/users/search")).json()
    r = await jira.get("/rest/api/3/user", params={"accountId": users[1]["accountId"]})
    assert r.json()["displayName"] == users[1]["displayName"]
    r = await jira.get("/rest/api/3/user", params={"accountId": "712020:nobody"})
    assert r.status_code == 404 and r.json()["errorMessages"]


# ------------------------------------------------------------------------------- search


async def test_search_defaults_to_ids_and_pages_until_is_last(jira: httpx.AsyncClient) -> None:
    issues = await search_all(jira, {"jql": DEFAULT_JQL, "maxResults": 40})
    assert all(set(i) == {"id"} for i in issues)
    ids = [int(i["id"]) for i in issues]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    share = len(ids) / 150
    assert 0.6 <= share <= 0.8
    stats = sim_state(jira).stats.snapshot()
    assert stats["issues_returned"] == 0 and stats["items_returned"] == len(ids)


async def test_search_page_caps(jira: httpx.AsyncClient) -> None:
    body = {"jql": "project in (PA, PLAT, MOB)", "maxResults": 1000}
    r = await jira.post("/rest/api/3/search/jql", json=body)
    assert len(r.json()["issues"]) == 150 and r.json()["isLast"] is True
    r = await jira.post("/rest/api/3/search/jql", json={**body, "fields": ["key"]})
    assert len(r.json()["issues"]) == 150 and set(r.json()["issues"][0]) == {"id", "key"}
    r = await jira.post("/rest/api/3/search/jql", json={**body, "fields": ["summary"]})
    data = r.json()
    assert len(data["issues"]) == 100 and data["isLast"] is False and data["nextPageToken"]
    r = await jira.post("/rest/api/3/search/jql", json={"jql": "project = PA"})
    assert len(r.json()["issues"]) == min(50, sum(1 for k in _keys(jira) if k.startswith("PA-")))


def _keys(jira: httpx.AsyncClient) -> list[str]:
    return [rec.key for rec in sim_state(jira).dataset.issues.values()]


async def test_search_order_by_and_full_walk(jira: httpx.AsyncClient) -> None:
    issues = await search_all(
        jira,
        {"jql": "project = PA ORDER BY key ASC", "maxResults": 7, "fields": ["key"]},
    )
    numbers = [int(i["key"].split("-")[1]) for i in issues]
    assert numbers == sorted(numbers)
    assert len(issues) == sum(1 for k in _keys(jira) if k.startswith("PA-"))
    by_key = await search_all(jira, {"jql": "project = PA order by key desc", "fields": "key"})
    numbers = [int(i["key"].split("-")[1]) for i in by_key]
    assert numbers == sorted(numbers, reverse=True)


async def test_search_fields_and_errors(jira: httpx.AsyncClient) -> None:
    r = await jira.post(
        "/rest/api/3/search/jql",
        json={"jql": "project = PA", "maxResults": 3, "fields": "summary,status"},
    )
    data = r.json()
    assert len(data["issues"]) == 3 and set(data["issues"][0]["fields"]) == {"summary", "status"}
    r = await jira.post("/rest/api/3/search/jql", json={"jql": ""})
    assert r.status_code == 400
    assert r.json()["errorMessages"] == [
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
    ]
    r = await jira.post("/rest/api/3/search/jql", json={"jql": "ORDER BY key DESC"})
    assert r.status_code == 400 and "Unbounded" in r.json()["errorMessages"][0]
    r = await jira.post(
        "/rest/api/3/search/jql", json={"jql": "project = PA", "nextPageToken": "garbage!"}
    )
    assert r.status_code == 400
    page = (
        await jira.post("/rest/api/3/search/jql", json={"jql": "project = PA", "maxResults": 1})
    ).json()
    r = await jira.post(
        "/rest/api/3/search/jql",
        json={"jql": "project = PLAT", "nextPageToken": page["nextPageToken"]},
    )
    assert r.status_code == 400  # a token belongs to its query
    r = await jira.post("/rest/api/3/search/jql", json={"jql": "project = PA", "expand": ["names"]})
    assert r.status_code == 400  # expand is a comma-separated STRING on search/jql


async def test_fields_projection(jira: httpx.AsyncClient) -> None:
    async def one(fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"jql": "key = PA-1", "fields": fields}
        data = (await jira.post("/rest/api/3/search/jql", json=body)).json()
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


async def test_issue_get(jira: httpx.AsyncClient) -> None:
    r = await jira.get("/rest/api/3/issue/PA-1")
    issue = r.json()
    fields = issue["fields"]
    assert issue["key"] == "PA-1" and issue["id"] == "10000"
    assert fields["summary"] == "Setup infra" and fields["labels"] == ["infra"]
    assert fields["project"]["key"] == "PA" and fields["project"]["name"] == "Port-AI"
    assert fields["status"]["statusCategory"]["key"] in {"new", "indeterminate", "done"}
    assert fields["issuetype"]["name"] == "Task" and fields["issuetype"]["hierarchyLevel"] == 0
    assert "comment" in fields  # default fields = *all
    assert (await jira.get("/rest/api/3/issue/10000?fields=key")).json() == {
        "id": "10000",
        "key": "PA-1",
    }
    r = await jira.get("/rest/api/3/issue/PA-99999")
    assert r.status_code == 404
    assert r.json() == jira_error("Issue does not exist or you do not have permission to see it.")


# ------------------------------------------------------------------------------- bulk fetch


async def test_bulkfetch_order_limits_and_errors(jira: httpx.AsyncClient) -> None:
    url = "/rest/api/3/issue/bulkfetch"
    r = await jira.post(url, json={"issueIdsOrKeys": ["PA-3", "10001", "pa-1", "NOPE-1", "99999"]})
    data = r.json()
    ids = [int(i["id"]) for i in data["issues"]]
    assert ids == sorted(ids) and ids[0] == 10000
    assert "summary" in data["issues"][0]["fields"] and "comment" not in data["issues"][0]["fields"]
    assert len(ids) == 3 and data["issueErrors"] == []  # unknown ids are left out, not listed
    all_ids = [str(i) for i in range(10000, 10150)]
    r = await jira.post(url, json={"issueIdsOrKeys": all_ids[:101]})
    assert r.status_code == 400  # default *navigable: 100 max
    r = await jira.post(url, json={"issueIdsOrKeys": all_ids[:100]})
    assert r.status_code == 200 and len(r.json()["issues"]) == 100
    r = await jira.post(url, json={"issueIdsOrKeys": all_ids, "fields": ["summary", "status"]})
    assert r.status_code == 200 and len(r.json()["issues"]) == 150  # efficient shape: 1000 max
    r = await jira.post(url, json={"issueIdsOrKeys": all_ids, "fields": ["comment"]})
    assert r.status_code == 400
    r = await jira.post(
        url, json={"issueIdsOrKeys": [str(i) for i in range(1001)], "fields": ["summary"]}
    )
    assert r.status_code == 400
    assert (await jira.post(url, json={"issueIdsOrKeys": []})).status_code == 400


# ------------------------------------------------------------------------------- permissions


async def test_mypermissions_for_a_project_the_user_may_not_browse() -> None:
    async with asgi_client(config=SimConfig(issues=1, forbidden_projects=["SEC"])) as c:
        for project, allowed in (("SEC", False), ("OPS", True), (None, True)):
            params = {"permissions": "BROWSE_PROJECTS", "projectKey": project}
            r = await c.get("/rest/api/3/mypermissions", params=params)
            assert r.json()["permissions"]["BROWSE_PROJECTS"]["havePermission"] is allowed


async def test_permitted_projects_answers_per_the_openapi_schema_without_forbidden_ones() -> None:
    async with asgi_client(
        config=SimConfig(projects=4, issues=1, forbidden_projects=["PLAT"])
    ) as c:
        listed = [p["key"] for p in (await c.get("/rest/api/3/project/search")).json()["values"]]
        r = await c.post(
            "/rest/api/3/permissions/project", json={"permissions": ["BROWSE_PROJECTS"]}
        )
        assert r.status_code == 200
        jsonschema.validate(r.json(), PERMITTED_PROJECTS)
        keys = [p["key"] for p in r.json()["projects"]]
        assert "PLAT" in listed and keys == [key for key in listed if key != "PLAT"]


@pytest.mark.parametrize(
    "body",
    [{"permissions": ["ADMINISTER"]}, {"permissions": "BROWSE_PROJECTS"}, {}, {"keys": []}],
)
async def test_permitted_projects_refuses_what_is_not_a_list_of_project_permissions(
    body: dict[str, Any],
) -> None:
    async with asgi_client(config=SimConfig(issues=1)) as c:
        r = await c.post("/rest/api/3/permissions/project", json=body)
        assert r.status_code == 400 and r.json()["errorMessages"]


async def test_the_checks_endpoints_myself_server_info_and_jql_parse() -> None:
    async with asgi_client(config=SimConfig(issues=1)) as c:
        me = (await c.get("/rest/api/3/myself")).json()
        assert me["accountId"] and me["emailAddress"] == "demo@example.com"
        info = (await c.get("/rest/api/2/serverInfo")).json()
        assert info["deploymentType"] == "Cloud" and info["version"]
        r = await c.post(
            "/rest/api/3/jql/parse", json={"queries": [DEFAULT_JQL, "statuz = Done", "a = ("]}
        )
        good, unknown, broken = r.json()["queries"]
        assert "errors" not in good
        assert unknown["errors"] == [
            "Field 'statuz' does not exist or you do not have permission to view it."
        ]
        assert broken["errors"]
        assert (await c.post("/rest/api/3/jql/parse", json={"queries": "x"})).status_code == 400
