"""Worklogs and comments: the change feed with deletes, per-issue paging, embedded comments."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic.v1 import ValidationError

from jira.client import JiraClient
from jira.issue_items import fetch_one_comment
from jira.selectors import WorklogSelector
from tests.builders import (
    SITE,
    bulkfetch_responder,
    comment,
    issue,
    json_response,
    offset_pager,
    resource,
    since_pager,
    token_pager,
    worklog,
)
from tests.jira.support import fetch

API = f"{SITE}/rest/api/3"
NOW = datetime(2024, 3, 1, tzinfo=UTC)


def list_responder(known: dict[int, dict[str, Any]]) -> Any:
    def respond(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["ids"]
        assert len(ids) <= 1000
        return json_response([known[i] for i in ids if i in known])

    return respond


def issue_key(request: httpx.Request) -> str:
    match = re.search(r"/issue/([^/]+)/", str(request.url))
    assert match
    return match.group(1)


# Worklogs: the change feed


@respx.mock
async def test_worklogs_since_skip_the_deleted_and_name_their_issue(client: JiraClient) -> None:
    issues = [issue(1), issue(2)]  # ids 20001, 20002
    known = {50000 + n: worklog(n, issue_id="20001" if n % 2 else "20002") for n in range(1, 6)}
    known[50006] = worklog(6, issue_id="29999")  # its issue is gone
    deleted = respx.get(f"{API}/worklog/deleted").mock(
        side_effect=since_pager([(1500, 50003), (1600, 40000)], path="/rest/api/3/worklog/deleted")
    )
    updated = respx.get(f"{API}/worklog/updated").mock(
        side_effect=since_pager([(1000 + n, 50000 + n) for n in range(1, 7)], max_page=4)
    )
    listing = respx.post(f"{API}/worklog/list").mock(side_effect=list_responder(known))
    bulk = respx.post(f"{API}/issue/bulkfetch").mock(side_effect=bulkfetch_responder(issues))

    found = await fetch(client, "worklog", since="1000")

    assert sorted((w["id"], w["__issueKey"]) for w in found) == [
        ("50001", "P1-1"),
        ("50002", "P1-2"),
        ("50004", "P1-2"),
        ("50005", "P1-1"),
    ]
    assert found[0]["__commentText"].startswith("Worked on")
    assert [c.request.url.params["since"] for c in deleted.calls] == ["1000"]
    assert [c.request.url.params["since"] for c in updated.calls] == ["1000", "1004"]
    assert [json.loads(c.request.content)["ids"] for c in listing.calls] == [
        [50001, 50002, 50004],  # 50003 was deleted
        [50005, 50006],
    ]
    bodies = [json.loads(c.request.content) for c in bulk.calls]
    assert bodies[0] == {"issueIdsOrKeys": ["20001", "20002"], "fields": ["summary"]}


@respx.mock
async def test_worklogs_since_a_period_ask_from_that_time(client: JiraClient) -> None:
    route = respx.get(f"{API}/worklog/updated").mock(side_effect=since_pager([]))
    respx.get(f"{API}/worklog/deleted").mock(side_effect=since_pager([]))
    before = int(datetime.now(UTC).timestamp() * 1000) - 7 * 86_400_000
    assert await fetch(client, "worklog", since="-1w") == []
    since = int(route.calls[0].request.url.params["since"])
    assert before - 5_000 <= since <= before + 5_000


def test_worklog_since_formats() -> None:
    def since(value: Any) -> int | None:
        return WorklogSelector.parse_obj({"query": "true", "since": value}).since_ms(NOW)

    day = 86_400_000
    now_ms = int(NOW.timestamp() * 1000)
    assert since(None) is None  # the default: worklogs per issue of the selector's jql
    assert since("-30d") == now_ms - 30 * day
    assert since("2w") == now_ms - 14 * day
    assert since("-12h") == now_ms - 12 * 3_600_000
    assert since(1_700_000_000_000) == 1_700_000_000_000
    assert since("1700000000000") == 1_700_000_000_000
    for bad in ("yesterday", "-3y", True, 1.5):
        with pytest.raises(ValidationError):
            since(bad)


# Worklogs: per issue of a JQL


@respx.mock
async def test_worklogs_for_a_jql_page_each_issue(client: JiraClient, warnings: list[str]) -> None:
    issues = [issue(n) for n in range(1, 5)]
    search = respx.post(f"{API}/search/jql").mock(side_effect=token_pager(issues))
    per_issue: dict[str, Any] = {
        "P1-1": offset_pager([worklog(n) for n in range(3)], values_key="worklogs", is_last=False),
        "P1-2": offset_pager([], values_key="worklogs", is_last=False),
        "P1-3": json_response({"errorMessages": ["Issue does not exist"]}, 404),
        "P1-4": offset_pager([worklog(9, "20004")], values_key="worklogs", is_last=False),
    }
    route = respx.get(url__regex=rf"{API}/issue/[^/]+/worklog").mock(
        side_effect=lambda request: (
            per_issue[issue_key(request)](request)
            if callable(per_issue[issue_key(request)])
            else per_issue[issue_key(request)]
        )
    )
    feed = respx.get(f"{API}/worklog/updated")

    found = await fetch(client, "worklog", jql="project = P1")

    assert sorted((w["id"], w["__issueKey"]) for w in found) == [
        ("50000", "P1-1"),
        ("50001", "P1-1"),
        ("50002", "P1-1"),
        ("50009", "P1-4"),
    ]
    body = json.loads(search.calls[0].request.content)
    assert body["jql"] == "project = P1" and body["fields"] == ["key"]
    assert len([c for c in route.calls if "P1-1" in str(c.request.url)]) == 2  # paged by total
    assert not feed.called
    assert len(warnings) == 1 and "issue P1-3" in warnings[0]


# Comments


@respx.mock
async def test_comments_use_the_issue_field_when_complete_else_page(client: JiraClient) -> None:
    complete = issue(
        1,
        comment={
            "comments": [comment(1, "Hello\nworld"), comment(2)],
            "maxResults": 2,
            "total": 2,
            "startAt": 0,
        },
    )
    partial = issue(
        2,
        comment={"comments": [comment(3)], "maxResults": 1, "total": 5, "startAt": 0},
    )
    without = issue(3, comment={"comments": [], "maxResults": 0, "total": 0, "startAt": 0})
    issues = [complete, partial, without]
    search = respx.post(f"{API}/search/jql").mock(side_effect=token_pager(issues, max_page=5000))
    bulk = respx.post(f"{API}/issue/bulkfetch").mock(side_effect=bulkfetch_responder(issues))
    paged = respx.get(url__regex=rf"{API}/issue/[^/]+/comment").mock(
        side_effect=offset_pager(
            [comment(n) for n in range(3, 8)], values_key="comments", is_last=False
        )
    )

    found = await fetch(client, "comment", jql="project = P1")

    assert sorted((c["id"], c["__issueKey"]) for c in found) == [
        ("60001", "P1-1"),
        ("60002", "P1-1"),
        *[(str(60000 + n), "P1-2") for n in range(3, 8)],
    ]
    first = next(c for c in found if c["id"] == "60001")
    assert first["__bodyText"] == "Hello\nworld"
    assert json.loads(search.calls[0].request.content)["jql"] == "project = P1"
    assert json.loads(bulk.calls[0].request.content)["fields"] == ["comment"]
    assert {issue_key(c.request) for c in paged.calls} == {"P1-2"}
    assert [c.request.url.params["startAt"] for c in paged.calls] == ["0", "2", "4"]


@respx.mock
async def test_comments_default_to_the_bounded_issue_jql(client: JiraClient) -> None:
    search = respx.post(f"{API}/search/jql").mock(side_effect=token_pager([]))
    assert await fetch(client, "comment", jql="") == []
    assert json.loads(search.calls[0].request.content)["jql"] == (
        "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)"
    )


@respx.mock
async def test_a_comment_event_re_reads_its_issue_read_after_write(client: JiraClient) -> None:
    """A comment on an issue created a moment ago: Jira's search may not show the issue yet
    unless `reconcileIssues` names it (jira-platform.json); without it the comment would be
    taken as no longer selected."""
    def lagging_search(request: httpx.Request) -> httpx.Response:
        named = json.loads(request.content).get("reconcileIssues") == [20001]
        return httpx.Response(
            200, json={"issues": [{"id": "20001", "key": "P1-1"}] if named else [], "isLast": True}
        )

    respx.post(f"{SITE}/rest/api/3/search/jql").mock(side_effect=lagging_search)
    respx.get(f"{SITE}/rest/api/3/issue/P1-1/comment/7").respond(
        json={"id": "7", "body": "hello", "created": "2026-01-01T00:00:00.000+0000"}
    )
    payload = {"comment": {"id": "7"}, "issue": {"id": "20001", "key": "P1-1"}}
    found = await fetch_one_comment(client, resource("comment"), payload)  # type: ignore[arg-type]
    assert found is not None and found["id"] == "7"
