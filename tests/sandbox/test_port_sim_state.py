"""The Port simulator's catalog (sandbox/port_sim/state.py): validation, upserts, deletes and
what a datasource owns, as Ocean meets them over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.port_sim import SimState, get_sim
from tests.sandbox.support import OCEAN_UA, Bulk, Clock

OTHER_UA = "port-ocean/jira/0.1.0/other-jira/exporter"


def catalog(port: httpx.AsyncClient) -> SimState:
    """The simulator's state behind the ``port`` fixture's client."""
    return get_sim(port.app).state  # type: ignore[attr-defined]


def entity(port: httpx.AsyncClient, identifier: str, blueprint: str = "jiraIssue") -> Any:
    """The stored entity, as Port's API returns it."""
    return catalog(port).entities[blueprint][identifier].to_api()


async def test_a_relation_to_a_missing_blueprint_is_refused(port: httpx.AsyncClient) -> None:
    relation = {"target": "jiraNothing", "title": "X"}
    body = {"identifier": "jiraBoard", "title": "Board", "relations": {"x": relation}}
    refused = await port.post("/v1/blueprints", json=body)
    assert refused.status_code == 422 and '"jiraNothing"' in refused.json()["message"]
    assert (await port.post("/v1/blueprints", json={**body, "relations": {}})).status_code == 201
    patched = await port.patch("/v1/blueprints/jiraBoard", json={"relations": {"x": relation}})
    assert patched.status_code == 422
    assert (await port.get("/v1/blueprints/jiraBoard")).json()["blueprint"]["relations"] == {}


async def test_bulk_upsert_answers_per_entity(bulk: Bulk) -> None:
    response = await bulk(
        [
            {"identifier": "A-1", "properties": {"status": "Open", "storyPoints": 3}},
            {"identifier": "A-2", "properties": {"nope": 1}},
            {"identifier": "A-3", "properties": {"storyPoints": "three"}},
            {"identifier": "A-4", "relations": {"unknownRel": "X"}},
            {"identifier": "bad id"},
            {"identifier": "A-6", "relations": {"epics": "not-a-list"}},
        ]
    )
    assert response.status_code == 207
    body = response.json()
    assert body["entities"] == [{"index": 0, "identifier": "A-1", "created": True}]
    errors = {e["index"]: e for e in body["errors"]}
    assert set(errors) == {1, 2, 3, 4, 5}
    assert errors[1]["statusCode"] == 422 and '"nope"' in errors[1]["message"]
    assert "number" in errors[2]["message"]
    assert '"unknownRel"' in errors[3]["message"]
    assert errors[4]["identifier"] == "bad id"
    assert "array" in errors[5]["message"]
    too_many = await bulk([{"identifier": f"B-{i}"} for i in range(21)])
    assert too_many.status_code == 413 and too_many.json()["ok"] is False
    assert (await bulk([{"identifier": "x"}], blueprint="nope")).status_code == 404


async def test_missing_related_entities_are_created(port: httpx.AsyncClient, bulk: Bulk) -> None:
    await bulk([{"identifier": "A-1", "relations": {"project": "PROJ"}}])
    placeholder = entity(port, "PROJ", "jiraProject")
    assert placeholder["identifier"] == "PROJ" and placeholder["properties"] == {}
    assert catalog(port).entities["jiraProject"]["PROJ"].datasource == OCEAN_UA


async def test_upserts_merge_and_noop_writes_change_nothing(
    port: httpx.AsyncClient, bulk: Bulk, clock: Clock
) -> None:
    first = {"identifier": "A-1", "title": "one", "properties": {"status": "Open", "labels": ["x"]}}
    await bulk([first])
    created = entity(port, "A-1")
    clock.advance(10)
    await bulk([first])  # identical: no write, updatedAt unchanged
    assert catalog(port).writes == 1
    assert entity(port, "A-1")["updatedAt"] == created["updatedAt"]
    clock.advance(10)
    await bulk([{"identifier": "A-1", "properties": {"storyPoints": 5}}])
    merged = entity(port, "A-1")
    assert merged["title"] == "one" and merged["properties"]["status"] == "Open"
    assert merged["properties"]["storyPoints"] == 5
    assert merged["updatedAt"] > created["updatedAt"]


async def test_deletes_answer_what_was_there_and_count_it(
    port: httpx.AsyncClient, bulk: Bulk
) -> None:
    await bulk([{"identifier": "E-1"}, {"identifier": "E-2"}])
    path = "/v1/blueprints/jiraIssue/bulk/entities/delete"
    deleted = (await port.post(path, json={"entities": ["E-1", "GONE"]})).json()
    assert deleted["deletedEntities"] == ["E-1"]
    assert set(catalog(port).entities["jiraIssue"]) == {"E-2"}
    assert (await port.get("/_sim/stats")).json()["deletes"] == 1


async def test_datasource_entities_filtering_and_paging(
    port: httpx.AsyncClient, bulk: Bulk, clock: Clock
) -> None:
    await bulk([{"identifier": f"D-{i}"} for i in range(5)])
    await bulk([{"identifier": "X-1"}], user_agent=OTHER_UA)
    await bulk([{"identifier": "H-1"}], user_agent="curl/8")
    clock.advance(60)
    cutoff = clock.now.isoformat()
    clock.advance(60)
    await bulk([{"identifier": "D-4", "title": "touched"}])  # updated after the cutoff
    body: dict[str, Any] = {
        "datasource_prefix": "port-ocean/jira/",
        "datasource_suffix": "/my-jira/exporter",
        "limit": 2,
    }
    seen: list[str] = []
    while True:
        page = (await port.post("/v1/blueprints/entities/datasource-entities", json=body)).json()
        seen.extend(e["identifier"] for e in page["entities"])
        if not page["next"]:
            break
        body["from"] = page["next"]
    assert seen == [f"D-{i}" for i in range(5)]
    body = {**body, "limit": 100, "before": cutoff}
    del body["from"]
    before = (await port.post("/v1/blueprints/entities/datasource-entities", json=body)).json()
    assert [e["identifier"] for e in before["entities"]] == [f"D-{i}" for i in range(4)]
