"""The simulator's boards, sprints, epics, backlogs, versions, components, comments, worklogs."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.jira_sim.testing import sim_state

AGILE = "/rest/agile/1.0"


async def get(site: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await site.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_boards_are_a_scrum_board_per_project_and_the_extras(
    agile_site: httpx.AsyncClient,
) -> None:
    first = await get(agile_site, f"{AGILE}/board", maxResults=4)
    assert first["isLast"] is False and first["total"] == 6 and len(first["values"]) == 4
    boards = first["values"] + (await get(agile_site, f"{AGILE}/board", startAt=4))["values"]
    assert [(b["id"], b["type"]) for b in boards] == [
        (1, "scrum"),
        (2, "scrum"),
        (3, "scrum"),
        (1001, "kanban"),
        (1002, "scrum"),
        (1003, "kanban"),
    ]
    assert boards[0]["location"]["projectKey"] == "PA"
    kanban = await get(agile_site, f"{AGILE}/board", type="kanban")
    assert [b["id"] for b in kanban["values"]] == [1001, 1003]
    on_plat = await get(agile_site, f"{AGILE}/board", projectKeyOrId="PLAT")
    assert [b["id"] for b in on_plat["values"]] == [2, 1001, 1002]
    projects = await get(agile_site, f"{AGILE}/board/1002/project")
    assert [p["key"] for p in projects["values"]] == ["PA", "PLAT"]
    assert (await agile_site.get(f"{AGILE}/board/77")).status_code == 404


async def test_sprints_shared_by_boards_and_kanban_boards_without_any(
    agile_site: httpx.AsyncClient,
) -> None:
    own = await get(agile_site, f"{AGILE}/board/1/sprint")
    assert [s["state"] for s in own["values"]] == ["closed"] * 4 + ["active", "future"]
    assert {s["originBoardId"] for s in own["values"]} == {1}
    cross = await get(agile_site, f"{AGILE}/board/1002/sprint", state="active")
    assert sorted(s["originBoardId"] for s in cross["values"]) == [1, 2, 1002]
    refused = await agile_site.get(f"{AGILE}/board/1001/sprint")
    assert refused.status_code == 400
    assert refused.json()["errorMessages"] == ["The board does not support sprints"]
    sprint = await get(agile_site, f"{AGILE}/sprint/{own['values'][0]['id']}")
    assert sprint["name"] == "Sprint 1" and sprint["self"].endswith(f"/sprint/{sprint['id']}")


async def test_epics_and_backlogs(agile_site: httpx.AsyncClient) -> None:
    epics = await get(agile_site, f"{AGILE}/board/1/epic")
    assert "total" not in epics and epics["isLast"] is True
    assert all(e["key"].startswith("PA-") for e in epics["values"])
    done = await get(agile_site, f"{AGILE}/board/1/epic", done="true")
    assert all(e["done"] for e in done["values"])
    backlog = await get(agile_site, "/rest/software/1.0/board/1/backlog", fields="summary,status")
    assert backlog["total"] > 0 and set(backlog["issues"][0]["fields"]) == {"summary", "status"}
    assert all(i["fields"]["status"]["name"] != "Done" for i in backlog["issues"])
    bugs = await get(agile_site, "/rest/software/1.0/board/1/backlog", jql="issuetype = Bug")
    assert bugs["total"] < backlog["total"]
    assert (await agile_site.get("/rest/software/1.0/board/1001/backlog")).status_code == 400
    kanban = await get(agile_site, "/rest/software/1.0/board/1003/backlog")
    assert all(i["fields"]["status"]["name"] == "To Do" for i in kanban["issues"])
    assert (await agile_site.get(f"{AGILE}/board/1/backlog")).status_code == 410


async def test_versions_and_components(agile_site: httpx.AsyncClient) -> None:
    versions = await get(agile_site, "/rest/api/3/project/PA/version")
    assert [v["name"] for v in versions["values"]] == ["1.0", "1.1", "2.0"]
    assert versions["isLast"] and {v["projectId"] for v in versions["values"]} == {10000}
    released = await get(agile_site, "/rest/api/3/project/PA/version", status="unreleased")
    assert [v["name"] for v in released["values"]] == ["2.0"]
    one = await get(agile_site, f"/rest/api/3/version/{versions['values'][0]['id']}")
    assert one["name"] == "1.0"
    assert (await agile_site.get("/rest/api/3/version/999999")).status_code == 404
    components = await get(agile_site, "/rest/api/3/project/PA/component")
    assert components["total"] >= 2
    assert {"issueCount", "project", "projectId"} <= set(components["values"][0])
    assert (await get(agile_site, "/rest/api/3/project/PA/component", componentSource="compass"))[
        "values"
    ] == []
    name = components["values"][0]["name"]
    filtered = await get(agile_site, "/rest/api/3/project/PA/component", query=name[:3].lower())
    assert name in [c["name"] for c in filtered["values"]]


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
