"""The issue kind: reading a JQL's issues for a resync, and one issue again for a live event.

Two ways to read a JQL's issues (`issue_pages`):
- `search`: `POST /search/jql` with the fields, page by page (`nextPageToken`). One request per
  page, but pages are sequential by nature, so Jira's latency adds up.
- `bulk` (the default): id-only pages from `/search/jql` (up to 5000 ids a request), then
  `POST /issue/bulkfetch` for the details, several chunks in flight at once (Atlassian's own
  advice for the enhanced search). A chunk holds 1000 issues when the fields are named and no
  heavy expand is asked, 100 otherwise. Issues deleted between the two steps are left out by
  Jira: they are gone. Those it lists in `issueErrors` (retriable) are asked again, and fail
  the kind when Jira never returns them (`JiraClient.bulkfetch_issues`).
Both yield pages in a stable order and hold a bounded number of pages in memory. Data Center
has no bulk fetch: there the search pages carry the fields (`jira.paging.window_pages`).

One answer to "is this issue still selected?" (`selected_issue`), for the issue kind and the
per-issue kinds (comments, worklogs) alike.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from loguru import logger

from jira import progress
from jira.client import RECONCILE_MAX, BulkAnswer, JiraClient, expand_list
from jira.errors import JiraApiError, JiraNotFoundError
from jira.fields import issue_fields
from jira.incremental import changed_since
from jira.jql import and_clause, quoted
from jira.paging import Page
from jira.selectors import IssueResourceConfig
from jira.streaming import prefetch

Payload = Mapping[str, Any]

ID_PAGE_SIZE = 5000
SEARCH_PAGE_SIZE = 100
BULK_NAMED_FIELDS_MAX = 1000
BULK_DEFAULT_MAX = 100
BULK_IN_FLIGHT = 8
"""Chunks asked ahead (the bulk reads' own slots: jira.ratelimit); an answer waiting as bytes
holds about 5 MB for 1000 issues, half what it does parsed."""
# The first chunk is small so that processing starts after one short request instead of a
# full-size one (Jira's time grows with the issues returned); one extra request per sync.
FIRST_CHUNK = 100
PREFETCH_PAGES = 2


class IssueStrategy(StrEnum):
    SEARCH = "search"
    BULK = "bulk"


DEFAULT_STRATEGY = IssueStrategy.BULK


def issue_strategy(env: Mapping[str, str] = os.environ) -> IssueStrategy:
    """The default, or JIRA_ISSUE_STRATEGY=search|bulk (benchmarks compare the two)."""
    value = env.get("JIRA_ISSUE_STRATEGY", "").strip().lower()
    return IssueStrategy(value) if value in IssueStrategy._value2member_map_ else DEFAULT_STRATEGY


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


def bulk_chunk_size(fields: list[str], expand: str | None) -> int:
    """The large chunk when Jira can serve the request efficiently (its documented
    conditions), else the small one."""
    efficient = (
        bool(fields)
        and len(fields) <= 100
        and all(not f.startswith(("*", "-")) for f in fields)
        and not MULTI_VALUE_FIELDS.intersection(fields)
        and not HEAVY_EXPANDS.intersection(expand_list(expand))
    )
    return BULK_NAMED_FIELDS_MAX if efficient else BULK_DEFAULT_MAX


async def _bulk_pages(
    client: JiraClient, jql: str, fields: list[str], expand: str | None
) -> AsyncIterator[Page]:
    """The issues' pages in id-page order, up to `BULK_IN_FLIGHT` chunks asked ahead of the
    page being taken; their answers wait as Jira's bytes (jira.client.BulkAnswer)."""
    chunk = bulk_chunk_size(fields, expand)
    size = min(chunk, FIRST_CHUNK)
    pending: deque[asyncio.Task[BulkAnswer]] = deque()
    try:
        async for id_page in client.search_issues(jql, ["id"], page_size=ID_PAGE_SIZE):
            ids = [str(item["id"]) for item in id_page]
            progress.expect(len(ids), final=False)
            while ids:
                batch, ids = ids[:size], ids[size:]
                pending.append(asyncio.create_task(client.bulkfetch_answer(batch, fields, expand)))
                size = chunk
                if len(pending) >= BULK_IN_FLIGHT and (page := await _taken(pending)):
                    yield page
        progress.expect(0, final=True)
        while pending:
            if page := await _taken(pending):
                yield page
    finally:
        for task in pending:
            task.cancel()


async def _taken(pending: deque[asyncio.Task[BulkAnswer]]) -> Page:
    """The oldest chunk's issues, parsed now (jira.client.BulkAnswer)."""
    return await (await pending.popleft()).issues()


def issue_pages(
    client: JiraClient,
    jql: str,
    fields: list[str],
    expand: str | None = None,
    strategy: IssueStrategy = DEFAULT_STRATEGY,
) -> AsyncIterator[Page]:
    if strategy is IssueStrategy.SEARCH:
        return client.search_issues(jql, fields, expand, page_size=SEARCH_PAGE_SIZE)
    return _bulk_pages(client, jql, fields, expand)


async def _resource_issues(
    client: JiraClient, resource: IssueResourceConfig, jql: str
) -> AsyncIterator[Page]:
    selector = resource.selector
    fields = issue_fields(resource)
    if fields != selector.field_list:
        logger.info(f"Reading only the issue fields the mapping uses: {', '.join(fields)}")
    # Data Center has no bulk fetch: its search pages carry the fields (1000 issues each).
    deployment = await client.deployment()
    strategy = issue_strategy() if deployment.has_bulkfetch else IssueStrategy.SEARCH
    pages = issue_pages(client, jql, fields, selector.expand, strategy)
    if strategy is IssueStrategy.BULK:  # its chunks in flight are its read-ahead
        async for page in pages:
            yield page
        return
    async for page in prefetch(pages, depth=PREFETCH_PAGES):
        yield page


def fetch_issues(client: JiraClient, resource: IssueResourceConfig) -> AsyncIterator[Page]:
    return _resource_issues(client, resource, resource.selector.jql)


async def fetch_changed_issues(
    client: JiraClient, resource: IssueResourceConfig, since: datetime
) -> AsyncIterator[Page]:
    """The selector's issues updated since `since`, read as a full resync reads them."""
    jql = await changed_since(client, resource.selector.jql, since)
    async for page in _resource_issues(client, resource, jql):
        yield page


# Live events: one issue again.


async def selected_issue(
    client: JiraClient,
    jql: str | None,
    ref: str,
    fields: list[str],
    expand: str | None = None,
    issue_id: int | None = None,
) -> dict[str, Any] | None:
    """The issue `ref` (a key or an id) as Jira holds it now, when `jql` (if set) selects it;
    None when it no longer does. `issue_id`, when known, makes the search read-after-write.

    The issue being gone raises `JiraNotFoundError` (the caller removes what depends on it).
    A JQL Jira rejects raises its `JiraApiError`: an error, never "gone", so nothing is removed.
    """
    if not jql:
        return await client.issue(ref, fields=fields, expand=expand)
    if ref.isdigit():
        clause, issue_id = f"id = {ref}", int(ref)
    else:
        clause = f"key = {quoted(ref)}"
    try:
        found = await client.find_issues(
            and_clause(jql, clause), fields, expand, reconcile_ids=[issue_id] if issue_id else []
        )
    except JiraApiError as exc:
        # Jira answers 400 to `key = X` once X is gone: a GET tells that (404 raised) from a
        # JQL it rejects (the 400 raised).
        if exc.status != 400:
            raise
        await client.issue(ref, fields=["updated"])
        raise
    for issue in found:
        if issue.get("key") == ref or str(issue.get("id")) in (ref, str(issue_id)):
            return issue
    # Not in the JQL: the GET raises if the issue is gone (or Jira failed), so "deselected"
    # is only said of an issue that exists.
    await client.issue(ref, fields=["updated"])
    logger.info(f"Issue {ref} no longer matches the selector's JQL")
    return None


def jira_time_ms(value: Any) -> int | None:
    """Jira's `2024-01-02T10:00:00.000+0000` (or epoch ms) as epoch milliseconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value:
        return None
    for parse in (
        lambda v: datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%f%z"),
        datetime.fromisoformat,
    ):
        try:
            parsed = parse(value)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            return None
        return int(parsed.timestamp() * 1000)
    return None


def issue_updated(issue: Payload) -> int | None:
    fields = issue.get("fields")
    return jira_time_ms(fields.get("updated")) if isinstance(fields, dict) else None


def _lookup_fields(resource: IssueResourceConfig) -> list[str]:
    """The fields a resync reads, plus `updated` (it orders concurrent events)."""
    fields = issue_fields(resource)
    if not {"*all", "*navigable", "updated", "-updated"}.intersection(fields):
        fields = [*fields, "updated"]
    return fields


async def fetch_one_issue(
    client: JiraClient, resource: IssueResourceConfig, payload: Payload
) -> dict[str, Any] | None:
    selector = resource.selector
    issue = payload["issue"]
    return await selected_issue(
        client,
        selector.jql,
        str(issue["key"]),
        _lookup_fields(resource),
        selector.expand,
        issue_id=int(issue["id"]),
    )


# Live events: many issues again, in one search (`jira.webhooks.rereads` batches them).

LIVE_BATCH = RECONCILE_MAX  # a search makes at most this many issues read-after-write


def _gone(key: str) -> JiraNotFoundError:
    return JiraNotFoundError(404, "POST", "/issue/bulkfetch", [f"Issue {key} does not exist"])


async def _existing_ids(client: JiraClient, ids: Sequence[int]) -> set[int]:
    """Which of these issues Jira still has (bulk fetch leaves out the gone ones)."""
    found = await client.bulkfetch_issues([str(i) for i in ids], ["updated"])
    return {int(issue["id"]) for issue in found if str(issue.get("id", "")).isdigit()}


async def fetch_many_issues(
    client: JiraClient, resource: IssueResourceConfig, payloads: Sequence[Payload]
) -> list[dict[str, Any] | BaseException | None]:
    """`fetch_one_issue` for several issues at once: one `(JQL) AND key in (…)` search with
    `reconcileIssues`, every page of it (Jira may answer fewer than asked a page). An issue it leaves out is confirmed with one bulk fetch for all: still
    there → no longer selected (None); absent → gone (`JiraNotFoundError`). Jira answers 400
    to a search naming a key that is gone: the bulk fetch tells which, and the search is made
    again without them."""
    selector = resource.selector
    refs = {int(p["issue"]["id"]): str(p["issue"]["key"]) for p in payloads}
    outcome: dict[int, dict[str, Any] | BaseException | None] = {}
    wanted = list(refs)
    for attempt in range(2):
        keys = ", ".join(quoted(refs[i]) for i in wanted)
        try:
            found = await client.find_issues(
                and_clause(selector.jql, f"key in ({keys})"),
                _lookup_fields(resource),
                selector.expand,
                reconcile_ids=wanted,
                max_results=len(wanted),
            )
        except JiraApiError as exc:
            if exc.status != 400 or attempt:
                raise
            existing = await _existing_ids(client, wanted)
            if len(existing) == len(wanted):
                raise  # the JQL itself is refused: an error, never "gone"
            outcome.update({i: _gone(refs[i]) for i in wanted if i not in existing})
            wanted = [i for i in wanted if i in existing]
            if not wanted:
                break
            continue
        by_ref = {str(issue.get("id")): issue for issue in found}
        by_ref.update({str(issue.get("key")): issue for issue in found})
        for i in wanted:
            outcome[i] = by_ref.get(str(i)) or by_ref.get(refs[i])
        missing = [i for i in wanted if outcome[i] is None]
        if missing:
            existing = await _existing_ids(client, missing)
            outcome.update({i: _gone(refs[i]) for i in missing if i not in existing})
        break
    return [outcome[int(p["issue"]["id"])] for p in payloads]


def issue_previous_keys(payload: Payload) -> list[dict[str, Any]]:
    """After a move, Jira's changelog carries the old key: that entity is obsolete."""
    issue = payload.get("issue")
    changelog = payload.get("changelog")
    if not isinstance(issue, dict) or not isinstance(changelog, dict):
        return []
    old_keys = {
        str(item["fromString"])
        for item in changelog.get("items") or []
        if isinstance(item, dict)
        and str(item.get("field", "")).lower() == "key"
        and item.get("fromString")
        and item.get("fromString") != issue.get("key")
    }
    return [{**issue, "key": old} for old in sorted(old_keys)]
