"""The ``/_sim`` control API (sandbox/jira_sim/control.py): stats, runtime config, changes to
the site and the events they send."""

from __future__ import annotations

import httpx

from sandbox.jira_sim.webhooks import build_event
from tests.sandbox.support import sim_state


async def test_stats_and_config(jira: httpx.AsyncClient) -> None:
    await jira.get("/rest/api/3/project/search")
    await jira.get("/rest/api/3/project/PA")
    await jira.post("/rest/api/3/search/jql", json={"jql": "project = PA", "fields": ["summary"]})
    stats = (await jira.get("/_sim/stats")).json()
    assert stats["by_endpoint"]["GET /rest/api/3/project/search"] == 1
    assert stats["by_endpoint"]["GET /rest/api/3/project/{projectIdOrKey}"] == 1
    assert stats["by_endpoint"]["POST /rest/api/3/search/jql"] == 1
    assert stats["total"] == 3 and stats["by_status"] == {"200": 3}
    assert stats["issues_returned"] > 0
    r = await jira.patch("/_sim/config", json={"latency_ms": 1, "fail_paths": ["^/nothing"]})
    assert r.json()["latency_ms"] == 1 and sim_state(jira).config.fail_paths == ["^/nothing"]
    assert (await jira.patch("/_sim/config", json={"rate_429": 5})).status_code == 400
    assert (await jira.patch("/_sim/config", json={"bogus": 1})).status_code == 400
    assert (await jira.get("/_sim/stats")).json()["total"] == 3  # /_sim is never counted


async def test_issue_project_and_user_changes(jira: httpx.AsyncClient) -> None:
    body = {"project": "PA", "fields": {"summary": "new one"}, "labels": ["x"]}
    issue = (await jira.post("/_sim/issues", json=body)).json()
    assert issue["key"].startswith("PA-") and issue["fields"]["labels"] == ["x"]
    done = {"fields": {"status": "Done"}}
    updated = (await jira.put(f"/_sim/issues/{issue['key']}", json=done)).json()
    assert updated["fields"]["status"]["name"] == "Done" and updated["fields"]["resolutiondate"]
    assert (await jira.delete(f"/_sim/issues/{issue['key']}")).json()["key"] == issue["key"]
    assert (await jira.get(f"/rest/api/3/issue/{issue['key']}")).status_code == 404
    assert (await jira.delete(f"/_sim/issues/{issue['key']}")).status_code == 404

    assert (await jira.put("/_sim/projects/PA", json={"name": "Renamed"})).json()[
        "name"
    ] == "Renamed"
    assert (await jira.get("/rest/api/3/project/PA")).json()["name"] == "Renamed"
    assert (await jira.delete("/_sim/projects/PA")).status_code == 200
    assert (await jira.get("/rest/api/3/project/PA")).status_code == 404

    new = {"displayName": "Zed"}
    user = (await jira.post("/_sim/users", json=new)).json()
    renamed = await jira.put(f"/_sim/users/{user['accountId']}", json={"displayName": "Zed Z"})
    assert renamed.json()["displayName"] == "Zed Z"
    fetched = await jira.get("/rest/api/3/user", params={"accountId": user["accountId"]})
    assert fetched.json()["displayName"] == "Zed Z"


async def test_changes_to_comments_worklogs_versions_sprints_and_boards(
    jira: httpx.AsyncClient,
) -> None:
    ds = sim_state(jira).dataset
    created = await jira.post("/_sim/issues/PA-1/comments", json={"body": "Hello\nthere"})
    assert created.status_code == 201
    comment_id = created.json()["id"]
    event = build_event(ds, "comment_created", key="PA-1", comment_id=comment_id)
    assert event["comment"]["id"] == comment_id and event["issue"]["key"] == "PA-1"
    await jira.delete(f"/_sim/issues/PA-1/comments/{comment_id}")
    gone = build_event(ds, "comment_deleted", key="PA-1", comment_id=comment_id)
    assert gone["comment"]["id"] == comment_id

    worklog = next(iter(ds.worklogs.values()))
    assert (await jira.delete(f"/_sim/worklogs/{worklog['id']}")).status_code == 200
    deleted = build_event(ds, "worklog_deleted", worklog_id=worklog["id"])
    assert deleted["worklog"]["issueId"] == worklog["issueId"]

    version = ds.projects["PA"].versions[-1]["id"]
    released = (await jira.put(f"/_sim/versions/{version}", json={"released": True})).json()
    assert released["released"] is True
    await jira.delete(f"/_sim/versions/{version}")
    assert build_event(ds, "jira:version_deleted", version_id=version)["version"]["id"] == version

    sprint_id = next(s["id"] for s in ds.sprints.values() if s["state"] == "future")
    sprint = (await jira.put(f"/_sim/sprints/{sprint_id}", json={"state": "active"})).json()
    assert sprint["state"] == "active"
    board_id = max(ds.boards)
    await jira.delete(f"/_sim/boards/{board_id}")
    assert (await jira.get(f"/rest/agile/1.0/board/{board_id}/sprint")).status_code == 404


async def test_a_moved_issue_gets_a_new_key_and_its_old_key_still_finds_it(
    jira: httpx.AsyncClient,
) -> None:
    issue = (await jira.post("/_sim/issues", json={"project": "PA", "summary": "m"})).json()
    moved = (await jira.post(f"/_sim/issues/{issue['key']}/move", json={"project": "PLAT"})).json()
    assert moved["key"].startswith("PLAT-") and moved["id"] == issue["id"]
    assert moved["fields"]["project"]["key"] == "PLAT"
    by_old_key = (await jira.get(f"/rest/api/3/issue/{issue['key']}")).json()
    assert by_old_key["key"] == moved["key"]
    search = {"jql": f"key = {issue['key']}", "fields": ["summary"]}
    found = (await jira.post("/rest/api/3/search/jql", json=search)).json()["issues"]
    assert [i["key"] for i in found] == [moved["key"]]
    event = build_event(sim_state(jira).dataset, "jira:issue_updated", key=moved["key"])
    key_item = next(i for i in event["changelog"]["items"] if i["field"] == "Key")
    assert (key_item["fromString"], key_item["toString"]) == (issue["key"], moved["key"])
    same = await jira.post(f"/_sim/issues/{moved['key']}/move", json={"project": "PLAT"})
    assert same.status_code == 400


async def test_comment_edits_worklogs_projects_and_sprints_created_and_deleted(
    jira: httpx.AsyncClient,
) -> None:
    comment = (await jira.post("/_sim/issues/PA-1/comments", json={"body": "first"})).json()
    path = f"/_sim/issues/PA-1/comments/{comment['id']}"
    edited = (await jira.put(path, json={"body": "second"})).json()
    read = (await jira.get(f"/rest/api/3/issue/PA-1/comment/{comment['id']}")).json()
    assert read["body"] == edited["body"] and read["body"]["content"][0]["content"][0]["text"] == (
        "second"
    )

    worklog = (await jira.post("/_sim/issues/PA-1/worklogs", json={"seconds": 900})).json()
    assert worklog["timeSpent"] == "15m"
    changed = (await jira.put(f"/_sim/worklogs/{worklog['id']}", json={"seconds": 5400})).json()
    assert changed["timeSpent"] == "1h 30m" and changed["updated"] >= worklog["updated"]
    read = (await jira.get(f"/rest/api/3/issue/PA-1/worklog/{worklog['id']}")).json()
    assert read["timeSpentSeconds"] == 5400

    project = await jira.post("/_sim/projects", json={"key": "OPS", "name": "Operations"})
    assert project.status_code == 201
    assert (await jira.get("/rest/api/3/project/OPS")).json()["name"] == "Operations"

    body = {"name": "Sprint X", "state": "future", "boardId": 1}
    sprint = (await jira.post("/_sim/sprints", json=body)).json()
    assert (await jira.get(f"/rest/agile/1.0/sprint/{sprint['id']}")).json()["name"] == "Sprint X"
    assert (await jira.delete(f"/_sim/sprints/{sprint['id']}")).status_code == 200
    assert (await jira.get(f"/rest/agile/1.0/sprint/{sprint['id']}")).status_code == 404
    event = build_event(sim_state(jira).dataset, "sprint_deleted", sprint_id=str(sprint["id"]))
    assert event["sprint"]["name"] == "Sprint X"
    assert (await jira.post("/_sim/sprints", json={**body, "boardId": 999})).status_code == 404


async def test_requests_lists_each_request_with_its_start_and_end(jira: httpx.AsyncClient) -> None:
    await jira.get("/rest/api/3/project/search")
    await jira.get("/rest/api/3/project/PA")
    listed = (await jira.get("/_sim/requests")).json()["requests"]
    assert [endpoint for _, _, endpoint in listed] == [
        "GET /rest/api/3/project/search",
        "GET /rest/api/3/project/{projectIdOrKey}",
    ]
    assert all(start <= end for start, end, _ in listed)
    assert listed[0][1] <= listed[1][0]  # one after the other
