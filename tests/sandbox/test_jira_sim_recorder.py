"""The Jira simulator's traffic recorder (`record_path`): each request outside /_sim and its
answer, as one JSON line, exactly as the client sent it and the simulator answered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox.jira_sim import SimConfig
from tests.sandbox.support import asgi_client


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_each_request_and_answer_is_one_line(tmp_path: Path) -> None:
    record = tmp_path / "traffic.jsonl"
    config = SimConfig(projects=2, issues=5, record_path=str(record))
    async with asgi_client(config=config) as jira:
        projects = await jira.get("/rest/api/3/project/search", params={"maxResults": 1})
        body = {"jql": "project = PA", "fields": ["summary"], "maxResults": 2}
        search = await jira.post("/rest/api/3/search/jql", json=body)
        missing = await jira.get("/rest/api/3/issue/NOPE-1", params=[("fields", "a,b")])
        await jira.get("/_sim/stats")  # the control API is not Jira's: not recorded

    first, second, third = lines(record)
    assert first == {
        "method": "GET",
        "path": "/rest/api/3/project/search",
        "query": [["maxResults", "1"]],
        "body": None,
        "status": 200,
        "response": projects.json(),
    }
    assert second["body"] == body and second["response"] == search.json()
    assert third["status"] == 404 and third["response"] == missing.json()
    assert third["query"] == [["fields", "a,b"]]


async def test_gateway_paths_and_refusals_are_recorded_as_asked(tmp_path: Path) -> None:
    record = tmp_path / "traffic.jsonl"
    config = SimConfig(projects=1, issues=1, record_path=str(record))
    async with asgi_client(config=config, auth="bearer", gateway=True) as jira:
        await jira.get("/rest/api/3/myself")
    async with asgi_client(config=config, auth="none") as anonymous:
        await anonymous.get("/rest/api/3/myself")

    via_gateway, refused = lines(record)
    assert via_gateway["path"] == f"/ex/jira/{config.cloud_id}/rest/api/3/myself"
    assert via_gateway["status"] == 200
    assert refused["status"] == 401 and refused["response"]["errorMessages"]
