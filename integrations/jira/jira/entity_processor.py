"""Ocean's JQ entity processor with each resource's mapping compiled into one jq program.

Ocean's JQEntityProcessor hands every item to jq once per mapping expression and forks a
process pool for every batch. CompiledJQEntityProcessor keeps all of Ocean's code and
replaces only the per-item evaluation: one jq program per resource evaluates the selector
and every expression of the mapping in a single pass over each item, in process, a batch
at a time. Each expression is the very program Ocean would run (same quote rewriting, same
`$ENV` guard), wrapped so that its error or empty output is seen on its own.

Wherever that single pass cannot stand for Ocean's per-field evaluation, Ocean's own code
runs instead, so misconfiguration reports, errors, logs and selector outcomes are Ocean's:
- for one item, when an expression fails or yields nothing, the selector is not a boolean,
  or the item is not plain JSON;
- for a whole resource, when a mapping expression does not compile, a value is not a jq
  string, or an expression uses what a shared program would change (`$__loc__`, `input`,
  `halt`, `debug`, `stderr`, module directives).

The integration setting `mappingEngine` (`compiled`, the default, or `ocean`) turns the
engine off for comparison or as an escape hatch.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jq
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.entity_processor.jq_entity_processor import JQEntityProcessor
from port_ocean.core.handlers.entity_processor.jq_entity_processor_sync import (
    JQEntityProcessorSync,
)
from port_ocean.core.handlers.entity_processor.models import MappedEntity
from port_ocean.core.ocean_types import RAW_ITEM

from jira.settings import ConfigurationError

ENGINES = ("compiled", "ocean")
DEFAULT_ENGINE = "compiled"
BATCH_SIZE = 100
"""Items per jq call; the event loop gets a turn between batches."""

_ENV_GUARD = "def env: {}; {} as $ENV | "
# Builtins whose meaning depends on the program or the input stream they run in: one
# shared program over a stream of items would not give each expression what it gets alone.
_NOT_SHAREABLE = re.compile(
    r"\$__loc__|\$__prog_args|\bhalt(_error)?\b|\binputs?\b|\binput_(line_number|filename)\b"
    r"|\bdebug\b|\bstderr\b|\bget_search_list\b|^\s*(import|include|module)\b",
    re.MULTILINE,
)

ItemResult = tuple[list[MappedEntity], list[Exception]]
BatchResult = tuple[list[ItemResult], list[Exception]]


def mapping_engine(config: Mapping[str, Any]) -> str:
    """The `mappingEngine` setting from Ocean's integration config (snake_case keys)."""
    value = config.get("mapping_engine")
    engine = DEFAULT_ENGINE if value is None or str(value).strip() == "" else str(value).strip()
    if engine not in ENGINES:
        raise ConfigurationError(
            "Configuration error: mappingEngine (OCEAN__INTEGRATION__CONFIG__MAPPING_ENGINE) "
            f"must be one of {', '.join(ENGINES)}, got {value!r}"
        )
    return engine


class Unshareable(Exception):
    """A mapping that one combined program cannot evaluate exactly as Ocean does."""


@dataclass(frozen=True)
class _Leaf:
    slot: int
    path: str
    expression: str


_Node = _Leaf | dict[str, "_Node"] | list["_Node"]


@dataclass(frozen=True)
class MappingProgram:
    """One resource's selector and mapping expressions as a single jq program.

    The program turns an item into a list of slots, one per expression, the selector
    first: `[value]` when the expression's first output is value, `[]` when it has none,
    null when it raised. `template` puts the values back in the mapping's shape.
    """

    program: Any
    template: dict[str, _Node]

    def run(self, items: Sequence[RAW_ITEM], parse_all: bool) -> list[MappedEntity | None]:
        """Each item's mapped entity, or None where Ocean's own path must decide."""
        return [self._entity(slots, parse_all) for slots in self._slots(items)]

    def _slots(self, items: Sequence[RAW_ITEM]) -> list[list[Any] | None]:
        try:
            return list(self.program.input_values(items))
        except Exception:  # not plain JSON somewhere in the batch: item by item
            return [self._slots_of(item) for item in items]

    def _slots_of(self, item: RAW_ITEM) -> list[Any] | None:
        try:
            slots: list[Any] = self.program.input_value(item).first()
            return slots
        except Exception:
            return None

    def _entity(self, slots: list[Any] | None, parse_all: bool) -> MappedEntity | None:
        if slots is None:
            return None
        selector = slots[0]
        if not selector or not isinstance(selector[0], bool):
            return None
        should_run: bool = selector[0]
        if not (parse_all or should_run):
            return MappedEntity()
        if any(not slot for slot in slots):
            return None
        misconfigurations: dict[str, str] = {}
        entity = {
            key: _assemble(node, slots, misconfigurations) for key, node in self.template.items()
        }
        return MappedEntity(
            entity=entity,
            did_entity_pass_selector=should_run,
            misconfigurations=misconfigurations,
        )


def _assemble(node: _Node, slots: list[Any], misconfigurations: dict[str, str]) -> Any:
    if isinstance(node, _Leaf):
        value = slots[node.slot][0]
        if value is None:
            misconfigurations[node.path] = node.expression
        return value
    if isinstance(node, list):
        return [_assemble(item, slots, misconfigurations) for item in node]
    return {key: _assemble(child, slots, misconfigurations) for key, child in node.items()}


class _ProgramBuilder:
    def __init__(self, processor: JQEntityProcessor, guard: str) -> None:
        self._processor = processor
        self._guard = guard
        self.slots: list[str] = []

    def expression(self, text: Any) -> int:
        """Adds one expression, exactly as Ocean's `_compile` would run it, as a slot."""
        if not isinstance(text, str) or _NOT_SHAREABLE.search(text):
            raise Unshareable(text)
        try:
            self._processor._compile(text)
        except Exception as error:
            raise Unshareable(text) from error
        body = self._guard + self._processor._format_filter(text)
        # The newline ends a trailing `# comment` before the closing parenthesis.
        self.slots.append(f"(try [first({body}\n)] catch null)")
        return len(self.slots) - 1

    def node(self, value: Any, path: str) -> _Node:
        if isinstance(value, dict):
            return {
                key: self.node(child, f"{path}.{key}" if path else key)
                for key, child in value.items()
            }
        if isinstance(value, list):
            # Ocean maps each list entry as an object (search-relation rules).
            if not all(isinstance(entry, dict) for entry in value):
                raise Unshareable(path)
            return [self.node(entry, path) for entry in value]
        return _Leaf(self.expression(value), path, value)


class CompiledJQEntityProcessor(JQEntityProcessor):
    """JQEntityProcessor whose per-item evaluation runs one compiled program per resource."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.engine = mapping_engine(ocean.integration_config)
        self._programs: dict[str, MappingProgram | None] = {}

    def program_for(self, patterns: dict[str, Any], selector_query: str) -> MappingProgram | None:
        """The combined program of a mapping, or None when Ocean's path must map it."""
        guard = "" if ocean.config.allow_environment_variables_jq_access else _ENV_GUARD
        key = json.dumps([patterns, selector_query, guard], default=repr)
        if key not in self._programs:
            if len(self._programs) >= 256:
                self._programs.clear()
            self._programs[key] = self._build(patterns, selector_query, guard)
        return self._programs[key]

    def _build(
        self, patterns: dict[str, Any], selector_query: str, guard: str
    ) -> MappingProgram | None:
        builder = _ProgramBuilder(self, guard)
        try:
            builder.expression(selector_query)
            template = {key: builder.node(value, key) for key, value in patterns.items()}
            program = jq.compile("[" + ", ".join(builder.slots) + "]")
        except Exception:
            return None
        return MappingProgram(program, template)

    async def _mapped(
        self,
        patterns: dict[str, Any],
        raw_results: list[RAW_ITEM],
        selector_query: str,
        parse_all: bool,
    ) -> Iterator[tuple[RAW_ITEM, MappedEntity | None]] | None:
        if self.engine != "compiled":
            return None
        program = self.program_for(patterns, selector_query)
        if program is None:
            return None
        outcomes: list[MappedEntity | None] = []
        for start in range(0, len(raw_results), BATCH_SIZE):
            outcomes += program.run(raw_results[start : start + BATCH_SIZE], parse_all)
            await asyncio.sleep(0)
        return zip(raw_results, outcomes, strict=True)

    async def parse_items_sync(
        self,
        compileable_patterns: dict[str, Any],
        raw_results: list[RAW_ITEM],
        selector_query: str,
        parse_all: bool = False,
    ) -> BatchResult:
        """Ocean's forked per-field path for the expressions that compile, in one pass."""
        mapped = await self._mapped(compileable_patterns, raw_results, selector_query, parse_all)
        if mapped is None:
            return await super().parse_items_sync(
                compileable_patterns, raw_results, selector_query, parse_all
            )
        results: list[ItemResult] = []
        for item, entity in mapped:
            if entity is not None:
                results.append(([entity], []))
                continue
            # What Ocean's worker process does for one item, run here.
            try:
                results.append(
                    (
                        [
                            JQEntityProcessorSync._get_mapped_entity(
                                item, compileable_patterns, selector_query, parse_all
                            )
                        ],
                        [],
                    )
                )
            except Exception as error:
                results.append(([], [error]))
        return results, []

    async def parse_items_async(
        self,
        uncompiled_patterns: dict[str, Any],
        raw_results: list[RAW_ITEM],
        selector_query: str,
        parse_all: bool = False,
    ) -> BatchResult:
        """Ocean's in-process path for the rest (search-relation rules, skeleton objects)."""
        if not uncompiled_patterns:
            return [], []
        mapped = await self._mapped(uncompiled_patterns, raw_results, selector_query, parse_all)
        if mapped is None:
            return await super().parse_items_async(
                uncompiled_patterns, raw_results, selector_query, parse_all
            )
        results: list[ItemResult] = []
        for item, entity in mapped:
            if entity is not None:
                results.append(([entity], []))
            else:
                results.append(
                    await self._calculate_entity(
                        item, uncompiled_patterns, selector_query, parse_all
                    )
                )
        return results, []
