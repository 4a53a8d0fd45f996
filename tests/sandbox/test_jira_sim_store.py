"""The store (sandbox/jira_sim/store/): changes to issues, users and projects, as the control
API and live events make them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.jira_sim import SimConfig, generate_dataset
from sandbox.jira_sim.catalog import parse_jira_dt
from sandbox.jira_sim.store import NotFoundError

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_store_crud_and_changelog() -> None:
    ds = generate_dataset(SimConfig(issues=30), now=NOW)
    v0 = ds.version
    before = datetime.now(UTC) - timedelta(seconds=1)
    rec = ds.create_issue_record("PA", {"summary": "Brand new", "issuetype": "Bug"})
    assert ds.version > v0
    key = rec.key
    assert ds.get_issue(key) is rec and parse_jira_dt(rec.fields["created"]) >= before
    assert rec.fields["reporter"]["accountId"] == ds.current_account_id
    parent_key = key
    sub = ds.create_issue_record(
        "PA", {"summary": "child", "issuetype": "Sub-task", "parent": parent_key}
    )
    assert [s["key"] for s in rec.fields["subtasks"]] == [sub.key]

    updated = ds.update_issue(key, {"status": "Done", "summary": "Renamed", "assignee": None})
    assert updated["fields"]["status"]["name"] == "Done"
    assert updated["fields"]["resolutiondate"] is not None
    items = {i["field"]: i for i in rec.changelog[-1]["items"]}
    assert items["status"]["fromString"] == "To Do" and items["status"]["toString"] == "Done"
    assert items["summary"]["toString"] == "Renamed"
    child = ds.get_issue(sub.key)
    assert child is not None and child.fields["parent"]["fields"]["summary"] == "Renamed"

    user = next(u for u in ds.users.values() if u["accountType"] == "atlassian" and u["active"])
    ds.update_issue(key, {"assignee": user["accountId"], "status": "In Progress"})
    assert rec.fields["resolutiondate"] is None and rec.fields["resolution"] is None
    ds.update_user(user["accountId"], {"displayName": "Renamed User"})
    assert rec.fields["assignee"]["displayName"] == "Renamed User"

    gone = ds.delete_issue(key)
    assert gone["key"] == key and ds.get_issue(key) is None and ds.get_issue(sub.key) is None
    assert key in ds.deleted_issues and sub.key in ds.deleted_issues
    with pytest.raises(NotFoundError):
        ds.delete_issue(key)


def test_project_changes_reach_its_issues() -> None:
    ds = generate_dataset(SimConfig(issues=30), now=NOW)
    project = ds.create_project("NEW", "New", components=["API"])
    assert project["key"] == "NEW"
    first = ds.create_issue_record("NEW", {"summary": "one", "components": ["API"]})
    assert first.key == "NEW-1" and first.fields["components"][0]["name"] == "API"
    ds.update_project("NEW", {"name": "Newer"})
    assert ds.get_issue("NEW-1").fields["project"]["name"] == "Newer"  # type: ignore[union-attr]
    ds.delete_project("NEW")
    assert ds.get_issue("NEW-1") is None and "NEW" in ds.deleted_projects
    with pytest.raises(ValueError, match="unknown user"):
        ds.create_issue_record("PA", {"assignee": "712020:ghost"})
