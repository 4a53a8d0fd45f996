"""Invariants over every kind: what is subscribed is processed, what is declared is wired."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import yaml
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent

from jira.kinds import KINDS
from jira.webhooks.events import declared_events, kinds_for, payload_problem
from jira.webhooks.gate import WebhookGate
from jira.webhooks.processors import PROCESSORS, WEBHOOK_PATH
from jira.webhooks.registration import admin_events, dynamic_events
from tests.integration.harness_setup import INTEGRATION, RESOURCES, default_mapping, harness
from tests.webhooks.payloads import issue_event, project_event, user_event


def spec_kinds() -> set[str]:
    spec: dict[str, Any] = yaml.safe_load((INTEGRATION / ".port" / "spec.yaml").read_text())
    return {r["kind"] for feature in spec["features"] for r in feature.get("resources", [])}


BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "issue": issue_event,
    "project": project_event,
    "user": user_event,
}


def sample_payload(event: str) -> dict[str, Any]:
    (kind, _), *_ = kinds_for(event)
    return BUILDERS[kind.name](event)


async def test_every_subscribed_event_has_a_registered_processor() -> None:
    subscribed = set(admin_events()) | set(dynamic_events())
    assert subscribed == declared_events()
    async with harness([]) as (h, _):
        assert h._ocean is not None
        registered = h._ocean.webhook_manager._processors_classes[WEBHOOK_PATH]
        assert set(registered) == set(PROCESSORS)
        for event in sorted(subscribed):
            payload = sample_payload(event)
            assert payload_problem(payload) is None, event
            webhook = WebhookEvent("t", payload, {})
            handlers = [p for p in registered if await p(webhook).should_process_event(webhook)]
            assert len(handlers) == 1, f"{event} has {len(handlers)} processors"


async def test_every_declared_event_belongs_to_exactly_one_kind() -> None:
    for event in declared_events():
        assert len(kinds_for(event)) == 1, event


async def test_every_spec_kind_has_a_resync_handler_and_a_default_blueprint() -> None:
    declared = {kind.name for kind in KINDS}
    assert spec_kinds() == declared
    blueprints = {
        bp["identifier"] for bp in json.loads((RESOURCES / "blueprints.json").read_text())
    }
    mapped: dict[str, str] = {}
    for resource in default_mapping()["resources"]:
        mapped[resource["kind"]] = resource["port"]["entity"]["mappings"]["blueprint"].strip('"')
    assert set(mapped) == declared
    assert set(mapped.values()) <= blueprints
    async with harness([]) as (h, _):
        assert h._ocean is not None
        resync = h._ocean.integration.event_strategy.resync
        assert declared <= {kind for kind, handlers in resync.items() if handlers}


async def test_the_gate_guards_the_webhook_route() -> None:
    async with harness([]) as (h, _):
        assert h._ocean is not None
        gates = [
            m for m in h._ocean.fast_api_app.user_middleware if cast(Any, m.cls) is WebhookGate
        ]
        assert len(gates) == 1


def test_live_kinds_are_exactly_the_kinds_with_processors() -> None:
    assert {p.kind.name for p in PROCESSORS} == {k.name for k in KINDS if k.live is not None}
    assert {p.kind.name for p in PROCESSORS} == {"project", "user", "issue"}
    assert len({p.__name__ for p in PROCESSORS}) == len(PROCESSORS)
