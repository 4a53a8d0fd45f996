"""Reading issues: plain search pages, or id pages + concurrent bulkfetch; and one issue again."""

from __future__ import annotations

import json
from typing import Any

import httpx
import respx

from jira.client import JiraClient
from jira.issues import IssueStrategy, bulk_chunk_size, issue_pages
from tests.builders import SITE, issue, json_response, token_pager
from tests.jira.support import collect

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
