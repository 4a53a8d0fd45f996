"""Every kind at once: the real process syncs the Jira simulator into the Port simulator.

The integration is created in Port beforehand with a mapping that enables every kind (the
default mapping plus the examples of docs/kinds.md), like a user who edited the mapping before
the first run; Ocean then creates the default blueprints and keeps that mapping. Port must then
hold exactly what Jira has for each kind, and a second run must apply Jira-side deletes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

import sandbox.stack
from sandbox.stack import INTEGRATION_ID, JIRA_ORG, Stack, running_stack
from tests.e2e.conftest import (
    SECRET,
    create_integration,
    jira_get,
    jira_issue_keys,
    paged,
    synced_ids,
    token_paged,
    wait_for_admin_webhook,
)
from tests.integration.harness_setup import every_kind_mapping

BLUEPRINTS = (
    "jiraUser",
    "jiraTeam",
    "jiraProject",
    "jiraRelease",
    "jiraComponent",
    "jiraBoard",
    "jiraSprint",
    "jiraEpic",
    "jiraIssue",
    "jiraBacklogItem",
    "jiraWorklog",
    "jiraComment",
)
DAY_MS = 86_400_000


@pytest.fixture
def every_kind_stack() -> Iterator[Stack]:
    # A small worklog feed page, so the feed pages several times.
    knobs = {"projects": 3, "users": 12, "teams": 2, "issues": 80, "worklog_feed_page": 50}
    with running_stack(jira=knobs) as running:
        yield running


def jira_truth(stack: Stack) -> dict[str, set[str]]:
    """The identifiers each kind should have in Port, read from the Jira simulator."""
    projects = [p["key"] for p in jira_get(stack, "/rest/api/3/project/search")["values"]]
    boards = paged(stack, "/rest/agile/1.0/board")
    truth: dict[str, set[str]] = {
        "jiraRelease": {
            v["id"] for key in projects for v in paged(stack, f"/rest/api/3/project/{key}/version")
        },
        "jiraComponent": {
            c["id"]
            for key in projects
            for c in paged(stack, f"/rest/api/3/project/{key}/component")
        },
        "jiraBoard": {str(b["id"]) for b in boards},
        "jiraSprint": {
            str(s["id"])
            for b in boards
            if b["type"] != "kanban"
            for s in paged(stack, f"/rest/agile/1.0/board/{b['id']}/sprint", state="active,future")
        },
        "jiraEpic": {
            e["key"]
            for b in boards
            # the epic selector's default, as in Port's integration: incomplete epics
            for e in paged(stack, f"/rest/agile/1.0/board/{b['id']}/epic", done="false")
        },
        "jiraBacklogItem": set(),
        # every team, the ones pinned to the site too (listed only with its cloud id)
        "jiraTeam": {
            t["teamId"]
            for t in jira_get(
                stack,
                f"/gateway/api/public/teams/v1/org/{JIRA_ORG}/teams",
                siteId=jira_get(stack, "/_edge/tenant_info")["cloudId"],
            )["entities"]
        },
    }
    for b in boards:
        try:
            items = token_paged(
                stack,
                f"/rest/software/1.0/board/{b['id']}/backlog",
                key="issues",
                jql="statusCategory != Done",
            )
        except httpx.HTTPStatusError as exc:
            assert exc.response.status_code == 400  # no backlog on this board
            continue
        truth["jiraBacklogItem"] |= {f"{b['id']}-{i['key']}" for i in items}
    since = int(time.time() * 1000) - 30 * DAY_MS
    changed: list[int] = []
    while True:
        page = jira_get(stack, "/rest/api/3/worklog/updated", since=since)
        changed += [v["worklogId"] for v in page["values"]]
        if page["lastPage"]:
            break
        since = page["until"]
    truth["jiraWorklog"] = {str(i) for i in changed}
    truth["jiraComment"] = {
        c["id"]
        for key in jira_issue_keys(stack)
        for c in paged(stack, f"/rest/api/3/issue/{key}/comment", key="comments")
    }
    return truth


def test_every_kind_syncs_exactly_what_jira_has_and_applies_jira_deletes(
    every_kind_stack: Stack,
) -> None:
    stack = every_kind_stack
    create_integration(stack, every_kind_mapping())
    first = stack.run_once()
    assert first.returncode == 0, first.output[-3000:]
    assert first.last_line == "Jira resync completed"

    counts = {bp: len(synced_ids(stack, bp)) for bp in BLUEPRINTS}
    print(f"\nall-kinds run: {counts} in {first.seconds:.1f}s")  # the report's numbers
    assert all(counts.values()), counts

    mapping = stack.port_state()["integrations"][INTEGRATION_ID]["config"]
    assert [r["kind"] for r in mapping["resources"]][-3:] == ["backlog", "worklog", "comment"]

    truth = jira_truth(stack)
    for blueprint, expected in truth.items():
        assert synced_ids(stack, blueprint) == expected, blueprint
    assert synced_ids(stack, "jiraIssue") == jira_issue_keys(stack)

    # a sprint shown on two boards is one entity, related to the board it was created on
    sprints = stack.entities("jiraSprint")
    cross = jira_get(stack, "/rest/agile/1.0/board/1002/sprint", state="active")["values"]
    shared = [s for s in cross if s["originBoardId"] != 1002]
    assert shared
    for found in shared:
        assert sprints[str(found["id"])]["relations"]["board"] == str(found["originBoardId"])
    boards = stack.entities("jiraBoard")
    assert boards["1002"]["relations"]["projects"] == ["PA", "PLAT"]
    assert boards["1001"]["properties"]["type"] == "kanban"
    # the busy issue's comments needed paging: all of them are there
    comments = stack.entities("jiraComment")
    per_issue: dict[str, int] = {}
    for entity in comments.values():
        issue = entity["relations"]["issue"]
        per_issue[issue] = per_issue.get(issue, 0) + 1
    assert max(per_issue.values()) > 50
    sample = next(iter(comments.values()))
    assert sample["properties"]["body"] and sample["relations"]["author"]
    assert "Kind backlog: skipped 1 parent(s)" in first.output  # the kanban board without one
    assert ": skipping " not in first.output  # no parent was refused (no warned skip)

    # the same data again writes nothing (fan-outs yield in a stable order)
    writes = stack.port_state()["counters"]["writes"]
    again = stack.run_once()
    assert again.returncode == 0, again.output[-3000:]
    assert stack.port_state()["counters"]["writes"] == writes

    # Jira-side deletes reach Port on the next resync
    gone_worklog = sorted(synced_ids(stack, "jiraWorklog"))[0]
    stack.jira("DELETE", f"/_sim/worklogs/{gone_worklog}")
    gone_comment = sorted(synced_ids(stack, "jiraComment"))[0]
    stack.jira(
        "DELETE",
        f"/_sim/issues/{comments[gone_comment]['relations']['issue']}/comments/{gone_comment}",
    )
    gone_version = sorted(synced_ids(stack, "jiraRelease"))[-1]
    stack.jira("DELETE", f"/_sim/versions/{gone_version}")
    stack.jira("DELETE", "/_sim/boards/1003")
    before = {bp: synced_ids(stack, bp) for bp in BLUEPRINTS}

    second = stack.run_once()
    assert second.returncode == 0, second.output[-3000:]
    after = {bp: synced_ids(stack, bp) for bp in BLUEPRINTS}
    assert after["jiraWorklog"] == before["jiraWorklog"] - {gone_worklog}
    assert after["jiraComment"] == before["jiraComment"] - {gone_comment}
    assert after["jiraRelease"] == before["jiraRelease"] - {gone_version}
    assert after["jiraBoard"] == before["jiraBoard"] - {"1003"}
    assert not any(k.startswith("1003-") for k in after["jiraBacklogItem"])
    for blueprint in ("jiraUser", "jiraTeam", "jiraProject", "jiraSprint", "jiraEpic", "jiraIssue"):
        assert after[blueprint] == before[blueprint], blueprint


def wait_for(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "Port did not converge"
        time.sleep(0.3)


def test_live_events_of_the_new_kinds_reach_port(
    every_kind_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = every_kind_stack
    create_integration(stack, every_kind_mapping())
    assert stack.run_once().returncode == 0
    port = sandbox.stack.free_port()
    monkeypatch.setattr(sandbox.stack, "free_port", lambda: port)  # to know OCEAN__BASE_URL
    with stack.integration(
        OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}',
        OCEAN__BASE_URL=f"http://127.0.0.1:{port}",
        OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET=SECRET,
    ):
        hook = wait_for_admin_webhook(stack)
        assert {"sprint_closed", "worklog_deleted", "jira:version_released"} <= set(hook["events"])
        active = next(
            s for s in stack.entities("jiraSprint").values() if s["properties"]["state"] == "active"
        )
        worklog = sorted(synced_ids(stack, "jiraWorklog"))[0]
        version = next(
            k for k, e in stack.entities("jiraRelease").items() if not e["properties"]["released"]
        )
        issue = sorted(synced_ids(stack, "jiraIssue"))[0]

        stack.jira(
            "PUT", f"/_sim/sprints/{active['identifier']}", {"state": "closed", "notify": True}
        )
        stack.jira("DELETE", f"/_sim/worklogs/{worklog}?notify=true")
        stack.jira("PUT", f"/_sim/versions/{version}", {"released": True, "notify": True})
        created = stack.jira(
            "POST", f"/_sim/issues/{issue}/comments", {"body": "Live!", "notify": True}
        )

        wait_for(
            lambda: (
                active["identifier"] not in synced_ids(stack, "jiraSprint")  # closed: deselected
                and worklog not in synced_ids(stack, "jiraWorklog")
                and stack.entities("jiraRelease")[version]["properties"]["released"] is True
                and created["id"] in synced_ids(stack, "jiraComment")
            )
        )
        comment = stack.entities("jiraComment")[created["id"]]
        assert comment["properties"]["body"] == "Live!"
        assert comment["relations"]["issue"] == issue
        deliveries = stack.jira("GET", "/_sim/webhooks")["deliveries"]
        assert {d["event"] for d in deliveries} == {
            "sprint_closed",
            "worklog_deleted",
            "jira:version_released",
            "comment_created",
        }
        assert all(d["status"] == 200 for d in deliveries)
