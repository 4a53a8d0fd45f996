"""A whole resync against Jira Data Center, through Ocean's harness: the default mapping,
unchanged, relates users, projects and issues; `team` is skipped, and the team entities already
in Port stay while the other kinds' stale entities go."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.builders import (
    array_pager,
    board,
    issue,
    issue_mapping,
    json_response,
    offset_pager,
    project,
    user,
)
from tests.integration.harness_setup import Route, by_blueprint, default_mapping, harness

DC = "https://jira.example.com/jira"


def dc_user(n: int) -> dict[str, Any]:
    """A Data Center user: `key` and `name`, no `accountId` or `accountType`."""
    cloud = user(n)
    return {
        "self": f"{DC}/rest/api/2/user?key=JIRAUSER{10000 + n}",
        "key": f"JIRAUSER{10000 + n}",
        "name": f"user{n}",
        "emailAddress": cloud["emailAddress"],
        "displayName": cloud["displayName"],
        "active": cloud["active"],
    }


def dc_issue(n: int, **fields: Any) -> dict[str, Any]:
    people = {"creator": dc_user(1), "reporter": dc_user(1), "assignee": dc_user(2)}
    found = issue(n, **{**people, **fields})
    found["self"] = f"{DC}/rest/api/2/issue/{found['id']}"
    return found


def dc_project(n: int) -> dict[str, Any]:
    found = project(n)
    found.pop("insight", None)  # no `insight` expand on Data Center
    found["self"] = f"{DC}/rest/api/2/project/{found['id']}"
    found["lead"] = dc_user(3)
    return found


def user_list(users: list[dict[str, Any]], page: int = 2) -> Any:
    def respond(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor", "0"))
        body: dict[str, Any] = {"values": users[start : start + page]}
        body["isLast"] = start + page >= len(users)
        if not body["isLast"]:
            body["nextCursor"] = str(start + page)
        return json_response(body)

    return respond


def offset_search(issues: list[dict[str, Any]], page: int = 2) -> Any:
    def respond(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        start = body["startAt"]
        return json_response(
            {"startAt": start, "total": len(issues), "issues": issues[start : start + page]}
        )

    return respond


ISSUES = [dc_issue(1), dc_issue(2), dc_issue(3, assignee=None)]


def dc_routes(users_before_10: bool = False) -> list[Route]:
    users = [dc_user(n) for n in range(1, 6)]
    return [
        (
            "GET",
            "/rest/api/2/serverInfo",
            {"json": {"deploymentType": "Server", "version": "10.3.1"}},
        ),
        ("GET", r"/rest/api/2/project(\?|$)", {"json": [dc_project(n) for n in range(1, 3)]}),
        (
            "GET",
            "/rest/api/2/user/list",
            {"status_code": 404, "json": {"errorMessages": []}}
            if users_before_10
            else user_list(users),
        ),
        ("GET", "/rest/api/2/user/search", array_pager(users)),
        ("POST", "/rest/api/2/search", offset_search(ISSUES)),
        ("GET", r"/project/[^/]+/(version|component)", offset_pager([])),
        ("GET", r"/agile/1\.0/board\?", offset_pager([board(1)])),
        ("GET", r"/board/\d+/project", offset_pager([project(1)])),
        ("GET", r"/board/\d+/sprint", offset_pager([])),
        ("GET", r"/board/\d+/epic", offset_pager([], total=False)),
    ]


def dc_config() -> dict[str, Any]:
    config = {"jira_server_host": DC, "token": "pat-SECRET"}
    return {"integration": {"identifier": "jira-dc", "type": "jira", "config": config}}


async def test_the_default_mapping_relates_users_projects_and_issues_on_data_center() -> None:
    async with harness(dc_routes(), config=dc_config()) as (h, transport):
        result = await h.trigger_resync()
    assert result.errors == [] and result.deleted_entities == []
    entities = by_blueprint(result.upserted_entities)
    assert {bp: len(items) for bp, items in entities.items()} == {
        "jiraUser": 5,
        "jiraProject": 2,
        "jiraBoard": 1,
        "jiraIssue": 3,
    }
    assert entities["jiraUser"]["JIRAUSER10002"]["properties"]["displayName"] == "User 2"
    p1 = entities["jiraIssue"]["P1-1"]
    assert p1["relations"]["jira_user_assignee"] == "JIRAUSER10002"
    assert p1["relations"]["jira_user_reporter"] == "JIRAUSER10001"
    assert p1["relations"]["project"] == "P1"
    assert p1["properties"]["url"] == "https://jira.example.com/browse/P1-1"
    assert entities["jiraIssue"]["P1-3"]["relations"]["jira_user_assignee"] is None
    # v2 only, no bulk fetch, every request with the personal access token
    paths = [call.request.url.path for call in transport.calls]
    assert not [p for p in paths if "/rest/api/3/" in p or "bulkfetch" in p]
    assert {
        call.request.headers["Authorization"] for call in transport.calls_for("/rest/api/2")
    } == {"Bearer pat-SECRET"}
    # 3 issues, 2 a page, the second page starting at the first's last issue (proving that
    # no change in between shifted it): 0-1, 1-2
    assert len(transport.calls_for("/rest/api/2/search")) == 2
    assert len(transport.calls_for("/rest/api/2/user/list")) == 3


async def test_team_entities_stay_in_port_when_data_center_skips_the_kind(
    warnings: list[str],
) -> None:
    # Port before the resync: what an earlier resync wrote (teams, when the same install was on
    # Cloud), entities Jira still has, and an issue Jira no longer has.
    in_port = [
        {"identifier": "team-1", "blueprint": "jiraTeam"},
        {"identifier": "team-2", "blueprint": "jiraTeam"},
        {"identifier": "P1", "blueprint": "jiraProject"},
        {"identifier": "P2", "blueprint": "jiraProject"},
        *({"identifier": f"JIRAUSER{10000 + n}", "blueprint": "jiraUser"} for n in range(1, 6)),
        {"identifier": "P1-99", "blueprint": "jiraIssue"},
    ]
    async with harness(dc_routes(), config=dc_config()) as (h, _):
        h.port_mock.search_entities_response = in_port
        result = await h.trigger_resync()
    assert result.errors == [] and result.reconciliation_success
    assert [(e["blueprint"], e["identifier"]) for e in result.deleted_entities] == [
        ("jiraIssue", "P1-99")
    ]
    assert [w for w in warnings if w.startswith("Skipping kind team")] == [
        "Skipping kind team: Jira Data Center/Server 10.3.1 has no Atlassian Teams API. "
        "Its entities in Port (blueprint jiraTeam) are kept, not deleted"
    ]


async def test_the_jira_server_integrations_mapping_works_before_data_center_10() -> None:
    mapping = default_mapping()
    mapping["resources"] = [
        {
            "kind": "user",
            "selector": {"query": "true"},
            "port": {
                "entity": {
                    "mappings": {
                        "identifier": ".key",
                        "title": ".displayName",
                        "blueprint": '"jiraUser"',
                        "properties": {"emailAddress": ".emailAddress"},
                    }
                }
            },
        },
        issue_mapping(
            relations={"jira_user_assignee": ".fields.assignee.name"}, jql="project = P1"
        ),
    ]
    async with harness(dc_routes(users_before_10=True), mapping, dc_config()) as (h, transport):
        result = await h.trigger_resync()
    assert result.errors == []
    entities = by_blueprint(result.upserted_entities)
    assert sorted(entities["jiraUser"]) == [f"JIRAUSER{10000 + n}" for n in range(1, 6)]
    assert entities["jiraIssue"]["P1-2"]["relations"]["jira_user_assignee"] == "user2"
    searched = [c.request.url.params["username"] for c in transport.calls_for("/user/search")]
    assert set(searched) == {"."}
