"""Jira Software kinds: boards, and the sprints, epics and backlogs of every board.

Each per-board kind is the board list (the parent) fanned out by `jira.fanout.children` to one
board endpoint. Sprints and epics can show on several boards (a sprint appears on every board
whose filter holds its issues): within one resync each is yielded once, the first time it is
seen. The set of ids seen holds ids only, and sprints and epics are few.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from loguru import logger

from jira import read_ahead, relations
from jira.client import JiraClient
from jira.errors import JiraApiError
from jira.fanout import Fanout, children, enrich, tagged
from jira.http import Api
from jira.incremental import changed_since
from jira.paging import Page
from jira.resources import warn_once
from jira.selectors import (
    BacklogResourceConfig,
    BacklogSelector,
    BoardResourceConfig,
    EpicResourceConfig,
    SprintResourceConfig,
)

Payload = Mapping[str, Any]


BOARD_ACCESS = "access to that board: its filter shared with them, Browse projects in its projects"


def board_label(board: dict[str, Any]) -> str:
    name = board.get("name")
    return f"board {board.get('id')}" + (f" ({name})" if name else "")


def _is_400(error: JiraApiError) -> bool:
    return error.status == 400


def _per_board(
    client: JiraClient,
    kind: str,
    read: Callable[[dict[str, Any]], AsyncIterator[Page]],
    nothing_here: str,
    boards: AsyncIterator[Page] | None = None,
) -> AsyncIterator[Page]:
    """`read(board)` for every board (or `boards`); Jira's 400 for a board means only that it
    has nothing of the kind (`nothing_here`)."""
    fanout = Fanout(kind, board_label, client.concurrency, _is_400, nothing_here, BOARD_ACCESS)
    return children(boards if boards is not None else _boards(client), read, fanout)


def _boards(
    client: JiraClient, board_type: str | None = None, project_key: str | None = None
) -> AsyncIterator[Page]:
    """The boards (of a type, of a project), read once per resync for every kind that needs
    them (jira.read_ahead)."""
    return read_ahead.shared_list(
        ("boards", client, board_type, project_key),
        lambda: client.boards(board_type, project_key),
    )


def _on_board(board: dict[str, Any], pages: AsyncIterator[Page]) -> AsyncIterator[Page]:
    return tagged(pages, **{relations.BOARD_ID: int(board["id"])})


def _each_once(
    client: JiraClient,
    kind: str,
    read: Callable[[dict[str, Any]], AsyncIterator[Page]],
    boards: AsyncIterator[Page] | None = None,
) -> AsyncIterator[Page]:
    """`_per_board` for a kind that can show on several boards (sprints, epics): each item
    once, the first time it is seen; a board Jira answers 400 for does not support the kind."""
    pages = _per_board(client, kind, read, f"those boards do not support {kind}s", boards)
    return _once_each(pages)


async def _once_each(pages: AsyncIterator[Page]) -> AsyncIterator[Page]:
    """The items not seen before in this resync (a sprint or epic shows on several boards)."""
    seen: set[Any] = set()
    async for page in pages:
        fresh: Page = []
        for item in page:
            if item.get("id") not in seen:
                seen.add(item.get("id"))
                fresh.append(item)
        if fresh:
            yield fresh


# Boards


async def _add_projects(client: JiraClient, board: dict[str, Any]) -> None:
    keys: list[str] = []
    async for page in client.board_projects(board["id"]):
        keys += [str(p["key"]) for p in page if isinstance(p, dict) and p.get("key")]
    board[relations.PROJECT_KEYS] = keys


async def fetch_boards(client: JiraClient, resource: BoardResourceConfig) -> AsyncIterator[Page]:
    selector = resource.selector
    boards = _boards(client, selector.board_type, selector.project_key)
    fanout = Fanout("board", board_label, client.concurrency, access=BOARD_ACCESS)
    async for page in enrich(boards, lambda board: _add_projects(client, board), fanout):
        yield page


async def fetch_one_board(
    client: JiraClient, resource: BoardResourceConfig, payload: Payload
) -> dict[str, Any] | None:
    selector = resource.selector
    board_id = payload["board"]["id"]
    board = await client.board(board_id)
    await _add_projects(client, board)
    if selector.board_type and board.get("type") != selector.board_type:
        logger.info(f"Board {board_id} is not a {selector.board_type} board; removing it")
        return None
    if selector.project_key:
        wanted = selector.project_key.upper()
        location = board.get("location") or {}
        candidates = {k.upper() for k in board[relations.PROJECT_KEYS]} | {
            str(location.get("projectKey", "")).upper(),
            str(location.get("projectId", "")),
        }
        if wanted not in candidates:
            logger.info(f"Board {board_id} is not on project {selector.project_key}; removing it")
            return None
    return board


# Sprints


async def _board_sprints(
    client: JiraClient, board: dict[str, Any], states: list[str]
) -> AsyncIterator[Page]:
    # A sprint names its own board (originBoardId); otherwise it belongs to the board listing it.
    async for page in client.board_sprints(board["id"], states):
        for sprint in page:
            sprint[relations.BOARD_ID] = int(sprint.get("originBoardId") or board["id"])
        yield page


async def _boards_with_sprints(client: JiraClient) -> AsyncIterator[Page]:
    # Kanban boards have no sprints (Jira answers 400): not asked at all.
    async for page in _boards(client):
        scrum = [board for board in page if board.get("type") != "kanban"]
        if scrum:
            yield scrum


def fetch_sprints(client: JiraClient, resource: SprintResourceConfig) -> AsyncIterator[Page]:
    states = resource.selector.states
    return _each_once(
        client,
        "sprint",
        lambda board: _board_sprints(client, board, states),
        boards=_boards_with_sprints(client),
    )


async def fetch_one_sprint(
    client: JiraClient, resource: SprintResourceConfig, payload: Payload
) -> dict[str, Any] | None:
    sprint_id = payload["sprint"]["id"]
    sprint = await client.sprint(sprint_id)
    if sprint.get("state") not in resource.selector.states:
        logger.info(
            f"Sprint {sprint_id} is {sprint.get('state')}, not one of the selector's "
            f"{', '.join(resource.selector.states)}; removing it"
        )
        return None
    board = sprint.get("originBoardId") or payload["sprint"].get("originBoardId")
    sprint[relations.BOARD_ID] = int(board) if board else None
    return sprint


# Epics


def fetch_epics(client: JiraClient, resource: EpicResourceConfig) -> AsyncIterator[Page]:
    done = resource.selector.done
    return _each_once(
        client, "epic", lambda board: _on_board(board, client.board_epics(board["id"], done))
    )


# Backlogs


def _is_refusal(error: JiraApiError) -> bool:
    return error.status in (401, 403)


async def _board_backlog(
    client: JiraClient, board: dict[str, Any], selector: BacklogSelector, jql: str | None
) -> AsyncIterator[Page]:
    """The software API's backlog, or the agile one's when the software API is not wanted or
    Jira refuses it before any page (a token without the Jira Software scopes it needs)."""
    read = partial(client.board_backlog, board["id"], jql, selector.field_csv)
    if selector.use_software_api:
        try:
            async for page in read(Api.SOFTWARE):
                yield page
            return
        except JiraApiError as error:
            if not _is_refusal(error):
                raise
            warn_once(
                f"Kind backlog: Jira refused rest/software/1.0 backlogs ({error.status}); "
                "reading them from rest/agile/1.0"
            )
    async for page in read(Api.AGILE):
        yield page


def _backlogs(
    client: JiraClient, selector: BacklogSelector, jql: str | None
) -> AsyncIterator[Page]:
    return _per_board(
        client,
        "backlog",
        lambda board: _on_board(board, _board_backlog(client, board, selector, jql)),
        "those boards have no backlog",
    )


def fetch_backlog(client: JiraClient, resource: BacklogResourceConfig) -> AsyncIterator[Page]:
    return _backlogs(client, resource.selector, resource.selector.jql)


async def fetch_changed_backlog(
    client: JiraClient, resource: BacklogResourceConfig, since: datetime
) -> AsyncIterator[Page]:
    """Each board's backlog issues updated since `since` (one request per board still)."""
    selector = resource.selector
    jql = await changed_since(client, selector.jql or "", since)
    async for page in _backlogs(client, selector, jql):
        yield page
