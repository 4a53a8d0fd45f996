"""Per-issue kinds: worklogs and comments.

Worklogs, two ways:
- `jql` (the default, `updated >= -1w`, as in Port's Jira integration): the issues of the JQL,
  and every worklog of each (`/issue/{key}/worklog`, with the selector's `apiQueryParams`),
  fanned out.
- `since` (opt-in, e.g. `-30d`): Jira's worklog change feed. The ids of worklogs deleted since
  then are read first (`/worklog/deleted`), then the ids of worklogs changed since then
  (`/worklog/updated`, 1000 a page), each page read in full with `POST /worklog/list` and its
  issue keys resolved with one bulk fetch. Deleted worklogs are never yielded, so Ocean removes
  them from Port at the end of a complete resync (as it removes every worklog older than the
  window: the catalog holds the worklogs changed since `since`).

Comments: the issues of the selector's JQL are read with their `comment` field, which holds the
first comments and the total. When it holds them all, no further request is made; otherwise
the issue's comments are paged from `/issue/{key}/comment`. Bodies (Atlassian Document Format)
are also given as plain text (`__bodyText`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

from loguru import logger

from jira import relations
from jira.adf import adf_to_text
from jira.client import JiraClient
from jira.fanout import Fanout, children
from jira.incremental import changed_since
from jira.issues import (
    PREFETCH_PAGES,
    issue_pages,
    issue_strategy,
    jira_time_ms,
    selected_issue,
)
from jira.paging import Page
from jira.selectors import CommentResourceConfig, WorklogResourceConfig, WorklogSelector
from jira.streaming import prefetch

Payload = Mapping[str, Any]
KEY_PAGE_SIZE = 5000


ISSUE_ACCESS = "the Browse projects permission in that issue's project (and its security level)"


def issue_label(issue: dict[str, Any]) -> str:
    return f"issue {issue.get('key') or issue.get('id')}"


def _issue_keys_of(client: JiraClient, jql: str) -> AsyncIterator[Page]:
    return client.search_issues(jql, ["key"], page_size=KEY_PAGE_SIZE)


def item_updated(item: Payload) -> int | None:
    """A worklog's or comment's last change (epoch ms): orders concurrent live events."""
    return jira_time_ms(item.get("updated"))


def with_worklog_fields(worklog: dict[str, Any], issue_key: str) -> dict[str, Any]:
    worklog[relations.ISSUE_KEY] = issue_key
    worklog[relations.COMMENT_TEXT] = adf_to_text(worklog.get("comment"))
    return worklog


def with_comment_fields(comment: dict[str, Any], issue_key: str) -> dict[str, Any]:
    comment[relations.ISSUE_KEY] = issue_key
    comment[relations.BODY_TEXT] = adf_to_text(comment.get("body"))
    return comment


# Worklogs


async def _worklogs_of_issue(
    client: JiraClient, issue: dict[str, Any], params: Mapping[str, str | int]
) -> AsyncIterator[Page]:
    key = str(issue["key"])
    async for page in client.issue_items("worklog", key, params):
        yield [with_worklog_fields(w, key) for w in page]


async def _changed_worklogs(client: JiraClient, since: int) -> AsyncIterator[Page]:
    deleted: set[int] = set()
    async for page in client.deleted_worklogs(since):
        deleted.update(int(item["worklogId"]) for item in page if "worklogId" in item)
    if deleted:
        logger.info(f"Kind worklog: {len(deleted)} worklog(s) were deleted in Jira since {since}")
    async for page in client.updated_worklogs(since):
        ids = [int(item["worklogId"]) for item in page if "worklogId" in item]
        ids = [i for i in ids if i not in deleted]
        if not ids:
            continue
        worklogs = await client.worklogs(ids)
        keys = await client.issue_keys([str(w.get("issueId")) for w in worklogs])
        out = [
            with_worklog_fields(w, keys[str(w.get("issueId"))])
            for w in worklogs
            if str(w.get("issueId")) in keys  # the issue is gone: so are its worklogs
        ]
        if out:
            yield out


async def _worklogs(
    client: JiraClient, selector: WorklogSelector, jql: str, feed_from_ms: int | None
) -> AsyncIterator[Page]:
    """The change feed from `feed_from_ms` when given, else the worklogs of `jql`'s issues."""
    if feed_from_ms is not None:
        pages = _changed_worklogs(client, feed_from_ms)
    else:
        fanout = Fanout("worklog", issue_label, client.concurrency, access=ISSUE_ACCESS)
        issues = _issue_keys_of(client, jql)
        params = selector.worklog_params
        pages = children(issues, lambda issue: _worklogs_of_issue(client, issue, params), fanout)
    async for page in prefetch(pages, depth=PREFETCH_PAGES):
        yield page


def fetch_worklogs(client: JiraClient, resource: WorklogResourceConfig) -> AsyncIterator[Page]:
    selector = resource.selector
    return _worklogs(client, selector, selector.jql, selector.since_ms(datetime.now(UTC)))


async def fetch_changed_worklogs(
    client: JiraClient, resource: WorklogResourceConfig, since: datetime
) -> AsyncIterator[Page]:
    """With the opt-in change feed (`since`): the feed from the later of the cursor and the
    selector's `since`; worklogs deleted in that window are not written back. Otherwise every
    worklog of the JQL's issues updated since `since` (logging work updates the issue)."""
    selector = resource.selector
    feed_from = selector.since_ms(datetime.now(UTC))
    if feed_from is not None:
        from_ms = max(int(since.timestamp() * 1000), feed_from)
        pages = _worklogs(client, selector, selector.jql, from_ms)
    else:
        jql = await changed_since(client, selector.jql, since)
        pages = _worklogs(client, selector, jql, None)
    async for page in pages:
        yield page


async def _selected_issue_key(
    client: JiraClient, jql: str | None, ref: str, issue_id: int | None = None
) -> str | None:
    """The key of issue `ref` when the selector's JQL (if any) still selects it (`issue_id`,
    when known, makes the search read-after-write: the issue may have changed a moment ago)."""
    issue = await selected_issue(client, jql, ref, ["key"], issue_id=issue_id)
    return str(issue["key"]) if issue is not None else None


async def fetch_one_worklog(
    client: JiraClient, resource: WorklogResourceConfig, payload: Payload
) -> dict[str, Any] | None:
    worklog = payload["worklog"]
    worklog_id, issue_id = str(worklog["id"]), str(worklog["issueId"])
    selector = resource.selector
    # The change feed (`since`) selects every issue; otherwise the worklog's issue must match.
    jql = None if selector.since is not None else selector.jql
    key = await _selected_issue_key(client, jql, issue_id)
    if key is None:
        return None
    return with_worklog_fields(await client.issue_item("worklog", key, worklog_id), key)


# Comments


async def _comments_of_issue(client: JiraClient, issue: dict[str, Any]) -> AsyncIterator[Page]:
    key = str(issue["key"])
    embedded = (issue.get("fields") or {}).get("comment")
    if isinstance(embedded, dict) and isinstance(embedded.get("comments"), list):
        comments = [c for c in embedded["comments"] if isinstance(c, dict)]
        total = embedded.get("total")
        if not embedded.get("startAt") and isinstance(total, int) and total <= len(comments):
            if comments:
                yield [with_comment_fields(c, key) for c in comments]
            return
    async for page in client.issue_items("comment", key):
        yield [with_comment_fields(c, key) for c in page]


def _comments(client: JiraClient, jql: str) -> AsyncIterator[Page]:
    fanout = Fanout("comment", issue_label, client.concurrency, access=ISSUE_ACCESS)
    issues = issue_pages(client, jql, ["comment"], None, issue_strategy())
    return children(issues, lambda issue: _comments_of_issue(client, issue), fanout)


def fetch_comments(client: JiraClient, resource: CommentResourceConfig) -> AsyncIterator[Page]:
    return _comments(client, resource.selector.jql)


async def fetch_changed_comments(
    client: JiraClient, resource: CommentResourceConfig, since: datetime
) -> AsyncIterator[Page]:
    """Every comment of the selector's issues updated since `since` (a new or edited comment
    updates its issue)."""
    async for page in _comments(client, await changed_since(client, resource.selector.jql, since)):
        yield page


async def fetch_one_comment(
    client: JiraClient, resource: CommentResourceConfig, payload: Payload
) -> dict[str, Any] | None:
    comment_id = str(payload["comment"]["id"])
    issue = payload["issue"]
    issue_id = int(issue["id"]) if str(issue.get("id", "")).isdigit() else None
    key = await _selected_issue_key(client, resource.selector.jql, str(issue["key"]), issue_id)
    if key is None:
        return None
    return with_comment_fields(await client.issue_item("comment", key, comment_id), key)
