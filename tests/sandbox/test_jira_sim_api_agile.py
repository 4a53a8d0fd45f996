"""Jira Software (sandbox/jira_sim/api_agile.py): boards, sprints, epics and backlogs."""

from __future__ import annotations

from typing import Any

import httpx

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
    projects = await get(agile_site, f"{AGILE}/board/1002/project")
    assert [p["key"] for p in projects["values"]] == ["PA", "PLAT"]
    assert (await agile_site.get(f"{AGILE}/board/77/project")).status_code == 404


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
    assert backlog["issues"] and set(backlog["issues"][0]["fields"]) == {"summary", "status"}
    assert all(i["fields"]["status"]["name"] != "Done" for i in backlog["issues"])
    todo = await get(agile_site, "/rest/software/1.0/board/1/backlog", jql="statusCategory = new")
    assert 0 < len(todo["issues"]) < len(backlog["issues"])
    assert (await agile_site.get("/rest/software/1.0/board/1001/backlog")).status_code == 400
    kanban = await get(agile_site, "/rest/software/1.0/board/1003/backlog")
    assert all(i["fields"]["status"]["name"] == "To Do" for i in kanban["issues"])


async def backlog_by_token(site: httpx.AsyncClient, path: str, **params: Any) -> list[Any]:
    """Every page of a token-paged backlog, following `nextPageToken` until `isLast`."""
    pages: list[Any] = []
    token: str | None = None
    while True:
        page = await get(site, path, **params, **({"nextPageToken": token} if token else {}))
        pages.append(page)
        if page["isLast"]:
            return pages
        token = page["nextPageToken"]


async def test_the_enhanced_backlog_is_token_paged_as_atlassian_describes_it(
    agile_site: httpx.AsyncClient,
) -> None:
    """`GET /rest/software/1.0/board/{id}/backlog` (getIssuesForBacklogJSIS): `nextPageToken`
    and `isLast`; no `startAt`, no `total`, and a `startAt` sent anyway changes nothing."""
    path = "/rest/software/1.0/board/1/backlog"
    pages = await backlog_by_token(agile_site, path, maxResults=3, fields="summary")
    assert len(pages) > 2
    assert all("startAt" not in p and "total" not in p for p in pages)
    assert all(p["nextPageToken"] for p in pages[:-1]) and "nextPageToken" not in pages[-1]
    keys = [i["key"] for p in pages for i in p["issues"]]
    whole = await get(agile_site, path, maxResults=50, fields="summary")
    assert whole["isLast"] is True and keys == [i["key"] for i in whole["issues"]]
    assert len(set(keys)) == len(keys)
    ignored = await get(agile_site, path, maxResults=3, fields="summary", startAt=3)
    assert [i["key"] for i in ignored["issues"]] == keys[:3]
    other = await agile_site.get(path, params={"nextPageToken": "not-a-token"})
    assert other.status_code == 400


async def test_the_agile_backlog_stays_offset_paged(agile_site: httpx.AsyncClient) -> None:
    """`GET /rest/agile/1.0/board/{id}/backlog` (getIssuesForBacklog): startAt, total."""
    first = await get(agile_site, f"{AGILE}/board/1/backlog", maxResults=3, fields="summary")
    second = await get(
        agile_site, f"{AGILE}/board/1/backlog", maxResults=3, startAt=3, fields="summary"
    )
    assert first["startAt"] == 0 and second["startAt"] == 3 and first["total"] > 3
    assert {i["key"] for i in first["issues"]}.isdisjoint(i["key"] for i in second["issues"])
