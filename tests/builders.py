"""Jira-shaped objects, paged responses and parsed resources, shared by the respx and harness
tests."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from port_ocean.context import ocean as ocean_context
from port_ocean.core.handlers.port_app_config.models import ResourceConfig

from jira.selectors import JiraPortAppConfig
from sandbox.jira_sim.store.records import adf

FIXTURES = Path(__file__).parent / "fixtures"
SITE = "https://myaccount.atlassian.net"

Responder = Callable[[httpx.Request], httpx.Response]

# The issue fields the default mapping (and selector query) read: all it asks Jira for.
DEFAULT_ISSUE_FIELDS = [
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


MAPPING = {"entity": {"mappings": {"identifier": ".id", "blueprint": '"x"'}}}


def resource(kind: str, **selector: Any) -> ResourceConfig:
    """The resource as Ocean parses it from a mapping (the kind's own selector model)."""
    config = {"kind": kind, "selector": {"query": "true", **selector}, "port": MAPPING}
    parsed: ResourceConfig = JiraPortAppConfig.parse_obj({"resources": [config]}).resources[0]
    return parsed


def issue_mapping(
    properties: dict[str, Any] | None = None,
    relations: dict[str, Any] | None = None,
    **selector: Any,
) -> dict[str, Any]:
    """An issue resource as a user writes it in a mapping: the key as identifier, the summary
    as title, into jiraIssue; `properties`/`relations` only when given."""
    mappings: dict[str, Any] = {
        "identifier": ".key",
        "title": ".fields.summary",
        "blueprint": '"jiraIssue"',
    }
    if properties is not None:
        mappings["properties"] = properties
    if relations is not None:
        mappings["relations"] = relations
    return {
        "kind": "issue",
        "selector": {"query": "true", **selector},
        "port": {"entity": {"mappings": mappings}},
    }


@contextmanager
def ocean_answering_with(app: object) -> Iterator[None]:
    """Within the block, Ocean's `ocean` context is `app` (a slice of an Ocean app); the
    previous one after. Ocean's initialize_port_ocean_context refuses a second app, so this
    swaps its module global, the one way to undo it."""
    previous = ocean_context._port_ocean
    ocean_context._port_ocean = ocean_context.PortOceanContext(app=app)  # type: ignore[arg-type]
    try:
        yield
    finally:
        ocean_context._port_ocean = previous


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _query(request: httpx.Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}


def _body(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content or b"{}")
    return body


def project(n: int, key: str | None = None, total_issues: int = 3) -> dict[str, Any]:
    key = key or f"P{n}"
    return {
        "self": f"{SITE}/rest/api/3/project/{10000 + n}",
        "id": str(10000 + n),
        "key": key,
        "name": f"Project {n}",
        "projectTypeKey": "software",
        "insight": {
            "totalIssueCount": total_issues,
            "lastIssueUpdateTime": "2024-01-01T00:00:00.000+0000",
        },
    }


def user(n: int) -> dict[str, Any]:
    return {
        "self": f"{SITE}/rest/api/3/user?accountId=acc-{n}",
        "accountId": f"acc-{n}",
        "accountType": "atlassian" if n % 5 else "app",
        "emailAddress": f"user{n}@example.com",
        "displayName": f"User {n}",
        "active": n % 7 != 0,
        "timeZone": "Europe/London",
        "locale": "en_GB",
        "avatarUrls": {"48x48": f"https://avatar.example.com/acc-{n}/48.png"},
    }


def team(n: int) -> dict[str, Any]:
    return {
        "teamId": f"team-{n}",
        "displayName": f"Team {n}",
        "description": f"The team number {n}",
        "state": "ACTIVE",
        "teamType": "OPEN",
        "organizationId": "org-1",
    }


def issue(n: int, project_key: str = "P1", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "summary": f"Issue {n}",
        "status": {"name": "To Do", "statusCategory": {"key": "new", "name": "To Do"}},
        "issuetype": {"name": "Task", "subtask": False},
        "project": {"key": project_key, "id": "10001", "name": "Project 1"},
        "priority": {"name": "Medium"},
        "labels": ["infra"],
        "components": [],
        "creator": user(1),
        "reporter": user(1),
        "assignee": user(2),
        "created": "2024-01-01T10:00:00.000+0000",
        "updated": "2024-01-02T10:00:00.000+0000",
        "resolutiondate": None,
        "subtasks": [],
    }
    base.update(fields)
    return {
        "id": str(20000 + n),
        "key": f"{project_key}-{n}",
        "self": f"{SITE}/rest/api/3/issue/{20000 + n}",
        "fields": base,
    }


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


def offset_pager(
    items: list[dict[str, Any]],
    max_page: int = 2,
    values_key: str = "values",
    is_last: bool = True,
    total: bool = True,
) -> Responder:
    """PageBean: {values, startAt, maxResults, total, isLast}; comments, worklogs and backlogs
    name their list otherwise and have no isLast, epics have no total."""

    def respond(request: httpx.Request) -> httpx.Response:
        query = _query(request)
        start = int(query.get("startAt", 0))
        size = min(int(query.get("maxResults", 50)), max_page)
        body: dict[str, Any] = {"startAt": start, "maxResults": size}
        if total:
            body["total"] = len(items)
        if is_last:
            body["isLast"] = start + size >= len(items)
        body[values_key] = items[start : start + size]
        return json_response(body)

    return respond


def since_pager(
    changes: list[tuple[int, int]], max_page: int = 2, path: str = "/rest/api/3/worklog/updated"
) -> Responder:
    """The worklog change feeds: (updatedTime ms, worklogId) strictly after `since`, oldest
    first; `until` is the last item's time, `nextPage` asks again since then."""

    def respond(request: httpx.Request) -> httpx.Response:
        since = int(_query(request).get("since", 0))
        after = sorted(c for c in changes if c[0] > since)
        page = after[:max_page]
        last = len(page) == len(after)
        until = page[-1][0] if page else since
        body: dict[str, Any] = {
            "values": [{"worklogId": wid, "updatedTime": ms, "properties": []} for ms, wid in page],
            "since": since,
            "until": until,
            "self": f"{SITE}{path}?since={since}",
            "lastPage": last,
        }
        if not last:
            body["nextPage"] = f"{SITE}{path}?since={until}"
        return json_response(body)

    return respond


def version(n: int, project_id: int = 10001, released: bool = False) -> dict[str, Any]:
    return {
        "self": f"{SITE}/rest/api/3/version/{30000 + n}",
        "id": str(30000 + n),
        "name": f"{n}.0",
        "description": f"Version {n}.0",
        "archived": False,
        "released": released,
        "releaseDate": f"2024-0{1 + n % 9}-01",
        "overdue": False,
        "projectId": project_id,
    }


def component(n: int, project_key: str = "P1", lead: int | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "self": f"{SITE}/rest/api/3/component/{40000 + n}",
        "id": str(40000 + n),
        "name": f"Component {n}",
        "description": f"The component {n}",
        "assigneeType": "PROJECT_DEFAULT",
        "project": project_key,
        "projectId": 10001,
        "issueCount": n,
    }
    if lead is not None:
        found["lead"] = user(lead)
    return found


def board(n: int, board_type: str = "scrum", project_key: str = "P1") -> dict[str, Any]:
    return {
        "id": n,
        "self": f"{SITE}/rest/agile/1.0/board/{n}",
        "name": f"Board {n}",
        "type": board_type,
        "location": {"projectId": 10001, "projectKey": project_key, "name": project_key},
    }


def sprint(n: int, state: str = "active", board_id: int = 1) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": n,
        "self": f"{SITE}/rest/agile/1.0/sprint/{n}",
        "state": state,
        "name": f"Sprint {n}",
        "originBoardId": board_id,
        "goal": f"Goal {n}",
    }
    if state != "future":
        found["startDate"] = "2024-01-01T10:00:00.000Z"
        found["endDate"] = "2024-01-15T10:00:00.000Z"
    if state == "closed":
        found["completeDate"] = "2024-01-15T12:00:00.000Z"
    return found


def epic(n: int, project_key: str = "P1", done: bool = False) -> dict[str, Any]:
    return {
        "id": 20000 + n,
        "key": f"{project_key}-{n}",
        "self": f"{SITE}/rest/agile/1.0/epic/{20000 + n}",
        "name": f"Epic {n}",
        "summary": f"Epic: Epic {n}",
        "color": {"key": f"color_{n}"},
        "done": done,
    }


def worklog(n: int, issue_id: str = "20001", seconds: int = 3600) -> dict[str, Any]:
    return {
        "self": f"{SITE}/rest/api/3/issue/{issue_id}/worklog/{50000 + n}",
        "author": user(1),
        "updateAuthor": user(1),
        "comment": adf(f"Worked on {n}"),
        "created": "2024-01-02T10:00:00.000+0000",
        "updated": "2024-01-02T11:00:00.000+0000",
        "started": "2024-01-02T09:00:00.000+0000",
        "timeSpent": f"{seconds // 3600}h",
        "timeSpentSeconds": seconds,
        "id": str(50000 + n),
        "issueId": issue_id,
    }


def comment(n: int, text: str | None = None, author: int = 2) -> dict[str, Any]:
    return {
        "self": f"{SITE}/rest/api/3/issue/20001/comment/{60000 + n}",
        "id": str(60000 + n),
        "author": user(author),
        "body": adf(text or f"Comment {n}"),
        "updateAuthor": user(author),
        "created": "2024-01-02T10:00:00.000+0000",
        "updated": "2024-01-02T10:30:00.000+0000",
        "jsdPublic": True,
    }


def array_pager(items: list[dict[str, Any]], max_page: int = 2) -> Responder:
    """A bare array paged by startAt; an empty array past the end."""

    def respond(request: httpx.Request) -> httpx.Response:
        query = _query(request)
        start = int(query.get("startAt", 0))
        size = min(int(query.get("maxResults", 50)), max_page)
        return json_response(items[start : start + size])

    return respond


def _token(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode()


def _position(token: str | None) -> int:
    return int(base64.urlsafe_b64decode(token.encode()).decode().split(":")[1]) if token else 0


def token_pager(
    items: list[dict[str, Any]], max_page: int = 2, items_key: str = "issues"
) -> Responder:
    """POST body {nextPageToken, maxResults}; no total; no token on the last page."""

    def respond(request: httpx.Request) -> httpx.Response:
        body = _body(request)
        start = _position(body.get("nextPageToken"))
        size = min(int(body.get("maxResults", 50)), max_page)
        page: dict[str, Any] = {items_key: items[start : start + size]}
        if start + size < len(items):
            page["nextPageToken"] = _token(start + size)
            page["isLast"] = False
        else:
            page["isLast"] = True
        return json_response(page)

    return respond


def query_token_pager(
    items: list[dict[str, Any]], max_page: int = 2, items_key: str = "issues"
) -> Responder:
    """GET with ?nextPageToken (the enhanced backlog): {issues, isLast, nextPageToken}; no
    startAt, no total, and a startAt sent anyway is ignored, as Atlassian describes it."""

    def respond(request: httpx.Request) -> httpx.Response:
        query = _query(request)
        start = _position(query.get("nextPageToken"))
        size = min(int(query.get("maxResults", 50)), max_page)
        page: dict[str, Any] = {items_key: items[start : start + size], "maxResults": size}
        page["isLast"] = start + size >= len(items)
        if not page["isLast"]:
            page["nextPageToken"] = _token(start + size)
        return json_response(page)

    return respond


def cursor_pager(items: list[dict[str, Any]], max_page: int = 2) -> Responder:
    """Teams: {entities, cursor}; the last page is EMPTY and still carries a cursor."""

    def respond(request: httpx.Request) -> httpx.Response:
        start = _position(_query(request).get("cursor"))
        size = min(int(_query(request).get("size", 50)), max_page)
        return json_response(
            {"entities": items[start : start + size], "cursor": _token(start + size)}
        )

    return respond


def relay_pager(items: list[dict[str, Any]], max_page: int = 2) -> Responder:
    """Team members: POST {first, after} → {results, pageInfo:{endCursor, hasNextPage}}."""

    def respond(request: httpx.Request) -> httpx.Response:
        body = _body(request)
        start = _position(body.get("after"))
        size = min(int(body.get("first", 50)), max_page)
        end = start + size
        return json_response(
            {
                "results": items[start:end],
                "pageInfo": {"endCursor": _token(end), "hasNextPage": end < len(items)},
            }
        )

    return respond


def bulkfetch_responder(items: list[dict[str, Any]]) -> Responder:
    """POST /issue/bulkfetch {issueIdsOrKeys, fields}: the known issues, ascending by id."""
    known = {str(item["id"]): item for item in items} | {item["key"]: item for item in items}

    def respond(request: httpx.Request) -> httpx.Response:
        wanted = _body(request)["issueIdsOrKeys"]
        found = {known[i]["id"]: known[i] for i in wanted if i in known}
        # Issues Jira cannot find are left out; `issueErrors` lists only retriable failures.
        return json_response(
            {"issues": [found[i] for i in sorted(found, key=int)], "issueErrors": []}
        )

    return respond
