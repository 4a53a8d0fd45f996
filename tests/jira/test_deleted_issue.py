"""A deleted issue's comments and worklogs, read from its delete event, shaped as their kinds
yield them (for the issue-deletion path to remove from Port with the issue)."""

from __future__ import annotations

from typing import Any

from jira import relations
from jira.deleted_issue import items_gone_with
from sandbox.jira_sim import SimConfig
from sandbox.jira_sim.webhooks import build_event
from tests.sandbox.support import asgi_client, sim_state


async def test_a_deleted_issue_s_event_names_the_comments_it_took() -> None:
    async with asgi_client(config=SimConfig(issues=30, busy_issues=1)) as jira:
        dataset = sim_state(jira).dataset
        issue = max(dataset.issues.values(), key=lambda rec: len(rec.fields["comment"]["comments"]))
        key = issue.key
        comments = [c["id"] for c in issue.fields["comment"]["comments"]]
        assert comments
        deleted = await jira.delete(f"/_sim/issues/{key}")
        assert deleted.status_code in (200, 204)
        event = build_event(dataset, "jira:issue_deleted", key=key)
    gone = items_gone_with(event["issue"])
    assert [c["id"] for c in gone["comment"]] == comments
    assert all(c[relations.ISSUE_KEY] == key for c in gone["comment"])
    assert all(isinstance(c[relations.BODY_TEXT], str) for c in gone["comment"])


def test_a_deleted_issue_s_worklogs_are_those_its_worklog_field_lists() -> None:
    """GET issue's `worklog` field: the first 20 worklogs, with `total`."""
    worklogs: list[dict[str, Any]] = [
        {"id": str(10000 + n), "issueId": "20001", "timeSpentSeconds": 60} for n in range(20)
    ]
    issue = {
        "id": "20001",
        "key": "P1-1",
        "fields": {"worklog": {"startAt": 0, "maxResults": 20, "total": 25, "worklogs": worklogs}},
    }
    gone = items_gone_with(issue)
    assert [w["id"] for w in gone["worklog"]] == [w["id"] for w in worklogs]
    assert all(w[relations.ISSUE_KEY] == "P1-1" for w in gone["worklog"])
    assert gone["comment"] == []


def test_an_event_without_fields_names_nothing() -> None:
    assert items_gone_with({"id": "1", "key": "P-1"}) == {"comment": [], "worklog": []}
    assert items_gone_with({"fields": {"comment": {"comments": [{"id": "9"}]}}}) == {
        "comment": [],
        "worklog": [],
    }
