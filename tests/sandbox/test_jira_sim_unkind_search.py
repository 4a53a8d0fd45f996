"""The unkind Jira's search and bulk fetch (sandbox/jira_sim/unkind_search.py): each behaviour
as Jira documents it, in the shapes of Jira's OpenAPI description."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from sandbox.jira_sim import SimConfig, create_app
from sandbox.jira_sim.config import UNKIND_PROFILE
from tests.sandbox.support import asgi_client

OPENAPI = Path("/work/shared/reference/openapi/jira-platform.json")
PAT = {"Authorization": "Bearer sandbox-pat"}
BULK = "/rest/api/3/issue/bulkfetch"


@cache
def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(OPENAPI.read_text())
    return spec


def assert_shape(answer: dict[str, Any], schema: str) -> None:
    """`answer` validates against the OpenAPI component `schema` (issues left out: their
    fields are the mapping's business, not this test's; `expand` too: the schema leaves it
    out, the endpoint's own example answer carries it)."""
    spec = _spec()
    outer = {key: value for key, value in answer.items() if key != "expand"} | {"issues": []}
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": spec["components"]}
    )
    validator.validate(outer)


def test_the_unkind_profile_turns_every_search_behaviour_on() -> None:
    unkind = SimConfig(unkind=True)
    assert unkind.bulkfetch_retriable_rate > 0 and unkind.search_field_budget > 0
    assert unkind.search_page_shift > 0 and unkind.search_page_max < 50
    assert set(UNKIND_PROFILE) >= {
        "bulkfetch_retriable_rate",
        "search_field_budget",
        "search_page_shift",
        "search_page_max",
    }
    kind = SimConfig()
    off = (kind.bulkfetch_retriable_rate, kind.search_field_budget, kind.search_page_shift)
    assert off == (0, 0, 0)


async def test_bulkfetch_lists_some_as_retriable_and_returns_them_when_asked_again() -> None:
    config = SimConfig(issues=200, bulkfetch_retriable_rate=0.3)
    async with asgi_client(config=config) as jira:
        ids = [str(i) for i in range(10000, 10100)]
        asked = {"issueIdsOrKeys": [*ids, "99999"], "fields": ["summary"]}
        first = (await jira.post(BULK, json=asked)).json()
        assert_shape(first, "BulkIssueResults")
        failed = [e["id"] for e in first["issueErrors"]]
        returned = [i["id"] for i in first["issues"]]
        assert 0 < len(failed) < len(ids) and sorted(failed + returned) == ids  # 99999: left out
        again = (await jira.post(BULK, json={"issueIdsOrKeys": failed})).json()
        assert [i["id"] for i in again["issues"]] == failed and again["issueErrors"] == []
        other = (await jira.post(BULK, json={"issueIdsOrKeys": ids})).json()
        assert {e["id"] for e in other["issueErrors"]} != set(failed)  # others this time


async def test_many_fields_give_shorter_search_pages_that_still_chain_to_the_end() -> None:
    config = SimConfig(issues=60, search_field_budget=300)
    async with asgi_client(config=config) as jira:
        keys: list[str] = []
        sizes: list[int] = []
        body: dict[str, Any] = {"jql": "created >= -3650d", "fields": ["*all"], "maxResults": 100}
        while True:
            page = (await jira.post("/rest/api/3/search/jql", json=body)).json()
            assert_shape(page, "SearchAndReconcileResults")
            keys += [i["key"] for i in page["issues"]]
            sizes.append(len(page["issues"]))
            if page["isLast"]:
                break
            body["nextPageToken"] = page["nextPageToken"]
        assert max(sizes) == 6 and len(keys) == len(set(keys)) == 60  # 300 // 50 a page
        light = {"jql": "created >= -3650d", "fields": ["summary", "status"], "maxResults": 100}
        page = (await jira.post("/rest/api/3/search/jql", json=light)).json()
        assert len(page["issues"]) == 100 or page["isLast"]  # two fields: 150 allowed
        ids = {"jql": "created >= -3650d", "fields": ["id"], "maxResults": 5000}
        assert len((await jira.post("/rest/api/3/search/jql", json=ids)).json()["issues"]) == 60


async def naive_offset_read(site: httpx.AsyncClient, page: int) -> tuple[list[str], list[int]]:
    """Every page by offset, as a reader that trusts them would: the keys and the totals."""
    keys: list[str] = []
    totals: list[int] = []
    start = 0
    while True:
        body = {"jql": "created >= -3650d ORDER BY key", "startAt": start, "maxResults": page}
        answer = (await site.post("/rest/api/2/search", json=body, headers=PAT)).json()
        keys += [i["key"] for i in answer["issues"]]
        totals.append(answer["total"])
        start += page
        if start >= answer["total"] or not answer["issues"]:
            return keys, totals


async def test_later_data_center_offset_pages_see_the_site_changed_before_their_offset() -> None:
    app = create_app(SimConfig(deployment="datacenter", issues=80, search_page_shift=2))
    async with asgi_client(app, auth="none") as site:
        everything = {f"{i.key}" for i in app.state.sim.dataset.issues.values()}
        first, _ = await naive_offset_read(site, 80)
        assert set(first) == everything  # one page: nothing to shift
        keys, totals = await naive_offset_read(site, 10)
        assert set(keys) <= everything  # never an issue the site lacks
        assert set(keys) != everything or len(keys) != len(set(keys))  # missed or repeated
        assert len(set(totals)) > 1  # the totals move too
