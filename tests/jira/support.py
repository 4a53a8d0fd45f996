"""Reading pages in the client and kind tests (one kind's resync fetch, or any pages), and
answering each project's or board's request with its own responder."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx

from jira.client import JiraClient
from jira.kinds import KINDS_BY_NAME
from jira.paging import Page
from tests.builders import Responder, resource


async def collect(pages: AsyncIterator[Page]) -> list[dict[str, Any]]:
    """Every item of the pages, in order."""
    return [item async for page in pages for item in page]


async def collect_pages(pages: AsyncIterator[Page]) -> list[Page]:
    """The pages themselves, in order (where page boundaries matter)."""
    return [page async for page in pages]


async def fetch(client: JiraClient, kind: str, **selector: Any) -> list[dict[str, Any]]:
    """The items a resync of `kind` yields for this selector."""
    return await collect(KINDS_BY_NAME[kind].fetch(client, resource(kind, **selector)))


def project_key(request: httpx.Request) -> str:
    """The project of a /project/{key}/... request."""
    return _segment_after("project", request)


def board_id(request: httpx.Request) -> int:
    """The board of a /board/{id}/... request."""
    return int(_segment_after("board", request))


def _segment_after(name: str, request: httpx.Request) -> str:
    match = re.search(rf"/{name}/([^/]+)/", str(request.url))
    assert match
    return match.group(1)


def per_project(responses: Mapping[str, Any]) -> Responder:
    """Answers each project's request with its response (or responder) in `responses`."""
    return _routed(project_key, responses)


def per_board(responses: Mapping[int, Any]) -> Responder:
    """Answers each board's request with its response (or responder) in `responses`."""
    return _routed(board_id, responses)


def _routed[K](key_of: Callable[[httpx.Request], K], responses: Mapping[K, Any]) -> Responder:
    def respond(request: httpx.Request) -> httpx.Response:
        found = responses[key_of(request)]
        response: httpx.Response = found(request) if callable(found) else found
        return response

    return respond
