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
