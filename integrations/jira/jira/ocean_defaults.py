"""The integration's own defaults for Ocean's settings, applied by the integration class as Ocean
creates it, so every way of starting it (`launch.py`, `ocean sail`, the image, either chart) runs
with them; a value the user gave (environment, .env, config.yaml or an override) always wins."""

from __future__ import annotations

from typing import Any

from loguru import logger
from port_ocean.config.settings import IntegrationConfiguration

# Live events: Ocean's workers each await one delivery's re-read, and concurrent re-reads are
# what jira.webhooks.rereads coalesces and batches; Ocean's default is 1 worker.
DEFAULT_EVENT_WORKERS = 32

DEFAULTS: dict[str, Any] = {"event_workers_count": DEFAULT_EVENT_WORKERS}


def apply_defaults(config: IntegrationConfiguration) -> None:
    """Sets each default the user left unset, and logs the effective event-worker count."""
    explicit = set(config.model_fields_set)
    for name, value in DEFAULTS.items():
        if name not in explicit:
            setattr(config, name, value)
    origin = (
        "OCEAN__EVENT_WORKERS_COUNT"
        if "event_workers_count" in explicit
        else "the integration's default; OCEAN__EVENT_WORKERS_COUNT changes it"
    )
    logger.info(f"Live events: {config.event_workers_count} event workers ({origin})")
