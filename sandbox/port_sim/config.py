"""Configuration of the Port API simulator."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"


@dataclass
class SimConfig:
    """The credentials the simulator accepts, and its latency."""

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    # Every API request (not /_sim) waits this long before it is served: the round trip to
    # Port's cloud, so benchmarks show which of Ocean's requests overlap (standard: 100).
    latency_ms: float = 0.0
