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
    assert backlog["total"] > 0 and set(backlog["issues"][0]["fields"]) == {"summary", "status"}
    assert all(i["fields"]["status"]["name"] != "Done" for i in backlog["issues"])
    todo = await get(agile_site, "/rest/software/1.0/board/1/backlog", jql="statusCategory = new")
    assert 0 < todo["total"] < backlog["total"]
    assert (await agile_site.get("/rest/software/1.0/board/1001/backlog")).status_code == 400
    kanban = await get(agile_site, "/rest/software/1.0/board/1003/backlog")
    assert all(i["fields"]["status"]["name"] == "To Do" for i in kanban["issues"])
