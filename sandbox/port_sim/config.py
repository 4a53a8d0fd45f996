"""Configuration of the Port API simulator."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"


@dataclass
class SimConfig:
    """Credentials and Port's documented limits: 20 entities per bulk upsert, 1 MiB per bulk
    request (Ocean's own ``upsert_entities_batch_max_size_in_bytes``), 100 identifiers per bulk
    delete and a 3 hour access token."""

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    org_id: str = "org_sandbox"
    token_ttl_seconds: int = 10800
    jwt_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    max_bulk_entities: int = 20
    max_bulk_bytes: int = 1024 * 1024
    max_bulk_delete: int = 100
    max_datasource_page: int = 10000
    # Every API request (not /_sim) waits this long before it is served: the round trip to
    # Port's cloud, so benchmarks show which of Ocean's requests overlap (standard: 100).
    latency_ms: float = 0.0
