"""The site generator (sandbox/jira_sim/data.py): determinism and realistic shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sandbox.jira_sim import SimConfig, generate_dataset
from sandbox.jira_sim.catalog import parse_jira_dt
from sandbox.jira_sim.store import Dataset

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def issues(config: SimConfig, now: datetime | None = NOW) -> list[dict[str, Any]]:
    dataset = generate_dataset(config, now=now)
    return [{**rec.json(), "changelog": rec.changelog} for rec in dataset.issues.values()]


def test_same_seed_same_dataset() -> None:
    a = issues(SimConfig(seed=5, issues=80))
    again = issues(SimConfig(seed=5, issues=80))
    assert json.dumps(a, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert a != issues(SimConfig(seed=6, issues=80))
    # without a fixed clock only the dates move
    moved = issues(SimConfig(seed=5, issues=80), now=None)
    assert [(i["key"], i["fields"]["summary"]) for i in moved] == [
        (i["key"], i["fields"]["summary"]) for i in a
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


def test_empty_dataset_is_fine() -> None:
    ds = generate_dataset(SimConfig(projects=0, issues=10, teams=0))
    assert isinstance(ds, Dataset) and not ds.issues and not ds.teams
