"""Invariants over every kind: what is subscribed is processed, what is declared is wired."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import respx
import yaml
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent

from jira.kinds import KINDS, KINDS_BY_NAME
from jira.webhooks.events import WEBHOOK_PATH, declared_events, kinds_for, payload_problem
from jira.webhooks.processors import PROCESSORS, LiveEventsContext
from jira.webhooks.registration import admin_events, dynamic_events
from tests.builders import resource
from tests.integration.harness_setup import (
    INTEGRATION,
    RESOURCES,
    default_mapping,
    documented_resources,
    harness,
)
from tests.webhooks.payloads import (
    board_event,
    comment_event,
    issue_event,
    project_event,
    sprint_event,
    user_event,
    version_event,
    worklog_event,
)
from tests.webhooks.support import handle


def spec_kinds() -> set[str]:
    spec: dict[str, Any] = yaml.safe_load((INTEGRATION / ".port" / "spec.yaml").read_text())
    return {r["kind"] for feature in spec["features"] for r in feature.get("resources", [])}


BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "issue": issue_event,
    "project": project_event,
    "user": user_event,
    "release": version_event,
    "board": board_event,
    "sprint": sprint_event,
    "worklog": worklog_event,
    "comment": comment_event,
}
# Events more than one kind follows; each processor handles it for its own kind.
SHARED_EVENTS = {"comment_created", "comment_updated", "comment_deleted"}


def sample_payload(event: str) -> dict[str, Any]:
    """A delivery of `event` that every kind declaring it can handle."""
    handlers = kinds_for(event)
    for kind, _ in handlers:
        payload = BUILDERS[kind.name](event)
        if all(live.object_of(payload) is not None for _, live in handlers):
            return payload
    raise AssertionError(f"no sample payload of {event} suits {[k.name for k, _ in handlers]}")


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
            declaring = {kind.name for kind, _ in kinds_for(event)}
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


@pytest.mark.parametrize(
    ("kind", "event"),
    [(k.name, e) for k in KINDS if k.live is not None for e in sorted(k.live.delete_events)],
)
@respx.mock
async def test_every_delete_event_removes_its_object_without_asking_jira(
    live: LiveEventsContext, kind: str, event: str
) -> None:
    payload = sample_payload(event)
    result = await handle(kind, payload, resource(kind))
    live_events = KINDS_BY_NAME[kind].live
    assert live_events is not None
    assert result.updated_raw_results == []
    assert result.deleted_raw_results == [payload[live_events.payload_key]]
    assert respx.calls.call_count == 0
