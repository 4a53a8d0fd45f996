"""How far a resync is: a progress line when each kind starts and ends and every few seconds in
between, and a summary table that reconciles with what Port holds.

The resync handler opens a `KindProgress` per kind (`track`); the Jira HTTP layer counts each
request and 429 against the kind being read (a context variable, so fan-out tasks count for the
kind that started them), and the issue reader announces the totals its id pages reveal
(`expect`). A line comes when a page arrives and the interval has passed, and a ticker task
writes one for every kind still running when no page came for an interval (a slow or throttled
Jira, retries), so the log never goes quiet for longer than the interval.

Each kind records what it upserted (`upserted_entities`): the entities' identifiers and the
relation targets they name. Port creates an identifier-only stub entity for a relation target
it does not hold (Ocean upserts with createMissingRelatedEntities), so a blueprint in Port can
hold more entities than were upserted; `summary_table` names those targets per blueprint once
`resolve_stubs` knows which blueprint each relation points at.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from loguru import logger

PROGRESS_INTERVAL_SECONDS = 5.0
INTERVAL_ENV = "JIRA_PROGRESS_INTERVAL_SECONDS"  # for demos and tests of short syncs

Clock = Callable[[], float]


class UpsertedEntity(Protocol):
    """What the summary reads of an entity Ocean upserted (port_ocean.core.models.Entity)."""

    identifier: Any
    blueprint: Any
    relations: dict[str, Any]


# (blueprint, relation) -> the blueprint the relation points at; None: unknown.
RelationTarget = Callable[[str, str], Awaitable[str | None]]


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
    # Parents Jira refused (jira.fanout): read in part, its entities in Port kept.
    refused: list[str] = field(default_factory=list)
    # Its resync handler started on it (ResyncProgress.begin); reads ahead may start earlier.
    begun: bool = False
    started: float = field(init=False)
    ended: float | None = None
    _last_line: float = field(init=False)
    # blueprint -> identifiers this kind upserted; (blueprint, relation) -> target identifiers.
    synced: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    related: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    # Filled by resolve_stubs: target blueprint -> relation targets no kind upserted, and
    # the relations of this kind that named them.
    stubs: dict[str, set[str]] = field(default_factory=dict)
    stub_relations: dict[str, set[str]] = field(default_factory=dict)

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
        self.log_if_due()

    def log_if_due(self) -> None:
        """The progress line, when the last one is an interval old."""
        if self.ended is None and self.clock() - self._last_line >= self.interval:
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
        if self.requests:
            text += f", {self.requests} Jira requests"
            if self.throttled:
                text += f" ({self.throttled} answered 429 and retried)"
        elif self.read == 0 and self.ended is None:
            text += ", waiting for Jira's first answer"
        return text

    def upserted_entities(self, entities: Iterable[UpsertedEntity]) -> None:
        """Entities Ocean upserted for this kind: their identifiers and relation targets."""
        for entity in entities:
            blueprint = str(entity.blueprint)
            if isinstance(entity.identifier, str):
                self.synced[blueprint].add(entity.identifier)
            for relation, value in (entity.relations or {}).items():
                targets = value if isinstance(value, list) else [value]
                # A search relation (a dict) names no identifier: Port creates nothing for it.
                named = {target for target in targets if isinstance(target, str) and target}
                if named:
                    self.related[(blueprint, relation)] |= named

    def finish(self) -> None:
        self.sent = self.read
        self.ended = self.clock()
        if self.error:
            outcome = f"failed after {self.read} read (the error is above)"
        elif self.skipped:
            outcome = "skipped (not readable by this install), its entities kept"
        else:
            outcome = f"done, {self.read} read"
        line = f"Progress {self.kind}: {outcome} in {self.seconds:.1f}s"
        if self.refused and not self.error:
            line += (
                f"; Jira refused {len(self.refused)} parent(s) (the warnings above), so its "
                "entities in Port are kept"
            )
        logger.info(line)


_CURRENT: ContextVar[KindProgress | None] = ContextVar("jira_kind_progress", default=None)


class ResyncProgress:
    """The kinds of the current resync, in the order they started."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self.kinds: list[KindProgress] = []
        self._ticker: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.kinds = []

    def track(self, kind: str) -> KindProgress:
        """A new tracker for `kind`, begun: its handler reads the kind itself."""
        tracker = self.new(kind)
        self.begin(tracker)
        return tracker

    def new(self, kind: str) -> KindProgress:
        """A new tracker for `kind` (made current where its reads run: `use`)."""
        interval = float(os.environ.get(INTERVAL_ENV) or PROGRESS_INTERVAL_SECONDS)
        tracker = KindProgress(kind, clock=self.clock, interval=interval)
        self.kinds.append(tracker)
        return tracker

    def begin(self, tracker: KindProgress) -> None:
        """The kind's handler starts on `tracker` (pages read ahead or not): it is current for
        this task, says it started, and gets a line every interval until it finishes."""
        use(tracker)
        tracker.begun = True
        logger.info(f"Progress {tracker.kind}: started")
        self._keep_ticking()

    def of(self, kind: str) -> list[KindProgress]:
        return [tracker for tracker in self.kinds if tracker.kind == kind]

    def running(self) -> list[KindProgress]:
        """The kinds a handler works on (read-ahead reads wait for theirs: no lines yet)."""
        return [tracker for tracker in self.kinds if tracker.begun and tracker.ended is None]

    def _keep_ticking(self) -> None:
        """Start the ticker unless it runs (outside an event loop there is nothing to tick)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._ticker is None or self._ticker.done():
            self._ticker = loop.create_task(self._tick(), name="jira-resync-progress")

    async def _tick(self) -> None:
        """A line for each running kind whose last one is an interval old; ends with them."""
        while running := self.running():
            await asyncio.sleep(min(tracker.interval for tracker in running) / 2)
            for tracker in self.running():
                tracker.log_if_due()


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


async def resolve_stubs(kinds: Iterable[KindProgress], relation_target: RelationTarget) -> None:
    """Which relation targets no kind of the resync upserted (Port holds them as stubs)."""
    trackers = list(kinds)
    synced: dict[str, set[str]] = defaultdict(set)
    for tracker in trackers:
        for blueprint, identifiers in tracker.synced.items():
            synced[blueprint] |= identifiers
    # every relation's target asked at once (Port is a round trip away), then used per kind
    pairs = sorted({pair for tracker in trackers for pair in tracker.related})
    found = dict(
        zip(pairs, await asyncio.gather(*(relation_target(*p) for p in pairs)), strict=True)
    )
    for tracker in trackers:
        stubs: dict[str, set[str]] = defaultdict(set)
        relations: dict[str, set[str]] = defaultdict(set)
        for (blueprint, relation), targets in tracker.related.items():
            target = found[blueprint, relation]
            missing = targets - synced[target] if target is not None else set()
            if target is not None and missing:
                stubs[target] |= missing
                relations[target].add(relation)
        tracker.stubs, tracker.stub_relations = dict(stubs), dict(relations)


def stubs_line(kinds: Iterable[KindProgress]) -> str | None:
    """The relation targets that Port holds as stub entities, per blueprint, or None."""
    stubs: dict[str, set[str]] = defaultdict(set)
    named_by: dict[str, set[str]] = defaultdict(set)
    for tracker in kinds:
        for blueprint, identifiers in tracker.stubs.items():
            stubs[blueprint] |= identifiers
            relations = tracker.stub_relations.get(blueprint, set())
            named_by[blueprint] |= {f"{tracker.kind}.{relation}" for relation in relations}
    if not stubs:
        return None
    parts = [
        f"{blueprint} {len(stubs[blueprint])} (from {', '.join(sorted(named_by[blueprint]))})"
        for blueprint in sorted(stubs)
    ]
    return (
        "Stub entities: relation targets this resync did not sync, which Port creates with "
        "only an identifier unless it holds them already (so a blueprint can count more "
        "entities than were upserted): " + "; ".join(parts)
    )


COLUMNS = ("kind", "read", "upserted", "failed", "deleted", "requests", "429s", "time")


def summary_table(kinds: Iterable[KindProgress]) -> str:
    """One row per kind (a kind mapped twice gets two rows), as aligned plain text, after the
    stub entities line when relation targets were not synced."""
    kinds = list(kinds)
    rows = [COLUMNS] + [
        (
            tracker.kind
            + (
                " (failed)"
                if tracker.error
                else " (skipped)"
                if tracker.skipped
                else " (partial)"
                if tracker.refused
                else ""
            ),
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
    table = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    stubs = stubs_line(kinds)
    return "\n".join([stubs, *table] if stubs else table)


PROGRESS = ResyncProgress()
