"""The integration's own defaults for Ocean's settings, applied by the integration class as Ocean
creates it, so every way of starting it (`launch.py`, `ocean sail`, the image, either chart) runs
with them; a value the user gave (environment, .env, config.yaml or an override) always wins,
but for one rule: a WEBHOOKS_ONLY replica never initialises Port resources."""

from __future__ import annotations

from typing import Any

from loguru import logger
from port_ocean.config.settings import IntegrationConfiguration
from port_ocean.core.models import EventListenerType

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
    keep_replicas_off_port_resources(config)


def is_replica(config: IntegrationConfiguration) -> bool:
    """A WEBHOOKS_ONLY process: it serves deliveries; the resync process of the same
    integration keeps the Jira webhook and Port's resources."""
    return config.event_listener.type == EventListenerType.WEBHOOKS_ONLY


def keep_replicas_off_port_resources(config: IntegrationConfiguration) -> None:
    """A WEBHOOKS_ONLY replica never initialises Port resources, whatever
    OCEAN__INITIALIZE_PORT_RESOURCES says: replicas start together, and several processes
    creating the default blueprints at once meet 409s, after which Ocean deletes blueprints it
    has just created. The resync process initialises them. Runs as the integration class is
    made, before Ocean initialises anything (port_ocean.run: initialize_defaults); only
    `ocean sail --initialize-port-resources true`, which Ocean applies after it, gets past it
    (neither chart, the image nor launch.py passes that flag)."""
    if not is_replica(config):
        return
    if config.initialize_port_resources and "initialize_port_resources" in config.model_fields_set:
        logger.info(
            "Port resources: initializePortResources (OCEAN__INITIALIZE_PORT_RESOURCES) is on, "
            "but this WEBHOOKS_ONLY process never creates the default blueprints and mapping; "
            "the resync process of this integration does"
        )
    config.initialize_port_resources = False
