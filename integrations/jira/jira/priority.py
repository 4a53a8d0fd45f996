"""Which Jira request goes first when the client's concurrency is full.

A full resync reads every resource at once (jira.read_ahead), but Ocean processes them one after
another. Without an order, a resource Ocean reaches soon (the teams: a handful of requests)
queues behind the fan-outs of the ones it reaches later (hundreds of per-board and per-project
reads), and a resource whose reads are long (the issues' bulk fetches: seconds each) gets no
slot until every fan-out is done, so Ocean waits for it at the end.

Each read-ahead runs with its resource's index as its priority (`use`); a request made outside
one (the checks, a handler reading directly, live events) has priority 0, the first. When a slot
frees, `PrioritySlots` gives it to the waiting request whose resource has the fewest requests in
flight, then to the lower priority (the resource Ocean reaches sooner), then to the one that
asked first: every resource that is reading keeps a share of the slots, a resource with few
requests is served at once, and the total in flight stays the client's bound.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

FIRST = 0
SHARE = 1
"""Slots every reading resource gets before the others' priority counts."""

_PRIORITY: ContextVar[int] = ContextVar("jira_request_priority", default=FIRST)


def use(priority: int) -> None:
    """The priority of the requests this task (and the tasks it starts from now on) makes."""
    _PRIORITY.set(priority)


def current() -> int:
    return _PRIORITY.get()


@dataclass(order=True)
class _Waiter:
    priority: int
    order: int
    granted: asyncio.Future[None] = field(compare=False)


class PrioritySlots:
    """At most `size` holders at once; a freed slot goes to the waiter of the priority with the
    fewest holders, then the lowest priority, then the earliest."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._order = itertools.count()
        self._waiting: list[_Waiter] = []
        self.holding: Counter[int] = Counter()

    @asynccontextmanager
    async def slot(self, priority: int | None = None) -> AsyncIterator[None]:
        wanted = current() if priority is None else priority
        await self._acquire(wanted)
        try:
            yield
        finally:
            self._release(wanted)

    async def _acquire(self, priority: int) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            self.holding[priority] += 1
            return
        waiter = _Waiter(priority, next(self._order), asyncio.get_running_loop().create_future())
        self._waiting.append(waiter)
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._release(priority)  # handed over as this waiter was cancelled: pass it on
            else:
                self._waiting.remove(waiter)
            raise

    def _release(self, priority: int) -> None:
        self.holding[priority] -= 1
        if not self._waiting:
            self._free += 1
            return
        waiter = min(self._waiting, key=lambda w: (self.holding[w.priority] >= SHARE, w))
        self._waiting.remove(waiter)
        self.holding[waiter.priority] += 1  # counted from the hand-over, before it resumes
        waiter.granted.set_result(None)
