"""Bursts: deliveries of one object share a read, many issues are read in one search, and the
events of one object stay in order."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import respx

from jira.webhooks.processors import LiveEventsContext
from jira.webhooks.rereads import Reader, ReReads
from tests.builders import SITE, bulkfetch_responder, issue, json_response, resource, user
from tests.webhooks.payloads import issue_event, user_event
from tests.webhooks.support import handle

API = f"{SITE}/rest/api/3"
SEARCH = f"{API}/search/jql"
WINDOW = 0.05  # long enough for every delivery gathered below to join the first read


def searched(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content)
    return body


def search_over(issues: list[dict[str, Any]]) -> respx.Route:
    """A search that returns the issues its `key in (…)` names, as Jira would."""
    by_key = {i["key"]: i for i in issues}

    def respond(request: httpx.Request) -> httpx.Response:
        jql = searched(request)["jql"]
        named = jql[jql.index("key in (") + 8 : jql.rindex(")")]
        keys = [k.strip().strip('"') for k in named.split(",")]
        return json_response({"issues": [by_key[k] for k in keys if k in by_key]})

    return respx.post(SEARCH).mock(side_effect=respond)


@respx.mock
async def test_five_deliveries_of_one_issue_make_one_read_and_one_port_write(
    live: LiveEventsContext,
) -> None:
    live.rereads = ReReads(window=WINDOW)
    current = issue(1, summary="after five edits")
    search = respx.post(SEARCH).mock(return_value=json_response({"issues": [current]}))
    results = await asyncio.gather(
        *(
            handle("issue", issue_event("jira:issue_updated", timestamp=n), resource("issue"))
            for n in range(5)
        )
    )
    assert search.call_count == 1
    assert [r.updated_raw_results for r in results].count([current]) == 1
    assert all(r.deleted_raw_results == [] for r in results)


@respx.mock
async def test_a_burst_of_sixty_issues_is_read_in_two_searches(live: LiveEventsContext) -> None:
    live.rereads = ReReads(window=WINDOW)
    issues = [issue(n, summary=f"now {n}") for n in range(1, 61)]
    search = search_over(issues)
    results = await asyncio.gather(
        *(
            handle("issue", issue_event("jira:issue_updated", issue(n)), resource("issue"))
            for n in range(1, 61)
        )
    )
    assert [r.updated_raw_results for r in results] == [[i] for i in issues]
    bodies = [searched(call.request) for call in search.calls]
    assert sorted(len(b["reconcileIssues"]) for b in bodies) == [10, 50]
    assert all(b["jql"].startswith("((statusCategory != Done)") for b in bodies)
    assert all(b["maxResults"] == len(b["reconcileIssues"]) for b in bodies)


@respx.mock
async def test_in_a_batch_gone_and_deselected_issues_are_removed_the_rest_updated(
    live: LiveEventsContext,
) -> None:
    live.rereads = ReReads(window=WINDOW)
    kept, deselected, gone = issue(1), issue(2), issue(3)

    def respond(request: httpx.Request) -> httpx.Response:
        if '"P1-3"' in searched(request)["jql"]:  # Jira refuses a key that is gone
            error = {"errorMessages": ["An issue with key 'P1-3' does not exist for field 'key'."]}
            return json_response(error, 400)
        return json_response({"issues": [kept]})

    search = respx.post(SEARCH).mock(side_effect=respond)
    bulk = respx.post(f"{API}/issue/bulkfetch").mock(
        side_effect=bulkfetch_responder([kept, deselected])
    )
    payloads = [issue_event("jira:issue_updated", i) for i in (kept, deselected, gone)]
    results = await asyncio.gather(*(handle("issue", p, resource("issue")) for p in payloads))
    assert [r.updated_raw_results for r in results] == [[kept], [], []]
    assert [r.deleted_raw_results for r in results] == [[], [deselected], [gone]]
    assert search.call_count == 2 and bulk.call_count == 2


@respx.mock
async def test_a_search_jira_refuses_for_its_jql_removes_nothing(live: LiveEventsContext) -> None:
    live.rereads = ReReads(window=WINDOW)
    respx.post(SEARCH).mock(
        return_value=json_response({"errorMessages": ["Field 'nope' does not exist"]}, 400)
    )
    respx.post(f"{API}/issue/bulkfetch").mock(side_effect=bulkfetch_responder([issue(1), issue(2)]))
    payloads = [issue_event("jira:issue_updated", issue(n)) for n in (1, 2)]
    results = await asyncio.gather(
        *(handle("issue", p, resource("issue", jql="nope = 1")) for p in payloads),
        return_exceptions=True,
    )
    assert all(isinstance(r, Exception) and "nope" in str(r) for r in results)


@respx.mock
async def test_other_kinds_coalesce_per_object_and_read_objects_concurrently(
    live: LiveEventsContext,
) -> None:
    live.rereads = ReReads(window=WINDOW)
    route = respx.get(f"{API}/user").mock(
        side_effect=lambda request: json_response(user(int(request.url.params["accountId"][4:])))
    )
    payloads = [user_event("user_updated", n) for n in (1, 2, 3) for _ in range(3)]
    results = await asyncio.gather(*(handle("user", p, resource("user")) for p in payloads))
    assert route.call_count == 3
    reported = sorted(u["accountId"] for r in results for u in r.updated_raw_results)
    assert reported == ["acc-1", "acc-2", "acc-3"]


async def test_a_delivery_during_its_objects_read_waits_for_a_fresh_read() -> None:
    rereads = ReReads(window=0)
    reading = asyncio.Event()
    release = asyncio.Event()
    jira_state = {"summary": "v1"}
    reads: list[str] = []

    async def read_one(payload: Any) -> dict[str, Any]:
        seen = dict(jira_state)
        reads.append(seen["summary"])
        if len(reads) == 1:
            reading.set()
            await release.wait()  # the first read is slow; Jira changes meanwhile
        return seen

    reader = Reader(read_one)
    first = asyncio.create_task(rereads.read("g", "P1-1", {}, reader))
    await reading.wait()
    jira_state["summary"] = "v2"
    second = asyncio.create_task(rereads.read("g", "P1-1", {}, reader))
    await asyncio.sleep(0)
    assert reads == ["v1"]  # not read again while the first read is in flight
    release.set()
    assert (await first).state == {"summary": "v1"}
    assert (await second).state == {"summary": "v2"}  # a read after the change, never before
    assert reads == ["v1", "v2"]


def test_one_coalescer_serves_one_event_loop_after_another() -> None:
    rereads = ReReads(window=0)

    async def read_one(payload: Any) -> dict[str, Any]:
        return {"read": payload}

    async def once(n: int) -> tuple[Any, bool]:
        outcome = await rereads.read("g", "P1-1", n, Reader(read_one))
        return outcome.state, outcome.reports

    # Ocean runs one loop for the life of the process; the test suite runs one per test
    assert asyncio.run(once(1)) == ({"read": 1}, True)
    assert asyncio.run(once(2)) == ({"read": 2}, True)
