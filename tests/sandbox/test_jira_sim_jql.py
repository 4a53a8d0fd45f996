"""The JQL subset: parsing, every operator, dates, ordering and Jira's 400 messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.jira_sim import SimConfig, create_app, load_fixture
from sandbox.jira_sim.jql import JqlContext, JqlError, compile_query, ordering, parse
from sandbox.jira_sim.store import Dataset
from sandbox.jira_sim.testing import asgi_client

ANN = "712020:aaaaaaaa-0000-4000-8000-000000000001"
BOB = "712020:bbbbbbbb-0000-4000-8000-000000000002"

FIXTURE: dict[str, Any] = {
    "users": [
        {"accountId": ANN, "displayName": "Ann Lee", "emailAddress": "demo@example.com"},
        {"accountId": BOB, "displayName": "Bob Ray", "emailAddress": "bob@example.com"},
    ],
    "projects": [
        {"key": "PA", "name": "Port-AI", "id": "10000", "lead": ANN},
        {"key": "OPS", "name": "Operations", "id": "10001"},
    ],
    "sprints": [
        {"id": 1, "name": "Sprint 1", "state": "closed", "boardId": 1},
        {"id": 2, "name": "Sprint 2", "state": "active", "boardId": 1},
        {"id": 3, "name": "Sprint 3", "state": "future", "boardId": 1},
    ],
    "issues": [
        {
            "key": "PA-1",
            "id": "10000",
            "summary": "Setup infra",
            "issuetype": "Task",
            "status": "Done",
            "created": "-30d",
            "updated": "-20d",
            "labels": ["infra"],
            "assignee": ANN,
            "priority": "High",
            "sprint": [1],
        },
        {
            "key": "PA-2",
            "id": "10001",
            "summary": "Fix login timeout",
            "issuetype": "Bug",
            "status": "In Progress",
            "created": "-10d",
            "updated": "-1d",
            "labels": ["backend", "infra"],
            "assignee": None,
            "priority": "Low",
            "sprint": [1, 2],
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
            "sprint": [3],
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
    ],
}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_fixture(FIXTURE, current_email="demo@example.com")


def keys(dataset: Dataset, jql: str) -> list[str]:
    ctx = JqlContext(dataset, now=datetime.now(UTC), current_account_id=dataset.current_account_id)
    query = parse(jql)
    pred = compile_query(query, ctx)
    matched = [r for r in dataset.issues.values() if pred(r)]
    return [r.key for _, r in ordering(query, ctx).sort(matched)]


def kset(dataset: Dataset, jql: str) -> set[str]:
    return set(keys(dataset, jql))


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        (
            "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)",
            {"PA-2", "PA-3", "PA-4", "OPS-2"},
        ),
        ("statusCategory = Done", {"PA-1", "PA-4", "OPS-1"}),
        ('statusCategory = "To Do"', {"PA-3", "OPS-2"}),
        ("statuscategory = indeterminate", {"PA-2"}),
        ("status = 'In Progress'", {"PA-2"}),
        ("status != Done", {"PA-2", "PA-3", "OPS-2"}),
        ("status in (Done, 'To Do')", {"PA-1", "PA-3", "PA-4", "OPS-1", "OPS-2"}),
        ("status NOT IN (Done, 'To Do')", {"PA-2"}),
        ("project = PA", {"PA-1", "PA-2", "PA-3", "PA-4"}),
        ("project = 'Operations'", {"OPS-1", "OPS-2"}),
        ("project = 10001", {"OPS-1", "OPS-2"}),
        ("project in (pa, OPS) and issuetype = Epic", {"OPS-1"}),
        ("key = PA-2", {"PA-2"}),
        ("issueKey in (PA-1, OPS-2)", {"PA-1", "OPS-2"}),
        ("id = 10003", {"PA-4"}),
        ("key > PA-2", {"PA-3", "PA-4"}),
        ("key <= PA-2", {"PA-1", "PA-2"}),
        ("id >= 10004", {"OPS-1", "OPS-2"}),
        ("type = Bug", {"PA-2"}),
        ("issuetype in standardIssueTypes() and project = PA", {"PA-1", "PA-2", "PA-3"}),
        ("assignee = currentUser()", {"PA-1"}),
        (f"assignee = '{BOB}'", {"PA-3"}),
        ("assignee = 'bob@example.com'", {"PA-3"}),
        ("assignee IS EMPTY", {"PA-2", "PA-4", "OPS-1", "OPS-2"}),
        ("assignee is not null", {"PA-1", "PA-3"}),
        ("assignee = EMPTY", {"PA-2", "PA-4", "OPS-1", "OPS-2"}),
        ("assignee != currentUser()", {"PA-3"}),  # != never matches EMPTY, like Jira
        (f"reporter = {BOB}", {"PA-3"}),
        ("labels = infra", {"PA-1", "PA-2"}),
        ("labels in (backend)", {"PA-2"}),
        ("labels != backend", {"PA-1"}),
        ("labels is EMPTY", {"PA-3", "PA-4", "OPS-1", "OPS-2"}),
        ("priority = High", {"PA-1"}),
        ("priority > Medium", {"PA-1", "OPS-1"}),
        ("priority <= Low", {"PA-2"}),
        ("created >= -1w", {"PA-3", "PA-4", "OPS-2"}),
        ('created >= "-7d"', {"PA-3", "PA-4", "OPS-2"}),
        ("updated > -36h", {"PA-2", "PA-4"}),
        ("updated >= -90m", {"PA-4"}),
        ("created < -4w", {"PA-1", "OPS-1"}),
        ("created > startOfDay(-3d)", {"PA-3", "PA-4"}),
        ("created >= '2000-01-01'", {"PA-1", "PA-2", "PA-3", "PA-4", "OPS-1", "OPS-2"}),
        ('created < "2000/01/01 10:00"', set()),
        ("resolved >= -3w", {"PA-1", "PA-4", "OPS-1"}),
        ("resolution = Unresolved", {"PA-2", "PA-3", "OPS-2"}),
        ("resolution IS NOT EMPTY", {"PA-1", "PA-4", "OPS-1"}),
        ("parent = PA-2", {"PA-4"}),
        ("parent in (OPS-1, PA-2)", {"PA-4", "OPS-2"}),
        ("parent is empty and project = OPS", {"OPS-1"}),
        ("sprint = 1", {"PA-1", "PA-2"}),
        ("sprint = 'Sprint 2'", {"PA-2"}),
        ("sprint in openSprints()", {"PA-2", "PA-3"}),
        ("sprint in closedSprints() and status = Done", {"PA-1"}),
        ("cf[10020] = 3", {"PA-3"}),
        ("customfield_10020 is EMPTY and project = PA", {"PA-4"}),
        ("summary ~ login", {"PA-2"}),
        ('summary ~ "LOGIN timeout"', {"PA-2"}),
        ("summary !~ login and project = PA", {"PA-1", "PA-3", "PA-4"}),
        ("text ~ opentelemetry", {"OPS-2"}),
        ("description is empty and project = OPS", {"OPS-1"}),
        ("NOT project = PA", {"OPS-1", "OPS-2"}),
        ("not (project = PA or status = Done)", {"OPS-2"}),
        ("project = PA AND status = Done OR issuetype = Epic", {"PA-1", "PA-4", "OPS-1"}),
        ("project = PA AND (status = Done OR issuetype = Epic)", {"PA-1", "PA-4"}),
        ("project = PA && labels = infra || key = OPS-2", {"PA-1", "PA-2", "OPS-2"}),
    ],
)
def test_operators(dataset: Dataset, jql: str, expected: set[str]) -> None:
    assert kset(dataset, jql) == expected


def test_order_by(dataset: Dataset) -> None:
    assert keys(dataset, "project = PA") == ["PA-4", "PA-3", "PA-2", "PA-1"]  # default id DESC
    assert keys(dataset, "project = PA ORDER BY key ASC") == ["PA-1", "PA-2", "PA-3", "PA-4"]
    assert keys(dataset, "project in (PA, OPS) order by created asc")[:2] == ["OPS-1", "PA-1"]
    assert keys(dataset, "project = PA ORDER BY updated DESC")[0] == "PA-4"
    assert keys(dataset, "statusCategory = Done ORDER BY priority DESC, key ASC") == [
        "OPS-1",
        "PA-1",
        "PA-4",
    ]
    assert keys(dataset, "project = OPS order by ID asc") == ["OPS-1", "OPS-2"]


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it."),
        (
            "project = PA ORDER BY nosuch",
            "Field 'nosuch' does not exist or you do not have permission to view it.",
        ),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("status = Sleeping", "The value 'Sleeping' does not exist for the field 'status'."),
        ("assignee = ghost", "The value 'ghost' does not exist for the field 'assignee'."),
        ("key = PA-999", "An issue with key 'PA-999' does not exist for field 'key'."),
        ("created > yesterday", "Date value 'yesterday' for field 'created' is invalid."),
        ("summary = x", "The operator '=' is not supported by the 'summary' field."),
        ("status ~ Done", "The operator '~' is not supported by the 'status' field."),
        ("project = PA AND", "Error in the JQL Query: Expecting a field name before the end"),
        (
            "project PA",
            "Error in the JQL Query: Expecting operator but got 'PA'. The valid "
            "operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and "
            "'IS NOT'. (line 1, character 9)",
        ),
        (
            "project = OR",
            "Error in the JQL Query: Expecting either a value, list or function but "
            "got 'OR'. You must surround 'OR' in quotation marks to use it as a value. "
            "(line 1, character 11)",
        ),
        (
            "project = PA status = Done",
            "Error in the JQL Query: Expecting either 'OR' or 'AND' "
            "but got 'status'. (line 1, character 14)",
        ),
        ("(project = PA", "Error in the JQL Query: Expecting ')' before the end of the query."),
        (
            'summary ~ "open',
            "Error in the JQL Query: The quoted string 'open' has not been "
            "completed. (line 1, character 11)",
        ),
        ("project = P%A", "Error in the JQL Query: The character '%' is a reserved JQL character."),
        ("project = PA\nAND status", "Error in the JQL Query: Expecting operator before the end"),
        ("status in Done", "Error in the JQL Query: Expecting '(' but got 'Done'."),
        ("created > nope()", "Unable to find JQL function 'nope()'."),
    ],
)
def test_errors(dataset: Dataset, jql: str, message: str) -> None:
    with pytest.raises(JqlError) as err:
        keys(dataset, jql)
    assert err.value.message.startswith(message), err.value.message


def test_keywords_are_case_insensitive(dataset: Dataset) -> None:
    assert kset(dataset, "PROJECT = pa and STATUS not in (done) Order By KEY asc") == {
        "PA-2",
        "PA-3",
    }


def test_multiline_position(dataset: Dataset) -> None:
    with pytest.raises(JqlError) as err:
        keys(dataset, "project = PA\n  AND foo bar")
    assert "(line 2, character 11)" in err.value.message


def test_clock_moves_relative_dates() -> None:
    ds = load_fixture(FIXTURE)
    later = datetime.now(UTC) + timedelta(days=30)
    ctx = JqlContext(ds, now=later)
    pred = compile_query(parse("updated >= -1w"), ctx)
    assert [r.key for r in ds.issues.values() if pred(r)] == []


async def test_http_400_bodies() -> None:
    app = create_app(SimConfig(issues=10))
    async with asgi_client(app) as c:
        r = await c.post("/rest/api/3/search/jql", json={"jql": "foo = 1"})
        assert r.status_code == 400
        assert r.json() == {
            "errorMessages": [
                "Field 'foo' does not exist or you do not have permission to view it."
            ],
            "errors": {},
            "warningMessages": [],
        }
        r = await c.post("/rest/api/3/search/jql", json={"jql": "project = = PA"})
        assert r.status_code == 400
        assert "(line 1, character 11)" in r.json()["errorMessages"][0]
        r = await c.post("/rest/api/3/search/approximate-count", json={"jql": "project = PA"})
        assert r.status_code == 200 and r.json()["count"] > 0
