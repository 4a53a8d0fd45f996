"""Atlassian Teams public API (org-scoped, cursor paged; the integration never calls it with
an OAuth token), and ``/_edge/tenant_info``, the site's cloud id.

Teams pinned to the site (the last ``site_scoped_team_share`` of them) are listed, and their
members read, only when ``siteId`` names the site's cloud id, as Atlassian documents.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from .web import JiraError, account, ctx, int_param, read_object, respond, state

DEFAULT_TEAMS_PAGE: Final = 50
MAX_MEMBERS_PAGE: Final = 50


def _offset(cursor: str) -> int:
    """Cursors here are offsets (opaque to the client either way)."""
    if not cursor.isdigit():
        raise JiraError(400, f"Invalid cursor: '{cursor}'.")
    return int(cursor)


def _visible(request: Request) -> list[str]:
    """The ids of the teams this request may see: the organization's, and the site's own ones
    only when ``siteId`` is the site's cloud id."""
    sim = state(request)
    ids = list(sim.dataset.teams)
    pinned = round(sim.config.site_scoped_team_share * len(ids))
    if request.query_params.get("siteId") == sim.config.cloud_id:
        return ids
    return ids[: len(ids) - pinned]


async def list_teams(request: Request) -> Response:
    """``{entities, cursor}``; past the end: ``entities: []`` that STILL carries a cursor."""
    q = request.query_params
    size = int_param(q.get("size"), "size", DEFAULT_TEAMS_PAGE)
    offset = _offset(q["cursor"]) if q.get("cursor") else 0
    teams = state(request).dataset.teams
    page = [teams[team_id] for team_id in _visible(request)[offset : offset + size]]
    await account(request, len(page))
    return respond(request, {"entities": page, "cursor": str(offset + len(page))})


async def team_members(request: Request) -> Response:
    """Relay-style paging in the JSON body: ``{first, after}``."""
    dataset = state(request).dataset
    team_id = request.path_params["teamId"]
    if team_id not in _visible(request):
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


async def tenant_info(request: Request) -> Response:
    """``{cloudId}``, served without credentials on the site (not under the gateway)."""
    if ctx(request).gateway:
        raise JiraError(404, f"null for uri: {ctx(request).base}/_edge/tenant_info")
    return respond(request, {"cloudId": state(request).config.cloud_id})
