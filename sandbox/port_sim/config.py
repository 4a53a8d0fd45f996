"""Configuration of the Port API simulator."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"


@dataclass
class SimConfig:
    """Everything the simulator needs besides its state.

    The defaults mirror Port's documented limits: 20 entities per bulk upsert, 1 MiB per
    bulk request (Ocean's own ``upsert_entities_batch_max_size_in_bytes``), 100 identifiers per
    bulk delete and a 3 hour access token.
    """

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    org_id: str = "org_sandbox"
    org_name: str = "Sandbox Organization"
    feature_flags: list[str] = field(default_factory=list)
    # Integration types for which Port "provisions" defaults (GET /v1/integration/provision-enabled).
    provision_enabled: list[str] = field(default_factory=list)
    token_ttl_seconds: int = 10800
    jwt_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    max_bulk_entities: int = 20
    max_bulk_bytes: int = 1024 * 1024
    max_bulk_delete: int = 100
    max_datasource_page: int = 10000
    # Answer GET /v1/integration/{id} with logAttributes/metricAttributes/ingestAttributes whose
    # ingestUrl points back at this simulator (/_ingest/...), like Port does with its own ingest
    # service. Without them Ocean logs errors when it ships logs and metrics.
    ingest_attributes: bool = True
    state_file: Path | None = None
    ingested_log_size: int = 5000
