"""Jira's pagination styles, each written once. Every paginator yields non-empty pages.

- `offset_pages`: PageBean `{values, startAt, total, isLast}` (projects, boards, versions…).
- `array_pages`: a bare array paged with startAt until an empty page (users).
- `token_pages`: `nextPageToken` in a POST body; no total (issue search).
- `query_token_pages`: `nextPageToken` as a GET query parameter, `isLast`; no `startAt`, no
  total (the enhanced backlog, `/rest/software/1.0/board/{id}/backlog`).
- `cursor_pages`: a cursor that may still be present on the empty last page (Teams), or with
  `isLast` (Data Center's `/user/list`: `values`, `nextCursor`).
- `relay_pages`: Relay-style `{first, after}` body and `pageInfo` (team members).
- `window_pages`: Data Center's issue search, `startAt`/`total` while the offset stays inside
  the search index's result window, then by key (`key > last ORDER BY key`) past it.
- `since_pages`: a change feed `{values, since, until, lastPage, nextPage}` paged by asking
  again `since` the page's `until` (worklogs updated or deleted since a time).

A token or cursor that comes back twice, or an offset page that comes back again (a site that
ignores `startAt`), would loop forever: that raises instead, failing the kind (and so deleting
nothing) rather than silently truncating it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from jira.errors import JiraApiError, JiraIncompleteError, JiraMalformedResponse
from jira.http import Endpoint
from jira.jql import quoted, without_order_by

Page = list[dict[str, Any]]


def _items(body: Any, key: str, endpoint: str) -> Page:
    if not isinstance(body, dict):
        raise JiraMalformedResponse(
            f"Jira {endpoint} answered {type(body).__name__}, not an object"
        )
    items = body.get(key) or []
    if not isinstance(items, list):
        raise JiraMalformedResponse(f"Jira {endpoint}: '{key}' is not a list")
    return items


class _SeenGuard:
    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self._seen: set[str] = set()

    def check(self, token: str) -> None:
        if token in self._seen:
            raise JiraMalformedResponse(
                f"Jira {self._endpoint} repeated a page token; stopping to avoid an endless loop"
            )
        self._seen.add(token)


def _check_new_page(seen: set[str], values: Page, endpoint: str, start: int) -> None:
    """Raise when `values` is a page already read: asking on would never end."""
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
    if digest in seen:
        raise JiraMalformedResponse(
            f"Jira {endpoint} answered the same page again at startAt={start}; "
            "stopping to avoid an endless loop"
        )
    seen.add(digest)


async def offset_pages(
    endpoint: Endpoint,
    *,
    params: Mapping[str, Any] | None = None,
    page_size: int = 50,
    values_key: str = "values",
) -> AsyncIterator[Page]:
    start = 0
    seen: set[str] = set()
    while True:
        body = await endpoint.get({**(params or {}), "startAt": start, "maxResults": page_size})
        values = _items(body, values_key, endpoint.name("GET"))
        if values:
            _check_new_page(seen, values, endpoint.name("GET"), start)
            yield values
        start += len(values)
        total = body.get("total")
        if not values or body.get("isLast") is True:
            return
        if body.get("isLast") is None and isinstance(total, int) and start >= total:
            return


async def array_pages(
    endpoint: Endpoint, *, params: Mapping[str, Any] | None = None, page_size: int = 1000
) -> AsyncIterator[Page]:
    start = 0
    while True:
        body = await endpoint.get({**(params or {}), "startAt": start, "maxResults": page_size})
        if not isinstance(body, list):
            raise JiraMalformedResponse(f"Jira {endpoint.name('GET')} did not answer an array")
        if not body:
            return
        yield body
        start += len(body)


async def _chained(
    name: str,
    ask: Callable[[Any], Awaitable[Any]],
    items_key: str,
    next_token: Callable[[dict[str, Any]], Any],
    *,
    empty_is_last: bool = False,
) -> AsyncIterator[Page]:
    """Pages chained by a token each page gives for the next: `ask(token)` reads one (None for
    the first), `next_token(page)` is falsy on the last. With `empty_is_last`, an empty page
    ends the chain even when it still carries a token."""
    guard = _SeenGuard(name)
    token: Any = None
    while True:
        page = await ask(token)
        items = _items(page, items_key, name)
        if items:
            yield items
        elif empty_is_last:
            return
        token = next_token(page)
        if not token:
            return
        guard.check(str(token))


def _unless_last(page: dict[str, Any], key: str) -> Any:
    return None if page.get("isLast") is True else page.get(key)


def token_pages(
    endpoint: Endpoint, *, body: Mapping[str, Any], items_key: str = "issues"
) -> AsyncIterator[Page]:
    async def ask(token: Any) -> Any:
        payload = dict(body)
        if token:
            payload["nextPageToken"] = token
        return await endpoint.post(payload)

    return _chained(
        endpoint.name("POST"), ask, items_key, lambda page: _unless_last(page, "nextPageToken")
    )


def cursor_pages(
    endpoint: Endpoint,
    *,
    params: Mapping[str, Any] | None = None,
    items_key: str = "entities",
    next_key: str = "cursor",
) -> AsyncIterator[Page]:
    async def ask(cursor: Any) -> Any:
        query = dict(params or {})
        if cursor:
            query["cursor"] = cursor
        return await endpoint.get(query)

    return _chained(
        endpoint.name("GET"),
        ask,
        items_key,
        lambda page: _unless_last(page, next_key),
        empty_is_last=True,
    )


def query_token_pages(
    endpoint: Endpoint,
    *,
    params: Mapping[str, Any] | None = None,
    page_size: int = 50,
    items_key: str = "issues",
) -> AsyncIterator[Page]:
    async def ask(token: Any) -> Any:
        query = {**(params or {}), "maxResults": page_size}
        if token:
            query["nextPageToken"] = token
        return await endpoint.get(query)

    return _chained(
        endpoint.name("GET"), ask, items_key, lambda page: _unless_last(page, "nextPageToken")
    )


def relay_pages(
    endpoint: Endpoint,
    *,
    page_size: int = 50,
    items_key: str = "results",
    params: Mapping[str, Any] | None = None,
) -> AsyncIterator[Page]:
    async def ask(after: Any) -> Any:
        request: dict[str, Any] = {"first": page_size}
        if after:
            request["after"] = after
        return await endpoint.post(request, params)

    def end_cursor(page: dict[str, Any]) -> Any:
        info = page.get("pageInfo") or {}
        return info.get("endCursor") if info.get("hasNextPage") else None

    return _chained(endpoint.name("POST"), ask, items_key, end_cursor)


# Data Center on OpenSearch refuses `startAt + maxResults` past the index's max_result_window
# (jira.search.platform.max.result.window); JIRA_SEARCH_WINDOW tells a site's own value.
RESULT_WINDOW = 10_000


def result_window(env: Mapping[str, str] = os.environ) -> int:
    value = env.get("JIRA_SEARCH_WINDOW", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else RESULT_WINDOW


def _after_key(base: str, last_key: str, done_projects: list[str]) -> str:
    """`base`'s issues after `last_key` in key order. Jira compares issue keys within their
    project only (`key > "B-7"` leaves project C out), so the projects not yet reached are
    named too: the clause holds whichever way a site compares keys."""
    done = ", ".join(quoted(project) for project in done_projects)
    after = f"(key > {quoted(last_key)} OR project not in ({done}))"
    return f"({base}) AND {after} ORDER BY key ASC" if base else f"{after} ORDER BY key ASC"


RECENT_KEYS = 100  # how far back a segment may start when the last key read is gone


async def window_pages(
    endpoint: Endpoint,
    *,
    jql: str,
    body: Mapping[str, Any],
    page_size: int,
    window: int | None = None,
    in_flight: int = 4,
) -> AsyncIterator[Page]:
    """Issues of `jql` ordered by key, in segments, none of them missed while the site
    changes under the read.

    A segment's first page tells the server's page size and the `total`; its other pages
    inside `window` are read by offset, up to `in_flight` at once (yielded in order). Offset
    pages are no snapshot: an issue created, deleted, moved or deselected between two
    requests shifts the later pages, and the nodes of a cluster can differ (Atlassian's
    knowledge base, "Inconsistent paginated API search result while using JQL"). So each
    offset page starts at the last issue of the page before, and is only kept when that issue
    is on it: then nothing was removed before it in between (added issues only move it further
    on the page) and the issues after it on the page are the ones right after it. Otherwise,
    and when the segment's last page says the results go on (past the window, or grown
    meanwhile), the next segment is the issues after the last key read (`key > last ORDER BY
    key`), from offset 0: the first page of such a query holds whatever follows that key when
    it is read, so it needs no check.

    Why not key paging alone: it makes every page wait for the one before (Data Center has no
    bulk fetch, the search pages carry the fields); the one-issue overlap keeps pages in
    flight at one request more per page. When the key a segment starts after is itself gone
    (Jira refuses `key > X` once X no longer exists), it starts after the issue read before X
    instead (up to `RECENT_KEYS` back), leaving out what was already yielded.
    """
    window = window or result_window()
    base = without_order_by(jql)
    projects: list[str] = []  # the projects reached so far, in key order
    recent: list[str] = []  # the last keys yielded, in order: where a segment may go on from

    async def read(query: str, start: int, size: int) -> tuple[Page, int]:
        payload = {**body, "jql": query, "startAt": start, "maxResults": size}
        page = await endpoint.post(payload)
        issues = _items(page, "issues", endpoint.name("POST"))
        total = page.get("total")
        return issues, total if isinstance(total, int) and total >= 0 else start + len(issues)

    async def segment_start() -> tuple[str, Page, int]:
        """The query of the next segment and its first page: after the last key yielded that
        Jira still has (from the start when none was yielded)."""
        if not recent:
            query = f"{base} ORDER BY key ASC" if base else "ORDER BY key ASC"
            return query, *await read(query, 0, page_size)
        for at in range(len(recent) - 1, -1, -1):
            query = _after_key(base, recent[at], projects)
            try:
                return query, *await read(query, 0, page_size)
            except JiraApiError as exc:
                if exc.status != 400:
                    raise
                if at == 0:
                    raise JiraIncompleteError(
                        f"Jira {endpoint.name('POST')} refused to go on after the last "
                        f"{len(recent)} issue(s) read ({'; '.join(exc.messages)}); the issues "
                        "after them are unknown, not gone"
                    ) from exc
        raise AssertionError("unreachable: the loop returns or raises")

    def taken(issues: Page) -> Page:
        """The issues not yielded yet, noting their keys and projects."""
        yielded = set(recent)
        new = [issue for issue in issues if _key(issue, endpoint) not in yielded]
        keys = [_key(issue, endpoint) for issue in new]
        recent[:] = (recent + keys)[-RECENT_KEYS:]
        for key in keys:
            project = key.rpartition("-")[0]
            if project and (not projects or projects[-1] != project):
                projects.append(project)
        return new

    while True:
        query, first, total = await segment_start()
        if not first:
            return
        if page := taken(first):
            yield page
        stride = len(first)
        if total <= stride:
            return
        if stride < 2:
            continue  # no overlap possible: key by key
        starts = list(range(stride - 1, total - 1, stride - 1))  # each adds one issue at least
        inside = [start for start in starts if start + stride <= window]
        last, last_start, last_total = first, 0, total
        contiguous = True
        pending: deque[asyncio.Task[tuple[Page, int]]] = deque()
        try:
            queued = iter(inside)
            for start in inside:
                while len(pending) < in_flight and (ahead := next(queued, None)) is not None:
                    pending.append(asyncio.create_task(read(query, ahead, stride)))
                page, page_total = await pending.popleft()
                keys = [_key(issue, endpoint) for issue in page]
                if _key(last[-1], endpoint) not in keys:
                    contiguous = False  # shifted past it: go on by key after the last read
                    break
                # Where it is now: further on when issues were added before it, which only
                # repeats issues already read; what follows it follows it.
                if fresh := taken(page[keys.index(_key(last[-1], endpoint)) + 1 :]):
                    yield fresh
                last, last_start, last_total = page, start, page_total
        finally:
            for task in pending:
                task.cancel()
        if contiguous and len(inside) == len(starts) and last_start + len(last) >= last_total:
            return


def _key(issue: dict[str, Any], endpoint: Endpoint) -> str:
    key = issue.get("key")
    if not isinstance(key, str) or not key:
        raise JiraMalformedResponse(f"Jira {endpoint.name('POST')}: issues without a key")
    return key


async def since_pages(
    endpoint: Endpoint, *, since: int, params: Mapping[str, Any] | None = None
) -> AsyncIterator[Page]:
    cursor = since
    while True:
        page = await endpoint.get({**(params or {}), "since": cursor})
        values = _items(page, "values", endpoint.name("GET"))
        if values:
            yield values
        if page.get("lastPage", not page.get("nextPage")):
            return
        until = page.get("until")
        if isinstance(until, bool) or not isinstance(until, int) or until <= cursor:
            raise JiraMalformedResponse(
                f"Jira {endpoint.name('GET')} announced another page without moving 'until' past {cursor}; "
                "stopping to avoid an endless loop"
            )
        cursor = until
