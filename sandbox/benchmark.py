"""Benchmark: the real integration in ONCE mode against the sandbox at a chosen scale and latency.

    python -m sandbox.benchmark --issues 10000 [--latency-ms 300 --per-item-ms 3 --burst 100]
                                [--zero-latency-baseline] [--strategy bulk|search] [--json]

Prints wall time, Jira requests by endpoint and per 1000 issues, entities per second, peak RSS
of the integration process and the 429s it met. Users and projects scale with the issues
(1 user per 20 issues, 1 project per 250, at least 3). `--zero-latency-baseline` runs the same
scale once more with no latency, to show how much of Jira's latency the sync hides.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.stack import running_stack

STANDARD = {"latency_ms": 300.0, "per_item_ms": 3.0, "burst_limit_rps": 100.0}


@dataclass
class Figures:
    issues: int
    latency_ms: float
    per_item_ms: float
    burst_limit_rps: float
    strategy: str
    exit_code: int
    wall_seconds: float
    entities: dict[str, int]
    entities_per_second: float
    jira_requests: int
    jira_requests_per_1000_issues: float
    jira_by_endpoint: dict[str, int] = field(default_factory=dict)
    throttled_429: int = 0
    peak_rss_mb: float = 0.0


def scale(issues: int) -> dict[str, int]:
    return {
        "issues": issues,
        "users": max(10, issues // 20),
        "projects": max(3, issues // 250),
        "teams": max(2, issues // 2000),
    }


def run(issues: int, latency_ms: float, per_item_ms: float, burst: float, strategy: str) -> Figures:
    knobs: dict[str, Any] = {
        **scale(issues),
        "latency_ms": latency_ms,
        "per_item_ms": per_item_ms,
        "burst_limit_rps": burst,
    }
    with running_stack(jira=knobs) as stack:
        result = stack.run_once(
            timeout=7200,
            JIRA_ISSUE_STRATEGY=strategy,
            OCEAN__SEND_RAW_DATA_EXAMPLES="false",
            APPLICATION__LOG_LEVEL="WARNING",
        )
        if result.returncode != 0:
            print(result.output[-4000:], file=sys.stderr)
        stats = stack.jira("GET", "/_sim/stats")
        state = stack.port_state()
    by_endpoint: dict[str, int] = dict(sorted(stats.get("by_endpoint", {}).items()))
    total = sum(by_endpoint.values())
    entities = {
        bp: len(items) for bp, items in sorted(state["entities"].items()) if bp.startswith("jira")
    }
    return Figures(
        issues=issues,
        latency_ms=latency_ms,
        per_item_ms=per_item_ms,
        burst_limit_rps=burst,
        strategy=strategy,
        exit_code=result.returncode,
        wall_seconds=round(result.seconds, 2),
        entities=entities,
        entities_per_second=round(sum(entities.values()) / result.seconds, 1),
        jira_requests=total,
        jira_requests_per_1000_issues=round(total * 1000 / max(1, issues), 2),
        jira_by_endpoint=by_endpoint,
        throttled_429=int(stats.get("by_status", {}).get("429", 0)),
        peak_rss_mb=round(result.peak_rss_kb / 1024, 1),
    )


def _print(figures: Figures) -> None:
    print(
        f"issues={figures.issues} latency={figures.latency_ms}ms+{figures.per_item_ms}ms/issue "
        f"burst={figures.burst_limit_rps}/s strategy={figures.strategy}: exit {figures.exit_code}"
    )
    print(f"  wall time          {figures.wall_seconds:.1f} s")
    print(f"  entities           {figures.entities} ({figures.entities_per_second}/s)")
    print(
        f"  Jira requests      {figures.jira_requests} ({figures.jira_requests_per_1000_issues} per 1000 issues)"
    )
    for endpoint, n in figures.jira_by_endpoint.items():
        print(f"      {n:7d}  {endpoint}")
    print(f"  429s met           {figures.throttled_429}")
    print(f"  peak RSS           {figures.peak_rss_mb} MB (integration process)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=STANDARD["latency_ms"])
    parser.add_argument("--per-item-ms", type=float, default=STANDARD["per_item_ms"])
    parser.add_argument("--burst", type=float, default=STANDARD["burst_limit_rps"])
    parser.add_argument("--strategy", choices=["bulk", "search"], default="bulk")
    parser.add_argument("--zero-latency-baseline", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    runs = [run(args.issues, args.latency_ms, args.per_item_ms, args.burst, args.strategy)]
    if args.zero_latency_baseline:
        runs.append(run(args.issues, 0.0, 0.0, 0.0, args.strategy))
    for figures in runs:
        print(json.dumps(asdict(figures))) if args.json else _print(figures)
    if len(runs) == 2 and runs[1].wall_seconds:
        print(
            f"latency overhead: {runs[0].wall_seconds / runs[1].wall_seconds:.2f}x the zero-latency run"
        )
    return max(f.exit_code for f in runs)


if __name__ == "__main__":
    sys.exit(main())
