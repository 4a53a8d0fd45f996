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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import jq
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.entity_processor.jq_entity_processor import JQEntityProcessor
from port_ocean.core.handlers.entity_processor.jq_entity_processor_sync import (
    JQEntityProcessorSync,
)
from port_ocean.core.handlers.entity_processor.models import MappedEntity
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.ocean_types import RAW_ITEM, CalculationResult

from jira.jq_reads import Path, Read, plain_read, projection, read_paths
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
            "mappingEngine", f"must be one of {', '.join(ENGINES)}, got {value!r}"
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
class _Part:
    """One mapping tree of a program: its shape and the slots of its expressions."""

    template: dict[str, _Node]
    slots: range


@dataclass(frozen=True)
class MappingProgram:
    """A resource's selector and mapping expressions as a single jq program.

    The program turns an item into a list of slots, one per expression, the selector
    first: `[value]` when the expression's first output is value, `[]` when it has none,
    null when it raised. Each part (Ocean splits a mapping into the expressions that compile
    and the rest, each mapped on its own path) puts its values back in its tree's shape.
    """

    program: Any
    """jq's program for the slots that need jq (None: every slot is read in Python)."""
    parts: tuple[_Part, ...]
    read: tuple[Read | None, ...] = ()
    """Per slot, how Python reads it (`plain_read`), or None: jq's program gives it, in order."""
    project: Callable[[RAW_ITEM], Any] | None = None
    """What of an item jq's program reads (jira.jq_reads), or None: all of it."""

    def run(
        self, items: Sequence[RAW_ITEM], parse_all: bool
    ) -> list[tuple[MappedEntity | None, ...]]:
        """Each item's entity by part, None where Ocean's own path must decide."""
        return [
            tuple(self._entity(slots, part, parse_all) for part in self.parts)
            for slots in self._slots(items)
        ]

    def _slots(self, items: Sequence[RAW_ITEM]) -> list[list[Any] | None]:
        # The text Ocean's `compile_jq` hands jq for each item (jq's `input_value` is
        # `input_text(json.dumps(value))`), one item a line; its `input_values` would
        # serialise through json.dump's pure-Python encoder, several times slower. The whole
        # text is made even when jq reads only part of each item, or nothing: it proves the
        # items are plain JSON, as Ocean's path needs them to be (one that is not takes
        # Ocean's path).
        try:
            whole = "\n".join(map(_as_json, items))
            if self.program is None:
                from_jq: list[Any] = [[]] * len(items)
            else:
                project = self.project
                text = (
                    whole if project is None else "\n".join(json.dumps(project(i)) for i in items)
                )
                from_jq = list(self.program.input_text(text))
        except Exception:  # not plain JSON somewhere in the batch
            from_jq = []
        if len(from_jq) == len(items):
            return [self._merged(item, slots) for item, slots in zip(items, from_jq, strict=True)]
        return [self._slots_of(item) for item in items]

    def _slots_of(self, item: RAW_ITEM) -> list[Any] | None:
        try:
            _as_json(item)
            slots: list[Any] = self.program.input_value(item).first() if self.program else []
            return self._merged(item, slots)
        except Exception:
            return None

    def _merged(self, item: RAW_ITEM, from_jq: list[Any]) -> list[Any]:
        """Every slot in order: those read in Python, and jq's in its order."""
        if not self.read:
            return from_jq
        given = iter(from_jq)
        return [next(given) if read is None else read(item) for read in self.read]

    @staticmethod
    def _entity(slots: list[Any] | None, part: _Part, parse_all: bool) -> MappedEntity | None:
        if slots is None:
            return None
        selector = slots[0]
        if not selector or not isinstance(selector[0], bool):
            return None
        should_run: bool = selector[0]
        if not (parse_all or should_run):
            return MappedEntity()
        if any(not slots[slot] for slot in part.slots):
            return None
        misconfigurations: dict[str, str] = {}
        entity = {
            key: _assemble(node, slots, misconfigurations) for key, node in part.template.items()
        }
        return MappedEntity(
            entity=entity,
            did_entity_pass_selector=should_run,
            misconfigurations=misconfigurations,
        )


def _as_json(item: RAW_ITEM) -> str:
    """The item as the JSON text jq parses; raises when it is not plain JSON (NaN included,
    which jq's parser refuses)."""
    return json.dumps(item, allow_nan=False)


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
        self.slots: list[str | Read] = []
        self.reads: set[Path] | None = set()  # what the jq slots read of an item (None: all)

    def expression(self, text: Any) -> int:
        """Adds one expression, exactly as Ocean's `_compile` would run it, as a slot: read in
        Python when it is a plain path or a literal (jira.jq_reads), else run by jq."""
        if not isinstance(text, str) or _NOT_SHAREABLE.search(text):
            raise Unshareable(text)
        try:
            self._processor._compile(text)
        except Exception as error:
            raise Unshareable(text) from error
        formatted = self._processor._format_filter(text)
        # The newlines end a trailing `# comment` before the closing parenthesis: jq carries a
        # comment that ends in an odd number of backslashes onto the next line, never two.
        plain = plain_read(formatted)
        if plain is None and self.reads is not None:
            paths = read_paths(formatted)
            self.reads = None if paths is None else self.reads | paths
        self.slots.append(plain or f"(try [first({self._guard + formatted}\n\n)] catch null)")
        return len(self.slots) - 1

    def program(self, parts: tuple[_Part, ...]) -> MappingProgram:
        run_by_jq = [slot for slot in self.slots if isinstance(slot, str)]
        program = jq.compile("[" + ", ".join(run_by_jq) + "]") if run_by_jq else None
        read = tuple(None if isinstance(slot, str) else slot for slot in self.slots)
        return MappingProgram(
            program,
            parts,
            read if len(run_by_jq) < len(read) else (),
            projection(self.reads) if self.reads is not None else None,
        )

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


@dataclass
class _Resource:
    """One `_parse_items` call: the mapping's in-process tree, and what the pass over the
    items computed for it ahead of Ocean's in-process path."""

    uncompiled: dict[str, Any]
    items: list[RAW_ITEM] | None = None
    outcomes: list[MappedEntity | None] | None = None


_RESOURCE: ContextVar[_Resource | None] = ContextVar("mapping_resource", default=None)


class CompiledJQEntityProcessor(JQEntityProcessor):
    """JQEntityProcessor whose per-item evaluation runs one compiled program per resource.

    Ocean maps the expressions that compile in a forked pool (`parse_items_sync`) and the
    rest (search-relation rule lists, expressions jq rejects, the empty `properties` and
    `relations` objects left behind) in process (`parse_items_async`), each path evaluating
    the selector again, then merges the two. Here one pass over the items evaluates both
    trees; `parse_items_async` takes its share of that pass.
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.engine = mapping_engine(ocean.integration_config)
        self._programs: dict[str, MappingProgram | None] = {}

    def program_for(
        self, trees: Sequence[dict[str, Any]], selector_query: str
    ) -> MappingProgram | None:
        """One program for the selector and these mapping trees, or None when Ocean's path
        must map them."""
        guard = "" if ocean.config.allow_environment_variables_jq_access else _ENV_GUARD
        key = json.dumps([trees, selector_query, guard], default=repr)
        if key not in self._programs:
            if len(self._programs) >= 256:
                self._programs.clear()
            self._programs[key] = self._build(trees, selector_query, guard)
        return self._programs[key]

    def _build(
        self, trees: Sequence[dict[str, Any]], selector_query: str, guard: str
    ) -> MappingProgram | None:
        builder = _ProgramBuilder(self, guard)
        parts: list[_Part] = []
        try:
            builder.expression(selector_query)
            for tree in trees:
                first = len(builder.slots)
                template = {key: builder.node(value, key) for key, value in tree.items()}
                parts.append(_Part(template, range(first, len(builder.slots))))
            return builder.program(tuple(parts))
        except Exception:
            return None

    async def _run(
        self, program: MappingProgram, raw_results: list[RAW_ITEM], parse_all: bool
    ) -> list[tuple[MappedEntity | None, ...]]:
        outcomes: list[tuple[MappedEntity | None, ...]] = []
        for start in range(0, len(raw_results), BATCH_SIZE):
            outcomes += program.run(raw_results[start : start + BATCH_SIZE], parse_all)
            await asyncio.sleep(0)
        return outcomes

    async def _parse_items(
        self,
        mapping: ResourceConfig,
        raw_results: list[RAW_ITEM],
        parse_all: bool = False,
    ) -> CalculationResult:
        if self.engine != "compiled":
            return await super()._parse_items(mapping, raw_results, parse_all)
        # The same split Ocean's _parse_items makes next (its compilations are cached).
        _, uncompiled = await self.separate_compileable_and_uncompileable_patterns_and_warmup_cache(
            mapping.port.entity.mappings.dict(exclude_unset=True), [mapping.selector.query]
        )
        token = _RESOURCE.set(_Resource(uncompiled))
        try:
            return await super()._parse_items(mapping, raw_results, parse_all)
        finally:
            _RESOURCE.reset(token)

    async def parse_items_sync(
        self,
        compileable_patterns: dict[str, Any],
        raw_results: list[RAW_ITEM],
        selector_query: str,
        parse_all: bool = False,
    ) -> BatchResult:
        """Ocean's forked per-field path for the expressions that compile, in one pass that
        also maps the in-process path's tree when it can."""
        resource = _RESOURCE.get()
        program = None
        if resource is not None and resource.uncompiled:
            program = self.program_for([compileable_patterns, resource.uncompiled], selector_query)
        if program is None and resource is not None:
            program = self.program_for([compileable_patterns], selector_query)
        if program is None:
            return await super().parse_items_sync(
                compileable_patterns, raw_results, selector_query, parse_all
            )
        outcomes = await self._run(program, raw_results, parse_all)
        if resource is not None and len(program.parts) == 2:
            resource.items = raw_results
            resource.outcomes = [outcome[1] for outcome in outcomes]

        async def in_worker(item: RAW_ITEM) -> ItemResult:
            # What Ocean's worker process does for one item, run here.
            try:
                return [
                    JQEntityProcessorSync._get_mapped_entity(
                        item, compileable_patterns, selector_query, parse_all
                    )
                ], []
            except Exception as error:
                return [], [error]

        return await _decided(raw_results, [outcome[0] for outcome in outcomes], in_worker), []

    async def parse_items_async(
        self,
        uncompiled_patterns: dict[str, Any],
        raw_results: list[RAW_ITEM],
        selector_query: str,
        parse_all: bool = False,
    ) -> BatchResult:
        """Ocean's in-process path for the rest, from the pass `parse_items_sync` made."""
        resource = _RESOURCE.get()
        if (
            not uncompiled_patterns
            or resource is None
            or resource.items is not raw_results
            or resource.uncompiled != uncompiled_patterns
            or resource.outcomes is None
        ):
            return await super().parse_items_async(
                uncompiled_patterns, raw_results, selector_query, parse_all
            )

        async def in_process(item: RAW_ITEM) -> ItemResult:
            return await self._calculate_entity(
                item, uncompiled_patterns, selector_query, parse_all
            )

        return await _decided(raw_results, resource.outcomes, in_process), []


async def _decided(
    items: list[RAW_ITEM],
    entities: Sequence[MappedEntity | None],
    ocean_path: Callable[[RAW_ITEM], Awaitable[ItemResult]],
) -> list[ItemResult]:
    """Each item's result: its mapped entity, or what Ocean's path makes of it."""
    return [
        ([entity], []) if entity is not None else await ocean_path(item)
        for item, entity in zip(items, entities, strict=True)
    ]
