"""A resync maps the next batch while Port stores the previous one (jira.overlapping_load),
against a stand-in for Ocean's batch loop with the same shape: each batch is transformed
(`_calculate_raw`), then loaded (Port's upserts), and its result handed back to the loop."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from port_ocean.clients.port.types import UserAgentType
from port_ocean.context.event import EventType, event_context
from port_ocean.core.integrations.mixins.sync_raw import SyncRawMixin
from port_ocean.core.models import Entity
from port_ocean.core.ocean_types import CalculationResult, EntitySelectorDiff

from jira.overlapping_load import OverlappingLoad

AGENT = UserAgentType.exporter
ISSUES: Any = SimpleNamespace(kind="issue")


class Port:
    """Port's bulk upserts: each takes a while; one of them may fail."""

    def __init__(self, log: list[str], fail_batch: int | None = None) -> None:
        self.log = log
        self.fail_batch = fail_batch
        self.stored: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def upsert(self, batch: int, entities: list[Entity]) -> list[Entity]:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.log.append(f"upsert {batch} starts")
        try:
            await asyncio.sleep(0.02)
            if batch == self.fail_batch:
                raise RuntimeError("Port answered 503")
            self.stored += [e.identifier for e in entities]
            self.log.append(f"upsert {batch} ends")
            return entities
        finally:
            self.in_flight -= 1


class OceanLoop(SyncRawMixin):
    """Ocean's shape: batches one after another, transform then load in each."""

    port: Port
    log: list[str]
    fail_read_at: int | None = None

    async def _register_in_batches(
        self, batches: list[list[dict[str, Any]]]
    ) -> tuple[list[Entity], list[Exception]]:
        passed: list[Entity] = []
        errors: list[Exception] = []
        for index, items in enumerate(batches, start=1):
            if index == self.fail_read_at:
                raise RuntimeError("Jira stopped answering")
            result = await self._register_resource_raw(ISSUES, items, AGENT, batch_index=index)
            passed += result.entity_selector_diff.passed
            errors += result.errors
        return passed, errors

    async def _register_resource_raw(
        self,
        resource: Any,
        results: list[dict[Any, Any]],
        user_agent_type: UserAgentType,
        parse_all: bool = False,
        batch_index: int = 1,
    ) -> CalculationResult:
        transformed = (await self._calculate_raw([(resource, results)]))[0]
        upserted = await self.port.upsert(batch_index, transformed.entity_selector_diff.passed)
        return transformed._replace(
            entity_selector_diff=EntitySelectorDiff(passed=upserted, failed=[])
        )

    async def _calculate_raw(
        self, raw_diff: list[tuple[Any, list[Any]]], parse_all: bool = False
    ) -> list[CalculationResult]:
        items = raw_diff[0][1]
        self.log.append(f"map {items[0]['batch']}")
        await asyncio.sleep(0.005)  # the mapping yields now and then
        entities = [
            Entity.parse_obj(
                {"identifier": item["key"], "blueprint": "jiraIssue", "properties": {"n": i}}
            )
            for i, item in enumerate(items)
            if "key" in item
        ]
        errors: list[Exception] = [ValueError(f"no key in {i}") for i in items if "key" not in i]
        return [CalculationResult(EntitySelectorDiff(entities, []), errors, len(entities))]


class Overlapping(OverlappingLoad, OceanLoop):
    pass


def _syncer(cls: type[OceanLoop], port: Port, log: list[str]) -> OceanLoop:
    syncer = cls.__new__(cls)
    syncer.port, syncer.log, syncer.fail_read_at = port, log, None
    return syncer


def _batches(count: int, size: int = 3) -> list[list[dict[str, Any]]]:
    return [
        [{"batch": b, "key": f"PROJ-{b * 100 + i}"} for i in range(size)]
        for b in range(1, count + 1)
    ]


async def _run(
    cls: type[OceanLoop], batches: list[list[dict[str, Any]]], port: Port, kind: str = "resync"
) -> tuple[list[Entity], list[Exception]]:
    event_type = EventType.RESYNC if kind == "resync" else EventType.INCREMENTAL_RESYNC
    async with event_context(event_type):
        return await _syncer(cls, port, port.log)._register_in_batches(batches)


async def test_the_next_batch_is_mapped_while_port_stores_the_previous_one() -> None:
    log: list[str] = []
    port = Port(log)
    entities, errors = await _run(Overlapping, _batches(4), port)
    assert log.index("map 2") < log.index("upsert 1 ends")
    assert log.index("map 3") < log.index("upsert 2 ends")
    # the loads stay in batch order, one at a time
    starts = [line for line in log if line.startswith("upsert") and line.endswith("starts")]
    assert starts == [f"upsert {b} starts" for b in (1, 2, 3, 4)]
    assert port.most_in_flight == 1
    assert log.index("upsert 2 starts") > log.index("upsert 1 ends")
    # every entity was stored, and the kind's result is what the loads upserted, in order
    expected = [f"PROJ-{b * 100 + i}" for b in (1, 2, 3, 4) for i in range(3)]
    assert port.stored == expected
    assert [e.identifier for e in entities] == expected
    assert errors == []


async def test_the_same_entities_and_mapping_errors_as_ocean_s_own_order() -> None:
    batches = _batches(3)
    batches[1].append({"batch": 2})  # an item the mapping cannot make an entity of
    ocean_log: list[str] = []
    ocean_port = Port(ocean_log)
    ocean_entities, ocean_errors = await _run(OceanLoop, batches, ocean_port)
    ours_log: list[str] = []
    ours_port = Port(ours_log)
    entities, errors = await _run(Overlapping, batches, ours_port)
    assert [e.identifier for e in entities] == [e.identifier for e in ocean_entities]
    assert ours_port.stored == ocean_port.stored
    assert [str(e) for e in errors] == [str(e) for e in ocean_errors] == ["no key in {'batch': 2}"]
    # Ocean's own order maps a batch only after the previous one is stored
    assert ocean_log.index("map 2") > ocean_log.index("upsert 1 ends")


async def test_a_failed_load_fails_the_kind_and_the_batch_mapped_meanwhile_is_not_written() -> None:
    log: list[str] = []
    port = Port(log, fail_batch=2)
    with pytest.raises(RuntimeError, match="Port answered 503"):
        await _run(Overlapping, _batches(4), port)
    assert "map 3" in log  # mapped while batch 2 was being stored ...
    assert "upsert 3 starts" not in log  # ... and never written
    assert port.stored == [f"PROJ-{100 + i}" for i in range(3)]
    await asyncio.sleep(0.05)
    assert "upsert 3 starts" not in log and "map 4" not in log


@pytest.mark.parametrize("fail_batch", [1, 3])
async def test_nothing_is_left_running_after_a_failed_load(fail_batch: int) -> None:
    port = Port([], fail_batch=fail_batch)
    with pytest.raises(RuntimeError):
        await _run(Overlapping, _batches(3), port)
    await asyncio.sleep(0.05)
    assert port.in_flight == 0


async def test_incremental_runs_keep_ocean_s_order() -> None:
    log: list[str] = []
    entities, _ = await _run(Overlapping, _batches(3), Port(log), kind="incremental")
    assert log.index("map 2") > log.index("upsert 1 ends")
    assert len(entities) == 9


async def test_a_batch_before_a_failed_read_is_written_in_full() -> None:
    """Ocean asks for the next batch only once the previous one is stored: a read that fails
    then (not as a kind failure Ocean records) leaves that batch written, here too."""
    log: list[str] = []
    port = Port(log)
    syncer = _syncer(Overlapping, port, log)
    syncer.fail_read_at = 3
    async with event_context(EventType.RESYNC):
        with pytest.raises(RuntimeError, match="Jira stopped answering"):
            await syncer._register_in_batches(_batches(4))
    assert port.stored == [f"PROJ-{b * 100 + i}" for b in (1, 2) for i in range(3)]
