"""Versions, components, comments and worklogs (sandbox/jira_sim/api_work.py)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.support import sim_state

AGILE = "/rest/agile/1.0"


async def get(site: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await site.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_versions_and_components(agile_site: httpx.AsyncClient) -> None:
    versions = await get(agile_site, "/rest/api/3/project/PA/version")
    assert [v["name"] for v in versions["values"]] == ["1.0", "1.1", "2.0"]
    assert versions["isLast"] and {v["projectId"] for v in versions["values"]} == {10000}
    one = await get(agile_site, f"/rest/api/3/version/{versions['values'][0]['id']}")
    assert one["name"] == "1.0"
    assert (await agile_site.get("/rest/api/3/version/999999")).status_code == 404
    components = await get(agile_site, "/rest/api/3/project/PA/component")
    assert components["total"] >= 2
    assert {"issueCount", "project", "projectId"} <= set(components["values"][0])


async def test_comments_are_paged_and_an_issue_embeds_the_first_twenty(
    agile_site: httpx.AsyncClient,
) -> None:
    ds = sim_state(agile_site).dataset
    busy = max(ds.issues.values(), key=lambda r: r.id)
    first = await get(agile_site, f"/rest/api/3/issue/{busy.key}/comment")
    assert len(first["comments"]) == 50 and first["total"] >= 60  # 60 more than the usual
    rest = await get(agile_site, f"/rest/api/3/issue/{busy.key}/comment", startAt=50)
    assert len(rest["comments"]) == first["total"] - 50
    issue = await get(agile_site, f"/rest/api/3/issue/{busy.key}", fields="comment")
    embedded = issue["fields"]["comment"]
    assert len(embedded["comments"]) == 20 and embedded["total"] == first["total"]
    one = first["comments"][0]
    assert (await get(agile_site, f"/rest/api/3/issue/{busy.key}/comment/{one['id']}")) == one


async def test_worklog_feed_pages_and_deletes(agile_site: httpx.AsyncClient) -> None:
    ds = sim_state(agile_site).dataset
    seen: list[int] = []
    since = 0
    while True:
        page = await get(agile_site, "/rest/api/3/worklog/updated", since=since)
        seen += [v["worklogId"] for v in page["values"]]
        if page["lastPage"]:
            break
        assert page["nextPage"].endswith(f"since={page['until']}")
        since = page["until"]
    assert sorted(seen) == sorted(ds.worklogs) and len(seen) == len(set(seen)) > 40
    listed = (
        await agile_site.post("/rest/api/3/worklog/list", json={"ids": [*seen[:5], 1]})
    ).json()
    assert [int(w["id"]) for w in listed] == seen[:5]
    assert (
        await agile_site.post("/rest/api/3/worklog/list", json={"ids": list(range(1001))})
    ).status_code == 400

    gone = seen[0]
    assert (await agile_site.delete(f"/_sim/worklogs/{gone}")).status_code == 200
    deleted = await get(agile_site, "/rest/api/3/worklog/deleted", since=0)
    assert [v["worklogId"] for v in deleted["values"]] == [gone]
    after = await get(agile_site, "/rest/api/3/worklog/updated", since=deleted["until"] - 1)
    assert gone not in [v["worklogId"] for v in after["values"]]
    issue_id = ds.deleted_worklogs[gone][1]["issueId"]
    per_issue = await get(agile_site, f"/rest/api/3/issue/{issue_id}/worklog")
    assert gone not in [int(w["id"]) for w in per_issue["worklogs"]]
