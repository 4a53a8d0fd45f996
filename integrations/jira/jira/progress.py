"""How far a resync is: a progress line per kind at most every few seconds, and a summary table.

The resync handler opens a `KindProgress` per kind (`track`); the Jira HTTP layer counts each
request and 429 against the kind being read (a context variable, so fan-out tasks count for the
kind that started them), and the issue reader announces the totals its id pages reveal
(`expect`). After the resync, `summary_table` renders one row per kind.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field

from loguru import logger

PROGRESS_INTERVAL_SECONDS = 5.0
INTERVAL_ENV = "JIRA_PROGRESS_INTERVAL_SECONDS"  # for demos and tests of short syncs

Clock = Callable[[], float]


@dataclass
class KindProgress:
    kind: str
    clock: Clock = time.monotonic
    interval: float = PROGRESS_INTERVAL_SECONDS
    read: int = 0
    # Items handed to Ocean to map and upsert (a page is handed on before the next is read).
    sent: int = 0
    upserted: int = 0
    failed: int = 0
    deleted: int = 0
    requests: int = 0
    throttled: int = 0
    # What the id pages revealed so far, and whether they are all read (the total is known).
    expected: int = 0
    expected_final: bool = False
    error: str | None = None
    # The install cannot read the kind (jira.unavailable): nothing read, its entities kept.
    skipped: bool = False
    started: float = field(init=False)
    ended: float | None = None
    _last_line: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()
        self._last_line = self.started

    @property
    def seconds(self) -> float:
        return (self.ended if self.ended is not None else self.clock()) - self.started

    def rate(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def page_read(self, items: int) -> None:
        self.sent = self.read
        self.read += items
        if self.clock() - self._last_line >= self.interval:
            self._last_line = self.clock()
            logger.info(self.line())

    def line(self) -> str:
        rate = self.rate()
        text = f"Progress {self.kind}: {self.read} read, {self.sent} sent, {rate:.0f}/s"
        if self.expected_final and self.expected:
            percent = min(100.0, 100.0 * self.read / self.expected)
            left = max(0, self.expected - self.read)
            eta = f", ETA {left / rate:.0f}s" if rate > 0 else ""
            text += f", {percent:.0f}% of {self.expected}{eta}"
        elif self.expected:
            text += f", at least {self.expected} to read"
        return text

    def finish(self) -> None:
        self.sent = self.read
        self.ended = self.clock()


_CURRENT: ContextVar[KindProgress | None] = ContextVar("jira_kind_progress", default=None)


class ResyncProgress:
    """The kinds of the current resync, in the order they started."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self.kinds: list[KindProgress] = []

    def start(self) -> None:
        self.kinds = []

    def track(self, kind: str) -> KindProgress:
        """A new tracker for `kind`, current for this task and the tasks it starts."""
        tracker = self.new(kind)
        use(tracker)
        return tracker

    def new(self, kind: str) -> KindProgress:
        """A new tracker for `kind` (made current where its reads run: `use`)."""
        interval = float(os.environ.get(INTERVAL_ENV) or PROGRESS_INTERVAL_SECONDS)
        tracker = KindProgress(kind, clock=self.clock, interval=interval)
        self.kinds.append(tracker)
        return tracker

    def of(self, kind: str) -> list[KindProgress]:
        return [tracker for tracker in self.kinds if tracker.kind == kind]


def current() -> KindProgress | None:
    return _CURRENT.get()


def use(tracker: KindProgress) -> None:
    """`tracker` is the current kind's for this task and the tasks it starts."""
    _CURRENT.set(tracker)


def count_request(status: int | None) -> None:
    """One request sent for the current kind (`status` None: no answer)."""
    tracker = _CURRENT.get()
    if tracker is not None:
        tracker.requests += 1
        if status == 429:
            tracker.throttled += 1


def expect(items: int, *, final: bool) -> None:
    """The id pages revealed `items` more to read; `final` once the last id page is in."""
    tracker = _CURRENT.get()
    if tracker is not None:
        tracker.expected += items
        tracker.expected_final = final


COLUMNS = ("kind", "read", "upserted", "failed", "deleted", "requests", "429s", "time")


def summary_table(kinds: Iterable[KindProgress]) -> str:
    """One row per kind (a kind mapped twice gets two rows), as aligned plain text."""
    rows = [COLUMNS] + [
        (
            tracker.kind
            + (" (failed)" if tracker.error else " (skipped)" if tracker.skipped else ""),
            str(tracker.read),
            str(tracker.upserted),
            str(tracker.failed),
            str(tracker.deleted),
            str(tracker.requests),
            str(tracker.throttled),
            f"{tracker.seconds:.1f}s",
        )
        for tracker in kinds
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


PROGRESS = ResyncProgress()
