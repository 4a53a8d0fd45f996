"""port-ocean's own PortClient (and its start-up defaults code) against a running simulator.

This proves the simulator speaks what Ocean 0.56 speaks: the exact requests, bodies, query
parameters, retries and token refresh come from port-ocean itself, not from this test.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import MagicMock

import port_ocean.clients.port.utils as port_utils
import pytest
from port_ocean.clients.port.client import PortClient
from port_ocean.clients.port.types import RequestOptions, UserAgentType
from port_ocean.core.defaults.initialization.initialize import _initialize_defaults
from port_ocean.core.event_listener.once import OnceEventListenerSettings
from port_ocean.core.handlers.port_app_config.models import PortAppConfig
from port_ocean.core.incremental.cursor_store import CursorStore
from port_ocean.core.models import Entity, EventListenerType, ProcessingMode
from starlette.applications import Starlette

from sandbox.port_sim import PortSim, create_app, get_sim
from sandbox.serving import serving
from tests.builders import issue_mapping, ocean_answering_with

IDENTIFIER = "my-jira"
BLUEPRINTS: list[dict[str, Any]] = [
    {
        "identifier": "jiraProject",
        "title": "Jira Project",
        "icon": "Jira",
        "schema": {"properties": {"url": {"type": "string", "format": "url"}}, "required": []},
        "calculationProperties": {},
        "relations": {},
    },
    {
        "identifier": "jiraIssue",
        "title": "Jira Issue",
        "icon": "Jira",
        "schema": {
            "properties": {
                "status": {"type": "string"},
                "created": {"type": "string", "format": "date-time"},
            },
            "required": [],
        },
        "calculationProperties": {
            "handle": {"title": "Handle", "type": "string", "calculation": ".identifier"}
        },
        "relations": {
            "project": {
                "title": "Project",
                "target": "jiraProject",
                "required": False,
                "many": False,
            }
        },
    },
]
MAPPING: dict[str, Any] = {
    "deleteDependentEntities": True,
    "createMissingRelatedEntities": True,
    "enableMergeEntity": True,
    "resources": [
        issue_mapping(
            properties={"status": ".fields.status.name"},
            relations={"project": ".fields.project.key"},
        )
    ],
}
OPTIONS: RequestOptions = {
    "merge": True,
    "create_missing_related_entities": True,
    "delete_dependent_entities": True,
    "validation_only": False,
}


@pytest.fixture
def resources(tmp_path: Path) -> Path:
    (tmp_path / "blueprints.json").write_text(json.dumps(BLUEPRINTS))
    (tmp_path / "port-app-config.json").write_text(json.dumps(MAPPING))
    return tmp_path


@pytest.fixture
def app() -> Starlette:
    return create_app()


@pytest.fixture
def sim(app: Starlette) -> PortSim:
    return get_sim(app)


@pytest.fixture
async def base_url(app: Starlette) -> AsyncIterator[str]:
    """The simulator served on a free loopback port."""
    async with serving(app) as url:
        yield url


@pytest.fixture
def ocean_app(base_url: str, resources: Path) -> Iterator[SimpleNamespace]:
    """The slice of an Ocean app that PortClient and initialize_defaults read."""
    config = SimpleNamespace(
        ssl=SimpleNamespace(port=SimpleNamespace(verify=False)),
        disable_ip_outbound_blocker=True,
        upsert_entities_batch_max_length=20,
        upsert_entities_batch_max_size_in_bytes=1024 * 1024,
        delete_entities_max_batch_size=1000,
        integration=SimpleNamespace(
            identifier=IDENTIFIER, type="jira", incremental_sync_enabled=False
        ),
        event_listener=OnceEventListenerSettings(type=EventListenerType.ONCE),
        actions_processor=SimpleNamespace(enabled=False),
        processing_mode=ProcessingMode.ocean_core,
        create_port_resources_origin=None,
        initialize_port_resources=True,
        runtime=SimpleNamespace(value="OnPrem"),
        resources_path=str(resources),
    )
    port_utils._port_internal_async_client = None  # type: ignore[assignment]
    client = PortClient(
        base_url, "sandbox-client-id", "sandbox-client-secret", IDENTIFIER, "jira", "0.1.0"
    )
    app = SimpleNamespace(config=config, metrics=MagicMock(), port_client=client)
    try:
        with ocean_answering_with(app):
            yield app
    finally:
        port_utils._port_internal_async_client = None  # type: ignore[assignment]


async def test_ocean_port_client_against_simulator(
    sim: PortSim, ocean_app: SimpleNamespace
) -> None:
    client: PortClient = ocean_app.port_client

    # Start-up exactly as `ocean sail` does it (integration + default blueprints + mapping).
    await _initialize_defaults(PortAppConfig, ocean_app.config)
    integration = await client.get_current_integration()
    assert integration["config"]["resources"][0]["kind"] == "issue"
    assert integration["arePortResourcesInitialized"] is True
    assert integration["processingMode"] == "ocean-core"
    issue_bp = await client.get_blueprint("jiraIssue")
    assert issue_bp.relations["project"].target == "jiraProject"
    assert await client.get_organization_feature_flags() == []

    # A second start-up finds everything in place and creates nothing.
    blueprint_posts = sim.stats.by_endpoint["POST /v1/blueprints"]
    await _initialize_defaults(PortAppConfig, ocean_app.config)
    assert sim.stats.by_endpoint["POST /v1/blueprints"] == blueprint_posts == 2

    # Resync writes: 45 entities -> bulk upserts of at most 20, missing project created.
    sim.faults.add([{"path_regex": "/entities/bulk$", "status": 503, "count": 1}])
    entities = [
        Entity(
            identifier=f"PROJ-{i}",
            icon=None,
            blueprint="jiraIssue",
            title=f"Issue {i}",
            properties={"status": "Open"},
            relations={"project": "PROJ"},
        )
        for i in range(45)
    ]
    results = await client.upsert_entities_in_batches(entities, OPTIONS, UserAgentType.exporter)
    assert len(results) == 45 and all(ok for ok, _ in results)
    assert sim.stats.by_endpoint["POST /v1/blueprints/{bp}/entities/bulk"] == 4  # 3 + 1 retry
    stored = sim.state.entities["jiraIssue"]["PROJ-7"]
    assert stored.datasource == f"port-ocean/jira/0.1.0/{IDENTIFIER}/exporter"
    assert "PROJ" in sim.state.entities["jiraProject"]

    # What Ocean owns (the reconciliation query) and the diff query with `include`.
    owned = await client.search_entities(UserAgentType.exporter)
    assert {(e.blueprint, e.identifier) for e in owned} >= {("jiraIssue", "PROJ-0")}
    assert len(owned) == 46  # 45 issues + the placeholder project
    found = await client.search_entities(
        UserAgentType.exporter,
        query={
            "combinator": "and",
            "rules": [
                {"property": "$identifier", "operator": "in", "value": ["PROJ-1", "PROJ-2"]},
                {"property": "$blueprint", "operator": "=", "value": "jiraIssue"},
            ],
        },
        parameters_to_include=[
            "blueprint",
            "identifier",
            "title",
            "properties.status",
            "relations.project",
        ],
    )
    assert [e.dict(exclude_unset=True) for e in found] == [
        {
            "identifier": f"PROJ-{i}",
            "blueprint": "jiraIssue",
            "title": f"Issue {i}",
            "properties": {"status": "Open"},
            "relations": {"project": "PROJ"},
        }
        for i in (1, 2)
    ]
    batch = await client.search_batch_entities(UserAgentType.exporter, entities[:3])
    assert [e.identifier for e in batch] == ["PROJ-0", "PROJ-1", "PROJ-2"]

    deleted = await client.bulk_delete_entities(
        "jiraIssue", ["PROJ-1", "PROJ-2", "GONE"], OPTIONS, UserAgentType.exporter
    )
    assert deleted == ["PROJ-1", "PROJ-2"]

    # Resync state, kind examples.
    await client.update_integration_state({"status": "running", "lastResyncEnd": None})
    after = await client.update_integration_state({"status": "completed"})
    assert after["resyncState"]["updatedAt"]
    assert sim.state.integrations[IDENTIFIER]["resyncState"]["status"] == "completed"
    await client.ingest_integration_kind_examples("issue", [{"key": "PROJ-1"}])
    assert not [endpoint for endpoint in sim.stats.by_endpoint if "(unmatched)" in endpoint]


async def test_incremental_cursors_through_oceans_cursor_store(
    sim: PortSim, ocean_app: SimpleNamespace
) -> None:
    """Ocean's CursorStore (GET, then PUT answered 404 and POST on the first save) keeps one
    cursor per kind and resource index."""
    await _initialize_defaults(PortAppConfig, ocean_app.config)
    store = CursorStore(ocean_app.port_client)
    first = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    assert await store.get("issue", 0) is None
    await store.save("issue", 0, first)
    await store.save("issue", 0, first + timedelta(minutes=15))
    await store.save("comment", 1, first)

    assert await store.get("issue", 0) == first + timedelta(minutes=15)
    assert await store.get("comment", 1) == first
    assert await store.get("issue", 1) is None
    assert sim.stats.by_endpoint["POST /v1/integration/{integration}/cursor"] == 2
    assert sim.stats.by_endpoint["PUT /v1/integration/{integration}/cursor"] == 3
