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
from collections import Counter
from datetime import datetime

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
STAGES = (
    "start-up",
    "kind setup",
    "waiting for Jira",
    "mapping",
    "Port diff searches",
    "Port upserts",
    "kind wrap-up",
    "reconciliation",
    "shutdown",
)
_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \| \w+\s*\| (.*)$")


def stage_seconds(log: str) -> tuple[dict[str, float], Counter[str]]:
    """Seconds per stage (in `STAGES` order) and how many times each stage began."""
    seconds = dict.fromkeys(STAGES, 0.0)
    began: Counter[str] = Counter()
    stage = "start-up"
    since: datetime | None = None
    last: datetime | None = None
    for line in log.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        at = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S.%f")
        since = since or at
        last = at
        for prefix, starts in MARKERS:
            if match[2].startswith(prefix):
                seconds[stage] += (at - since).total_seconds()
                stage, since = starts, at
                began[stage] += 1
                break
    if since is not None and last is not None:
        seconds[stage] += (last - since).total_seconds()
    return {name: round(value, 2) for name, value in seconds.items()}, began
