"""Running one delivery through a kind's processor, as Ocean's webhook manager would."""

from __future__ import annotations

from typing import Any

from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.handlers.webhook.webhook_event import (
    WebhookEvent,
    WebhookEventRawResults,
    WebhookRequestAdapter,
)

from jira.webhooks.processors import PROCESSORS, KindWebhookProcessor

PROCESSOR = {p.kind.name: p for p in PROCESSORS}


def processor(
    kind: str,
    payload: dict[str, Any],
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> KindWebhookProcessor:
    """The kind's processor for one event; `raw` is the body as received (for signatures)."""
    original = WebhookRequestAdapter(raw, headers or {}) if raw is not None else None
    event = WebhookEvent("trace-1", payload, headers or {}, original_request=original)
    return PROCESSOR[kind](event)


async def handle(
    kind: str, payload: dict[str, Any], resource: ResourceConfig
) -> WebhookEventRawResults:
    """The event through every step Ocean runs before the upsert, each asserted to pass."""
    proc = processor(kind, payload)
    assert await proc.should_process_event(proc.event)
    assert await proc.get_matching_kinds(proc.event) == [kind]
    assert await proc.validate_payload(payload)
    return await proc.handle_event(payload, resource)
