"""Whole resyncs through Ocean's harness: exact entities from the docs' example payloads."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import httpx
from port_ocean.integration_testing import InterceptTransport, ResyncResult

from tests.builders import (
    DEFAULT_ISSUE_FIELDS,
    comment,
    issue,
    json_response,
    since_pager,
    worklog,
)
from tests.integration.harness_setup import (
    Route,
    by_blueprint,
    default_mapping,
    every_kind_mapping,
    harness,
    integration_config,
)
from tests.integration.site import (
    DOCS_ASSIGNEE,
    VERSIONS,
    all_issues,
    backlog,
    per_path,
    site_routes,
)

# Entities per blueprint that the default mapping makes of site_routes().
DEFAULT_MAPPING_COUNTS = {
    "jiraUser": 9,
    "jiraTeam": 5,
    "jiraProject": 5,
    "jiraRelease": 4,
    "jiraComponent": 2,
    "jiraBoard": 3,
    "jiraSprint": 3,
    "jiraEpic": 2,
    "jiraIssue": 5,
}


_default_resync: tuple[ResyncResult, InterceptTransport] | None = None


async def default_resync() -> tuple[ResyncResult, InterceptTransport]:
    """One resync of the default mapping over `site_routes()`: its result and Jira's calls.
    Run once, then shared (read only) by the tests below that each check a part of it."""
    global _default_resync
    if _default_resync is None:
        async with harness(site_routes()) as (h, transport):
            _default_resync = (await h.trigger_resync(), transport)
    return _default_resync


async def test_full_resync_reads_every_kind_in_pages_and_deletes_nothing() -> None:
    result, transport = await default_resync()
    assert result.errors == []
    assert result.reconciliation_success
    assert result.deleted_entities == []
    entities = by_blueprint(result.upserted_entities)
    assert {bp: len(items) for bp, items in entities.items()} == DEFAULT_MAPPING_COUNTS
    # several pages of every kind were read
    # the project kind's list (with insight), then one list for release and component
    assert len(transport.calls_for("/rest/api/3/project/search")) == 6
    # one list of boards for board, sprint and epic: each page asked for once
    board_list = [c.request.url for c in transport.calls_for("/rest/agile/1.0/board?")]
    assert board_list and len(set(map(str, board_list))) == len(board_list)
    assert len(transport.calls_for("/rest/api/3/users/search")) == 6
    assert len(transport.calls_for("/org/org-1/teams?")) == 4
    assert len(transport.calls_for("/rest/api/3/search/jql")) == 3  # id pages (of 2 here)
    bulk = [json.loads(c.request.content) for c in transport.calls_for("/issue/bulkfetch")]
    assert sorted(len(b["issueIdsOrKeys"]) for b in bulk) == [1, 2, 2]
    # only the fields the default mapping reads are asked for
    assert bulk[0]["fields"] == DEFAULT_ISSUE_FIELDS
    sprint_calls = [c.request.url for c in transport.calls_for("/sprint")]
    assert sorted(u.path for u in sprint_calls) == [
        "/rest/agile/1.0/board/1/sprint",
        "/rest/agile/1.0/board/3/sprint",
    ]  # not the kanban board
    assert {u.params["state"] for u in sprint_calls} == {"active,future"}


async def test_every_kinds_reads_start_with_the_resync_not_after_the_previous_kind() -> None:
    # Ocean processes user first and issue last; the issue search starts while the user
    # list is still being read, so the issue kind finds its first pages already read.
    _, transport = await default_resync()
    urls = [str(call.request.url) for call in transport.calls]
    first_search = next(i for i, url in enumerate(urls) if "/search/jql" in url)
    last_user_page = max(i for i, url in enumerate(urls) if "/users/search" in url)
    assert first_search < last_user_page


async def test_full_resync_maps_projects_issues_and_users_exactly() -> None:
    entities = by_blueprint((await default_resync())[0].upserted_entities)
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
            "timeZone": "Europe/London",
            "locale": "en_GB",
            "avatarUrl": "https://avatar.example.com/acc-5/48.png",
        },
    }


async def test_full_resync_maps_teams_releases_and_components_exactly() -> None:
    entities = by_blueprint((await default_resync())[0].upserted_entities)
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
    assert entities["jiraRelease"]["30002"] == {
        "identifier": "30002",
        "title": "P1 2.0",
        "blueprint": "jiraRelease",
        "properties": {
            "description": "Version 2.0",
            "released": False,
            "archived": False,
            "overdue": False,
            "startDate": None,
            "releaseDate": "2024-03-01",
        },
        "relations": {"project": "P1"},
    }
    assert {k: e["relations"]["project"] for k, e in entities["jiraRelease"].items()} == {
        "30001": "PA",
        "30002": "P1",
        "30003": "P1",
        "30004": "P1",
    }
    assert entities["jiraComponent"]["40001"] == {
        "identifier": "40001",
        "title": "Component 1",
        "blueprint": "jiraComponent",
        "properties": {
            "description": "The component 1",
            "assigneeType": "PROJECT_DEFAULT",
            "issueCount": 1,
        },
        "relations": {"project": "P1", "lead": "acc-3"},
    }


async def test_full_resync_maps_boards_sprints_and_epics_exactly() -> None:
    entities = by_blueprint((await default_resync())[0].upserted_entities)
    assert entities["jiraBoard"]["2"] == {
        "identifier": "2",
        "title": "Board 2",
        "blueprint": "jiraBoard",
        "properties": {
            "type": "kanban",
            "url": "https://myaccount.atlassian.net/secure/RapidBoard.jspa?rapidView=2",
        },
        "relations": {"projects": ["P1", "P2"]},
    }
    # active and future sprints (the default mapping's sprintState), sprint 2 once
    assert {k: e["relations"]["board"] for k, e in entities["jiraSprint"].items()} == {
        "2": "1",
        "3": "1",
        "4": "3",
    }
    assert entities["jiraSprint"]["2"] == {
        "identifier": "2",
        "title": "Sprint 2",
        "blueprint": "jiraSprint",
        "properties": {
            "state": "active",
            "goal": "Goal 2",
            "startDate": "2024-01-01T10:00:00.000Z",
            "endDate": "2024-01-15T10:00:00.000Z",
            "completeDate": None,
        },
        "relations": {"board": "1"},
    }
    assert entities["jiraEpic"]["P1-6"] == {
        "identifier": "P1-6",
        "title": "Epic 6",
        "blueprint": "jiraEpic",
        "properties": {"summary": "Epic: Epic 6", "done": True, "color": "color_6"},
        "relations": {"board": "1", "project": "P1"},
    }
    assert entities["jiraEpic"]["P1-5"]["relations"]["board"] in ("1", "2")  # on both boards


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
    routes = [r for r in routes if r[1] != "/rest/api/3/search/jql"]
    routes.append(("POST", "/rest/api/3/search/jql", {"status_code": 400, "json": error}))
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
    assert "jiraIssue" not in synced
    assert set(synced) == {
        "jiraUser",
        "jiraTeam",
        "jiraProject",
        "jiraRelease",
        "jiraComponent",
        "jiraBoard",
        "jiraSprint",
        "jiraEpic",
    }


# Entities an earlier resync wrote, as Port lists the integration's own in reconciliation.
TEAMS_IN_PORT = [
    {"identifier": "team-1", "blueprint": "jiraTeam"},
    {"identifier": "team-gone", "blueprint": "jiraTeam"},
]
STALE_ISSUE = {"identifier": "OLD-1", "blueprint": "jiraIssue"}
# Port's state before a resync: the entities of Jira's that stay (enough of them that Ocean's
# deletion threshold allows deleting the few that go), the teams and a stale issue.
IN_PORT = [
    *({"identifier": key, "blueprint": "jiraProject"} for key in ("P1", "P2", "P3", "P4", "PA")),
    *TEAMS_IN_PORT,
    STALE_ISSUE,
]


async def test_teams_skipped_without_an_organization_id_stay_in_port(
    warnings: list[str],
) -> None:
    config = integration_config(atlassian_organization_id=None)
    async with harness(site_routes(), config=config) as (h, transport):
        h.port_mock.search_entities_response = IN_PORT
        result = await h.trigger_resync()
    assert result.errors == [] and result.reconciliation_success
    assert "jiraTeam" not in by_blueprint(result.upserted_entities)
    assert transport.calls_for("/teams/v1") == []
    # the teams Jira was not asked about stay; the other kinds' stale entities still go
    assert [(e["blueprint"], e["identifier"]) for e in result.deleted_entities] == [
        ("jiraIssue", "OLD-1")
    ]
    assert [w for w in warnings if w.startswith("Skipping kind team")] == [
        "Skipping kind team: set atlassianOrganizationId "
        "(OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID) to sync teams; find it at "
        "admin.atlassian.com/o/<organizationId>. "
        "Its entities in Port (blueprint jiraTeam) are kept, not deleted"
    ]


async def test_a_skipped_kind_with_a_computed_blueprint_deletes_nothing() -> None:
    mapping = default_mapping()
    team = next(r for r in mapping["resources"] if r["kind"] == "team")
    team["port"]["entity"]["mappings"]["blueprint"] = '"jira" + "Team"'
    config = integration_config(atlassian_organization_id=None)
    async with harness(site_routes(), mapping=mapping, config=config) as (h, _):
        h.port_mock.search_entities_response = IN_PORT
        result = await h.trigger_resync()
    assert result.errors == [] and result.reconciliation_success
    # which entities were the team kind's cannot be told without reading teams
    assert result.deleted_entities == []


# Releases an earlier resync wrote: P1's three (30002-30004), PA's (30001), and one of P4, a
# project whose versions Jira answers 404 for (gone).
RELEASES_IN_PORT = [
    {"identifier": str(30000 + n), "blueprint": "jiraRelease"} for n in (1, 2, 3, 4, 99)
]


def versions_refused_for_p1(request: httpx.Request) -> httpx.Response:
    if "/project/P1/" in request.url.path:
        return json_response({"errorMessages": ["You do not have permission"]}, 403)
    responder: Any = per_path(r"/project/([^/]+)/", VERSIONS)
    response: httpx.Response = responder(request)
    return response


async def test_a_project_whose_versions_jira_refuses_keeps_its_releases_in_port(
    warnings: list[str],
) -> None:
    routes = [r for r in site_routes() if "version" not in r[1]]
    routes.append(("GET", r"/project/[^/]+/version", versions_refused_for_p1))
    async with harness(routes) as (h, _):
        h.port_mock.search_entities_response = [*IN_PORT, *RELEASES_IN_PORT]
        result = await h.trigger_resync()
    assert result.errors == [] and result.reconciliation_success
    # the other projects' releases still sync
    assert set(by_blueprint(result.upserted_entities)["jiraRelease"]) == {"30001"}
    # P1's releases are unknown, not gone: no release leaves Port; other kinds delete as usual
    assert sorted((e["blueprint"], e["identifier"]) for e in result.deleted_entities) == [
        ("jiraIssue", "OLD-1"),
        ("jiraTeam", "team-gone"),
    ]
    refused = [w for w in warnings if "project P1" in w]
    assert refused == [
        "Kind release: skipping project P1: Jira refused it (403: You do not have permission); "
        "grant the integration's user the Browse projects permission in that project. Until "
        "Jira answers for it, no release entity is deleted from Port; the rest of the kind syncs"
    ]


async def test_a_project_jira_answers_404_for_takes_its_releases_out_of_port() -> None:
    # The control: P4's versions answer 404 (the project is gone), so its release goes.
    async with harness(site_routes()) as (h, _):
        h.port_mock.search_entities_response = [*IN_PORT, *RELEASES_IN_PORT]
        result = await h.trigger_resync()
    assert result.reconciliation_success
    assert sorted((e["blueprint"], e["identifier"]) for e in result.deleted_entities) == [
        ("jiraIssue", "OLD-1"),
        ("jiraRelease", "30099"),
        ("jiraTeam", "team-gone"),
    ]


def sprint_field(n: int, state: str) -> dict[str, Any]:
    """A sprint as an issue's Sprint custom field holds it."""
    return {"id": n, "name": f"Sprint {n}", "state": state, "boardId": 1}


async def test_docs_sprint_recipe_and_current_sprint_selector() -> None:
    in_current = issue(1, customfield_11111=[sprint_field(34, "closed"), sprint_field(35, "active")])
    in_old = issue(2, customfield_11111=[sprint_field(33, "closed")])
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
        ("GET", "/rest/agile/1", unauthorized),
        ("GET", "/teams/v1/", unauthorized),
        # the site's cloud id is public (Atlassian's KB "Find Your Cloud Site's Cloud ID")
        ("GET", "/_edge/tenant_info", {"status_code": 200, "json": {"cloudId": "cloud-1"}}),
    ]
    async with harness(routes) as (h, _):
        result = await h.trigger_resync()
    messages = [str(e) for e in result.errors]
    assert messages, "a 401 must fail the resync"
    assert all("https://myaccount.atlassian.net refused the credentials" in m for m in messages)
    assert all("tok-SECRET" not in m for m in messages)
    assert result.deleted_entities == []


async def test_a_complete_resync_deletes_only_what_jira_no_longer_has() -> None:
    # The control for the tests above: with every kind read (teams too, after a resync that
    # skipped them), stale entities do go.
    async with harness(site_routes()) as (h, _):
        h.port_mock.search_entities_response = IN_PORT
        result = await h.trigger_resync()
    assert result.reconciliation_success
    assert sorted((e["blueprint"], e["identifier"]) for e in result.deleted_entities) == [
        ("jiraIssue", "OLD-1"),
        ("jiraTeam", "team-gone"),
    ]


def with_comments(
    found: dict[str, Any], *comments: dict[str, Any], total: int | None = None
) -> dict[str, Any]:
    found = copy.deepcopy(found)
    found["fields"]["comment"] = {
        "comments": list(comments),
        "maxResults": len(comments),
        "total": len(comments) if total is None else total,
        "startAt": 0,
    }
    return found


def worklog_list(known: list[dict[str, Any]]) -> Any:
    by_id = {int(w["id"]): w for w in known}

    def respond(request: httpx.Request) -> httpx.Response:
        return json_response([by_id[i] for i in json.loads(request.content)["ids"] if i in by_id])

    return respond


async def test_every_kind_with_its_documented_mapping_produces_exact_entities() -> None:
    now = int(time.time() * 1000)
    issues = all_issues()
    issues[1] = with_comments(issues[1], comment(1, "First line\nsecond line"), comment(2))
    issues[2] = with_comments(issues[2], comment(3), total=3)  # the rest need paging
    worklogs = [worklog(1), worklog(2), worklog(3, issue_id="20003", seconds=5400)]
    routes = [
        *site_routes(issues),
        ("GET", r"/rest/software/1\.0/board/\d+/backlog", backlog),
        (
            "GET",
            "/worklog/deleted",
            since_pager([(now - 5_000, 50002)], path="/rest/api/3/worklog/deleted"),
        ),
        ("GET", "/worklog/updated", since_pager([(now - 9_000 + n, 50000 + n) for n in (1, 2, 3)])),
        ("POST", "/worklog/list", worklog_list(worklogs)),
        (
            "GET",
            r"/issue/[^/]+/comment",
            per_path(
                r"/issue/([^/]+)/comment",
                {"P1-2": [comment(3), comment(4), comment(5)]},
                values_key="comments",
                is_last=False,
            ),
        ),
    ]
    async with harness(routes, mapping=every_kind_mapping()) as (h, transport):
        result = await h.trigger_resync()

    assert result.errors == []
    assert result.reconciliation_success
    entities = by_blueprint(result.upserted_entities)
    assert {bp: len(items) for bp, items in entities.items()} == {
        **DEFAULT_MAPPING_COUNTS,
        "jiraBacklogItem": 2,
        "jiraWorklog": 2,
        "jiraComment": 5,
    }
    assert entities["jiraBacklogItem"]["1-P1-7"] == {
        "identifier": "1-P1-7",
        "title": "Issue 7",
        "blueprint": "jiraBacklogItem",
        "properties": {"status": "To Do", "issueType": "Task", "priority": "High"},
        "relations": {"board": "1", "issue": "P1-7", "project": "P1", "assignee": "acc-2"},
    }
    assert set(entities["jiraBacklogItem"]) == {"1-P1-4", "1-P1-7"}
    backlog_params = transport.calls_for("/rest/software/1.0/board/1/backlog")[0].request.url.params
    assert backlog_params["jql"] == "statusCategory != Done"
    assert backlog_params["fields"] == "summary,status,issuetype,priority,assignee,project"

    # 50002 was deleted in Jira: never synced
    assert entities["jiraWorklog"]["50003"] == {
        "identifier": "50003",
        "title": "P1-3 1h by User 1",
        "blueprint": "jiraWorklog",
        "properties": {
            "timeSpent": "1h",
            "timeSpentSeconds": 5400,
            "started": "2024-01-02T09:00:00.000+0000",
            "created": "2024-01-02T10:00:00.000+0000",
            "updated": "2024-01-02T11:00:00.000+0000",
            "comment": "Worked on 3",
        },
        "relations": {"issue": "P1-3", "author": "acc-1"},
    }
    assert set(entities["jiraWorklog"]) == {"50001", "50003"}
    listed = [json.loads(c.request.content)["ids"] for c in transport.calls_for("/worklog/list")]
    assert listed == [[50001], [50003]]  # one list per feed page, the deleted one left out

    assert entities["jiraComment"]["60001"] == {
        "identifier": "60001",
        "title": "P1-1: First line\nsecond line",
        "blueprint": "jiraComment",
        "properties": {
            "body": "First line\nsecond line",
            "created": "2024-01-02T10:00:00.000+0000",
            "updated": "2024-01-02T10:30:00.000+0000",
        },
        "relations": {"issue": "P1-1", "author": "acc-2"},
    }
    assert {k: e["relations"]["issue"] for k, e in entities["jiraComment"].items()} == {
        "60001": "P1-1",
        "60002": "P1-1",
        "60003": "P1-2",
        "60004": "P1-2",
        "60005": "P1-2",
    }
    # P1-1's comment field held all its comments: not asked again; P1-2's held 1 of 3
    paged = {c.request.url.path.split("/")[-2] for c in transport.calls_for("/comment")}
    assert paged == {"P1-2", "PA-1", "P1-3", "P1-4"}  # (the last three had no comment field)
