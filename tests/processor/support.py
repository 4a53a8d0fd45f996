"""Runs Ocean's JQEntityProcessor and ours on the same resource and items, and compares."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.entity_processor.jq_entity_processor import JQEntityProcessor
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.integrations.mixins.utils import handle_items_to_parse
from port_ocean.core.ocean_types import CalculationResult

from jira.entity_processor import CompiledJQEntityProcessor
from tests.builders import ocean_answering_with


@contextmanager
def ocean_app(*, allow_env: bool = False, **integration_config: Any) -> Iterator[SimpleNamespace]:
    """The slice of an Ocean app the entity processors read (config; no Port to ask for
    blueprints, so misconfigurations are all reported at WARNING, as Ocean does then)."""
    config = SimpleNamespace(
        allow_environment_variables_jq_access=allow_env,
        process_in_queue_max_workers=2,
        process_in_queue_timeout=120,
        yield_items_to_parse_batch_size=200,
        integration=SimpleNamespace(config=integration_config),
    )
    app = SimpleNamespace(config=config, port_client=SimpleNamespace())
    with ocean_answering_with(app):
        yield app


def resource(mappings: dict[str, Any], query: str = "true", **port: Any) -> ResourceConfig:
    return ResourceConfig.parse_obj(
        {
            "kind": "issue",
            "selector": {"query": query},
            "port": {"entity": {"mappings": mappings}, **port},
        }
    )


@dataclass(frozen=True)
class Outcome:
    """What a user of a resync sees of one batch's mapping."""

    passed: list[dict[str, Any]]
    failed: list[dict[str, Any]]
    errors: list[str]
    misconfigurations: dict[str, Any]

    @classmethod
    def of(cls, result: CalculationResult) -> Outcome:
        return cls(
            passed=[
                entity.dict(exclude_unset=True) for entity in result.entity_selector_diff.passed
            ],
            failed=[
                entity.dict(exclude_unset=True) for entity in result.entity_selector_diff.failed
            ],
            errors=[f"{type(error).__name__}: {error}" for error in result.errors],
            # Ocean leaves a dataclass Field here when a batch is empty.
            misconfigurations=dict(keys)
            if isinstance(keys := result.misconfigured_entity_keys, dict)
            else {},
        )


async def outcome(
    processor: JQEntityProcessor,
    config: ResourceConfig,
    items: list[dict[str, Any]],
    parse_all: bool = False,
) -> Outcome:
    """What `processor` makes of `items` under `config`, itemsToParse expanded as Ocean's
    resync does (through the integration's entity processor)."""
    app: Any = ocean.app  # the SimpleNamespace of ocean_app()
    app.integration = SimpleNamespace(entity_processor=processor)
    raw = [copy.deepcopy(item) for item in items]
    if config.port.items_to_parse:
        raw = [
            merged
            async for batch in handle_items_to_parse(
                raw,
                config.port.items_to_parse_name,
                config.port.items_to_parse,
                config.port.items_to_parse_top_level_transform,
            )
            for merged in batch
        ]
    try:
        return Outcome.of(await processor.parse_items(config, raw, parse_all))
    except Exception as error:  # e.g. an entity Port's model rejects: the batch fails
        return Outcome([], [], [f"raised {type(error).__name__}: {error}"], {})


async def both(
    config: ResourceConfig, items: list[dict[str, Any]], parse_all: bool = False
) -> tuple[Outcome, Outcome]:
    """(Ocean's outcome, ours) for the same resource and items, in the current Ocean app."""
    ours = CompiledJQEntityProcessor(ocean)
    assert ours.engine == "compiled"
    expected = await outcome(JQEntityProcessor(ocean), config, items, parse_all)
    actual = await outcome(ours, config, items, parse_all)
    return expected, actual
