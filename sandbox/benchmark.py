"""Benchmark: the real integration in ONCE mode against the sandbox at a chosen scale and latency.

    python -m sandbox.benchmark --issues 10000 [--latency-ms 300 --per-item-ms 3 --burst 100]
                                [--port-latency-ms 100] [--latencies jira|both|zero|all]
                                [--strategy bulk|search] [--profile FILE] [--json]

Prints wall time, the integration process's CPU time (user + system) and peak RSS, entities per
second, Jira requests by endpoint and per 1000 issues, the 429s it met, Port requests by
endpoint and how many were in flight at once, and where the wall time went by stage (read from
Ocean's phase log lines, `sandbox/stages.py`). Users and projects scale with the issues (1 user
per 20 issues, 1 project per 250, at least 3).

Latencies: `jira` (the default) gives Jira its latency and Port none, `both` adds
`--port-latency-ms` to every Port API request, `zero` runs without latency, `all` runs the
three in that order, to show how much of each service's latency the sync hides.
`--profile FILE` runs the integration under cProfile and writes its stats to FILE (slower; with
`all`, each run overwrites it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sandbox.stack import LAUNCHER, running_stack
from sandbox.stages import profile_components, stage_seconds

STANDARD = {"latency_ms": 300.0, "per_item_ms": 3.0, "burst_limit_rps": 100.0}
STANDARD_PORT_LATENCY_MS = 100.0
LATENCIES = {"jira": (True, False), "both": (True, True), "zero": (False, False)}


@dataclass
class Figures:
    issues: int
    latency_ms: float
    per_item_ms: float
    burst_limit_rps: float
    strategy: str
    exit_code: int
    wall_seconds: float
    cpu_seconds: float
    simulators_cpu_seconds: float
    entities: dict[str, int]
    entities_per_second: float
    jira_requests: int
    jira_requests_per_1000_issues: float
    jira_by_endpoint: dict[str, int] = field(default_factory=dict)
    throttled_429: int = 0
    peak_rss_mb: float = 0.0
    port_latency_ms: float = 0.0
    port_requests: int = 0
    port_by_endpoint: dict[str, int] = field(default_factory=dict)
    port_max_in_flight: int = 0
    stages: dict[str, float] = field(default_factory=dict)
    # the machine's 1-minute load average as the sync started and as it ended
    load_average: tuple[float, float] = (0.0, 0.0)


def scale(issues: int) -> dict[str, int]:
    return {
        "issues": issues,
        "users": max(10, issues // 20),
        "projects": max(3, issues // 250),
        "teams": max(2, issues // 2000),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    issues: int,
    latency_ms: float,
    per_item_ms: float,
    burst: float,
    strategy: str,
    *,
    port_latency_ms: float = 0.0,
    profile: Path | None = None,
    env: dict[str, str] | None = None,
) -> Figures:
    """One ONCE sync; `env` is added to the integration's environment (e.g. Ocean settings)."""
    knobs: dict[str, Any] = {
        **scale(issues),
        "latency_ms": latency_ms,
        "per_item_ms": per_item_ms,
        "burst_limit_rps": burst,
    }
    command = None
    if profile is not None:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile.resolve()), str(LAUNCHER)]
    children_before = _children_cpu()
    load_before = os.getloadavg()[0]
    with running_stack(jira=knobs, port_latency_ms=port_latency_ms) as stack:
        result = stack.run_once(
            env,
            timeout=7200,
            command=command,
            JIRA_ISSUE_STRATEGY=strategy,
            OCEAN__SEND_RAW_DATA_EXAMPLES="false",
            # INFO: Ocean's phase lines, a few per batch, give the stages
            APPLICATION__LOG_LEVEL="INFO",
        )
        if result.returncode != 0:
            print(result.output[-4000:], file=sys.stderr)
        stats = stack.jira("GET", "/_sim/stats")
        port_stats = stack.port("GET", "/_sim/stats")
        state = stack.port_state()
    # the simulators are waited for when the stack stops: what the children used besides the sync
    simulators_cpu = _children_cpu() - children_before - result.cpu_seconds
    by_endpoint: dict[str, int] = dict(sorted(stats.get("by_endpoint", {}).items()))
    total = sum(by_endpoint.values())
    entities = {
        bp: len(items) for bp, items in sorted(state["entities"].items()) if bp.startswith("jira")
    }
    port_by_endpoint: dict[str, int] = dict(sorted(port_stats.get("by_endpoint", {}).items()))
    return Figures(
        issues=issues,
        latency_ms=latency_ms,
        per_item_ms=per_item_ms,
        burst_limit_rps=burst,
        strategy=strategy,
        exit_code=result.returncode,
        wall_seconds=round(result.seconds, 2),
        cpu_seconds=round(result.cpu_seconds, 2),
        simulators_cpu_seconds=round(simulators_cpu, 2),
        entities=entities,
        entities_per_second=round(sum(entities.values()) / result.seconds, 1),
        jira_requests=total,
        jira_requests_per_1000_issues=round(total * 1000 / max(1, issues), 2),
        jira_by_endpoint=by_endpoint,
        throttled_429=int(stats.get("by_status", {}).get("429", 0)),
        peak_rss_mb=round(result.peak_rss_kb / 1024, 1),
        port_latency_ms=port_latency_ms,
        port_requests=sum(port_by_endpoint.values()),
        port_by_endpoint=port_by_endpoint,
        port_max_in_flight=int(port_stats.get("max_in_flight", 0)),
        stages=stage_seconds(result.output)[0],
        load_average=(round(load_before, 1), round(os.getloadavg()[0], 1)),
    )


def _print(figures: Figures) -> None:
    print(
        f"issues={figures.issues} latency={figures.latency_ms}ms+{figures.per_item_ms}ms/issue "
        f"burst={figures.burst_limit_rps}/s port={figures.port_latency_ms}ms "
        f"strategy={figures.strategy}: exit {figures.exit_code}"
    )
    print(
        f"  wall time          {figures.wall_seconds:.1f} s (load average {figures.load_average})"
    )
    print(f"  CPU time           {figures.cpu_seconds:.1f} s (integration process, user + system)")
    print(f"                     {figures.simulators_cpu_seconds:.1f} s (the two simulators)")
    print(f"  entities           {figures.entities} ({figures.entities_per_second}/s)")
    print(
        f"  Jira requests      {figures.jira_requests} ({figures.jira_requests_per_1000_issues} per 1000 issues)"
    )
    for endpoint, n in figures.jira_by_endpoint.items():
        print(f"      {n:7d}  {endpoint}")
    print(f"  429s met           {figures.throttled_429}")
    print(f"  peak RSS           {figures.peak_rss_mb} MB (integration process)")
    print(
        f"  Port requests      {figures.port_requests} (at most {figures.port_max_in_flight} at once)"
    )
    for endpoint, n in figures.port_by_endpoint.items():
        print(f"      {n:7d}  {endpoint}")
    print("  stages (wall time, from Ocean's log)")
    for stage, seconds in figures.stages.items():
        print(f"      {seconds:7.2f} s  {stage}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=STANDARD["latency_ms"])
    parser.add_argument("--per-item-ms", type=float, default=STANDARD["per_item_ms"])
    parser.add_argument("--burst", type=float, default=STANDARD["burst_limit_rps"])
    parser.add_argument("--port-latency-ms", type=float, default=STANDARD_PORT_LATENCY_MS)
    parser.add_argument("--latencies", choices=[*LATENCIES, "all"], default="jira")
    parser.add_argument("--strategy", choices=["bulk", "search"], default="bulk")
    parser.add_argument("--profile", type=Path, help="write the integration's cProfile stats here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    runs = []
    for name in LATENCIES if args.latencies == "all" else [args.latencies]:
        jira_latency, port_latency = LATENCIES[name]
        figures = run(
            args.issues,
            args.latency_ms if jira_latency else 0.0,
            args.per_item_ms if jira_latency else 0.0,
            args.burst if jira_latency else 0.0,
            args.strategy,
            port_latency_ms=args.port_latency_ms if port_latency else 0.0,
            profile=args.profile,
        )
        print(json.dumps(asdict(figures))) if args.json else _print(figures)
        if args.profile is not None and not args.json:
            print(f"  profile ({args.profile}): seconds of the event loop's thread, under cProfile")
            for component, seconds in profile_components(str(args.profile)):
                print(f"      {seconds:7.2f} s  {component}")
        runs.append(figures)
    return max(f.exit_code for f in runs)


if __name__ == "__main__":
    sys.exit(main())
