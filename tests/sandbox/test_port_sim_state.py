"""The Port simulator's catalog (sandbox/port_sim/state.py): validation, upserts, deletes and
what a datasource owns, as Ocean meets them over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.port_sim import get_sim
from tests.sandbox.support import OCEAN_UA, UPSERT, Bulk, Clock

OTHER_UA = "port-ocean/jira/0.1.0/other-jira/exporter"


async def entity(port: httpx.AsyncClient, identifier: str) -> dict[str, Any]:
    response = await port.get(f"/v1/blueprints/jiraIssue/entities/{identifier}")
    assert response.status_code == 200, response.text
    return response.json()["entity"]  # type: ignore[no-any-return]


async def test_a_relation_to_a_missing_blueprint_is_refused(port: httpx.AsyncClient) -> None:
    relation = {"target": "jiraNothing", "title": "X"}
    body = {"identifier": "jiraBoard", "title": "Board", "relations": {"x": relation}}
    refused = await port.post("/v1/blueprints", json=body)
    assert refused.status_code == 422 and '"jiraNothing"' in refused.json()["message"]
    assert (await port.post("/v1/blueprints", json={**body, "relations": {}})).status_code == 201
    patched = await port.patch("/v1/blueprints/jiraBoard", json={"relations": {"x": relation}})
    assert patched.status_code == 422
    assert (await port.delete("/v1/blueprints/jiraProject")).status_code == 422  # a target
    assert (await port.delete("/v1/blueprints/jiraBoard")).status_code == 200


async def test_bulk_upsert_answers_per_entity(bulk: Bulk) -> None:
    response = await bulk(
        [
            {"identifier": "A-1", "properties": {"status": "Open", "storyPoints": 3}},
            {"identifier": "A-2", "properties": {"nope": 1}},
            {"identifier": "A-3", "properties": {"storyPoints": "three"}},
            {"identifier": "A-4", "relations": {"project": "MISSING"}},
            {"identifier": "A-5", "relations": {"unknownRel": "X"}},
            {"identifier": "bad id"},
            {"identifier": "A-7", "relations": {"epics": "not-a-list"}},
        ]
    )
    assert response.status_code == 207
    body = response.json()
    assert body["entities"] == [{"index": 0, "identifier": "A-1", "created": True}]
    errors = {e["index"]: e for e in body["errors"]}
    assert set(errors) == {1, 2, 3, 4, 5, 6}
    assert errors[1]["statusCode"] == 422 and '"nope"' in errors[1]["message"]
    assert "number" in errors[2]["message"]
    assert errors[3]["statusCode"] == 404 and '"MISSING"' in errors[3]["message"]
    assert '"unknownRel"' in errors[4]["message"]
    assert errors[5]["identifier"] == "bad id"
    assert "array" in errors[6]["message"]
    too_many = await bulk([{"identifier": f"B-{i}"} for i in range(21)])
    assert too_many.status_code == 413 and too_many.json()["ok"] is False
    assert (await bulk([{"identifier": "x"}], blueprint="nope")).status_code == 404


async def test_missing_related_entities_are_created_when_asked(
    port: httpx.AsyncClient, bulk: Bulk
) -> None:
    params = UPSERT.replace("related_entities=false", "related_entities=true")
    await bulk([{"identifier": "A-1", "relations": {"project": "PROJ"}}], params)
    placeholder = (await port.get("/v1/blueprints/jiraProject/entities/PROJ")).json()["entity"]
    assert placeholder["identifier"] == "PROJ" and placeholder["properties"] == {}
    state = (await port.get("/_sim/state")).json()
    assert state["entities"]["jiraProject"]["PROJ"]["datasource"] == OCEAN_UA


async def test_merge_replace_and_noop_writes(
    port: httpx.AsyncClient, bulk: Bulk, clock: Clock
) -> None:
    first = {"identifier": "A-1", "title": "one", "properties": {"status": "Open", "labels": ["x"]}}
    await bulk([first])
    created = await entity(port, "A-1")
    assert created["createdBy"] == "sandbox-client-id"
    clock.advance(10)
    await bulk([first])  # identical: no write, updatedAt unchanged
    state = get_sim(port.app).state  # type: ignore[attr-defined]
    assert (state.writes, state.noop_writes) == (1, 1)
    assert (await entity(port, "A-1"))["updatedAt"] == created["updatedAt"]
    clock.advance(10)
    await bulk([{"identifier": "A-1", "properties": {"storyPoints": 5}}])
    merged = await entity(port, "A-1")
    assert merged["title"] == "one" and merged["properties"]["status"] == "Open"
    assert merged["properties"]["storyPoints"] == 5
    assert merged["updatedAt"] > created["updatedAt"] == merged["createdAt"]
    await bulk(
        [{"identifier": "A-1", "properties": {"storyPoints": 8}}],
        UPSERT.replace("merge=true", "merge=false"),
    )
    replaced = await entity(port, "A-1")
    assert replaced["title"] is None and replaced["properties"] == {"storyPoints": 8}
    single = await port.post(
        "/v1/blueprints/jiraIssue/entities?upsert=false", json={"identifier": "A-1"}
    )
    assert single.status_code == 409
    created_single = await port.post(
        f"/v1/blueprints/jiraIssue/entities?{UPSERT}", json={"identifier": "A-9"}
    )
    assert created_single.status_code == 201


async def test_deletes_clear_relations_to_what_is_gone(port: httpx.AsyncClient, bulk: Bulk) -> None:
    await bulk([{"identifier": "P"}], blueprint="jiraProject")
    await bulk([{"identifier": "E-1"}, {"identifier": "E-2"}])
    await bulk([{"identifier": "A-1", "relations": {"project": "P", "epics": ["E-1", "E-2"]}}])
    body = {"entities": ["E-1", "GONE"]}
    deleted = (await port.post("/v1/blueprints/jiraIssue/bulk/entities/delete", json=body)).json()
    assert deleted["deletedEntities"] == ["E-1"]
    assert [e["identifier"] for e in deleted["errors"]] == ["GONE"]
    assert (await port.delete("/v1/blueprints/jiraProject/entities/P")).status_code == 200
    assert (await port.delete("/v1/blueprints/jiraProject/entities/P")).status_code == 404
    assert (await entity(port, "A-1"))["relations"] == {"project": None, "epics": ["E-2"]}
    assert (await port.get("/_sim/stats")).json()["deletes"] == 2


async def test_identifier_with_slash_roundtrips(port: httpx.AsyncClient, bulk: Bulk) -> None:
    await bulk([{"identifier": "a/b"}])
    assert (await port.get("/v1/blueprints/jiraIssue/entities/a%2Fb")).json()["entity"][
        "identifier"
    ] == "a/b"
    assert (await port.delete("/v1/blueprints/jiraIssue/entities/a%2Fb")).status_code == 200


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
