"""An issue Jira did not return is unknown, not gone, under every behaviour Jira documents:
retriable `issueErrors` in a bulk fetch, short search pages, offset pages shifted by changes
between two requests, and a Data Center page cap below what was asked. Only a 404, or an answer
that proves an issue is no longer selected, removes anything; what a retry cannot recover
fails the kind with one line naming the issues (a failed kind deletes nothing)."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from typing import Any

import httpx
import pytest
import respx

from jira.client import JiraClient
from jira.errors import JiraIncompleteError
from jira.http import Api, JiraHttp
from jira.issues import IssueStrategy, issue_pages
from jira.paging import window_pages
from jira.webhooks.processors import LiveEventsContext
from jira.webhooks.rereads import ReReads
from tests.builders import Responder, comment, issue, json_response, resource, token_pager
from tests.jira import test_datacenter as datacenter
from tests.jira.support import collect, fetch
from tests.jira.test_datacenter import V2, pages_of, serve_server_info
from tests.webhooks import conftest as webhooks
from tests.webhooks.payloads import issue_event
from tests.webhooks.support import API, SEARCH, handle

# The fixtures these tests share with the Data Center and live-event tests (used by name).
dc_http, dc_client, live = datacenter.dc_http, datacenter.dc_client, webhooks.live

BULK = f"{API}/issue/bulkfetch"
RETRIABLE = "Retriable error while fetching the issue, please retry"


def bulkfetch_with_errors(issues: list[dict[str, Any]], fails: int | None = 1) -> Responder:
    """A bulk fetch that lists every other issue in `issueErrors` the first `fails` times it
    is asked for it (always, with None), as Jira does for "a retriable error or payload
    constraint"; issues it does not know are left out (not listed), as Jira documents."""
    known = {i["id"]: i for i in issues}
    asked: Counter[str] = Counter()

    def respond(request: httpx.Request) -> httpx.Response:
        wanted = json.loads(request.content)["issueIdsOrKeys"]
        found, errors = [], []
        for ref in wanted:
            asked[ref] += 1
            if ref not in known:
                continue
            flaky = int(ref) % 2 == 0 and (fails is None or asked[ref] <= fails)
            if flaky:
                errors.append({"id": ref, "errorMessage": RETRIABLE})
            else:
                found.append(known[ref])
        body = {"issues": sorted(found, key=lambda i: int(i["id"])), "issueErrors": errors}
        return json_response(body)

    return respond


def serve_ids_then_bulk(issues: list[dict[str, Any]], fails: int | None = 1) -> respx.Route:
    """The id search over `issues`, and the bulk fetch of `bulkfetch_with_errors` (its route)."""
    respx.post(SEARCH).mock(side_effect=token_pager([{"id": i["id"]} for i in issues], 5000))
    return respx.post(BULK).mock(side_effect=bulkfetch_with_errors(issues, fails))


# 1. Bulk fetch `issueErrors`


@respx.mock
async def test_issues_listed_in_issue_errors_are_fetched_again_not_dropped(
    client: JiraClient,
) -> None:
    issues = [issue(n) for n in range(1, 11)]
    bulk = serve_ids_then_bulk(issues)
    got = await collect(
        issue_pages(client, "project = P1", ["summary"], strategy=IssueStrategy.BULK)
    )
    assert sorted(i["key"] for i in got) == sorted(i["key"] for i in issues)
    assert bulk.call_count == 2  # the errored half asked once more


@respx.mock
async def test_issues_jira_keeps_failing_to_return_fail_the_kind_with_one_line(
    client: JiraClient,
) -> None:
    serve_ids_then_bulk([issue(n) for n in range(1, 5)], fails=None)
    with pytest.raises(JiraIncompleteError) as failed:
        await fetch(client, "issue")
    line = str(failed.value)
    assert "\n" not in line
    assert "20002" in line and "20004" in line and "20001" not in line
    assert RETRIABLE in line


@respx.mock
async def test_comments_of_issues_listed_in_issue_errors_are_all_synced(
    client: JiraClient,
) -> None:
    issues = [
        issue(n, comment={"comments": [comment(n)], "startAt": 0, "total": 1}) for n in range(1, 7)
    ]
    serve_ids_then_bulk(issues)
    got = await fetch(client, "comment")
    assert len(got) == 6


@respx.mock
async def test_the_worklog_feeds_issue_keys_survive_issue_errors(client: JiraClient) -> None:
    issues = [issue(n) for n in range(1, 7)]
    respx.post(BULK).mock(side_effect=bulkfetch_with_errors(issues))
    keys = await client.issue_keys([i["id"] for i in issues] + ["29999"])
    assert keys == {i["id"]: i["key"] for i in issues}  # 29999 is gone: left out by Jira


# 2. The batched live re-read reads every page of its `key in (…)` search


@respx.mock
async def test_a_batched_reread_follows_short_pages_and_removes_nothing(
    live: LiveEventsContext,
) -> None:
    live.rereads = ReReads(window=0.05)
    issues = [issue(n, summary=f"now {n}") for n in range(1, 8)]
    search = respx.post(SEARCH).mock(side_effect=token_pager(issues, max_page=3))
    bulk = respx.post(BULK).mock(side_effect=bulkfetch_with_errors(issues, fails=0))
    results = await asyncio.gather(
        *(
            handle("issue", issue_event("jira:issue_updated", issue(n)), resource("issue"))
            for n in range(1, 8)
        )
    )
    assert [r.deleted_raw_results for r in results] == [[]] * 7
    assert [r.updated_raw_results for r in results] == [[i] for i in issues]
    assert search.call_count == 3 and not bulk.called
    bodies = [json.loads(c.request.content) for c in search.calls]
    assert all(b["reconcileIssues"] == bodies[0]["reconcileIssues"] for b in bodies)


# 3. Data Center offset pages shifted between two requests


def _order(key: str) -> tuple[str, int]:
    project, number = key.rsplit("-", 1)
    return project, int(number)


class ShiftingSearch:
    """A Data Center search over `keys` (at most `cap` a page) where, before each request
    after the first, `change(keys, request_body)` may delete, create or move issues: the
    later offset pages shift, as Atlassian's knowledge base documents. `key > X` needs X to
    exist (400 otherwise) and compares within X's project."""

    def __init__(self, keys: list[str], cap: int, change: Any) -> None:
        self.keys = sorted(keys, key=_order)
        self.cap = cap
        self.change = change
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if self.bodies:
            self.change(self.keys, body)
            self.keys.sort(key=_order)
        self.bodies.append(body)
        matched = list(self.keys)
        after = re.search(r'key > "([^"]+)" OR project not in \(([^)]*)\)', body["jql"])
        if after:
            if after.group(1) not in self.keys:
                message = f"An issue with key '{after.group(1)}' does not exist for field 'key'."
                return httpx.Response(400, json={"errorMessages": [message]})
            bound = _order(after.group(1))
            done = set(re.findall(r'"([^"]+)"', after.group(2)))
            matched = [
                k
                for k in matched
                if (_order(k)[0] == bound[0] and _order(k) > bound) or _order(k)[0] not in done
            ]
        start, size = body.get("startAt", 0), min(body.get("maxResults", 50), self.cap)
        issues = [{"id": str(_order(k)[1]), "key": k, "fields": {}} for k in matched]
        page = {"startAt": start, "maxResults": size, "total": len(matched)}
        return httpx.Response(200, json={**page, "issues": issues[start : start + size]})


async def read_all(dc_http: JiraHttp, search: ShiftingSearch, page_size: int = 3) -> list[str]:
    serve_server_info()
    respx.post(f"{V2}/search").mock(side_effect=search)
    pages = window_pages(
        dc_http.at(Api.PLATFORM, "/search"), jql="project = A", body={}, page_size=page_size
    )
    return [i["key"] for p in await pages_of(pages) for i in p]


@respx.mock
async def test_an_issue_deleted_between_two_offset_pages_never_hides_a_live_one(
    dc_http: JiraHttp,
) -> None:
    def delete_the_first_once(keys: list[str], body: dict[str, Any]) -> None:
        if "A-1" in keys:
            keys.remove("A-1")

    search = ShiftingSearch([f"A-{n}" for n in range(1, 11)], 3, delete_the_first_once)
    found = await read_all(dc_http, search)
    assert set(found) >= {f"A-{n}" for n in range(2, 11)}  # every issue that stayed
    assert len(found) == len(set(found))


@respx.mock
async def test_issues_created_and_moved_between_offset_pages_are_read_once(
    dc_http: JiraHttp,
) -> None:
    created = iter(range(100, 200))

    def create_and_move(keys: list[str], body: dict[str, Any]) -> None:
        keys.append(f"A-0{next(created)}")  # sorts first: shifts every later page right
        if "A-3" in keys:  # moved to another project: a new key further on
            keys.remove("A-3")
            keys.append("B-1")

    search = ShiftingSearch([f"A-{n}" for n in range(1, 11)], 3, create_and_move)
    found = await read_all(dc_http, search)
    assert set(found) >= {f"A-{n}" for n in range(1, 11) if n != 3} | {"B-1"}
    assert len(found) == len(set(found))


@respx.mock
async def test_the_last_key_of_a_page_deleted_meanwhile_still_continues_the_read(
    dc_http: JiraHttp,
) -> None:
    def delete_page_ends(keys: list[str], body: dict[str, Any]) -> None:
        for gone in ("A-3", "A-1"):  # the first page's last key, then a shift
            if gone in keys:
                keys.remove(gone)
                return

    search = ShiftingSearch([f"A-{n}" for n in range(1, 11)], 3, delete_page_ends)
    found = await read_all(dc_http, search)
    assert set(found) >= {f"A-{n}" for n in range(4, 11)} | {"A-2"}
    assert len(found) == len(set(found))


@respx.mock
async def test_a_read_goes_on_after_the_last_issue_jira_still_has(dc_http: JiraHttp) -> None:
    def delete_two_page_ends(keys: list[str], body: dict[str, Any]) -> None:
        for gone in ("A-3", "A-2"):  # the last two keys of the first page
            if gone in keys:
                keys.remove(gone)

    search = ShiftingSearch([f"A-{n}" for n in range(1, 11)], 3, delete_two_page_ends)
    found = await read_all(dc_http, search)
    assert set(found) >= {f"A-{n}" for n in range(4, 11)}
    assert len(found) == len(set(found))
    assert ['key > "A-1"' in b["jql"] for b in search.bodies].count(True) >= 1


@respx.mock
async def test_when_every_issue_read_last_is_gone_the_kind_fails_naming_why(
    dc_http: JiraHttp,
) -> None:
    def delete_what_was_read(keys: list[str], body: dict[str, Any]) -> None:
        for gone in ("A-1", "A-2", "A-3"):
            if gone in keys:
                keys.remove(gone)

    search = ShiftingSearch([f"A-{n}" for n in range(1, 11)], 3, delete_what_was_read)
    with pytest.raises(JiraIncompleteError) as failed:
        await read_all(dc_http, search)
    assert "An issue with key 'A-1' does not exist" in str(failed.value)
    assert "unknown, not gone" in str(failed.value) and "\n" not in str(failed.value)


# 4. Data Center's stand-in for the bulk fetch under a lowered page cap


@respx.mock
async def test_the_data_center_bulk_fetch_pages_past_a_lowered_page_cap(
    dc_client: JiraClient,
) -> None:
    serve_server_info()
    search = ShiftingSearch([f"A-{n}" for n in range(1, 8)], 2, lambda keys, body: None)
    respx.post(f"{V2}/search").mock(side_effect=search)
    found = await dc_client.bulkfetch_issues([str(n) for n in range(1, 8)], ["updated"])
    assert sorted(i["key"] for i in found) == sorted(f"A-{n}" for n in range(1, 8))
    assert search.bodies[0]["jql"].startswith("issue in (1, 2, 3, 4, 5, 6, 7)")
