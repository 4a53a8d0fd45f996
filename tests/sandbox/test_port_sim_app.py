"""The Port simulator's HTTP layer (sandbox/port_sim/app.py): auth, routing, integrations,
injected faults and request stats."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from sandbox.port_sim import SimConfig, SimState, create_app
from tests.sandbox.support import Bulk


async def test_tokens_and_refusals(port: httpx.AsyncClient) -> None:
    wrong = {"clientId": "sandbox-client-id", "clientSecret": "nope"}
    refused = await port.post("/v1/auth/access_token", json=wrong)
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    assert (await port.get("/v1/organization", headers={"Authorization": ""})).status_code == 401
    forged = await port.get("/v1/organization", headers={"Authorization": "Bearer x.y.z"})
    assert forged.status_code == 401
    organization = (await port.get("/v1/organization")).json()["organization"]
    assert organization["featureFlags"] == []


async def test_unmodelled_routes_answer_a_port_shaped_404(port: httpx.AsyncClient) -> None:
    response = await port.get("/v1/kafka-credentials")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert (await port.get("/_sim/stats")).json()["by_endpoint"]["GET (unmatched)"] == 1
    missing = await port.get("/v1/integration/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


async def test_integration_lifecycle(port: httpx.AsyncClient) -> None:
    body = {"installationId": "my-jira", "installationAppType": "jira", "config": {"resources": []}}
    created = await port.post("/v1/integration", json=body)
    assert created.status_code == 201
    integration = created.json()["integration"]
    assert integration["identifier"] == "my-jira"
    assert integration["logAttributes"]["ingestUrl"].endswith("/_ingest/my-jira/logs")
    mapping = {"deleteDependentEntities": True, "resources": [{"kind": "issue"}]}
    patched = await port.patch("/v1/integration/my-jira", json={"config": mapping})
    assert patched.json()["integration"]["config"] == mapping
    await port.patch("/v1/integration/my-jira", json={"processingMode": "ocean-core"})
    for status in ("running", "completed"):
        await port.patch("/v1/integration/my-jira/resync-state", json={"status": status})
    examples = {"examples": [{"a": 1}]}
    await port.post("/v1/integration/my-jira/kinds/issue/examples", json=examples)
    assert (await port.get("/v1/integration/my-jira/resync-request")).json()["request"] is None
    assert (await port.put("/_ingest/my-jira/metrics/sync/x", json={})).status_code == 200
    line = {"message": "Resync started", "level": "INFO", "timestamp": "t", "extra": {}}
    shipped = await port.post(integration["logAttributes"]["ingestUrl"], json={"logs": [line]})
    assert shipped.status_code == 200  # Ocean ships its logs there; no redirect
    assert (await port.get("/_sim/logs")).json()["logs"] == [line]
    snapshot = (await port.get("/_sim/state")).json()["integrations"]["my-jira"]
    assert snapshot["resyncState"]["status"] == "completed"
    assert snapshot["config"] == mapping and snapshot["processingMode"] == "ocean-core"


async def test_faults_then_recovery_and_stats(port: httpx.AsyncClient, bulk: Bulk) -> None:
    rule = {"path_regex": "/entities/bulk$", "method": "POST", "count": 2}
    assert (await port.patch("/_sim/faults", json={"rules": [rule]})).status_code == 200
    assert (await port.get("/v1/blueprints/jiraIssue")).status_code == 200  # not a bulk upsert
    responses = [await bulk([{"identifier": "F-1"}]) for _ in range(3)]
    assert [response.status_code for response in responses] == [503, 503, 200]
    assert responses[0].json()["error"] == "injected_fault"
    stats = (await port.get("/_sim/stats")).json()
    assert stats["by_endpoint"]["POST /v1/blueprints/{bp}/entities/bulk"] == 3
    assert stats["by_status"] == {"200": 3, "201": 2, "503": 2}  # with the fixture's set-up
    assert stats["faults"] == {"503": 2} and stats["writes"] == 1 and stats["total"] == 7
    bad_rule = await port.patch("/_sim/faults", json={"rules": [{"path_regex": "("}]})
    assert bad_rule.status_code == 400 and "path_regex" in bad_rule.json()["message"]


async def test_latency_delays_every_api_request_and_lets_them_overlap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waited: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(seconds: float) -> None:
        waited.append(seconds)
        await real_sleep(0.01)  # short, so the requests below are in flight together

    monkeypatch.setattr("sandbox.port_sim.app.asyncio.sleep", recorded_sleep)
    app = create_app(SimConfig(latency_ms=100), SimState())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://port.test") as client:
        credentials = {"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret"}
        await asyncio.gather(
            *(client.post("/v1/auth/access_token", json=credentials) for _ in range(5))
        )
        stats = (await client.get("/_sim/stats")).json()

    assert waited == [0.1] * 5  # the control API is never delayed
    assert stats["max_in_flight"] == 5
