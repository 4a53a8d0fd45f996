"""Benchmark: an incremental run against a full resync, on one sandbox site.

    python -m sandbox.incremental_benchmark --issues 100000 --changed 0.01 [--json]

Runs the real integration in ONCE mode with the default mapping: a full resync, then (after
`--changed` of the site's issues are edited in Jira) an incremental run
(OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED, the chart's incremental CronJob). Prints, for
each, wall time, Jira requests by endpoint and the entities Port saw change. Latency, burst
limit and site shape are those of `sandbox.benchmark` (300 ms per request + 3 ms per issue,
100 requests/s).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from sandbox.benchmark import STANDARD, scale
from sandbox.stack import JIRA_EMAIL, JIRA_TOKEN, Stack, running_stack

INCREMENTAL = {
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED": "true",
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL": "15",
}
QUIET = {"OCEAN__SEND_RAW_DATA_EXAMPLES": "false", "APPLICATION__LOG_LEVEL": "WARNING"}
SELECTED = "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)"  # the default


@dataclass
class Run:
    mode: str
    exit_code: int
    wall_seconds: float
    jira_requests: int
    port_writes: int
    jira_by_endpoint: dict[str, int] = field(default_factory=dict)


@dataclass
class Comparison:
    issues: int
    changed: int
    full: Run
    incremental: Run


def _counts(stack: Stack) -> tuple[dict[str, int], int]:
    jira: dict[str, int] = stack.jira("GET", "/_sim/stats").get("by_endpoint", {})
    writes = int(stack.port("GET", "/_sim/stats").get("writes", 0))
    return dict(jira), writes


def _measure(stack: Stack, mode: str, env: dict[str, str]) -> Run:
    jira_before, writes_before = _counts(stack)
    result = stack.run_once({**QUIET, **env}, timeout=7200)
    if result.returncode != 0:
        print(result.output[-4000:], file=sys.stderr)
    jira_after, writes_after = _counts(stack)
    by_endpoint = {
        endpoint: n - jira_before.get(endpoint, 0)
        for endpoint, n in sorted(jira_after.items())
        if n != jira_before.get(endpoint, 0)
    }
    return Run(
        mode=mode,
        exit_code=result.returncode,
        wall_seconds=round(result.seconds, 2),
        jira_requests=sum(by_endpoint.values()),
        port_writes=writes_after - writes_before,
        jira_by_endpoint=by_endpoint,
    )


def _selected_keys(stack: Stack) -> list[str]:
    """The keys the default mapping selects, read straight from the simulator."""
    keys: list[str] = []
    token: str | None = None
    with httpx.Client(auth=(JIRA_EMAIL, JIRA_TOKEN), timeout=120) as jira:
        while True:
            body: dict[str, Any] = {"jql": SELECTED, "fields": ["key"], "maxResults": 5000}
            if token:
                body["nextPageToken"] = token
            page = jira.post(f"{stack.jira_url}/rest/api/3/search/jql", json=body).json()
            keys += [issue["key"] for issue in page["issues"]]
            token = page.get("nextPageToken")
            if not token:
                return keys


def compare(issues: int, changed_fraction: float, seed: int = 7) -> Comparison:
    knobs = {
        **scale(issues),
        "latency_ms": STANDARD["latency_ms"],
        "per_item_ms": STANDARD["per_item_ms"],
        "burst_limit_rps": STANDARD["burst_limit_rps"],
    }
    with running_stack(jira=knobs) as stack:
        full = _measure(stack, "full resync", {})
        keys = _selected_keys(stack)
        changed = random.Random(seed).sample(keys, min(len(keys), round(issues * changed_fraction)))
        for key in changed:
            stack.jira("PUT", f"/_sim/issues/{key}", {"fields": {"summary": f"Edited {key}"}})
        incremental = _measure(stack, "incremental", INCREMENTAL)
    return Comparison(issues, len(changed), full, incremental)


def _print(comparison: Comparison) -> None:
    print(f"{comparison.issues} issues, {comparison.changed} changed after the full resync")
    for run in (comparison.full, comparison.incremental):
        print(
            f"  {run.mode:12s} exit {run.exit_code}  {run.wall_seconds:8.1f} s  "
            f"{run.jira_requests:6d} Jira requests  {run.port_writes:7d} Port writes"
        )
        for endpoint, n in run.jira_by_endpoint.items():
            print(f"      {n:7d}  {endpoint}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--issues", type=int, default=10000)
    parser.add_argument("--changed", type=float, default=0.01, help="fraction of the issues")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    comparison = compare(args.issues, args.changed)
    print(json.dumps(asdict(comparison))) if args.json else _print(comparison)
    return max(comparison.full.exit_code, comparison.incremental.exit_code)


if __name__ == "__main__":
    sys.exit(main())
