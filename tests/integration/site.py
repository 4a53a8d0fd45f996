"""The Jira site the harness resyncs: every kind's pages, from the docs' example payloads and
builders, with the edge cases the resync tests rely on (a 404 project, a board without sprints)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.builders import (
    array_pager,
    board,
    bulkfetch_responder,
    component,
    cursor_pager,
    epic,
    fixture,
    issue,
    json_response,
    offset_pager,
    project,
    query_token_pager,
    relay_pager,
    sprint,
    team,
    token_pager,
    user,
    version,
)
from tests.integration.harness_setup import (
    Route,
)

CLOUD_ID = "cloud-1"  # what the site's /_edge/tenant_info tells
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


VERSIONS: dict[str, list[dict[str, Any]] | None] = {
    "PA": [version(1, project_id=10000, released=True)],
    "P1": [version(2), version(3), version(4, released=True)],
    "P4": None,  # Jira answers 404: skipped, the rest of the kind syncs
}
COMPONENTS: dict[str, list[dict[str, Any]] | None] = {"P1": [component(1, lead=3), component(2)]}
BOARDS = [board(1), board(2, "kanban", "P2"), board(3, "simple")]
BOARD_PROJECTS: dict[Any, list[dict[str, Any]] | None] = {
    1: [project(1)],
    2: [project(1), project(2)],
    3: [],
}
SPRINTS = {
    1: [sprint(1, "closed"), sprint(2, "active"), sprint(3, "future")],
    3: [sprint(2, "active"), sprint(4, "active", board_id=3)],  # sprint 2 is shared
}
EPICS: dict[Any, list[dict[str, Any]] | None] = {
    1: [epic(5), epic(6, done=True)],
    2: [epic(5)],
    3: [],
}


def per_path(pattern: str, items: dict[Any, list[dict[str, Any]] | None], **pager: Any) -> Any:
    """A paged responder per parent (read from the URL by `pattern`); None answers 404."""

    def respond(request: httpx.Request) -> httpx.Response:
        match = re.search(pattern, request.url.path)
        assert match, request.url
        key: Any = match.group(1)
        key = int(key) if key.isdigit() else key
        if key in items and items[key] is None:
            return json_response({"errorMessages": [f"{key} does not exist"]}, 404)
        return offset_pager(items.get(key) or [], **pager)(request)

    return respond


def board_sprints(request: httpx.Request) -> httpx.Response:
    board_id = int(request.url.path.split("/")[-2])
    if board_id not in SPRINTS:
        return json_response({"errorMessages": ["The board does not support sprints"]}, 400)
    states = request.url.params.get("state", "").split(",")
    return offset_pager([s for s in SPRINTS[board_id] if s["state"] in states])(request)


def backlog(request: httpx.Request) -> httpx.Response:
    """Board 1's backlog holds P1-4 and P1-7; board 2 has none (Jira's 400); board 3's is empty."""
    board_id = int(request.url.path.split("/")[-2])
    if board_id == 2:
        return json_response({"errorMessages": ["The board does not have a backlog"]}, 400)
    items = {1: [issue(4), issue(7, priority={"name": "High"})], 3: []}[board_id]
    return query_token_pager(items)(request)


def site_routes(issues: list[dict[str, Any]] | None = None) -> list[Route]:
    projects = [docs_project()] + [project(n) for n in range(1, 5)]
    return [
        ("GET", "/rest/api/3/project/search", offset_pager(projects)),
        ("GET", "/rest/api/3/users/search", array_pager([user(n) for n in range(1, 10)])),
        ("GET", "/_edge/tenant_info", json_response({"cloudId": CLOUD_ID})),
        ("GET", "/teams/v1/org/org-1/teams", cursor_pager([team(n) for n in range(1, 6)])),
        ("POST", "/members", members_for),
        ("POST", "/rest/api/3/search/jql", token_pager(issues or all_issues())),
        ("POST", "/rest/api/3/issue/bulkfetch", bulkfetch_responder(issues or all_issues())),
        ("GET", r"/project/[^/]+/version", per_path(r"/project/([^/]+)/", VERSIONS)),
        ("GET", r"/project/[^/]+/component", per_path(r"/project/([^/]+)/", COMPONENTS)),
        ("GET", r"/agile/1\.0/board\?", offset_pager(BOARDS)),
        ("GET", r"/board/\d+/project", per_path(r"/board/(\d+)/", BOARD_PROJECTS)),
        ("GET", r"/board/\d+/sprint", board_sprints),
        ("GET", r"/board/\d+/epic", per_path(r"/board/(\d+)/", EPICS, total=False)),
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
