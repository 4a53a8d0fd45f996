"""The JQL subset the integration sends: its operators, dates, ordering and Jira's 400s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.jira_sim import SimConfig, create_app
from sandbox.jira_sim.jql import JqlContext, JqlError, compile_query, ordering, parse
from sandbox.jira_sim.store import Dataset
from tests.sandbox.support import asgi_client, jira_error

ANN = "712020:aaaaaaaa-0000-4000-8000-000000000001"
BOB = "712020:bbbbbbbb-0000-4000-8000-000000000002"

ISSUES: list[dict[str, Any]] = [
    {
        "key": "PA-1",
        "id": "10000",
        "summary": "Setup infra",
        "issuetype": "Task",
        "status": "Done",
        "created": "-30d",
        "updated": "-20d",
        "assignee": ANN,
        "priority": "High",
    },
    {
        "key": "PA-2",
        "id": "10001",
        "summary": "Fix login timeout",
        "issuetype": "Bug",
        "status": "In Progress",
        "created": "-10d",
        "updated": "-1d",
        "assignee": None,
        "priority": "Low",
    },
    {
        "key": "PA-3",
        "id": "10002",
        "summary": "Dark mode",
        "issuetype": "Story",
        "status": "To Do",
        "created": "-2d",
        "updated": "-2d",
        "assignee": BOB,
        "priority": "Medium",
        "reporter": BOB,
    },
    {
        "key": "PA-4",
        "id": "10003",
        "summary": "Write tests",
        "issuetype": "Sub-task",
        "status": "Done",
        "created": "-3d",
        "updated": "-1h",
        "parent": "PA-2",
        "priority": "Medium",
    },
    {
        "key": "OPS-1",
        "id": "10004",
        "summary": "Observability rollout",
        "issuetype": "Epic",
        "status": "Done",
        "created": "-60d",
        "updated": "-10d",
        "priority": "Highest",
    },
    {
        "key": "OPS-2",
        "id": "10005",
        "summary": "Install collector",
        "issuetype": "Task",
        "status": "To Do",
        "created": "-5d",
        "updated": "-5d",
        "parent": "OPS-1",
        "description": "Install the OpenTelemetry collector on every node",
    },
]


def build() -> Dataset:
    """Two projects and six issues of known types, states and dates."""
    ds = Dataset()
    ds.create_user("Ann Lee", account_id=ANN, email="demo@example.com")
    ds.create_user("Bob Ray", account_id=BOB, email="bob@example.com")
    ds.current_account_id = ANN
    ds.create_project("PA", "Port-AI", project_id=10000, lead=ANN)
    ds.create_project("OPS", "Operations", project_id=10001)
    for entry in ISSUES:
        fields = {k: v for k, v in entry.items() if k not in ("key", "id")}
        project, number = entry["key"].split("-")
        ds.create_issue_record(project, fields, issue_id=int(entry["id"]), number=int(number))
    return ds


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return build()


def keys(dataset: Dataset, jql: str) -> list[str]:
    query = parse(jql)
    pred = compile_query(query, JqlContext(dataset, now=datetime.now(UTC)))
    matched = [r for r in dataset.issues.values() if pred(r)]
    return [r.key for _, r in ordering(query).sort(matched)]


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        (
            "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)",
            {"PA-2", "PA-3", "PA-4", "OPS-2"},
        ),
        ("statusCategory = Done", {"PA-1", "PA-4", "OPS-1"}),
        ('statusCategory = "To Do"', {"PA-3", "OPS-2"}),
        ("statuscategory in (indeterminate, new)", {"PA-2", "PA-3", "OPS-2"}),
        ("project = PA", {"PA-1", "PA-2", "PA-3", "PA-4"}),
        ("project = 'Operations'", {"OPS-1", "OPS-2"}),
        ("project = 10001", {"OPS-1", "OPS-2"}),
        ("project not in (PA)", {"OPS-1", "OPS-2"}),
        ('key > "PA-2" or project not in (PA)', {"PA-3", "PA-4", "OPS-1", "OPS-2"}),
        ("key = PA-2", {"PA-2"}),
        ('key = "PA-2"', {"PA-2"}),
        ("key in (PA-1, OPS-2)", {"PA-1", "OPS-2"}),
        ("id = 10003", {"PA-4"}),
        ("created >= -1w", {"PA-3", "PA-4", "OPS-2"}),
        ('created >= "-7d"', {"PA-3", "PA-4", "OPS-2"}),
        ("updated > -36h", {"PA-2", "PA-4"}),
        ("updated >= -90m", {"PA-4"}),
        ('created < "-4w 1d"', {"PA-1", "OPS-1"}),
        ("created >= '2000-01-01'", {"PA-1", "PA-2", "PA-3", "PA-4", "OPS-1", "OPS-2"}),
        ('updated >= "2000-01-01 10:00"', {"PA-1", "PA-2", "PA-3", "PA-4", "OPS-1", "OPS-2"}),
        ("created >= -3650d and project = OPS", {"OPS-1", "OPS-2"}),
        ("project = PA AND statusCategory = Done OR key = OPS-1", {"PA-1", "PA-4", "OPS-1"}),
        ("project = PA AND (statusCategory = Done OR key = OPS-1)", {"PA-1", "PA-4"}),
        ("(project = PA) AND key = PA-3", {"PA-3"}),
    ],
)
def test_operators(dataset: Dataset, jql: str, expected: set[str]) -> None:
    assert set(keys(dataset, jql)) == expected


def test_order_by(dataset: Dataset) -> None:
    assert keys(dataset, "project = PA") == ["PA-4", "PA-3", "PA-2", "PA-1"]  # default id DESC
    assert keys(dataset, "project = PA ORDER BY key ASC") == ["PA-1", "PA-2", "PA-3", "PA-4"]
    assert keys(dataset, "project in (PA, OPS) order by key desc")[:2] == ["PA-4", "PA-3"]


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it."),
        (
            "project = PA ORDER BY nosuch",
            "Field 'nosuch' does not exist or you do not have permission to view it.",
        ),
        ("project = PA ORDER BY project", "Not able to sort using field 'project'."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("key = PA-999", "An issue with key 'PA-999' does not exist for field 'key'."),
        ("key = PA", "The issue key 'PA' for field 'key' is invalid."),
        ("created > yesterday", "Date value 'yesterday' for field 'created' is invalid."),
        ("project > PA", "The operator '>' is not supported by the 'project' field."),
        ("project = PA AND", "Error in the JQL Query: Expecting a field name before the end"),
        ("project PA", "Error in the JQL Query: Expecting operator but got 'PA'."),
        ("project = OR", "Error in the JQL Query: Expecting either a value, list or function"),
        ("project = PA status = Done", "Error in the JQL Query: Expecting either 'OR' or 'AND'"),
        ("(project = PA", "Error in the JQL Query: Expecting ')' before the end of the query."),
        ('key = "PA-1', "Error in the JQL Query: The quoted string 'PA-1' has not been completed."),
        ("project in PA", "Error in the JQL Query: Expecting '(' but got 'PA'."),
    ],
)
def test_errors(dataset: Dataset, jql: str, message: str) -> None:
    with pytest.raises(JqlError) as err:
        keys(dataset, jql)
    assert err.value.message.startswith(message), err.value.message


def test_clock_moves_relative_dates() -> None:
    ds = build()
    later = datetime.now(UTC) + timedelta(days=30)
    pred = compile_query(parse("updated >= -1w"), JqlContext(ds, now=later))
    assert [r.key for r in ds.issues.values() if pred(r)] == []


async def test_http_400_bodies() -> None:
    async with asgi_client(create_app(SimConfig(issues=10))) as c:
        r = await c.post("/rest/api/3/search/jql", json={"jql": "foo = 1"})
        assert r.status_code == 400
        assert r.json() == jira_error(
            "Field 'foo' does not exist or you do not have permission to view it."
        )
        r = await c.post("/rest/api/3/search/jql", json={"jql": "project = = PA"})
        assert r.status_code == 400
        assert "Expecting either a value" in r.json()["errorMessages"][0]
