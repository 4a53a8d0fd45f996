"""Reading pages in the client and kind tests: one kind's resync fetch, or any pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from jira.client import JiraClient
from jira.kinds import KINDS_BY_NAME
from jira.paging import Page
from tests.builders import resource


async def collect(pages: AsyncIterator[Page]) -> list[dict[str, Any]]:
    """Every item of the pages, in order."""
    return [item async for page in pages for item in page]


async def collect_pages(pages: AsyncIterator[Page]) -> list[Page]:
    """The pages themselves, in order (where page boundaries matter)."""
    return [page async for page in pages]


async def fetch(client: JiraClient, kind: str, **selector: Any) -> list[dict[str, Any]]:
    """The items a resync of `kind` yields for this selector."""
    return await collect(KINDS_BY_NAME[kind].fetch(client, resource(kind, **selector)))
