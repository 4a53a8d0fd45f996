"""Jira Software: boards, their projects, sprints, epics and backlogs; sprints by id.

- ``/rest/agile/1.0/board`` (PageBean with ``isLast``).
- ``/board/{id}/sprint``: kanban boards answer 400 "The board does not support sprints". A
  cross-team board also lists the sprints of other boards it shares (each sprint names its own
  ``originBoardId``).
- ``/board/{id}/epic``: ``isLast`` but no ``total``; ``done=true|false``.
- ``/rest/software/1.0/board/{id}/backlog`` (getIssuesForBacklogJSIS, the enhanced backlog):
  token paged as Atlassian's current Jira Software description says, ``{issues, isLast,
  nextPageToken}`` (no ``startAt``, no ``total``; a ``startAt`` sent anyway is ignored), with
  ``jql`` and ``fields``; a board without a backlog answers 400.
- ``/rest/agile/1.0/board/{id}/backlog`` (getIssuesForBacklog, and Data Center's only
  backlog): ``{startAt, maxResults, total, issues}``.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from .api_platform import jql_context
from .catalog import JsonDict
from .fields import FieldSpec, split_list
from .jql import compile_query, parse
from .search import decode_token, encode_token
from .store import IssueRecord
from .web import (
    JiraError,
    account,
    respond,
    respond_issues,
    respond_page,
    state,
    window,
)

BOARD_NOT_FOUND: Final = (
    "The requested board cannot be viewed because it either does not exist or you do not have "
    "permission to view it."
)


def _by_id(request: Request, param: str, table: dict[int, JsonDict], missing: str) -> JsonDict:
    raw = str(request.path_params[param])
    found = table.get(int(raw)) if raw.isdigit() else None
    if found is None:
        raise JiraError(404, missing.format(raw))
    return found


def _board(request: Request) -> JsonDict:
    return _by_id(request, "boardId", state(request).dataset.boards, BOARD_NOT_FOUND)


async def boards_list(request: Request) -> Response:
    """Every board (the integration's default selector filters by neither type nor project)."""
    ds = state(request).dataset
    boards = sorted(ds.boards.values(), key=lambda b: int(b["id"]))
    return await respond_page(request, [ds.board_json(b) for b in boards])


async def board_projects(request: Request) -> Response:
    ds = state(request).dataset
    board = _board(request)
    return await respond_page(request, [ds.project_json(p) for p in ds.board_projects(board)])


async def board_sprints(request: Request) -> Response:
    ds = state(request).dataset
    board = _board(request)
    if board["type"] == "kanban":
        raise JiraError(400, "The board does not support sprints")
    states = set(split_list(request.query_params.get("state")))
    sprints = [
        ds.sprint_json(s) for s in ds.board_sprints(board) if not states or s["state"] in states
    ]
    return await respond_page(request, sprints)


async def sprint_get(request: Request) -> Response:
    ds = state(request).dataset
    missing = "Sprint with id {} does not exist or you do not have permission."
    sprint = _by_id(request, "sprintId", ds.sprints, missing)
    await account(request, 1)
    return respond(request, ds.sprint_json(sprint))


async def board_epics(request: Request) -> Response:
    ds = state(request).dataset
    board = _board(request)
    done = request.query_params.get("done")
    epics = [ds.epic_json(rec) for rec in ds.board_epics(board)]
    if done:
        epics = [e for e in epics if e["done"] == (done == "true")]
    return await respond_page(request, epics, total=False)


def _backlog(request: Request) -> tuple[list[IssueRecord], FieldSpec, str]:
    """The board's backlog issues the request's ``jql`` selects, its fields, and the JQL."""
    ds = state(request).dataset
    board = _board(request)
    if not board["backlog"]:
        raise JiraError(400, "The board does not have the backlog enabled.")
    q = request.query_params
    spec = FieldSpec.parse(q.get("fields"), default=["*navigable"])
    jql = q.get("jql") or ""
    selected = compile_query(parse(jql), jql_context(request))
    return [rec for rec in ds.board_backlog(board) if selected(rec)], spec, jql


async def board_backlog(request: Request) -> Response:
    """The enhanced backlog: ``nextPageToken`` (opaque, naming the JQL and the next offset)
    until ``isLast``."""
    issues, spec, jql = _backlog(request)
    q = request.query_params
    _, size = window(q)
    token = q.get("nextPageToken")
    start = int(decode_token(f"backlog {board_id(request)} {jql}", token)[0]) if token else 0
    page = [spec.issue(rec) for rec in issues[start : start + size]]
    await account(request, len(page), len(page) if spec.full else 0)
    body: JsonDict = {"maxResults": size, "issues": page, "isLast": start + size >= len(issues)}
    if not body["isLast"]:
        body["nextPageToken"] = encode_token(f"backlog {board_id(request)} {jql}", [start + size])
    return respond(request, body)


def board_id(request: Request) -> str:
    return str(request.path_params["boardId"])


async def agile_backlog(request: Request) -> Response:
    """The agile API's backlog: offset paged, with ``total``."""
    issues, spec, _ = _backlog(request)
    return await respond_issues(request, issues, spec, *window(request.query_params))
