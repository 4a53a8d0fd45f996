"""Whole resyncs through Ocean's harness: exact entities from the docs' example payloads."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx

from tests.builders import (
    array_pager,
    bulkfetch_responder,
    cursor_pager,
    fixture,
    issue,
    offset_pager,
    project,
    relay_pager,
    team,
    token_pager,
    user,
)
from tests.integration.harness_setup import (
    Route,
    by_blueprint,
    default_mapping,
    harness,
    integration_config,
)

DOCS_ASSIGNEE = "712020:05acda87-42da-44d8-b21e-f71a508e5d11"


def docs_project() -> dict[str, Any]:
    pa: dict[str, Any] = fixture("docs_project_PA.json")
    pa["insight"] = {"totalIssueCount": 100, "lastIssueUpdateTime": 1699269000000}
    return pa


def members_for(request: httpx.Request) -> httpx.Response:
    team_id = str(request.url).rsplit("/", 2)[-2]
    n = int(team_id.split("-")[1])
    return relay_pager(
        [{"accountId": f"acc-{n}"}, {"accountId": f"acc-{n + 1}"}, {"accountId": f"acc-{n + 2}"}]
    )(request)


def site_routes(issues: list[dict[str, Any]] | None = None) -> list[Route]:
    projects = [docs_project()] + [project(n) for n in range(1, 5)]
    return [
        ("GET", "/rest/api/3/project/search", offset_pager(projects)),
        ("GET", "/rest/api/3/users/search", array_pager([user(n) for n in range(1, 10)])),
        ("GET", "/teams/v1/org/org-1/teams", cursor_pager([team(n) for n in range(1, 6)])),
        ("POST", "/members", members_for),
        ("POST", "/rest/api/3/search/jql", token_pager(issues or all_issues())),
        ("POST", "/rest/api/3/issue/bulkfetch", bulkfetch_responder(issues or all_issues())),
    ]


def all_issues() -> list[dict[str, Any]]:
    parent = issue(1, subtasks=[{"key": "P1-2", "id": "20002"}])
    child = issue(
        2, parent={"key": "P1-1", "id": "20001"}, issuetype={"name": "Sub-task", "subtask": True}
    )
    done = issue(
        3,
        status={"name": "Done", "statusCategory": {"key": "done", "name": "Done"}},
        resolutiondate="2024-01-03T10:00:00.000+0000",
        assignee=None,
    )
    return [fixture("docs_issue_PA-1.json"), parent, child, done, issue(4)]


async def test_full_resync_produces_exact_entities_for_every_kind() -> None:
    async with harness(site_routes()) as (h, transport):
        result = await h.trigger_resync()

    assert result.errors == []
    assert result.reconciliation_success
    assert result.deleted_entities == []
    entities = by_blueprint(result.upserted_entities)
    assert {bp: len(items) for bp, items in entities.items()} == {
        "jiraUser": 9,
        "jiraTeam": 5,
        "jiraProject": 5,
        "jiraIssue": 5,
    }
    # several pages of every kind were read
    assert len(transport.calls_for("/rest/api/3/project/search")) == 3
    assert len(transport.calls_for("/rest/api/3/users/search")) == 6
    assert len(transport.calls_for("/org/org-1/teams?")) == 4
    assert len(transport.calls_for("/rest/api/3/search/jql")) == 3  # id pages (of 2 here)
    bulk = [json.loads(c.request.content) for c in transport.calls_for("/issue/bulkfetch")]
    assert sorted(len(b["issueIdsOrKeys"]) for b in bulk) == [1, 2, 2]
    # only the fields the default mapping reads are asked for
    assert bulk[0]["fields"] == [
        "assignee",
        "components",
        "created",
        "creator",
        "issuetype",
        "labels",
        "parent",
        "priority",
        "project",
        "reporter",
        "resolutiondate",
        "status",
        "subtasks",
        "summary",
        "updated",
    ]

    assert entities["jiraProject"]["PA"] == {
        "identifier": "PA",
        "title": "Port-AI",
        "blueprint": "jiraProject",
        "properties": {"url": "https://myaccount.atlassian.net/projects/PA", "totalIssues": 100},
    }
    pa1 = entities["jiraIssue"]["PA-1"]
    assert pa1["title"] == "Setup infra"
    assert pa1["properties"] == {
        "url": "https://myaccount.atlassian.net/browse/PA-1",
        "status": "To Do",
        "issueType": "Task",
        "components": [],
        "creator": "username@example.com.io",
        "priority": "Medium",
        "labels": ["infra"],
        "created": "2023-11-06T11:02:59.000+0000",
        "updated": "2023-11-06T11:03:18.244+0000",
        "resolutionDate": None,
    }
    assert pa1["relations"] == {
        "project": "PA",
        "parentIssue": None,
        "subtasks": [],
        "jira_user_assignee": DOCS_ASSIGNEE,
        "jira_user_reporter": DOCS_ASSIGNEE,
    }
    assert entities["jiraIssue"]["P1-1"]["relations"]["subtasks"] == ["P1-2"]
    assert entities["jiraIssue"]["P1-2"]["relations"]["parentIssue"] == "P1-1"
    assert entities["jiraIssue"]["P1-3"]["relations"]["jira_user_assignee"] is None
    assert (
        entities["jiraIssue"]["P1-3"]["properties"]["resolutionDate"]
        == "2024-01-03T10:00:00.000+0000"
    )
    assert entities["jiraUser"]["acc-5"] == {
        "identifier": "acc-5",
        "title": "User 5",
        "blueprint": "jiraUser",
        "properties": {
            "emailAddress": "user5@example.com",
            "displayName": "User 5",
            "active": True,
            "accountType": "app",
        },
    }
    assert entities["jiraTeam"]["team-2"] == {
        "identifier": "team-2",
        "title": "Team 2",
        "blueprint": "jiraTeam",
        "properties": {
            "organizationId": "org-1",
            "teamType": "OPEN",
            "description": "The team number 2",
        },
        "relations": {"members": ["acc-2", "acc-3", "acc-4"]},
    }


async def test_issue_selector_fields_and_expand_reach_jira() -> None:
    mapping = default_mapping()
    issue_resource = next(r for r in mapping["resources"] if r["kind"] == "issue")
    issue_resource["selector"].update(
        {"jql": "project = PA", "fields": "summary, status,-comment", "expand": "names,changelog"}
    )
    async with harness(site_routes(), mapping=mapping) as (h, transport):
        await h.trigger_resync()
    search = json.loads(transport.calls_for("/search/jql")[0].request.content)
    assert search["jql"] == "project = PA"
    assert search["fields"] == ["id"]
    bulk = json.loads(transport.calls_for("/issue/bulkfetch")[0].request.content)
    assert bulk["fields"] == ["summary", "status", "-comment"]
    assert bulk["expand"] == ["names", "changelog"]


async def test_invalid_jql_fails_the_issue_kind_only_and_deletes_nothing() -> None:
    routes = site_routes()
    error = {
        "errorMessages": [
            "Field 'sprintt' does not exist or you do not have permission to view it."
        ],
        "errors": {},
    }
    routes[-2] = ("POST", "/rest/api/3/search/jql", {"status_code": 400, "json": error})
    async with harness(routes) as (h, _):
        h.port_mock.search_entities_response = [
            {"identifier": "OLD-1", "blueprint": "jiraIssue"},
            {"identifier": "gone-user", "blueprint": "jiraUser"},
        ]
        result = await h.trigger_resync()

    assert not result.reconciliation_success
    assert any("Field 'sprintt' does not exist" in str(e) for e in result.errors)
    assert result.deleted_entities == []
    synced = by_blueprint(result.upserted_entities)
    assert set(synced) == {"jiraUser", "jiraTeam", "jiraProject"}


async def test_teams_are_skipped_with_a_warning_without_an_organization_id() -> None:
    config = integration_config(atlassian_organization_id=None)
    async with harness(site_routes(), config=config) as (h, transport):
        result = await h.trigger_resync()
    assert result.errors == []
    assert "jiraTeam" not in by_blueprint(result.upserted_entities)
    assert transport.calls_for("/teams/v1") == []


def sprint(n: int, state: str) -> dict[str, Any]:
    return {"id": n, "name": f"Sprint {n}", "state": state, "boardId": 1}


async def test_docs_sprint_recipe_and_current_sprint_selector() -> None:
    in_current = issue(1, customfield_11111=[sprint(34, "closed"), sprint(35, "active")])
    in_old = issue(2, customfield_11111=[sprint(33, "closed")])
    no_sprint = issue(3, customfield_11111=None)
    mapping = default_mapping()
    resource = copy.deepcopy(next(r for r in mapping["resources"] if r["kind"] == "issue"))
    resource["port"]["entity"]["mappings"]["properties"]["sprint"] = (
        '.fields.customfield_11111[-1].name // ""'
    )
    current = copy.deepcopy(resource)
    current["selector"]["query"] = '.fields.customfield_11111[-1].name == "Sprint 35"'
    current["port"]["entity"]["mappings"]["blueprint"] = '"currentSprintIssue"'
    mapping["resources"] = [resource, current]

    async with harness(site_routes([in_current, in_old, no_sprint]), mapping=mapping) as (h, _):
        result = await h.trigger_resync()

    entities = by_blueprint(result.upserted_entities)
    assert {key: e["properties"]["sprint"] for key, e in entities["jiraIssue"].items()} == {
        "P1-1": "Sprint 35",
        "P1-2": "Sprint 33",
        "P1-3": "",
    }
    assert set(entities["currentSprintIssue"]) == {"P1-1"}


async def test_wrong_token_fails_each_kind_with_a_clear_message() -> None:
    unauthorized = {
        "status_code": 401,
        "json": {"errorMessages": ["Client must be authenticated to access this resource."]},
    }
    routes: list[Route] = [
        ("GET", "/rest/api/3/", unauthorized),
        ("POST", "/rest/api/3/", unauthorized),
        ("GET", "/teams/v1/", unauthorized),
    ]
    async with harness(routes) as (h, _):
        result = await h.trigger_resync()
    messages = [str(e) for e in result.errors]
    assert messages, "a 401 must fail the resync"
    assert all("https://myaccount.atlassian.net refused the credentials" in m for m in messages)
    assert all("tok-SECRET" not in m for m in messages)
    assert result.deleted_entities == []


async def test_a_complete_resync_deletes_only_what_jira_no_longer_has() -> None:
    # The control for the test above: with every kind succeeding, stale entities do go.
    async with harness(site_routes()) as (h, _):
        h.port_mock.search_entities_response = [
            {"identifier": "OLD-1", "blueprint": "jiraIssue"},
            {"identifier": "PA", "blueprint": "jiraProject"},
        ]
        result = await h.trigger_resync()
    assert result.reconciliation_success
    assert [(e["blueprint"], e["identifier"]) for e in result.deleted_entities] == [
        ("jiraIssue", "OLD-1")
    ]
