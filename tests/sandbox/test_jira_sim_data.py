"""Dataset generation (determinism, realism), fixture loading and the store's CRUD."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pydantic
import pytest

from sandbox.jira_sim import SimConfig, build_dataset, generate_dataset, load_fixture
from sandbox.jira_sim.__main__ import build_parser, config_from_args
from sandbox.jira_sim.catalog import parse_jira_dt
from sandbox.jira_sim.store import Dataset, NotFoundError

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_same_seed_same_dataset() -> None:
    a = generate_dataset(SimConfig(seed=5, issues=80), now=NOW).to_fixture()
    b = generate_dataset(SimConfig(seed=5, issues=80), now=NOW).to_fixture()
    c = generate_dataset(SimConfig(seed=6, issues=80), now=NOW).to_fixture()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["issues"] != c["issues"]
    # without a fixed clock only the dates move
    d = generate_dataset(SimConfig(seed=5, issues=80)).to_fixture()
    assert [(i["key"], i["fields"]["summary"]) for i in d["issues"]] == [
        (i["key"], i["fields"]["summary"]) for i in a["issues"]
    ]


def test_sizes_and_shapes() -> None:
    cfg = SimConfig(projects=4, users=15, teams=3, members_per_team=2, issues=200)
    ds = generate_dataset(cfg, now=NOW)
    assert (len(ds.projects), len(ds.users), len(ds.teams), len(ds.issues)) == (4, 15, 3, 200)
    assert all(len(m) == 2 for m in ds.team_members.values())
    assert list(ds.projects)[:2] == ["PA", "PLAT"] and ds.projects["PA"].name == "Port-AI"
    pa1 = ds.get_issue("PA-1")
    assert pa1 is not None and pa1.id == 10000 and pa1.fields["summary"] == "Setup infra"
    types = {r.fields["issuetype"]["name"] for r in ds.issues.values()}
    assert types == {"Task", "Bug", "Story", "Epic", "Sub-task"}
    ids_by_created = [r.id for r in sorted(ds.issues.values(), key=lambda r: r.fields["created"])]
    assert ids_by_created == sorted(ids_by_created)  # ids grow with creation time
    sprint_values = [r.fields["customfield_10020"] for r in ds.issues.values()]
    assert any(v is None for v in sprint_values)
    sprint = next(v for v in sprint_values if v)[0]
    assert {"id", "name", "state", "boardId", "goal"} <= set(sprint)
    assert sprint["name"].startswith("Sprint ")
    assert any(r.fields["assignee"] is None for r in ds.issues.values())
    for rec in ds.issues.values():
        f = rec.fields
        created, updated = parse_jira_dt(f["created"]), parse_jira_dt(f["updated"])
        assert created <= updated <= NOW
        assert f["created"].endswith("+0000") and len(f["created"]) == 28
        if f["status"]["statusCategory"]["key"] == "done":
            assert f["resolutiondate"] and f["resolution"]["name"] == "Done"
        else:
            assert f["resolutiondate"] is None
        if f["issuetype"]["subtask"]:
            parent = ds.get_issue(f["parent"]["key"])
            assert parent is not None
            assert rec.key in [s["key"] for s in parent.fields["subtasks"]]
            assert parent.project_key == rec.project_key and parent.id < rec.id
        elif "parent" in f:
            assert f["parent"]["fields"]["issuetype"]["name"] == "Epic"
        assert f["description"] is None or f["description"]["type"] == "doc"
        assert f["comment"]["total"] == len(f["comment"]["comments"])
    categories = {r.fields["status"]["statusCategory"]["key"] for r in ds.issues.values()}
    assert categories == {"new", "indeterminate", "done"}


def test_store_crud_and_changelog() -> None:
    ds = generate_dataset(SimConfig(issues=30), now=NOW)
    v0 = ds.version
    before = datetime.now(UTC) - timedelta(seconds=1)
    issue = ds.create_issue("PA", summary="Brand new", issuetype="Bug", labels=["x"])
    assert ds.version > v0
    assert issue["self"].startswith(ds.public_base)
    key = issue["key"]
    rec = ds.get_issue(key)
    assert rec is not None and parse_jira_dt(rec.fields["created"]) >= before
    assert rec.fields["reporter"]["accountId"] == ds.current_account_id
    parent_key = key
    sub = ds.create_issue("PA", summary="child", issuetype="Sub-task", parent=parent_key)
    assert [s["key"] for s in ds.get_issue(parent_key).fields["subtasks"]] == [sub["key"]]  # type: ignore[union-attr]

    updated = ds.update_issue(key, {"status": "Done", "summary": "Renamed", "assignee": None})
    assert updated["fields"]["status"]["name"] == "Done"
    assert updated["fields"]["resolutiondate"] is not None
    items = {i["field"]: i for i in rec.changelog[-1]["items"]}
    assert items["status"]["fromString"] == "To Do" and items["status"]["toString"] == "Done"
    assert items["summary"]["toString"] == "Renamed"
    child = ds.get_issue(sub["key"])
    assert child is not None and child.fields["parent"]["fields"]["summary"] == "Renamed"

    user = next(u for u in ds.users.values() if u["accountType"] == "atlassian" and u["active"])
    ds.update_issue(key, {"assignee": user["accountId"], "status": "In Progress"})
    assert rec.fields["resolutiondate"] is None and rec.fields["resolution"] is None
    ds.update_user(user["accountId"], {"displayName": "Renamed User"})
    assert rec.fields["assignee"]["displayName"] == "Renamed User"

    gone = ds.delete_issue(key)
    assert gone["key"] == key and ds.get_issue(key) is None and ds.get_issue(sub["key"]) is None
    assert key in ds.deleted_issues and sub["key"] in ds.deleted_issues
    with pytest.raises(NotFoundError):
        ds.delete_issue(key)
    ds.delete_user(user["accountId"])
    assert ds.get_user(user["accountId"]) is None and user["accountId"] in ds.deleted_users

    project = ds.create_project("NEW", "New", components=["API"])
    assert project["key"] == "NEW"
    first = ds.create_issue("NEW", summary="one", components=["API"])
    assert first["key"] == "NEW-1" and first["fields"]["components"][0]["name"] == "API"
    ds.update_project("NEW", {"name": "Newer"})
    assert ds.get_issue("NEW-1").fields["project"]["name"] == "Newer"  # type: ignore[union-attr]
    ds.delete_project("NEW")
    assert ds.get_issue("NEW-1") is None and "NEW" in ds.deleted_projects
    with pytest.raises(ValueError, match="unknown user"):
        ds.create_issue("PA", assignee="712020:ghost")


FIXTURE = {
    "users": [{"accountId": "712020:u1", "displayName": "Ann", "emailAddress": "ann@x.io"}],
    "projects": [{"key": "ABC", "name": "Alphabet", "lead": "712020:u1"}],
    "teams": [{"teamId": "t-1", "displayName": "Core", "members": ["712020:u1"]}],
    "issues": [
        {
            "key": "ABC-7",
            "summary": "Old bug",
            "issuetype": "Bug",
            "status": "Done",
            "created": "-20d",
            "updated": "-9d",
        },
        {
            "project": "ABC",
            "summary": "New task",
            "assignee": "712020:u1",
            "created": "-1d",
            "sprint": [{"id": 40, "name": "Sprint 9", "state": "active", "boardId": 4}],
        },
        {"key": "ABC-9", "summary": "Sub", "issuetype": "Sub-task", "parent": "ABC-7"},
    ],
}


def test_fixture_loading(tmp_path: Path) -> None:
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(FIXTURE))
    ds = build_dataset(SimConfig(fixture=str(path), email="ann@x.io"))
    assert ds.current_account_id == "712020:u1"
    assert [r.key for r in ds.issues.values()] == ["ABC-7", "ABC-8", "ABC-9"]
    old = ds.get_issue("ABC-7")
    assert old is not None and old.fields["resolutiondate"]
    age = datetime.now(UTC) - parse_jira_dt(old.fields["created"])
    assert timedelta(days=19) < age < timedelta(days=21)
    new = ds.get_issue("ABC-8")
    assert new is not None and new.fields["assignee"]["displayName"] == "Ann"
    assert new.fields["customfield_10020"][0]["name"] == "Sprint 9" and 40 in ds.sprints
    assert [s["key"] for s in old.fields["subtasks"]] == ["ABC-9"]
    assert ds.team_members == {"t-1": ["712020:u1"]}


def test_dump_round_trip() -> None:
    ds = generate_dataset(SimConfig(issues=40, seed=9), now=NOW)
    dump = ds.to_fixture()
    again = load_fixture(json.loads(json.dumps(dump)), now=NOW)
    assert again.to_fixture() == dump


def test_config_validation_and_cli_flags() -> None:
    with pytest.raises(pydantic.ValidationError):
        SimConfig(rate_429=2)
    with pytest.raises(pydantic.ValidationError):
        SimConfig(fail_paths=["("])
    cfg = SimConfig().merged({"latency_ms": 5})
    assert cfg.latency_ms == 5 and cfg.effective_fault_seed == 1
    args = build_parser().parse_args(
        [
            "--issues",
            "7",
            "--latency-ms",
            "300",
            "--no-has-admin-permission",
            "--fail-paths",
            "^/a",
            "--fail-paths",
            "^/b",
            "--config-json",
            '{"issues": 99, "projects": 1, "quota_exhausted_until": 5}',
        ]
    )
    cfg = config_from_args(args)
    assert (cfg.issues, cfg.projects, cfg.latency_ms) == (7, 1, 300.0)
    assert cfg.has_admin_permission is False and cfg.fail_paths == ["^/a", "^/b"]
    assert cfg.quota_exhausted_until == 5


def test_empty_dataset_is_fine() -> None:
    ds = generate_dataset(SimConfig(projects=0, issues=10, teams=0))
    assert isinstance(ds, Dataset) and not ds.issues and not ds.teams
