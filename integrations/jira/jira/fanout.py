"""The one parent→child helper: the children of many parents, concurrently and within a bound.

- `children(parents, fetch, fanout)`: for every parent in the parent pages (projects, boards,
  issues), `fetch(parent)` pages its children (versions, sprints, comments…). At most
  `concurrency` parents are read at once (the Jira client's own bound; its rate limiter bounds
  the requests anyway). Child pages come out in parent order, so two resyncs of the same data
  yield the same entities (a sprint or epic shown on two boards is always first seen on the
  same one), gathered into pages of about `batch` items. Memory stays bounded: at most
  `concurrency` parents with `PER_PARENT_PAGES` pages each waiting, and the batch being filled.
- `enrich(pages, add, fanout)`: the same for per-item look-ups that complete an object in place
  (a board's projects); a page is yielded once all its items are complete.

The skip rule, the same for every fan-out, never deletes what Jira still has. Jira answering 400,
403 or 404 for one parent skips that parent with one warning, and the rest of the kind syncs:
- 404: the parent is gone (a board deleted meanwhile), and its children with it: Ocean's delete
  phase removes them from Port;
- 400 or 403: Jira refused that parent's children (a project or board the token cannot read):
  they are unknown, not gone, so the kind's entities already in Port are kept this resync
  (jira.unavailable), while what was read is written as usual; the warning names the parent and
  the access to grant.
Answers a kind `expects` (a kanban board has no sprints) are skipped quietly and counted in one
summary line. Any other error fails the kind, which then deletes nothing in Port.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from jira import unavailable
from jira.errors import JiraApiError
from jira.paging import Page

GONE = 404
SKIP_STATUSES = frozenset({400, 403, GONE})
DEFAULT_BATCH = 100

Item = dict[str, Any]
Expected = Callable[[JiraApiError], bool]


def _never(error: JiraApiError) -> bool:
    return False


@dataclass(frozen=True)
class Fanout:
    """How a kind reads per parent: its name (for the log), how a parent is named, how many
    parents are read at once, the answers that only mean "nothing here" for a parent, and
    the access a parent Jira refuses needs (for the warning)."""

    kind: str
    describe: Callable[[Item], str]
    concurrency: int
    expected: Expected = _never
    expected_reason: str = "Jira has nothing of that kind for them"
    access: str = "access to it in Jira"


@dataclass
class SkipRule:
    """Decides whether one parent's error skips that parent, and says so once."""

    fanout: Fanout
    quiet: list[str] = field(default_factory=list)

    def skips(self, error: BaseException, parent: Item) -> bool:
        if not isinstance(error, JiraApiError) or error.status not in SKIP_STATUSES:
            return False
        kind, name = self.fanout.kind, self.fanout.describe(parent)
        if self.fanout.expected(error):
            self.quiet.append(name)
            logger.debug(f"Kind {kind}: skipping {name}: {error}")
            return True
        detail = "; ".join(error.messages) or "no error message"
        if error.status == GONE:
            logger.warning(
                f"Kind {kind}: skipping {name}: Jira answered 404 ({detail}): it is gone, and "
                f"its {kind} entities leave Port with it; the rest of the kind syncs"
            )
            return True
        unavailable.refused(name)
        logger.warning(
            f"Kind {kind}: skipping {name}: Jira refused it ({error.status}: {detail}); grant "
            f"the integration's user {self.fanout.access}. Until Jira answers for it, no {kind} "
            "entity is deleted from Port; the rest of the kind syncs"
        )
        return True

    def summary(self) -> None:
        if self.quiet:
            shown = ", ".join(self.quiet[:5]) + (" …" if len(self.quiet) > 5 else "")
            logger.info(
                f"Kind {self.fanout.kind}: skipped {len(self.quiet)} parent(s) ({shown}): "
                f"{self.fanout.expected_reason}"
            )


_END = object()
PER_PARENT_PAGES = 2


class _Run:
    """One fan-out's shared state: the first failure, and the queue the consumer is reading
    (so that a failure anywhere wakes it at once)."""

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.reading: asyncio.Queue[object] | None = None

    def fail(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        if self.reading is not None:
            with contextlib.suppress(asyncio.QueueFull):
                self.reading.put_nowait(_END)  # only a wake-up: `error` is checked first

    async def next_from(self, source: asyncio.Queue[object]) -> object:
        self.reading = source
        try:
            item = await source.get()
        finally:
            self.reading = None
        if self.error is not None:
            raise self.error
        return item


async def children(
    parents: AsyncIterator[Page],
    fetch: Callable[[Item], AsyncIterator[Page]],
    fanout: Fanout,
    batch: int = DEFAULT_BATCH,
) -> AsyncIterator[Page]:
    """Child pages in parent order (so a resync yields the same thing each time), read
    concurrently: while the consumer drains one parent, the next ones are already read."""
    rule = SkipRule(fanout)
    width = max(1, fanout.concurrency)
    slots = asyncio.Semaphore(width)
    order: asyncio.Queue[object] = asyncio.Queue(maxsize=width)  # per-parent queues, in order
    running: set[asyncio.Task[None]] = set()
    run = _Run()

    async def read(parent: Item, out: asyncio.Queue[object]) -> None:
        try:
            async for page in fetch(parent):
                if page:
                    await out.put(page)
        except Exception as exc:
            if not rule.skips(exc, parent):
                run.fail(exc)
                return
        finally:
            slots.release()
        await out.put(_END)

    async def produce() -> None:
        try:
            async for page in parents:
                for parent in page:
                    await slots.acquire()
                    out: asyncio.Queue[object] = asyncio.Queue(maxsize=PER_PARENT_PAGES)
                    task = asyncio.create_task(read(parent, out))
                    running.add(task)
                    task.add_done_callback(running.discard)
                    await order.put(out)
        except Exception as exc:  # the parents' own pages failed: the kind fails
            run.fail(exc)
            await order.put(_END)
            return
        await order.put(_END)

    producer = asyncio.create_task(produce())
    pending: Page = []
    try:
        while (source := await run.next_from(order)) is not _END:
            assert isinstance(source, asyncio.Queue)
            while (item := await run.next_from(source)) is not _END:
                assert isinstance(item, list)
                pending.extend(item)
                if len(pending) >= batch:
                    yield pending
                    pending = []
        if pending:
            yield pending
        rule.summary()
    finally:
        producer.cancel()
        for task in list(running):
            task.cancel()
        await asyncio.gather(producer, *running, return_exceptions=True)


async def enrich(
    pages: AsyncIterator[Page], add: Callable[[Item], Awaitable[None]], fanout: Fanout
) -> AsyncIterator[Page]:
    """Completes every item with `add(item)`; an item skipped by the rule is left out."""
    rule = SkipRule(fanout)
    slots = asyncio.Semaphore(max(1, fanout.concurrency))

    async def one(item: Item) -> bool:
        async with slots:
            try:
                await add(item)
            except Exception as exc:
                if rule.skips(exc, item):
                    return False
                raise
            return True

    async for page in pages:
        tasks = [asyncio.create_task(one(item)) for item in page]
        try:
            kept = await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        complete = [item for item, keep in zip(page, kept, strict=True) if keep]
        if complete:
            yield complete


def tagged(pages: AsyncIterator[Page], **values: Any) -> AsyncIterator[Page]:
    """Child pages with their parent's identity under private keys (`__projectKey`, `__boardId`…)."""

    async def run() -> AsyncIterator[Page]:
        async for page in pages:
            for item in page:
                item.update(values)
            yield page

    return run()
