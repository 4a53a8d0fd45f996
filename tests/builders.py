"""Jira-shaped objects and paged responses, shared by the respx and harness tests."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

FIXTURES = Path(__file__).parent / "fixtures"
SITE = "https://myaccount.atlassian.net"

Responder = Callable[[httpx.Request], httpx.Response]


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


def offset_pager(items: list[dict[str, Any]], max_page: int = 2) -> Responder:
    """PageBean: {values, startAt, maxResults, total, isLast}."""

    def respond(request: httpx.Request) -> httpx.Response:
        query = _query(request)
        start = int(query.get("startAt", 0))
        size = min(int(query.get("maxResults", 50)), max_page)
        values = items[start : start + size]
        return json_response(
            {
                "startAt": start,
                "maxResults": size,
                "total": len(items),
                "isLast": start + size >= len(items),
                "values": values,
            }
        )

    return respond


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
        missing = [i for i in wanted if i not in known]
        return json_response(
            {
                "issues": [found[i] for i in sorted(found, key=int)],
                "issueErrors": [{"issueIdsOrKeys": missing, "errorMessages": ["not found"]}]
                if missing
                else [],
            }
        )

    return respond
