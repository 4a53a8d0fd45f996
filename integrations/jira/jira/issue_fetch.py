"""Two ways to read a JQL's issues, and the one the resync uses.

- `search`: `POST /search/jql` with the fields, page by page (`nextPageToken`). One request per
  page, but pages are sequential by nature, so Jira's latency adds up.
- `bulk`: id-only pages from `/search/jql` (up to 5000 ids a request), then
  `POST /issue/bulkfetch` for the details, several chunks in flight at once (Atlassian's own
  advice for the enhanced search). A chunk holds 1000 issues when the fields are named and no
  expand is asked, 100 otherwise. Issues deleted between the two steps come back in
  `issueErrors` and are skipped: they are gone.

Both yield pages in a stable order and hold a bounded number of pages in memory.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from enum import StrEnum
from typing import Any

from jira.http import Api, JiraHttp
from jira.paging import Page, token_pages

ID_PAGE_SIZE = 5000
SEARCH_PAGE_SIZE = 100
BULK_NAMED_FIELDS_MAX = 1000
BULK_DEFAULT_MAX = 100
BULK_IN_FLIGHT = 4
# The first chunk is small so that processing starts after one short request instead of a
# full 1000-issue one (Jira's time grows with the issues returned); one extra request per sync.
FIRST_CHUNK = 100


class IssueStrategy(StrEnum):
    SEARCH = "search"
    BULK = "bulk"


DEFAULT_STRATEGY = IssueStrategy.BULK


def issue_strategy(env: Mapping[str, str] = os.environ) -> IssueStrategy:
    """The default, or JIRA_ISSUE_STRATEGY=search|bulk (benchmarks compare the two)."""
    value = env.get("JIRA_ISSUE_STRATEGY", "").strip().lower()
    return IssueStrategy(value) if value in IssueStrategy._value2member_map_ else DEFAULT_STRATEGY


def _search_body(jql: str, fields: list[str], expand: str | None, page_size: int) -> dict[str, Any]:
    body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": page_size}
    if expand:
        body["expand"] = expand
    return body


MULTI_VALUE_FIELDS = frozenset({"comment", "worklog", "attachment"})
HEAVY_EXPANDS = frozenset(
    {
        "changelog",
        "editmeta",
        "operations",
        "renderedFields",
        "transitions",
        "versionedRepresentations",
    }
)


def _expand_list(expand: str | None) -> list[str]:
    return [part.strip() for part in (expand or "").split(",") if part.strip()]


def bulk_chunk_size(fields: list[str], expand: str | None) -> int:
    """1000 when Jira can serve the request efficiently (its documented conditions), else 100."""
    efficient = (
        bool(fields)
        and len(fields) <= 100
        and all(not f.startswith(("*", "-")) for f in fields)
        and not MULTI_VALUE_FIELDS.intersection(fields)
        and not HEAVY_EXPANDS.intersection(_expand_list(expand))
    )
    return BULK_NAMED_FIELDS_MAX if efficient else BULK_DEFAULT_MAX


async def search_pages(
    http: JiraHttp, jql: str, fields: list[str], expand: str | None = None
) -> AsyncIterator[Page]:
    async for page in token_pages(
        http, Api.PLATFORM, "/search/jql", body=_search_body(jql, fields, expand, SEARCH_PAGE_SIZE)
    ):
        yield page


async def _bulkfetch(http: JiraHttp, ids: list[str], fields: list[str], expand: str | None) -> Page:
    body: dict[str, Any] = {"issueIdsOrKeys": ids, "fields": fields}
    if expand:
        body["expand"] = _expand_list(expand)  # a list here, unlike most endpoints
    result = await http.request("POST", Api.PLATFORM, "/issue/bulkfetch", json_body=body)
    issues: Page = (result or {}).get("issues") or []
    return issues


async def bulk_pages(
    http: JiraHttp,
    jql: str,
    fields: list[str],
    expand: str | None = None,
    in_flight: int = BULK_IN_FLIGHT,
) -> AsyncIterator[Page]:
    chunk = bulk_chunk_size(fields, expand)
    size = min(chunk, FIRST_CHUNK)
    pending: list[asyncio.Task[Page]] = []
    try:
        async for id_page in token_pages(
            http, Api.PLATFORM, "/search/jql", body=_search_body(jql, ["id"], None, ID_PAGE_SIZE)
        ):
            ids = [str(item["id"]) for item in id_page]
            start = 0
            while start < len(ids):
                batch = ids[start : start + size]
                pending.append(asyncio.create_task(_bulkfetch(http, batch, fields, expand)))
                start += len(batch)
                size = chunk
                while len(pending) >= in_flight:
                    page = await pending.pop(0)
                    if page:
                        yield page
        while pending:
            page = await pending.pop(0)
            if page:
                yield page
    finally:
        for task in pending:
            task.cancel()


def issue_pages(
    http: JiraHttp,
    jql: str,
    fields: list[str],
    expand: str | None = None,
    strategy: IssueStrategy = IssueStrategy.BULK,
) -> AsyncIterator[Page]:
    if strategy is IssueStrategy.SEARCH:
        return search_pages(http, jql, fields, expand)
    return bulk_pages(http, jql, fields, expand)
