"""A resync maps the next batch while Port stores the previous one.

Ocean (port-ocean 0.56, `SyncRawMixin._register_in_batches`) handles a kind's batches one after
another, each in two phases: transform (our mapping: CPU in this process) and load (its
comparison with Port, then its bulk upserts: waiting for Port). With the issue kind's batches of
1,000 the two are of a size, and nothing overlaps them.

`OverlappingLoad` runs each batch of a full resync through Ocean's own
`_register_resource_raw`, in a task of its own, and hands Ocean the batch's result as soon as its
transform is done (the result Ocean itself returns for a resync: the batch's entities, its
mapping errors), so Ocean asks for the next batch and maps it while this batch's load goes on.
Before the next batch's load starts, the previous one has ended: at most one batch waits for
Port while the next one is mapped (memory: one batch more than before). At the end of the kind
the last load is awaited, and the kind's entities are those the loads report (as Ocean's: its
fallback when the comparison fails upserts the whole batch and keeps what Port accepted).

A load that fails fails its kind as in Ocean: the failure is raised where Ocean would next wait
for it (the next batch, or the kind's end), and the batch mapped meanwhile is not written.
Incremental runs and live events keep Ocean's order.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from port_ocean.clients.port.mixins.entities import EntityClientMixin
from port_ocean.clients.port.types import UserAgentType
from port_ocean.context.event import EventType, event
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.integrations.mixins.sync_raw import SyncRawMixin
from port_ocean.core.models import Entity
from port_ocean.core.ocean_types import CalculationResult


@dataclass(frozen=True)
class _Batch:
    """What a batch's task tells the transform it runs: where its result goes, and the load
    before it, which must end before this batch's load starts."""

    transformed: asyncio.Future[CalculationResult]
    previous: asyncio.Task[CalculationResult] | None


_BATCH: ContextVar[_Batch | None] = ContextVar("jira_batch", default=None)


@dataclass
class _KindLoads:
    """The loads of one kind's batches: the one still going, and what the finished ones
    upserted, in batch order."""

    going: asyncio.Task[CalculationResult] | None = None
    entities: list[Entity] = field(default_factory=list)
    used: bool = False

    async def finish_going(self) -> None:
        going, self.going = self.going, None
        if going is not None:
            self.entities.extend((await going).entity_selector_diff.passed)

    async def cancel(self) -> None:
        going, self.going = self.going, None
        if going is not None and not going.done():
            going.cancel()
            with contextlib.suppress(BaseException):
                await going


_LOADS: ContextVar[_KindLoads | None] = ContextVar("jira_kind_loads", default=None)


def _as_ocean_returns(transformed: CalculationResult) -> CalculationResult:
    """What Ocean's `_register_resource_raw` returns for a resync batch whose comparison with
    Port worked: every entity that passed the selector (reduced to its identity)."""
    diff = transformed.entity_selector_diff
    return CalculationResult(
        number_of_transformed_entities=len(diff.passed),
        entity_selector_diff=diff._replace(
            passed=[EntityClientMixin._reduce_entity(entity) for entity in diff.passed]
        ),
        errors=transformed.errors,
        misconfigured_entity_keys=transformed.misconfigured_entity_keys,
    )


class OverlappingLoad(SyncRawMixin):
    async def _register_in_batches(
        self, *args: Any, **kwargs: Any
    ) -> tuple[list[Entity], list[Exception]]:
        loads = _KindLoads()
        scope = _LOADS.set(loads)
        try:
            try:
                entities, errors = await super()._register_in_batches(*args, **kwargs)
            except Exception:
                # As in Ocean, the batch before the failure is written (its failure, if any,
                # comes second)
                with contextlib.suppress(Exception):
                    await loads.finish_going()
                raise
            await loads.finish_going()
        finally:
            await loads.cancel()
            _LOADS.reset(scope)
        return (loads.entities if loads.used else entities), errors

    async def _register_resource_raw(
        self,
        resource: ResourceConfig,
        results: list[dict[Any, Any]],
        user_agent_type: UserAgentType,
        parse_all: bool = False,
        batch_index: int = 1,
    ) -> CalculationResult:
        loads = _LOADS.get()
        if loads is None or event.event_type != EventType.RESYNC:
            return await super()._register_resource_raw(
                resource, results, user_agent_type, parse_all, batch_index
            )
        transformed: asyncio.Future[CalculationResult] = asyncio.get_running_loop().create_future()
        batch = asyncio.create_task(
            self._register_batch(
                _Batch(transformed, loads.going),
                resource,
                results,
                user_agent_type,
                parse_all,
                batch_index,
            ),
            name=f"load-{resource.kind}-{batch_index}",
        )
        await asyncio.wait((batch, transformed), return_when=asyncio.FIRST_COMPLETED)
        if not transformed.done():  # its transform failed: raised here, as in Ocean, once the
            await loads.finish_going()  # previous batch's load (done before it in Ocean) ended
            return batch.result()
        try:
            await loads.finish_going()  # the previous batch's load: its failure ends the kind
        except BaseException:
            batch.cancel()
            with contextlib.suppress(BaseException):
                await batch
            raise
        loads.going, loads.used = batch, True
        return _as_ocean_returns(transformed.result())

    async def _register_batch(
        self,
        batch: _Batch,
        resource: ResourceConfig,
        results: list[dict[Any, Any]],
        user_agent_type: UserAgentType,
        parse_all: bool,
        batch_index: int,
    ) -> CalculationResult:
        _BATCH.set(batch)
        return await super()._register_resource_raw(
            resource, results, user_agent_type, parse_all, batch_index
        )

    async def _calculate_raw(
        self, raw_diff: list[tuple[ResourceConfig, list[Any]]], parse_all: bool = False
    ) -> list[CalculationResult]:
        calculated = await super()._calculate_raw(raw_diff, parse_all)
        batch = _BATCH.get()
        if batch is None or batch.transformed.done():
            return calculated
        _BATCH.set(None)
        batch.transformed.set_result(calculated[0])  # Ocean goes on to the next batch
        if batch.previous is not None:  # this batch's load starts when the previous one ended
            await asyncio.wait((batch.previous,))
            if batch.previous.cancelled() or batch.previous.exception() is not None:
                # as in Ocean, which stops at the failed load: this batch is not written
                raise asyncio.CancelledError
        return calculated
