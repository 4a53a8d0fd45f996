"""Coalesced, batched re-reads for live events (one per process, fed and awaited by processors).

Ocean's event workers (`OCEAN__EVENT_WORKERS_COUNT`) each handle one delivery at a time and
await its re-read. Here the re-reads of concurrent deliveries meet:

- Deliveries for the same object (per kind and selector) that arrive before its read starts
  share one read; the newest payload is the one read for.
- A read starts `window` seconds after the first delivery that needs it, so that a burst
  collects; the reads of many objects of one kind then go out together when the kind can read
  several at once (`read_many`: issues, one `key in (…)` search), up to `batch_size` a request,
  several requests at once (bounded by `parallel`, within the Jira client's own limit).
- Events for one object stay in order: while its read is in flight, a new delivery waits for
  the next read, which starts only after that one has finished, so what it sees is never older.
  Reads are numbered as they start, so the numbers of one object's reads follow Jira's states.

One delivery of each shared read "owns" the result (the newest one) for each reporter: it alone
reports it, so Port is written once for the object, not once per delivery. A reporter is one of
the mapping's resources: Ocean hands every delivery to each resource of the kind, and resources
with the same selector share the read, yet each must write its own entities.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_WINDOW_SECONDS = 0.25
DEFAULT_PARALLEL = 8

Item = dict[str, Any] | None
ReadOne = Callable[[Any], Awaitable[Item]]
# The outcome for each payload, in order: the item, None (not selected) or the exception (gone,
# refused, unavailable) that reading it raised.
ReadMany = Callable[[Sequence[Any]], Awaitable[Sequence[Item | BaseException]]]


@dataclass(frozen=True)
class Outcome:
    """What one delivery learns from a shared read."""

    state: Item | BaseException
    reports: bool
    number: int  # the read's place in this process's order of reads (see Shared.number)


@dataclass(frozen=True)
class Reader:
    """How to read one group's objects: one at a time, or also several in one request."""

    read_one: ReadOne
    read_many: ReadMany | None = None
    batch_size: int = 1


@dataclass
class Shared:
    """One read shared by the deliveries of one object; `owners` holds the newest of them for
    each reporter."""

    payload: Any
    owners: dict[Hashable, object] = field(default_factory=dict)
    number: int = 0  # set when the read starts: reads of one object are numbered in order
    result: asyncio.Future[Item | BaseException] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass
class _Group:
    reader: Reader
    pending: dict[Hashable, Shared] = field(default_factory=dict)
    busy: set[Hashable] = field(default_factory=set)
    flush: asyncio.TimerHandle | None = None


class ReReads:
    def __init__(self, window: float = DEFAULT_WINDOW_SECONDS, parallel: int = DEFAULT_PARALLEL):
        self.window = window
        self.parallel = parallel
        self._groups: dict[Hashable, _Group] = {}
        self._numbers = itertools.count(1)
        self._semaphore: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _on_this_loop(self) -> None:
        """Starts afresh on a new event loop (tests run one per test): timers, futures and the
        semaphore of another loop cannot be used here."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._groups, self._semaphore = loop, {}, asyncio.Semaphore(self.parallel)

    async def read(
        self,
        group: Hashable,
        obj: Hashable,
        payload: Any,
        reader: Reader,
        reporter: Hashable = None,
    ) -> Outcome:
        """The object's current state (or the exception reading it raised), whether this
        delivery owns the result for `reporter` (only the owner reports it), and the read's
        number."""
        self._on_this_loop()
        state = self._groups.setdefault(group, _Group(reader))
        state.reader = reader  # the newest (a client may have been replaced)
        me = object()
        shared = state.pending.get(obj)
        if shared is None:
            shared = state.pending[obj] = Shared(payload)
        else:
            shared.payload = payload
        shared.owners[reporter] = me
        self._schedule(group, state, self.window)
        outcome = await asyncio.shield(shared.result)
        return Outcome(outcome, shared.owners[reporter] is me, shared.number)

    def _schedule(self, group: Hashable, state: _Group, delay: float) -> None:
        if state.flush is None:
            loop = asyncio.get_running_loop()
            state.flush = loop.call_later(delay, self._flush, group, state)

    def _flush(self, group: Hashable, state: _Group) -> None:
        state.flush = None
        ready = [obj for obj in state.pending if obj not in state.busy]
        size = max(1, state.reader.batch_size if state.reader.read_many else 1)
        for start in range(0, len(ready), size):
            batch = {obj: state.pending.pop(obj) for obj in ready[start : start + size]}
            for shared in batch.values():
                shared.number = next(self._numbers)
            state.busy.update(batch)
            task = asyncio.get_running_loop().create_task(self._run(group, state, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, group: Hashable, state: _Group, batch: dict[Hashable, Shared]) -> None:
        assert self._semaphore is not None  # set by read(), which scheduled this
        outcomes: Sequence[Item | BaseException]
        try:
            async with self._semaphore:
                outcomes = await self._read(state.reader, [s.payload for s in batch.values()])
        except asyncio.CancelledError:
            for shared in batch.values():
                shared.result.cancel()
            raise
        except Exception as exc:  # every waiter gets the failure, and decides
            outcomes = [exc] * len(batch)
        finally:
            state.busy.difference_update(batch)
            if any(obj in state.pending for obj in batch):
                self._schedule(group, state, 0)  # they already waited their window
        if len(outcomes) != len(batch):  # a reader's bug must not leave waiters hanging
            outcomes = [RuntimeError(f"{len(outcomes)} outcomes for {len(batch)} reads")] * len(
                batch
            )
        for shared, outcome in zip(batch.values(), outcomes, strict=True):
            if not shared.result.done():
                shared.result.set_result(outcome)

    @staticmethod
    async def _read(reader: Reader, payloads: list[Any]) -> Sequence[Item | BaseException]:
        if reader.read_many is not None and len(payloads) > 1:
            return await reader.read_many(payloads)
        try:
            return [await reader.read_one(payloads[0])]
        except Exception as exc:  # handed to the waiter, which decides
            return [exc]
