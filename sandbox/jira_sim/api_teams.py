"""Atlassian Teams public API (org-scoped, cursor paged; API-token auth only)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from .catalog import JsonDict
from .web import (
    NOT_AUTHENTICATED,
    JiraError,
    ctx,
    int_param,
    read_object,
    respond,
    state,
)

TEAMS_PREFIX: Final = "/gateway/api/public/teams/v1/org/{orgId}"
MAX_TEAMS_PAGE: Final = 300
DEFAULT_TEAMS_PAGE: Final = 50
MAX_MEMBERS_PAGE: Final = 50


def _encode(kind: str, offset: int) -> str:
    raw = json.dumps({"k": kind, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(kind: str, cursor: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if data.get("k") != kind or not isinstance(data.get("o"), int) or data["o"] < 0:
            raise ValueError(cursor)
        return int(data["o"])
    except (binascii.Error, ValueError, UnicodeDecodeError, AttributeError):
        raise JiraError(400, f"Invalid cursor: '{cursor}'.") from None


def _check(request: Request) -> None:
    """Teams refuse OAuth (Bearer) tokens; the org must be the simulated one."""
    if ctx(request).auth == "bearer":
        raise JiraError(401, NOT_AUTHENTICATED)
    if request.path_params["orgId"] != state(request).config.org_id:
        raise JiraError(404, f"Organization '{request.path_params['orgId']}' was not found.")


async def list_teams(request: Request) -> Response:
    """``{entities, cursor}``; past the end: ``entities: []`` that STILL carries a cursor."""
    _check(request)
    sim = state(request)
    q = request.query_params
    size = int_param(q.get("size"), "size", DEFAULT_TEAMS_PAGE)
    if size < 1 or size > MAX_TEAMS_PAGE:
        raise JiraError(400, f"size must be between 1 and {MAX_TEAMS_PAGE}.")
    cursor = q.get("cursor")
    offset = _decode("teams", cursor) if cursor else 0
    teams = list(sim.dataset.teams.values())
    page = teams[offset : offset + size]
    entities: list[JsonDict] = [dict(t) for t in page]
    sim.stats.tallies["items_returned"] += len(entities)
    return respond(request, {"entities": entities, "cursor": _encode("teams", offset + len(page))})


async def team_members(request: Request) -> Response:
    """Relay-style paging in the JSON body: ``{first, after}``."""
    _check(request)
    sim = state(request)
    team_id = request.path_params["teamId"]
    if team_id not in sim.dataset.teams:
        raise JiraError(404, f"Team '{team_id}' was not found.")
    body = await read_object(request)
    first = int_param(body.get("first"), "first", MAX_MEMBERS_PAGE)
    if first < 1 or first > MAX_MEMBERS_PAGE:
        raise JiraError(400, f"first must be between 1 and {MAX_MEMBERS_PAGE}.")
    after = body.get("after")
    offset = _decode("members", str(after)) + 1 if after else 0
    members = sim.dataset.team_members.get(team_id, [])
    page = members[offset : offset + first]
    end = offset + len(page) - 1
    sim.stats.tallies["items_returned"] += len(page)
    return respond(
        request,
        {
            "results": [{"accountId": a} for a in page],
            "pageInfo": {
                "endCursor": _encode("members", end) if page else None,
                "hasNextPage": offset + len(page) < len(members),
            },
        },
    )
