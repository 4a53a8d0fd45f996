"""Where a sync's wall time goes, read from Ocean's own INFO log lines.

Ocean logs the start and end of each phase of each batch (extract, transform, load) with a
timestamp, and the integration processes one resource, and within it one batch, at a time.
Each marker below starts a stage that lasts until the next marker, so the stages add up to the
time between the first and the last log line:

- start-up: Ocean's initialisation (Port blueprints, integration, mapping) until the first kind;
- kind setup / kind wrap-up: per-kind bookkeeping before extract and after the last batch
  (Ocean's metrics reports to Port);
- waiting for Jira: Ocean asks the resync generator for the next batch and waits (the Jira
  reads not hidden behind processing);
- mapping: Ocean's transform phase (JQ, entity building and validation, selector);
- Port diff searches: the load phase's search for the batch's entities as Port holds them
  (Ocean compares to skip unchanged ones; 50 identifiers per search, one after another);
- Port upserts: the bulk upserts of the changed entities (all of a batch's bulks at once);
- reconciliation: reading what Port holds from this integration and deleting what is gone;
- shutdown: from the end of reconciliation to the last log line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

MARKERS: tuple[tuple[str, str], ...] = (
    ("Starting processing resource ", "kind setup"),
    ("Extract phase complete", "waiting for Jira"),
    ("Starting transform phase", "mapping"),
    ("Starting load phase", "Port diff searches"),
    ("Upserting changed entities", "Port upserts"),
    ("Entities in batch didn't change since last sync", "Port upserts"),
    ("Load phase complete", "waiting for Jira"),
    ("Finished registering kind", "kind wrap-up"),
    ("Starting reconciliation phase", "reconciliation"),
    ("Reconciliation phase complete", "shutdown"),
)
STAGES = ("start-up", *dict.fromkeys(stage for _, stage in MARKERS))  # in the order they come
_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \| \w+\s*\| (.*)$")


def _lines(log: str) -> Iterator[tuple[datetime, str]]:
    """(timestamp, message) for each timestamped line (the host's local time, as Ocean logs)."""
    for line in log.splitlines():
        if match := _LINE.match(line):
            yield datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S.%f"), match[2]


def _stamped(log: str) -> Iterator[tuple[float, str]]:
    """(seconds since the log's first timestamp, message) for each timestamped line."""
    first: datetime | None = None
    for at, message in _lines(log):
        first = first or at
        yield (at - first).total_seconds(), message


def _stage_changes(log: str) -> Iterator[tuple[float, str, str]]:
    """(when, stage, message) at each marker, after start-up at 0; last, ("end") the log's end."""
    last: float | None = None
    for at, message in _stamped(log):
        if last is None:
            yield 0.0, "start-up", message
        last = at
        for prefix, starts in MARKERS:
            if message.startswith(prefix):
                yield at, starts, message
                break
    yield last or 0.0, "end", ""


def stage_seconds(log: str) -> dict[str, float]:
    """Seconds per stage, in `STAGES` order."""
    seconds = dict.fromkeys(STAGES, 0.0)
    for (at, stage, _), (until, _, _) in pairwise(_stage_changes(log)):
        seconds[stage] += until - at
    return {name: round(value, 2) for name, value in seconds.items()}


@dataclass(frozen=True)
class Span:
    """One row of a sync's timeline: what ran from `start` to `end` (seconds from the first
    log line), and for a kind, where its time went (seconds per stage)."""

    start: float
    end: float
    what: str
    stages: dict[str, float]

    def line(self) -> str:
        parts = ", ".join(f"{stage} {s:.1f}" for stage, s in self.stages.items() if s >= 0.05)
        return f"{self.start:6.1f} - {self.end:6.1f} s  {self.what}" + (
            f" ({parts})" if parts else ""
        )


_RESOURCE = re.compile(r"Starting processing resource (\S+) with index (\d+)")


def timeline(log: str) -> list[Span]:
    """Start-up, each resource (its kind and index), and reconciliation with shutdown, each
    with its start and end: the stages of `stage_seconds`, grouped by what they ran for."""
    spans: list[Span] = []
    what, start, stages = "start-up", 0.0, dict[str, float]()
    for (at, stage, message), (until, _, _) in pairwise(_stage_changes(log)):
        resource = _RESOURCE.match(message)
        if resource is not None or stage == "reconciliation":
            spans.append(Span(round(start, 2), round(at, 2), what, _rounded(stages)))
            what = f"kind {resource[1]}-{resource[2]}" if resource else "reconciliation, shutdown"
            start, stages = at, {}
        stages[stage] = stages.get(stage, 0.0) + until - at
        end = until
    if stages:
        spans.append(Span(round(start, 2), round(end, 2), what, _rounded(stages)))
    return spans


def _rounded(stages: dict[str, float]) -> dict[str, float]:
    return {stage: round(seconds, 2) for stage, seconds in stages.items()}


# ------------------------------------------------------------ Jira's requests beside the log


@dataclass(frozen=True)
class Reads:
    """One endpoint's requests in a sync: how many, when the first started and the last ended
    (seconds from the first log line), how long one took, and how many were in flight on
    average while any was."""

    endpoint: str
    count: int
    first: float
    last: float
    mean: float
    in_flight: float

    def line(self) -> str:
        return (
            f"{self.first:6.1f} - {self.last:6.1f} s  {self.count:4d} x {self.mean:4.2f} s, "
            f"{self.in_flight:4.1f} in flight  {self.endpoint}"
        )


def first_log_time(log: str) -> float | None:
    """The log's first timestamp as epoch seconds."""
    first = next(_lines(log), None)
    return first[0].timestamp() if first else None


def reads_by_endpoint(requests: list[tuple[float, float, str]], zero: float) -> list[Reads]:
    """Jira's requests (start, end, endpoint; epoch seconds) grouped by endpoint, the endpoint
    first asked first. A resource whose requests start late or stretch out waited for slots."""
    grouped: dict[str, list[tuple[float, float]]] = {}
    for start, end, endpoint in sorted(requests):
        grouped.setdefault(endpoint, []).append((start - zero, end - zero))
    rows = []
    for endpoint, spans in grouped.items():
        first, last = spans[0][0], max(end for _, end in spans)
        busy = sum(end - start for start, end in spans)
        rows.append(
            Reads(
                endpoint,
                len(spans),
                round(first, 2),
                round(last, 2),
                round(busy / len(spans), 2),
                round(busy / max(last - first, 1e-3), 1),
            )
        )
    return rows


# ----------------------------------------------------------------------- a cProfile of a sync

# Where the integration process's own time goes, by the package of the function that spends it
# (cProfile's "tottime": time in a function itself, not in what it calls). A C function counts
# for the package named by its description (`<method 'send' of '_socket.socket' objects>`).
COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("idle (event loop waiting for I/O)", ("select.epoll",)),
    ("mapping: the compiled jq program", ("jira/jira/entity_processor.py",)),
    ("Ocean's sync code and metrics", ("port_ocean/", "prometheus_client/")),
    ("entity models (pydantic)", ("pydantic",)),
    (
        "HTTP client (httpx, httpcore, h11, anyio, sockets)",
        ("httpx/", "httpcore/", "h11/", "anyio/", "_socket.socket", "_ssl.", "ssl.py", "socket.py"),
    ),
    ("JSON (json module)", ("json/", "_json")),
    (
        "imports (start-up)",
        ("importlib", "marshal", "posix.stat", "posix.listdir", "zipimport", "_io.open"),
    ),
    ("Jira client (the integration)", ("jira/jira/",)),
    ("asyncio", ("asyncio/",)),
    ("logging (loguru)", ("loguru/",)),
)
# Subtrees run synchronously, so their cumulative time is reliable (an awaiting coroutine's is
# not): Ocean's transform step, and the compiled program's share of it.
SUBTREES: tuple[tuple[str, str, str], ...] = (
    ("mapping (Ocean's parse_items, all of it)", "entity_processor/base.py", "parse_items"),
    ("  of which the compiled jq program", "jira/jira/entity_processor.py", "_slots"),
)


def profile_components(path: str) -> list[tuple[str, float]]:
    """Seconds by component (first match in `COMPONENTS`, else "other"), then the subtrees."""
    import pstats

    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(path).stats  # type: ignore[attr-defined]
    totals = dict.fromkeys([name for name, _ in COMPONENTS] + ["other"], 0.0)
    for (filename, _, function), (_, _, tottime, *_) in stats.items():
        where = f"{filename} {function}"
        name = next((n for n, keys in COMPONENTS if any(k in where for k in keys)), "other")
        totals[name] += tottime
    found = [(name, round(seconds, 2)) for name, seconds in totals.items()]
    found.append(("total", round(sum(totals.values()), 2)))
    for name, file_part, function in SUBTREES:
        cumulative = sum(
            value[3]
            for (filename, _, fn), value in stats.items()
            if fn == function and file_part in filename
        )
        found.append((name, round(cumulative, 2)))
    return found
