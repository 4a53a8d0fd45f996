"""One full resync's Jira reads, started together so that Ocean's kind-by-kind processing finds
each kind's first pages already read.

Ocean processes the mapping's resources one after another: each waits for its own first Jira
answer after the previous one's Port writes. When a full resync starts (`start`, from Ocean's
resync-start hook), the reads of every resource begin at once, each into a queue of at most
`pages_ahead` pages; the resource's resync handler then takes its pages from there (`take`).
What waits is bounded by a memory budget: a resource reads its next page only while fewer than
`items_ahead` items (and `pages_ahead` pages) of it wait, so each kind finds at least its first
page read, and the issue kind (1,000-issue pages of about 11 MB each as Python objects, read
ahead by its own pipeline as well: jira.issues) holds one or two pages here rather than four. The
Jira client's concurrency and rate limits bound the requests, and Ocean's order, its per-kind
bookkeeping and its delete phase are unchanged: a read that fails is raised by its own
resource's handler, so that kind fails alone and deletes nothing.

The parent lists several kinds read (the projects of release and component, the boards of
board, sprint, epic and backlog) are read once per resync (`shared_list`) and handed to each
kind as copies; never across resyncs: each resync starts with none.

Each read runs with its kind's progress tracker current (jira.progress), so the requests it
makes, and a kind it skips (jira.unavailable), are recorded for that kind as before; and with
its resource's index as the priority of its requests (jira.priority), so that when the client's
concurrency is full, the resource Ocean reaches sooner is read first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

from port_ocean.core.handlers.port_app_config.models import ResourceConfig

from jira import priority, progress
from jira.paging import Page

PAGES_AHEAD = 4
"""Pages read ahead per resource, beyond the one its handler is on."""
ITEMS_AHEAD = 1000
"""A resource reads on while fewer items than this wait (its first page always may)."""

OpenPages = Callable[[ResourceConfig], AsyncIterator[Page] | None]


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()


class _Stream:
    """One resource's pages waiting for its handler: the reader goes on while fewer than
    `pages` pages and `items` items wait."""

    def __init__(self, tracker: progress.KindProgress, pages: int, items: int) -> None:
        self.tracker = tracker
        self.task: asyncio.Task[None] | None = None
        self.taken = False
        self._pages, self._items = max(1, pages), max(1, items)
        self._waiting: deque[object] = deque()
        self._items_waiting = 0
        self._changed = asyncio.Condition()

    async def put(self, item: object) -> None:
        async with self._changed:
            self._waiting.append(item)
            self._items_waiting += len(item) if isinstance(item, list) else 0
            self._changed.notify_all()

    async def room(self) -> None:
        """Returns once the reader may read another page."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: len(self._waiting) < self._pages and self._items_waiting < self._items
            )

    async def get(self) -> object:
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._waiting))
            item = self._waiting.popleft()
            self._items_waiting -= len(item) if isinstance(item, list) else 0
            self._changed.notify_all()
            return item


@dataclass
class ResyncReads:
    """The reads of one full resync: a stream per resource index, and the shared lists."""

    pages_ahead: int = PAGES_AHEAD
    items_ahead: int = ITEMS_AHEAD
    _streams: dict[int, _Stream] = field(default_factory=dict)
    _lists: dict[Hashable, asyncio.Future[list[Page]]] = field(default_factory=dict)

    def start(
        self,
        resources: Sequence[ResourceConfig],
        open_pages: OpenPages,
        tracker_for: Callable[[str], progress.KindProgress],
    ) -> None:
        """Starts reading every resource that `open_pages` can read (None: it cannot)."""
        for index, resource in enumerate(resources):
            pages = open_pages(resource)
            if pages is None:
                continue
            stream = _Stream(tracker_for(resource.kind), self.pages_ahead, self.items_ahead)
            stream.task = asyncio.create_task(
                self._read(stream, pages, index), name=f"read-ahead-{resource.kind}-{index}"
            )
            self._streams[index] = stream

    @staticmethod
    async def _read(stream: _Stream, pages: AsyncIterator[Page], index: int) -> None:
        progress.use(stream.tracker)
        # Ocean reaches the resources in their order: a sooner one's requests go first.
        priority.use(priority.FIRST + 1 + index)
        try:
            async for page in pages:
                await stream.put(page)
                await stream.room()  # before the next page is read
        except Exception as error:  # raised by the kind's own handler: that kind fails alone
            await stream.put(_Failed(error))
        else:
            await stream.put(_END)

    def take(self, index: int) -> tuple[progress.KindProgress, AsyncIterator[Page]] | None:
        """The tracker and pages read ahead for resource `index`, or None (read it directly)."""
        stream = self._streams.get(index)
        if stream is None or stream.taken:
            return None
        stream.taken = True
        return stream.tracker, self._pages(stream)

    @staticmethod
    async def _pages(stream: _Stream) -> AsyncIterator[Page]:
        while (item := await stream.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            assert isinstance(item, list)
            yield item

    async def shared_list(
        self, key: Hashable, read: Callable[[], AsyncIterator[Page]]
    ) -> AsyncIterator[Page]:
        """The pages of `read()`, read once for this resync; each caller gets its own copies of
        the items (kinds add their own keys to them). A failed read is not kept: the next kind
        that needs the list asks Jira again."""
        pending = self._lists.get(key)
        if pending is None:
            pending = self._lists[key] = asyncio.ensure_future(_collect(read()))
        try:
            pages = await asyncio.shield(pending)
        except Exception:
            if self._lists.get(key) is pending:
                del self._lists[key]
            raise
        for page in pages:
            yield [dict(item) for item in page]

    async def close(self) -> None:
        """Stops every read still going (the resync ended, or was aborted)."""
        tasks = [s.task for s in self._streams.values() if s.task is not None]
        tasks += [f for f in self._lists.values() if isinstance(f, asyncio.Task)]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._streams.clear()
        self._lists.clear()


async def _collect(pages: AsyncIterator[Page]) -> list[Page]:
    return [page async for page in pages]


_CURRENT: ContextVar[ResyncReads | None] = ContextVar("jira_resync_reads", default=None)


def begin() -> ResyncReads:
    """A new scope of reads, current for this task and the tasks it starts from now on."""
    reads = ResyncReads()
    _CURRENT.set(reads)
    return reads


def current() -> ResyncReads | None:
    return _CURRENT.get()


async def end() -> None:
    """Closes the current scope (if any); the next resync starts with a new one."""
    reads = _CURRENT.get()
    _CURRENT.set(None)
    if reads is not None:
        await reads.close()


def shared_list(key: Hashable, read: Callable[[], AsyncIterator[Page]]) -> AsyncIterator[Page]:
    """`read()`'s pages, shared with the other kinds of the current full resync (if any)."""
    reads = _CURRENT.get()
    return reads.shared_list(key, read) if reads is not None else read()
