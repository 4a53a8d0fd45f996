"""Reading issues: plain search pages, or id pages + concurrent bulkfetch; and one issue again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
import respx

from jira.client import BulkAnswer, JiraClient
from jira.errors import JiraMalformedResponse
from jira.issues import (
    BULK_IN_FLIGHT,
    IssueStrategy,
    bulk_chunk_size,
    issue_pages,
)
from tests.builders import SITE, issue, json_response, token_pager
from tests.jira.support import collect, collect_pages

SEARCH = f"{SITE}/rest/api/3/search/jql"
BULK = f"{SITE}/rest/api/3/issue/bulkfetch"


def bulk_responder(known: dict[str, dict[str, Any]]) -> Any:
    def respond(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        found = [known[i] for i in body["issueIdsOrKeys"] if i in known]
        # Issues Jira cannot find are left out, not listed in `issueErrors` (its OpenAPI text)
        return json_response(
            {"issues": sorted(found, key=lambda i: int(i["id"])), "issueErrors": []}
        )

    return respond


@respx.mock
async def test_bulk_reads_ids_then_fetches_details_in_chunks(client: JiraClient) -> None:
    issues = [issue(n) for n in range(1, 2501)]
    search = respx.post(SEARCH).mock(
        side_effect=token_pager([{"id": i["id"]} for i in issues], max_page=5000)
    )
    bulk = respx.post(BULK).mock(side_effect=bulk_responder({i["id"]: i for i in issues}))

    got = await collect(
        issue_pages(client, "project = P1", ["summary", "status"], strategy=IssueStrategy.BULK)
    )

    assert [i["key"] for i in got] == [i["key"] for i in issues]
    assert search.call_count == 1
    assert json.loads(search.calls[0].request.content)["fields"] == ["id"]
    assert json.loads(search.calls[0].request.content)["maxResults"] == 5000
    sizes = [len(json.loads(c.request.content)["issueIdsOrKeys"]) for c in bulk.calls]
    assert sizes == [100, 1000, 1000, 400]  # a small first chunk starts processing sooner
    assert all(json.loads(c.request.content)["fields"] == ["summary", "status"] for c in bulk.calls)


@respx.mock
async def test_bulk_skips_issues_deleted_between_search_and_fetch(client: JiraClient) -> None:
    issues = [issue(n) for n in range(1, 6)]
    respx.post(SEARCH).mock(
        side_effect=token_pager([{"id": i["id"]} for i in issues], max_page=5000)
    )
    survivors = {i["id"]: i for i in issues if i["key"] != "P1-3"}
    respx.post(BULK).mock(side_effect=bulk_responder(survivors))
    got = await collect(issue_pages(client, "project = P1", ["summary"]))
    assert [i["key"] for i in got] == ["P1-1", "P1-2", "P1-4", "P1-5"]


@respx.mock
async def test_bulk_uses_chunks_of_100_for_all_fields_and_sends_expand_as_a_list(
    client: JiraClient,
) -> None:
    issues = [issue(n) for n in range(1, 251)]
    respx.post(SEARCH).mock(
        side_effect=token_pager([{"id": i["id"]} for i in issues], max_page=5000)
    )
    bulk = respx.post(BULK).mock(side_effect=bulk_responder({i["id"]: i for i in issues}))
    got = await collect(issue_pages(client, "project = P1", ["*all"], expand="names,changelog"))
    assert len(got) == 250
    bodies = [json.loads(c.request.content) for c in bulk.calls]
    assert sorted(len(b["issueIdsOrKeys"]) for b in bodies) == [50, 100, 100]  # already small
    assert all(b["expand"] == ["names", "changelog"] for b in bodies)


@respx.mock
async def test_search_strategy_pages_with_the_fields(client: JiraClient) -> None:
    issues = [issue(n) for n in range(1, 6)]
    search = respx.post(SEARCH).mock(side_effect=token_pager(issues, max_page=2))
    got = await collect(
        issue_pages(client, "project = P1", ["summary"], strategy=IssueStrategy.SEARCH)
    )
    assert [i["key"] for i in got] == [i["key"] for i in issues]
    assert search.call_count == 3
    assert json.loads(search.calls[0].request.content) == {
        "jql": "project = P1",
        "fields": ["summary"],
        "maxResults": 100,
    }


def test_chunk_size_follows_jiras_efficiency_rules() -> None:
    assert bulk_chunk_size(["summary", "status"], None) == 1000
    assert bulk_chunk_size(["summary"], "names") == 1000
    assert bulk_chunk_size(["*all"], None) == 100
    assert bulk_chunk_size(["summary", "comment"], None) == 100
    assert bulk_chunk_size(["-description"], None) == 100
    assert bulk_chunk_size(["summary"], "renderedFields") == 100
    assert bulk_chunk_size([f"customfield_{n}" for n in range(101)], None) == 100


class _PacedJira:
    """A client whose id search lists `count` ids and whose bulk fetches answer when told
    (or at once): it records how many fetches are unanswered at the same time."""

    def __init__(self, count: int, answer_at_once: bool) -> None:
        self.ids = [str(n) for n in range(1, count + 1)]
        self.answer_at_once = answer_at_once
        self.release = asyncio.Event()
        self.calls = 0
        self.unanswered = 0
        self.most_unanswered = 0

    async def search_issues(
        self, jql: str, fields: list[str], page_size: int = 0
    ) -> AsyncIterator[list[dict[str, Any]]]:
        for start in range(0, len(self.ids), page_size):
            yield [{"id": i} for i in self.ids[start : start + page_size]]

    async def bulkfetch_answer(
        self, ids: list[str], fields: list[str], expand: str | None = None
    ) -> BulkAnswer:
        self.calls += 1
        self.unanswered += 1
        self.most_unanswered = max(self.most_unanswered, self.unanswered)
        if not self.answer_at_once:
            await self.release.wait()
        self.unanswered -= 1
        return BulkAnswer(cast(JiraClient, self), ids, fields, expand, [{"id": i} for i in ids])


async def test_while_the_kind_waits_for_jira_many_chunks_are_read_at_once() -> None:
    jira = _PacedJira(20_000, answer_at_once=False)
    pages = issue_pages(cast(JiraClient, jira), "project = P1", ["summary"])
    first = asyncio.ensure_future(anext(pages))
    for _ in range(10):
        await asyncio.sleep(0)
    assert jira.unanswered == BULK_IN_FLIGHT  # not one chunk after another
    jira.release.set()
    assert len(await first) == 100
    assert sum(len(page) for page in await collect_pages(pages)) == 20_000 - 100
    assert jira.most_unanswered == BULK_IN_FLIGHT


@respx.mock
async def test_a_bulk_answer_waits_as_jiras_bytes_and_is_parsed_when_taken(
    client: JiraClient,
) -> None:
    issues = [issue(n) for n in (3, 1, 2)]
    respx.post(BULK).mock(side_effect=bulk_responder({i["id"]: i for i in issues}))
    answer = await client.bulkfetch_answer([i["id"] for i in issues], ["summary"])
    assert isinstance(answer.answer, bytes)  # half the memory of the parsed issues
    assert [i["key"] for i in await answer.issues()] == ["P1-1", "P1-2", "P1-3"]


@respx.mock
async def test_a_bulk_answer_asks_again_for_what_jira_listed_in_issue_errors(
    client: JiraClient,
) -> None:
    issues = {i["id"]: i for i in (issue(1), issue(2))}
    first = {"issues": [issues["20001"]], "issueErrors": [{"id": "20002", "errorMessage": "busy"}]}
    bulk = respx.post(BULK).mock(side_effect=[json_response(first), bulk_responder(issues)])
    answer = await client.bulkfetch_answer(list(issues), ["summary"])
    assert [i["key"] for i in await answer.issues()] == ["P1-1", "P1-2"]
    assert json.loads(bulk.calls[1].request.content)["issueIdsOrKeys"] == ["20002"]


@respx.mock
async def test_a_bulk_answer_that_is_not_json_is_asked_again(
    client: JiraClient, warnings: list[str]
) -> None:
    issues = {i["id"]: i for i in (issue(1), issue(2))}
    truncated = httpx.Response(
        200, content=b'{"issues": [{"id": "200', headers={"content-type": "application/json"}
    )
    bulk = respx.post(BULK).mock(side_effect=[truncated, bulk_responder(issues)])
    answer = await client.bulkfetch_answer(list(issues), ["summary"])
    assert [i["key"] for i in await answer.issues()] == ["P1-1", "P1-2"]
    assert bulk.call_count == 2
    assert any("not valid JSON; asking again" in line for line in warnings)


@respx.mock
async def test_issue_reads_take_the_bulk_slots_and_a_live_read_does_not(
    client: JiraClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resync's bulk fetches wait in the limiter's bulk slots; a live event's one-issue
    search never queues behind them."""
    taken: list[tuple[str, bool]] = []
    slot = client.http.limiter.slot

    def recording(endpoint: str, bulk: bool = False) -> Any:
        taken.append((endpoint.split(" ")[1].rsplit("/", 2)[-1], bulk))
        return slot(endpoint, bulk)

    monkeypatch.setattr(client.http.limiter, "slot", recording)
    issues = [issue(1)]
    respx.post(SEARCH).mock(side_effect=token_pager([{"id": "20001"}], max_page=5000))
    respx.post(BULK).mock(side_effect=bulk_responder({i["id"]: i for i in issues}))
    await collect(issue_pages(client, "project = P1", ["summary"]))
    await client.find_issues("key = P1-1", ["summary"])
    assert ("bulkfetch", True) in taken
    assert all(not bulk for name, bulk in taken if name != "bulkfetch")


@respx.mock
async def test_a_bulk_answer_never_json_fails_naming_the_endpoint(client: JiraClient) -> None:
    """A proxy that always cuts Jira's answer short: the kind fails (so it deletes nothing),
    and the error names the endpoint; no issue is taken as gone."""
    truncated = httpx.Response(
        200, content=b'{"issues": [{"id": "200', headers={"content-type": "application/json"}
    )
    respx.post(BULK).mock(return_value=truncated)
    answer = await client.bulkfetch_answer(["20001"], ["summary"])
    with pytest.raises(JiraMalformedResponse, match=r"POST /rest/api/3/issue/bulkfetch.*JSON"):
        await answer.issues()
