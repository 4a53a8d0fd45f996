"""Invariants over every kind: what is subscribed is processed, what is declared is wired."""

from __future__ import annotations

import json
from typing import Any

import yaml
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent

from jira.kinds import KINDS
from jira.webhooks.events import WEBHOOK_PATH, declared_events, kinds_for, payload_problem
from jira.webhooks.processors import PROCESSORS
from jira.webhooks.registration import admin_events, dynamic_events
from tests.integration.harness_setup import (
    INTEGRATION,
    RESOURCES,
    default_mapping,
    documented_resources,
    harness,
)
from tests.webhooks.payloads import SHARED_EVENTS, sample_payload


def spec_kinds() -> set[str]:
    spec: dict[str, Any] = yaml.safe_load((INTEGRATION / ".port" / "spec.yaml").read_text())
    return {r["kind"] for feature in spec["features"] for r in feature.get("resources", [])}


async def test_every_subscribed_event_has_a_registered_processor() -> None:
    subscribed = set(admin_events()) | set(dynamic_events())
    assert subscribed == declared_events()
    async with harness([]):
        # Ocean has no public list of registered processors.
        registered = ocean.app.webhook_manager._processors_classes[WEBHOOK_PATH]
        assert set(registered) == set(PROCESSORS)
        for event in sorted(subscribed):
            payload = sample_payload(event)
            assert payload_problem(payload) is None, event
            webhook = WebhookEvent("t", payload, {})
            handlers = [p for p in PROCESSORS if await p(webhook).should_process_event(webhook)]
            declaring = {kind.name for kind, _ in kinds_for(event)} | {
                kind.name for kind in KINDS if kind.live and event in kind.live.gone_with_issue
            }
            assert {h.kind.name for h in handlers} == declaring, event
            for handler in handlers:
                assert await handler(webhook).validate_payload(payload), (event, handler)


async def test_only_the_comment_events_are_shared_by_kinds() -> None:
    shared = {event for event in declared_events() if len(kinds_for(event)) > 1}
    assert shared == SHARED_EVENTS
    for event in shared:
        assert {kind.name for kind, _ in kinds_for(event)} == {"issue", "comment"}


def blueprints() -> dict[str, dict[str, Any]]:
    found = json.loads((RESOURCES / "blueprints.json").read_text())
    return {bp["identifier"]: bp for bp in found}


def mapped_blueprint(resource: dict[str, Any]) -> str:
    return str(resource["port"]["entity"]["mappings"]["blueprint"]).strip('"')


async def test_every_spec_kind_has_a_resync_handler_a_blueprint_and_a_mapping() -> None:
    declared = {kind.name for kind in KINDS}
    assert spec_kinds() == declared
    defaults = {r["kind"]: r for r in default_mapping()["resources"]}
    documented = documented_resources()
    # every kind has a mapping: the default one, or the example in docs/kinds.md
    assert set(defaults) | set(documented) == declared
    assert set(defaults) <= declared
    for kind, example in documented.items():
        if kind in defaults:  # the default mapping is the documented example
            assert defaults[kind] == example, kind
    known = blueprints()
    for mapped in [*defaults.values(), *documented.values()]:
        assert mapped_blueprint(mapped) in known, mapped["kind"]
    async with harness([]):
        resync = ocean.app.integration.event_strategy.resync
        assert declared <= {kind for kind, handlers in resync.items() if handlers}


def test_every_relation_targets_a_default_blueprint() -> None:
    known = blueprints()
    for identifier, blueprint in known.items():
        for name, relation in blueprint["relations"].items():
            assert relation["target"] in known, f"{identifier}.{name} -> {relation['target']}"


def test_the_default_mapping_leaves_the_costly_kinds_out() -> None:
    kinds = [r["kind"] for r in default_mapping()["resources"]]
    assert {"backlog", "worklog", "comment"}.isdisjoint(kinds)
