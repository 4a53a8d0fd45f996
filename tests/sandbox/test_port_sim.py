"""Tests of the local Port API simulator (sandbox/port_sim)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest

from sandbox.port_sim import (
    SimConfig,
    SimState,
    create_app,
    get_sim,
    running_port_sim,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
OCEAN_UA = "port-ocean/jira/0.1.0/my-jira/exporter"
OTHER_UA = "port-ocean/jira/0.1.0/other-jira/exporter"
UPSERT = "upsert=true&merge=true&create_missing_related_entities=false&validation_only=false"

PROJECT_BP: dict[str, Any] = {
    "identifier": "jiraProject",
    "title": "Jira Project",
    "schema": {
        "properties": {
            "url": {"type": "string", "format": "url"},
            "lead": {"type": "string", "format": "user"},
        },
        "required": [],
    },
}
ISSUE_BP: dict[str, Any] = {
    "identifier": "jiraIssue",
    "title": "Jira Issue",
    "schema": {
        "properties": {
            "status": {"type": "string", "enum": ["Open", "Done"]},
            "storyPoints": {"type": "number"},
            "labels": {"type": "array", "items": {"type": "string"}},
            "created": {"type": "string", "format": "date-time"},
        },
        "required": [],
    },
    "calculationProperties": {
        "handle": {"title": "Handle", "type": "string", "calculation": '.identifier + "!"'},
    },
    "relations": {
        "project": {"title": "Project", "target": "jiraProject", "required": False, "many": False},
        "watchers": {"title": "Watchers", "target": "_user", "required": False, "many": True},
    },
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SimConfig(), SimState(clock=clock))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://port.test") as raw:
        token = (
            await raw.post(
                "/v1/auth/access_token",
                json={"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret"},
            )
        ).json()["accessToken"]
        raw.headers.update({"Authorization": f"Bearer {token}", "User-Agent": OCEAN_UA})
        raw.app = app  # type: ignore[attr-defined]
        yield raw


def sim_of(client: httpx.AsyncClient) -> Any:
    return get_sim(client.app)  # type: ignore[attr-defined]


async def make_blueprints(client: httpx.AsyncClient) -> None:
    for blueprint in (PROJECT_BP, ISSUE_BP):
        response = await client.post("/v1/blueprints", json=blueprint)
        assert response.status_code == 201, response.text


async def bulk(
    client: httpx.AsyncClient,
    entities: list[dict[str, Any]],
    params: str = UPSERT,
    blueprint: str = "jiraIssue",
    user_agent: str = OCEAN_UA,
) -> httpx.Response:
    return await client.post(
        f"/v1/blueprints/{blueprint}/entities/bulk?{params}",
        json={"entities": entities},
        headers={"User-Agent": user_agent},
    )


# ---------------------------------------------------------------------------- auth, routing


async def test_auth_token_and_rejections(client: httpx.AsyncClient) -> None:
    bad = await client.post(
        "/v1/auth/access_token", json={"clientId": "sandbox-client-id", "clientSecret": "nope"}
    )
    assert bad.status_code == 401
    assert bad.json()["ok"] is False and bad.json()["error"] == "unauthorized"

    good = await client.post(
        "/v1/auth/access_token",
        json={"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret"},
    )
    body = good.json()
    assert body["tokenType"] == "Bearer" and body["expiresIn"] == 10800 and body["accessToken"]

    anonymous = await client.get("/v1/organization", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthorized"
    forged = await client.get("/v1/organization", headers={"Authorization": "Bearer x.y.z"})
    assert forged.status_code == 401

    org = await client.get("/v1/organization")
    assert org.json()["organization"] == {
        "id": "org_sandbox",
        "name": "Sandbox Organization",
        "featureFlags": [],
    }

    revoked = await client.post("/_sim/tokens/revoke")
    assert revoked.status_code == 200
    assert (await client.get("/v1/organization")).status_code == 401


async def test_unmodelled_routes_answer_port_shaped_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/kafka-credentials")
    assert response.status_code == 404
    assert response.json()["ok"] is False and response.json()["error"] == "not_found"
    stats = (await client.get("/_sim/stats")).json()
    assert stats["unmatched"] == {"GET /v1/kafka-credentials": 1}

    missing = await client.get("/v1/integration/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


# ------------------------------------------------------------------------------- blueprints


async def test_system_blueprints_and_relation_to_missing_target(
    client: httpx.AsyncClient,
) -> None:
    user = (await client.get("/v1/blueprints/_user")).json()["blueprint"]
    assert {"port_type", "port_role", "status"} <= set(user["schema"]["properties"])
    assert (await client.get("/v1/blueprints/_team")).status_code == 200
    assert (await client.delete("/v1/blueprints/_user")).status_code == 422

    rejected = await client.post("/v1/blueprints", json=ISSUE_BP)
    assert rejected.status_code == 422
    message = rejected.json()["message"]
    assert '"project"' in message and '"jiraProject"' in message

    # What initialize_defaults does: bare blueprints first, then relations, then the rest.
    bare = {k: v for k, v in ISSUE_BP.items() if k not in ("relations", "calculationProperties")}
    assert (await client.post("/v1/blueprints", json=PROJECT_BP)).status_code == 201
    assert (await client.post("/v1/blueprints", json=bare)).status_code == 201
    assert (await client.post("/v1/blueprints", json=bare)).status_code == 409
    with_relations = {k: v for k, v in ISSUE_BP.items() if k != "calculationProperties"}
    assert (await client.patch("/v1/blueprints/jiraIssue", json=with_relations)).is_success
    assert (await client.patch("/v1/blueprints/jiraIssue", json=ISSUE_BP)).is_success
    stored = (await client.get("/v1/blueprints/jiraIssue")).json()["blueprint"]
    assert stored["relations"]["project"]["target"] == "jiraProject"
    assert "handle" in stored["calculationProperties"]

    broken = await client.patch(
        "/v1/blueprints/jiraIssue",
        json={"relations": {"epic": {"target": "jiraEpic", "many": False, "required": False}}},
    )
    assert broken.status_code == 422 and '"jiraEpic"' in broken.json()["message"]
    assert (await client.delete("/v1/blueprints/jiraProject")).status_code == 422


# --------------------------------------------------------------------------------- entities


async def test_bulk_upsert_validation_errors(client: httpx.AsyncClient) -> None:
    await make_blueprints(client)
    response = await bulk(
        client,
        [
            {"identifier": "A-1", "properties": {"status": "Open", "storyPoints": 3}},
            {"identifier": "A-2", "properties": {"nope": 1}},
            {"identifier": "A-3", "properties": {"storyPoints": "three"}},
            {"identifier": "A-4", "properties": {"status": "Weird"}},
            {"identifier": "A-5", "relations": {"project": "MISSING"}},
            {"identifier": "A-6", "relations": {"unknownRel": "X"}},
            {"identifier": "bad id", "properties": {}},
            {"identifier": "A-8", "relations": {"watchers": "not-a-list@x.io"}},
        ],
    )
    assert response.status_code == 207
    body = response.json()
    assert [e["identifier"] for e in body["entities"]] == ["A-1"]
    errors = {e["index"]: e for e in body["errors"]}
    assert set(errors) == {1, 2, 3, 4, 5, 6, 7}
    assert errors[1]["statusCode"] == 422 and '"nope"' in errors[1]["message"]
    assert "number" in errors[2]["message"]
    assert "one of" in errors[3]["message"]
    assert errors[4]["statusCode"] == 404 and errors[4]["error"] == "not_found"
    assert '"MISSING"' in errors[4]["message"]
    assert '"unknownRel"' in errors[5]["message"]
    assert errors[6]["identifier"] == "bad id"
    assert "many" in errors[7]["message"]

    too_many = await bulk(client, [{"identifier": f"B-{i}"} for i in range(21)])
    assert too_many.status_code == 413 and too_many.json()["ok"] is False

    unknown_bp = await bulk(client, [{"identifier": "x"}], blueprint="nope")
    assert unknown_bp.status_code == 404


async def test_create_missing_related_entities(client: httpx.AsyncClient) -> None:
    await make_blueprints(client)
    params = UPSERT.replace(
        "create_missing_related_entities=false", "create_missing_related_entities=true"
    )
    response = await bulk(
        client,
        [
            {
                "identifier": "A-1",
                "relations": {"project": "PROJ", "watchers": ["a@example.com"]},
            },
            {"identifier": "A-2", "relations": {"watchers": ["not-an-email"]}},
        ],
        params,
    )
    body = response.json()
    assert [e["identifier"] for e in body["entities"]] == ["A-1"]
    assert body["errors"][0]["index"] == 1  # _user placeholders need an email identifier
    placeholder = (await client.get("/v1/blueprints/jiraProject/entities/PROJ")).json()["entity"]
    assert placeholder["identifier"] == "PROJ" and placeholder["properties"] == {}
    state = (await client.get("/_sim/state")).json()
    assert state["entities"]["jiraProject"]["PROJ"]["datasource"] == OCEAN_UA
    assert "a@example.com" in state["entities"]["_user"]


async def test_merge_replace_and_noop_writes(client: httpx.AsyncClient, clock: Clock) -> None:
    await make_blueprints(client)
    first = {"identifier": "A-1", "title": "one", "properties": {"status": "Open", "labels": ["x"]}}
    assert (await bulk(client, [first])).status_code == 200
    created = (await client.get("/v1/blueprints/jiraIssue/entities/A-1")).json()["entity"]
    assert created["properties"]["handle"] == "A-1!"  # calculation property, evaluated with jq
    assert created["createdBy"] == "sandbox-client-id"

    clock.advance(10)
    await bulk(client, [first])  # identical: no write, updatedAt unchanged
    sim = sim_of(client)
    assert (sim.state.writes, sim.state.noop_writes) == (1, 1)
    same = (await client.get("/v1/blueprints/jiraIssue/entities/A-1")).json()["entity"]
    assert same["updatedAt"] == created["updatedAt"]

    clock.advance(10)
    await bulk(client, [{"identifier": "A-1", "properties": {"storyPoints": 5}}])
    merged = (await client.get("/v1/blueprints/jiraIssue/entities/A-1")).json()["entity"]
    assert merged["title"] == "one"
    assert merged["properties"]["status"] == "Open" and merged["properties"]["storyPoints"] == 5
    assert merged["updatedAt"] > created["updatedAt"]
    assert merged["createdAt"] == created["createdAt"]

    replace = UPSERT.replace("merge=true", "merge=false")
    await bulk(client, [{"identifier": "A-1", "properties": {"storyPoints": 8}}], replace)
    replaced = (await client.get("/v1/blueprints/jiraIssue/entities/A-1")).json()["entity"]
    assert replaced["title"] is None
    assert replaced["properties"] == {"storyPoints": 8, "handle": "A-1!"}

    single = await client.post(
        "/v1/blueprints/jiraIssue/entities?upsert=false", json={"identifier": "A-1"}
    )
    assert single.status_code == 409
    created_single = await client.post(
        f"/v1/blueprints/jiraIssue/entities?{UPSERT}", json={"identifier": "A-9"}
    )
    assert created_single.status_code == 201
    assert created_single.json()["entity"]["identifier"] == "A-9"
    validated = await client.post(
        "/v1/blueprints/jiraIssue/entities?upsert=true&validation_only=true",
        json={"identifier": "A-11", "properties": {"status": "Open"}},
    )
    assert validated.status_code == 200 and "A-11" not in sim.state.entities["jiraIssue"]
    missing_rel = await client.post(
        f"/v1/blueprints/jiraIssue/entities?{UPSERT}",
        json={"identifier": "A-10", "relations": {"project": "NOPE"}},
    )
    assert missing_rel.status_code == 404 and missing_rel.json()["error"] == "not_found"


async def test_search_relations_and_search_identifier(client: httpx.AsyncClient) -> None:
    await make_blueprints(client)
    projects = [
        {"identifier": "P1", "title": "Alpha", "properties": {"url": "https://a"}},
        {"identifier": "P2", "title": "Beta", "properties": {"url": "https://b"}},
        {"identifier": "P3", "title": "Beta", "properties": {}},
    ]
    assert (await bulk(client, projects, blueprint="jiraProject")).status_code == 200

    def by_title(title: str) -> dict[str, Any]:
        return {
            "combinator": "and",
            "rules": [{"property": "$title", "operator": "=", "value": title}],
        }

    response = await bulk(
        client,
        [
            {"identifier": "I-1", "relations": {"project": by_title("Alpha")}},
            {"identifier": "I-2", "relations": {"project": by_title("Nothing")}},
            {"identifier": "I-3", "relations": {"project": by_title("Beta")}},
        ],
    )
    body = response.json()
    assert [e["identifier"] for e in body["entities"]] == ["I-1", "I-2"]
    assert body["errors"][0]["index"] == 2 and "matched 2" in body["errors"][0]["message"]
    state = sim_of(client).state
    assert state.entities["jiraIssue"]["I-1"].relations == {"project": "P1"}
    assert state.entities["jiraIssue"]["I-2"].relations == {"project": None}

    search_identifier = {
        "combinator": "and",
        "rules": [{"property": "url", "operator": "=", "value": "https://b"}],
    }
    updated = await bulk(
        client,
        [{"identifier": search_identifier, "title": "Beta!"}],
        blueprint="jiraProject",
    )
    assert updated.json()["entities"][0]["identifier"] == "P2"
    assert state.entities["jiraProject"]["P2"].title == "Beta!"


async def test_entities_search_include_and_operators(client: httpx.AsyncClient) -> None:
    await make_blueprints(client)
    await bulk(
        client,
        [
            {"identifier": f"S-{i}", "title": f"t{i}", "properties": {"storyPoints": i}}
            for i in range(5)
        ],
    )
    await bulk(client, [{"identifier": "S-9", "title": "other"}], user_agent=OTHER_UA)
    query = {
        "combinator": "and",
        "rules": [
            {
                "combinator": "or",
                "rules": [
                    {
                        "combinator": "and",
                        "rules": [
                            {"property": "$identifier", "operator": "=", "value": ident},
                            {"property": "$blueprint", "operator": "=", "value": "jiraIssue"},
                        ],
                    }
                    for ident in ("S-1", "S-3", "S-9")
                ],
            },
            {"property": "$datasource", "operator": "contains", "value": "port-ocean/jira/"},
            {"property": "$datasource", "operator": "contains", "value": "/my-jira/exporter"},
        ],
    }
    response = await client.post(
        "/v1/entities/search",
        params={
            "exclude_calculated_properties": "true",
            "include": ["blueprint", "identifier", "properties.storyPoints"],
        },
        json=query,
    )
    assert response.status_code == 200
    entities = response.json()["entities"]
    assert entities == [
        {"blueprint": "jiraIssue", "identifier": "S-1", "properties": {"storyPoints": 1}},
        {"blueprint": "jiraIssue", "identifier": "S-3", "properties": {"storyPoints": 3}},
    ]
    numeric = await client.post(
        "/v1/blueprints/jiraIssue/entities/search",
        json={
            "query": {
                "combinator": "and",
                "rules": [{"property": "storyPoints", "operator": ">=", "value": 2}],
            },
            "limit": 2,
        },
    )
    page = numeric.json()
    assert [e["identifier"] for e in page["entities"]] == ["S-2", "S-3"]
    assert page["next"] is not None
    bad = await client.post("/v1/entities/search", json={"combinator": "xor", "rules": []})
    assert bad.status_code == 422


async def test_datasource_entities_filtering_and_paging(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await make_blueprints(client)
    await bulk(client, [{"identifier": f"D-{i}"} for i in range(5)])
    await bulk(client, [{"identifier": "X-1"}], user_agent=OTHER_UA)
    seeded = await client.post(
        "/_sim/entities",
        json={"entities": [{"blueprint": "jiraIssue", "identifier": "HUMAN-1"}]},
    )
    assert seeded.status_code == 200
    clock.advance(60)
    cutoff = clock.now.isoformat()
    clock.advance(60)
    await bulk(client, [{"identifier": "D-4", "title": "touched"}])  # updated after the cutoff

    body: dict[str, Any] = {
        "datasource_prefix": "port-ocean/jira/",
        "datasource_suffix": "/my-jira/exporter",
        "limit": 2,
    }
    seen: list[str] = []
    pages = 0
    while True:
        page = (await client.post("/v1/blueprints/entities/datasource-entities", json=body)).json()
        pages += 1
        seen.extend(e["identifier"] for e in page["entities"])
        assert all(e["blueprint"] == "jiraIssue" for e in page["entities"])
        if not page["next"]:
            break
        body["from"] = page["next"]
    assert sorted(seen) == [f"D-{i}" for i in range(5)] and pages == 3

    before = await client.post(
        "/v1/blueprints/entities/datasource-entities",
        json={
            "datasource_prefix": "port-ocean/jira/",
            "datasource_suffix": "/my-jira/exporter",
            "limit": 100,
            "before": cutoff,
        },
    )
    assert sorted(e["identifier"] for e in before.json()["entities"]) == [
        f"D-{i}" for i in range(4)
    ]


async def test_bulk_delete_dependents(client: httpx.AsyncClient) -> None:
    await make_blueprints(client)
    await client.post(
        "/v1/blueprints",
        json={
            "identifier": "jiraComment",
            "title": "Comment",
            "relations": {
                "issue": {"target": "jiraIssue", "required": True, "many": False},
            },
        },
    )
    await bulk(client, [{"identifier": "P1"}], blueprint="jiraProject")
    await bulk(client, [{"identifier": f"I-{i}", "relations": {"project": "P1"}} for i in (1, 2)])
    await bulk(
        client, [{"identifier": "C-1", "relations": {"issue": "I-1"}}], blueprint="jiraComment"
    )

    refused = await client.post(
        "/v1/blueprints/jiraIssue/bulk/entities/delete?delete_dependents=false",
        json={"entities": ["I-1", "I-2", "I-404"]},
    )
    body = refused.json()
    assert refused.status_code == 200 and body["deletedEntities"] == ["I-2"]
    assert {e["identifier"]: e["statusCode"] for e in body["errors"]} == {"I-1": 422, "I-404": 404}

    single = await client.delete("/v1/blueprints/jiraIssue/entities/I-1?delete_dependents=false")
    assert single.status_code == 422

    cascade = await client.post(
        "/v1/blueprints/jiraIssue/bulk/entities/delete?delete_dependents=true",
        json={"entities": ["I-1"]},
    )
    assert cascade.json()["deletedEntities"] == ["I-1"]
    state = sim_of(client).state
    assert "C-1" not in state.entities["jiraComment"]
    assert state.deletes == 3

    # Deleting a target of an optional relation clears the relation.
    await bulk(client, [{"identifier": "I-3", "relations": {"project": "P1"}}])
    assert (await client.delete("/v1/blueprints/jiraProject/entities/P1")).status_code == 200
    assert state.entities["jiraIssue"]["I-3"].relations["project"] is None
    assert (await client.delete("/v1/blueprints/jiraProject/entities/P1")).status_code == 404

    too_many = await client.post(
        "/v1/blueprints/jiraIssue/bulk/entities/delete",
        json={"entities": [f"x{i}" for i in range(101)]},
    )
    assert too_many.status_code == 413


async def test_identifier_with_slash_roundtrips(client: httpx.AsyncClient) -> None:
    await make_blueprints(client)
    await bulk(client, [{"identifier": "team/a+b"}])
    response = await client.get(f"/v1/blueprints/jiraIssue/entities/{quote_plus('team/a+b')}")
    assert response.status_code == 200 and response.json()["entity"]["identifier"] == "team/a+b"


# ----------------------------------------------------------------------------- integrations


async def test_integration_lifecycle(client: httpx.AsyncClient, clock: Clock) -> None:
    created = await client.post(
        "/v1/integration",
        json={
            "installationId": "my-jira",
            "installationAppType": "jira",
            "version": "0.1.0",
            "changelogDestination": {},
            "config": {"resources": []},
            "actionsProcessingEnabled": False,
            "incrementalSyncEnabled": False,
            "createPortResourcesOrigin": "Default",
        },
    )
    assert created.status_code == 201
    integration = created.json()["integration"]
    assert integration["identifier"] == "my-jira"
    assert integration["logAttributes"]["ingestUrl"].endswith("/_ingest/my-jira/logs")
    assert (await client.get("/v1/integration/provision-enabled")).json()["integrations"] == []

    mapping = {"deleteDependentEntities": True, "resources": [{"kind": "issue"}]}
    patched = await client.patch("/v1/integration/my-jira/config", json={"config": mapping})
    assert patched.json()["integration"]["config"] == mapping
    await client.patch("/v1/integration/my-jira", json={"processingMode": "ocean-core"})

    running = await client.patch(
        "/v1/integration/my-jira/resync-state",
        json={"status": "running", "lastResyncStart": "2025-01-01T00:00:00+00:00"},
    )
    assert running.json()["integration"]["resyncState"]["status"] == "running"
    clock.advance(5)
    done = await client.patch(
        "/v1/integration/my-jira/resync-state",
        json={"status": "completed", "lastResyncEnd": "2025-01-01T00:00:05+00:00"},
    )
    state = done.json()["integration"]["resyncState"]
    assert state["status"] == "completed" and state["lastResyncStart"]
    assert state["updatedAt"] == "2025-01-01T00:00:05.000Z"

    await client.post("/v1/integration/my-jira/kinds/issue/examples", json={"examples": [{"a": 1}]})
    assert (await client.get("/v1/integration/my-jira/resync-request")).json()["request"] is None
    await client.post("/_sim/integrations/my-jira/resync-request")
    request = (await client.get("/v1/integration/my-jira/resync-request")).json()["request"]
    assert request["updatedAt"]

    logs = await client.post("/_ingest/my-jira/logs", json={"logs": [{"message": "hi"}]})
    assert logs.status_code == 200
    assert (await client.get("/_sim/logs")).json()["logs"] == [{"message": "hi"}]

    snapshot = (await client.get("/_sim/state")).json()["integrations"]["my-jira"]
    assert [s["status"] for s in snapshot["resyncStateHistory"]] == ["running", "completed"]
    assert snapshot["kindExamples"] == {"issue": [{"a": 1}]}
    assert snapshot["processingMode"] == "ocean-core"


# ------------------------------------------------------------------- faults, stats, persistence


async def test_faults_then_recovery_and_stats(client: httpx.AsyncClient) -> None:
    await make_blueprints(client)
    await client.post("/_sim/stats/reset")
    rules = {
        "rules": [
            {
                "path_regex": r"/entities/bulk$",
                "method": "POST",
                "status": 503,
                "count": 2,
                "retry_after": 1,
            }
        ]
    }
    assert (await client.patch("/_sim/faults", json=rules)).status_code == 200
    statuses = []
    for _ in range(3):
        response = await bulk(client, [{"identifier": "F-1"}])
        statuses.append(response.status_code)
        if response.status_code == 503:
            assert response.headers["Retry-After"] == "1"
            assert response.json()["error"] == "service_unavailable"
    assert statuses == [503, 503, 200]
    assert (await client.get("/_sim/faults")).json()["rules"] == []

    stats = (await client.get("/_sim/stats")).json()
    assert stats["by_endpoint"] == {"POST /v1/blueprints/{bp}/entities/bulk": 3}
    assert stats["by_status"] == {"200": 1, "503": 2}
    assert stats["faults"] == {"503": 2} and stats["writes"] == 1 and stats["total"] == 3

    bad_rule = await client.patch("/_sim/faults", json={"rules": [{"path_regex": "("}]})
    assert bad_rule.status_code == 400

    # A latency-only rule (no status) slows the request down and then lets it through.
    await client.put(
        "/_sim/faults", json={"rules": [{"path_regex": "/organization$", "delay_ms": 50}]}
    )
    started = asyncio.get_running_loop().time()
    assert (await client.get("/v1/organization")).status_code == 200
    assert asyncio.get_running_loop().time() - started >= 0.05


async def test_state_dump_load_and_reset(
    client: httpx.AsyncClient, tmp_path: Path, clock: Clock
) -> None:
    await make_blueprints(client)
    await bulk(client, [{"identifier": "K-1", "properties": {"status": "Done"}}])
    target = tmp_path / "state.json"
    dumped = await client.post("/_sim/dump", json={"path": str(target)})
    assert dumped.status_code == 200

    loaded = SimState.load(target, clock=clock)
    original = sim_of(client).state
    assert loaded.fingerprint() == original.fingerprint()
    assert loaded.entities["jiraIssue"]["K-1"].datasource == OCEAN_UA

    assert (await client.post("/_sim/reset")).status_code == 200
    state = (await client.get("/_sim/state")).json()
    assert sorted(state["blueprints"]) == ["_team", "_user"]
    assert state["entities"] == {"_team": {}, "_user": {}}


# -------------------------------------------------------------------------------- processes


async def test_cli_ready_file_and_state_file(tmp_path: Path) -> None:
    ready, state_file = tmp_path / "ready", tmp_path / "state.json"
    process = subprocess.Popen(  # noqa: ASYNC220 - a short-lived child, polled below
        [
            sys.executable,
            "-m",
            "sandbox.port_sim",
            "--port",
            "0",
            "--ready-file",
            str(ready),
            "--state-file",
            str(state_file),
            "--client-id",
            "cid",
            "--client-secret",
            "csecret",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        for _ in range(200):
            if ready.exists():
                break
            await asyncio.sleep(0.05)
        base_url = ready.read_text().strip()
        async with httpx.AsyncClient(base_url=base_url) as http:
            token = (
                await http.post(
                    "/v1/auth/access_token", json={"clientId": "cid", "clientSecret": "csecret"}
                )
            ).json()["accessToken"]
            created = await http.post(
                "/v1/blueprints",
                json=PROJECT_BP,
                headers={"Authorization": f"Bearer {token}"},
            )
            assert created.status_code == 201
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=15)
    assert process.returncode == 0
    assert stdout.decode().strip() == base_url
    saved = json.loads(state_file.read_text())
    assert "jiraProject" in saved["blueprints"]


async def test_running_port_sim_loads_and_dumps_state_file(tmp_path: Path) -> None:
    state_file = tmp_path / "sim.json"
    async with running_port_sim(SimConfig(state_file=state_file)) as sim:
        sim.state.create_blueprint(PROJECT_BP)
    assert state_file.exists()
    async with running_port_sim(SimConfig(state_file=state_file)) as sim:
        assert "jiraProject" in sim.state.blueprints
        async with sim.client() as http:
            assert (await http.get("/_sim/health")).json()["ok"] is True
