"""Live events' Port writes, several deliveries to one bulk request.

Ocean writes each live event's entities on their own: one Port request per delivery that
reports a change (a burst of 500 deliveries for 100 issues made 375 of them, 13% of the
integration's CPU). Deliveries finish together (their re-reads are batched, jira.webhooks.rereads),
so their writes meet here:

- one write in flight per blueprint and request options; what arrives meanwhile waits and goes
  in the next one, together (the busier Port or the burst, the bigger the write);
- an entity is never written twice in one request: a second write of the same identifier goes
  in a later request, so Port gets one object's states in the order they came;
- each caller gets back the outcome of its own entities, once its request is answered: a
  delivery is done only when its change is in Port (or failed), as before;
- entities whose identifier is not a plain string (a search identifier: Port names the entity)
  are written on their own, as Ocean does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from port_ocean.core.models import Entity

Outcome = list[tuple[bool, Entity]]
Write = Callable[[list[Entity]], Awaitable[Outcome]]
"""One bulk write of a blueprint's entities: Ocean's `upsert_entities_in_batches`, bound to its
request options and user agent, with `should_raise=False`."""


@dataclass
class _Request:
    """Entities waiting to be written together, and their writers' futures."""

    entities: dict[str, Entity] = field(default_factory=dict)
    done: asyncio.Future[dict[str, tuple[bool, Entity]]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass
class _Lane:
    """One blueprint's (and request options') writes: at most one request in flight."""

    write: Write
    waiting: list[_Request] = field(default_factory=list)
    busy: bool = False


def plain_identifier(entity: Entity) -> bool:
    return isinstance(entity.identifier, str)


def lane_key(blueprint: str, options: object, user_agent: object) -> Hashable:
    return (blueprint, json.dumps(options, sort_keys=True, default=str), str(user_agent))


class LiveWrites:
    def __init__(self) -> None:
        self._lanes: dict[Hashable, _Lane] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _on_this_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # tests run one loop each: another loop's futures are void
            self._loop, self._lanes = loop, {}

    async def upsert(self, key: Hashable, entities: list[Entity], write: Write) -> Outcome:
        """Writes `entities` (one blueprint's, plain identifiers) with other callers' of the
        same `key`; their outcome, in order, once Port answered their request."""
        self._on_this_loop()
        lane = self._lanes.setdefault(key, _Lane(write))
        lane.write = write  # the newest (a client may have been replaced)
        requests: list[_Request] = []
        for entity in entities:
            request = lane.waiting[-1] if lane.waiting else None
            if request is None or entity.identifier in request.entities:
                request = _Request()
                lane.waiting.append(request)
            request.entities[entity.identifier] = entity
            if not requests or requests[-1] is not request:
                requests.append(request)
        if not lane.busy:
            lane.busy = True
            task = asyncio.get_running_loop().create_task(self._drain(lane))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        results: dict[str, tuple[bool, Entity]] = {}
        for request in requests:
            results.update(await asyncio.shield(request.done))
        return [results[e.identifier] for e in entities if e.identifier in results]

    @staticmethod
    async def _drain(lane: _Lane) -> None:
        """Sends the lane's requests one after another until none waits."""
        request: _Request | None = None
        try:
            while lane.waiting:
                request = lane.waiting.pop(0)  # in flight: new writes go in the next one
                try:
                    outcome = await lane.write(list(request.entities.values()))
                except Exception as exc:  # every writer of the request learns it
                    request.done.set_exception(exc)
                else:
                    results = {entity.identifier: (ok, entity) for ok, entity in outcome}
                    request.done.set_result(results)
        finally:
            lane.busy = False
            # cancelled (shutdown): no writer waits forever
            for unsent in [request, *lane.waiting] if request else lane.waiting:
                if not unsent.done.done():
                    unsent.done.cancel()
            lane.waiting.clear()


LIVE_WRITES = LiveWrites()
