"""Atlassian Teams public API (org-scoped, cursor paged; the integration never calls it with
an OAuth token)."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from .web import JiraError, account, int_param, read_object, respond, state

DEFAULT_TEAMS_PAGE: Final = 50
MAX_MEMBERS_PAGE: Final = 50


def _offset(cursor: str) -> int:
    """Cursors here are offsets (opaque to the client either way)."""
    if not cursor.isdigit():
        raise JiraError(400, f"Invalid cursor: '{cursor}'.")
    return int(cursor)


async def list_teams(request: Request) -> Response:
    """``{entities, cursor}``; past the end: ``entities: []`` that STILL carries a cursor."""
    q = request.query_params
    size = int_param(q.get("size"), "size", DEFAULT_TEAMS_PAGE)
    offset = _offset(q["cursor"]) if q.get("cursor") else 0
    page = list(state(request).dataset.teams.values())[offset : offset + size]
    await account(request, len(page))
    return respond(request, {"entities": page, "cursor": str(offset + len(page))})


async def team_members(request: Request) -> Response:
    """Relay-style paging in the JSON body: ``{first, after}``."""
    dataset = state(request).dataset
    team_id = request.path_params["teamId"]
    if team_id not in dataset.teams:
        raise JiraError(404, f"Team '{team_id}' was not found.")
    members = dataset.team_members.get(team_id, [])
    body = await read_object(request)
    first = min(int_param(body.get("first"), "first", MAX_MEMBERS_PAGE), MAX_MEMBERS_PAGE)
    offset = _offset(str(body["after"])) + 1 if body.get("after") else 0
    page = members[offset : offset + first]
    await account(request, len(page))
    page_info = {
        "endCursor": str(offset + len(page) - 1) if page else None,
        "hasNextPage": offset + len(page) < len(members),
    }
    return respond(request, {"results": [{"accountId": a} for a in page], "pageInfo": page_info})
