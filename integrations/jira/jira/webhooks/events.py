"""The webhook route, the events the kinds declare, and the payload shape each one needs.

Shared by the HTTP gate (which rejects what no processor could handle) and the processors'
`validate_payload`, so both apply the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jira.datacenter_shapes import with_cloud_names
from jira.kinds import KINDS, Kind, LiveEvents

# The processors' path on Ocean's integration router: Jira posts to
# {OCEAN__BASE_URL}/integration/webhook (`webhook_route`).
WEBHOOK_PATH = "/webhook"


def webhook_route(prefix: str = "") -> str:
    """Where the webhook route is served, below `prefix` (a base URL or a route prefix)."""
    return f"{prefix.rstrip('/')}/integration{WEBHOOK_PATH}"


def live_kinds(kinds: Iterable[Kind] = KINDS) -> list[tuple[Kind, LiveEvents]]:
    return [(kind, kind.live) for kind in kinds if kind.live is not None]


def declared_events(kinds: Iterable[Kind] = KINDS) -> frozenset[str]:
    """Every event some kind handles: what Jira webhooks subscribe to."""
    return frozenset(event for _, live in live_kinds(kinds) for event in live.events)


def kinds_for(event: str, kinds: Iterable[Kind] = KINDS) -> list[tuple[Kind, LiveEvents]]:
    return [(kind, live) for kind, live in live_kinds(kinds) if event in live.events]


def event_name(payload: Any) -> str | None:
    name = payload.get("webhookEvent") if isinstance(payload, dict) else None
    return name if isinstance(name, str) and name else None


def payload_problem(payload: Any, kinds: Iterable[Kind] = KINDS) -> str | None:
    """Why no processor could handle `payload`; None when one can.

    A Data Center payload's users (identified by `key`/`name`) gain Cloud's `accountId` here,
    in place, first: the gate and every processor validate through this function, so the
    processors read the same names on either deployment."""
    if not isinstance(payload, dict):
        return "the body is not a JSON object"
    with_cloud_names(payload)
    name = event_name(payload)
    if name is None:
        return "unsupported webhookEvent: the payload has no webhookEvent"
    handlers = kinds_for(name, kinds)
    if not handlers:
        return f"unsupported webhookEvent {name[:80]!r}"
    if all(live.object_of(payload) is None for _, live in handlers):
        needs = " or ".join(live.describe() for _, live in handlers)
        return f"{name} payload is missing {needs} (or they are malformed)"
    return None


def event_time_ms(payload: Any) -> int | None:
    """The delivery's `timestamp` (epoch ms), when Jira sent one."""
    value = payload.get("timestamp") if isinstance(payload, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
