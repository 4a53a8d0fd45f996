"""Entity search (sandbox/port_sim/search.py): the queries Ocean sends, and refusals."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.support import Bulk

OURS = [
    {"property": "$datasource", "operator": "contains", "value": "port-ocean/jira/"},
    {"property": "$datasource", "operator": "contains", "value": "/my-jira/exporter"},
]


async def search(port: httpx.AsyncClient, query: Any, **params: Any) -> httpx.Response:
    return await port.post("/v1/entities/search", json=query, params=params)


async def test_ocean_reconciliation_and_batch_queries(port: httpx.AsyncClient, bulk: Bulk) -> None:
    await bulk(
        [
            {"identifier": f"I-{i}", "title": f"Issue {i}", "properties": {"status": "Open"}}
            for i in range(4)
        ]
    )
    await bulk([{"identifier": "I-9"}], user_agent="curl/8")
    owned = (await search(port, {"combinator": "and", "rules": OURS})).json()["entities"]
    assert sorted(e["identifier"] for e in owned) == ["I-0", "I-1", "I-2", "I-3"]
    pinned = [
        {
            "combinator": "and",
            "rules": [
                {"property": "$identifier", "operator": "=", "value": identifier},
                {"property": "$blueprint", "operator": "=", "value": "jiraIssue"},
            ],
        }
        for identifier in ("I-1", "I-2", "I-9")
    ]
    query = {"combinator": "and", "rules": [{"combinator": "or", "rules": pinned}, *OURS]}
    found = await search(port, query, include=["identifier", "title", "properties.status"])
    assert found.json()["entities"] == [
        {"identifier": f"I-{i}", "title": f"Issue {i}", "properties": {"status": "Open"}}
        for i in (1, 2)
    ]
    by_list = {
        "combinator": "and",
        "rules": [{"property": "$identifier", "operator": "in", "value": ["I-3", "I-9"]}],
    }
    assert [e["identifier"] for e in (await search(port, by_list)).json()["entities"]] == [
        "I-3",
        "I-9",
    ]


async def test_queries_it_does_not_understand_are_refused(port: httpx.AsyncClient) -> None:
    queries: list[dict[str, Any]] = [
        {"rules": []},
        {"combinator": "and", "rules": [{"property": "status", "operator": "=", "value": "x"}]},
        {
            "combinator": "and",
            "rules": [{"property": "$identifier", "operator": "!=", "value": "I-1"}],
        },
        {
            "combinator": "and",
            "rules": [{"property": "$identifier", "operator": "in", "value": "I-1"}],
        },
        {"combinator": "and", "rules": [{"operator": "="}]},
    ]
    for query in queries:
        refused = await search(port, query)
        assert refused.status_code == 422 and refused.json()["error"] == "invalid_search_query"
