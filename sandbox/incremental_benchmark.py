"""Benchmark: an incremental run against a full resync, on one sandbox site.

    python -m sandbox.incremental_benchmark --issues 100000 --changed 0.01

Runs the real integration in ONCE mode with the default mapping: a full resync, then (after
`--changed` of the site's issues are edited in Jira) an incremental run
(OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED, the chart's incremental CronJob). Prints, for
each, wall time, Jira requests by endpoint and the entities Port saw change. Latency, burst
limit and site shape are those of `sandbox.benchmark`.
"""

from __future__ import annotations

import random
import sys

from sandbox.benchmark import cli, jira_requests, print_counts, requests_since, site, sync_once
from sandbox.stack import Stack, running_stack

INCREMENTAL = {
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED": "true",
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL": "15",
}
SELECTED = "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)"  # the default


def _port_writes(stack: Stack) -> int:
    return int(stack.port("GET", "/_sim/stats")["writes"])


def _measure(stack: Stack, mode: str, env: dict[str, str]) -> int:
    """Runs one sync and prints its figures; returns its exit code."""
    jira_before, writes_before = jira_requests(stack), _port_writes(stack)
    result = sync_once(stack, env)
    made = requests_since(jira_before, jira_requests(stack))
    print(
        f"  {mode:12s} exit {result.returncode}  {result.seconds:8.1f} s  "
        f"{sum(made.values()):6d} Jira requests  "
        f"{_port_writes(stack) - writes_before:7d} Port writes"
    )
    print_counts(made)
    return result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = cli(__doc__)
    parser.add_argument("--issues", type=int, default=10000)
    parser.add_argument("--changed", type=float, default=0.01, help="fraction of the issues")
    args = parser.parse_args(argv)
    with running_stack(jira=site(args.issues)) as stack:
        print(f"{args.issues} issues; a full resync, then an incremental run after edits")
        full = _measure(stack, "full resync", {})
        keys = [issue["key"] for issue in stack.search(SELECTED, ["key"])]
        count = min(len(keys), round(args.issues * args.changed))
        for key in random.Random(7).sample(keys, count):
            stack.jira("PUT", f"/_sim/issues/{key}", {"fields": {"summary": f"Edited {key}"}})
        print(f"  {count} issues changed")
        incremental = _measure(stack, "incremental", INCREMENTAL)
    return max(full, incremental)


if __name__ == "__main__":
    sys.exit(main())
