"""Running one delivery through a kind's processor, as Ocean's webhook manager would; the
Jira endpoints and resources the live-event tests share."""

from __future__ import annotations

import json
from typing import Any

import respx
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.handlers.webhook.webhook_event import (
    WebhookEvent,
    WebhookEventRawResults,
    WebhookRequestAdapter,
)

from jira.selectors import IssueResourceConfig, ProjectResourceConfig
from jira.webhooks.processors import PROCESSORS, KindWebhookProcessor
from tests.builders import SITE, json_response

PROCESSOR = {p.kind.name: p for p in PROCESSORS}
API = f"{SITE}/rest/api/3"
AGILE = f"{SITE}/rest/agile/1.0"
SEARCH = f"{SITE}/rest/api/3/search/jql"
GONE = {"errorMessages": ["It does not exist"], "errors": {}}
MAPPING = {"entity": {"mappings": {"identifier": ".key", "title": ".key", "blueprint": '"x"'}}}


def issue_resource(**selector: Any) -> ResourceConfig:
    return IssueResourceConfig.parse_obj(
        {"kind": "issue", "selector": {"query": "true", **selector}, "port": MAPPING}
    )


def project_resource(expand: str = "insight") -> ResourceConfig:
    return ProjectResourceConfig.parse_obj(
        {"kind": "project", "selector": {"query": "true", "expand": expand}, "port": MAPPING}
    )


def user_resource() -> ResourceConfig:
    return ResourceConfig.parse_obj(
        {"kind": "user", "selector": {"query": "true"}, "port": MAPPING}
    )


def search_returning(*issues: dict[str, Any]) -> respx.Route:
    return respx.post(SEARCH).mock(
        return_value=json_response({"issues": list(issues), "isLast": True})
    )


def sent_body(route: respx.Route) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body


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


def issue_gone(key: str = "P1-1") -> None:
    """Jira once an issue is deleted: a search naming its key is refused, a GET answers 404."""
    message = f"An issue with key '{key}' does not exist for field 'key'."
    respx.post(SEARCH).mock(return_value=json_response({"errorMessages": [message]}, status=400))
    respx.get(f"{API}/issue/{key}").mock(
        return_value=json_response({"errorMessages": ["Issue does not exist"]}, status=404)
    )
