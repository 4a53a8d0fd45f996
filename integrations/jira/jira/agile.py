"""Jira Software kinds: boards, and the sprints, epics and backlogs of every board.

Each per-board kind is the board list (the parent) fanned out by `jira.fanout.children` to one
board endpoint. Sprints and epics can show on several boards (a sprint appears on every board
whose filter holds its issues): within one resync each is yielded once, the first time it is
seen. The `seen` set holds ids only, and sprints and epics are few.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from loguru import logger

from jira import relations
from jira.client import JiraClient
from jira.errors import JiraApiError
from jira.fanout import children, enrich, tagged
from jira.paging import Page
from jira.selectors import (
    BacklogResourceConfig,
    BoardResourceConfig,
    EpicResourceConfig,
    SprintResourceConfig,
)

Payload = Mapping[str, Any]


def board_label(board: dict[str, Any]) -> str:
    name = board.get("name")
    return f"board {board.get('id')}" + (f" ({name})" if name else "")


def _is_400(error: JiraApiError) -> bool:
    return error.status == 400


def _first_sightings(page: Page, seen: set[Any]) -> Page:
    """The items of `page` whose id is not in `seen` (which then holds them too)."""
    fresh: Page = []
    for item in page:
        if item.get("id") not in seen:
            seen.add(item.get("id"))
            fresh.append(item)
    return fresh


# Boards


async def _add_projects(client: JiraClient, board: dict[str, Any]) -> None:
    keys: list[str] = []
    async for page in client.board_projects(board["id"]):
        keys += [str(p["key"]) for p in page if isinstance(p, dict) and p.get("key")]
    board[relations.PROJECTS] = keys


async def fetch_boards(client: JiraClient, resource: BoardResourceConfig) -> AsyncIterator[Page]:
    selector = resource.selector
    boards = client.boards(selector.board_type, selector.project_key)
    async for page in enrich(
        boards,
        lambda board: _add_projects(client, board),
        kind="board",
        describe=board_label,
        concurrency=client.concurrency,
    ):
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
        candidates = {k.upper() for k in board[relations.PROJECTS]} | {
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
            sprint[relations.BOARD] = str(sprint.get("originBoardId") or board["id"])
        yield page


async def _boards_with_sprints(client: JiraClient) -> AsyncIterator[Page]:
    # Kanban boards have no sprints (Jira answers 400): not asked at all.
    async for page in client.boards():
        scrum = [board for board in page if board.get("type") != "kanban"]
        if scrum:
            yield scrum


async def fetch_sprints(client: JiraClient, resource: SprintResourceConfig) -> AsyncIterator[Page]:
    states = resource.selector.states
    seen: set[Any] = set()
    async for page in children(
        _boards_with_sprints(client),
        lambda board: _board_sprints(client, board, states),
        kind="sprint",
        describe=board_label,
        concurrency=client.concurrency,
        expected=_is_400,
        expected_reason="those boards do not support sprints",
    ):
        fresh = _first_sightings(page, seen)
        if fresh:
            yield fresh


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
    sprint[relations.BOARD] = str(board) if board else None
    return sprint


# Epics


async def fetch_epics(client: JiraClient, resource: EpicResourceConfig) -> AsyncIterator[Page]:
    status = resource.selector.status
    done = None if status is None else status == "complete"
    seen: set[Any] = set()
    async for page in children(
        client.boards(),
        lambda board: tagged(
            client.board_epics(board["id"], done), **{relations.BOARD: str(board["id"])}
        ),
        kind="epic",
        describe=board_label,
        concurrency=client.concurrency,
        expected=_is_400,
        expected_reason="those boards do not support epics",
    ):
        fresh = _first_sightings(page, seen)
        if fresh:
            yield fresh


# Backlogs


async def fetch_backlog(client: JiraClient, resource: BacklogResourceConfig) -> AsyncIterator[Page]:
    selector = resource.selector
    async for page in children(
        client.boards(),
        lambda board: tagged(
            client.board_backlog(board["id"], selector.jql, selector.fields),
            **{relations.BOARD: str(board["id"])},
        ),
        kind="backlog",
        describe=board_label,
        concurrency=client.concurrency,
        expected=_is_400,
        expected_reason="those boards have no backlog",
    ):
        yield page
