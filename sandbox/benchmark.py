"""Benchmark: the real integration in ONCE mode against the sandbox at a chosen scale and latency.

    python -m sandbox.benchmark --issues 10000 [--latencies jira|both|zero|all]
                                [--port-latency-ms 100] [--flavor cloud|datacenter] [--profile FILE]
                                [--kinds project,team,user,issue]

Prints wall time, the integration process's CPU time (user + system) and peak RSS, entities per
second, Jira requests by endpoint and per 1000 issues, the 429s it met, Port requests by
endpoint and how many were in flight at once, where the wall time went by stage (read from
Ocean's phase log lines, `sandbox/stages.py`), and beside that timeline, Jira's requests by
endpoint: when the first started and the last ended, and how many were in flight (the Jira
simulator's `/_sim/requests`): a resource whose reads start late or stretch out waited for the
client's slots. Users and projects scale with the issues (1 user per 20 issues, 1 project per
250, at least 3).

Latencies: `jira` (the default) gives Jira its standard latency (300 ms per request + 3 ms per
issue, 100 requests/s burst) and Port none, `both` adds `--port-latency-ms` to every Port API
request, `zero` runs without latency, `all` runs the three in that order, to show how much of
each service's latency the sync hides. `--profile FILE` runs the integration under cProfile and
writes its stats to FILE (slower; with `all`, each run overwrites it); `--log FILE` keeps the
integration's output (its log) in FILE, likewise. The integration's own
settings (e.g. `JIRA_ISSUE_STRATEGY=search`) pass through from the environment.

`--kinds` keeps only those kinds of the default mapping (the integration is created in Port with
that mapping before the run): `project,team,user,issue` are the kinds Port's own Jira
integration maps by default, for a like-for-like comparison of Jira requests and time.

The other benchmarks share this module's site, run and printing helpers.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml

from sandbox.jira_sim.config import UNKIND_ENV, unkind_requested
from sandbox.stack import (
    INTEGRATION_ID,
    LAUNCHER,
    PORT_CLIENT_ID,
    PORT_CLIENT_SECRET,
    RunResult,
    Stack,
    running_stack,
)
from sandbox.stages import (
    first_log_time,
    profile_components,
    reads_by_endpoint,
    stage_seconds,
    timeline,
)

DEFAULT_MAPPING = (
    Path(__file__).resolve().parent.parent
    / "integrations/jira/.port/resources/port-app-config.yaml"
)
STANDARD_LATENCY = {"latency_ms": 300.0, "per_item_ms": 3.0, "burst_limit_rps": 100.0}
LATENCIES = {"jira": (True, False), "both": (True, True), "zero": (False, False)}
# a benchmark's ONCE run: no raw-data examples sent to Port, Ocean's INFO phase lines for stages
QUIET = {"OCEAN__SEND_RAW_DATA_EXAMPLES": "false", "APPLICATION__LOG_LEVEL": "INFO"}


def site(issues: int, *, latency: bool = True) -> dict[str, Any]:
    """The Jira simulator's knobs for a site of `issues` (with the standard latency or none)."""
    return {
        "issues": issues,
        "users": max(10, issues // 20),
        "projects": max(3, issues // 250),
        "teams": max(2, issues // 2000),
        **{knob: value if latency else 0.0 for knob, value in STANDARD_LATENCY.items()},
    }


def cli(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's parser, described by the first line of its module docstring."""
    return argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)


def add_flavor(parser: argparse.ArgumentParser) -> None:
    """`--flavor`: the Jira simulator's deployment (the stack gives Data Center a PAT)."""
    parser.add_argument(
        "--flavor",
        choices=["cloud", "datacenter"],
        default="cloud",
        help="the simulated Jira (Data Center: REST v2, a PAT, offset search, no bulk fetch)",
    )
    parser.add_argument(
        "--unkind",
        action=_UnkindJira,
        nargs=0,
        help="the unkind Jira: every documented worst behaviour on (same as SANDBOX_JIRA_UNKIND=1)",
    )


class _UnkindJira(argparse.Action):
    """`--unkind` sets SANDBOX_JIRA_UNKIND=1, which every stack this process starts reads."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        os.environ[UNKIND_ENV] = "1"


def sync_once(
    stack: Stack, env: Mapping[str, str] | None = None, command: list[str] | None = None
) -> RunResult:
    """One quiet ONCE sync (`command` replaces the launcher); a failed one's output goes to
    stderr."""
    result = stack.run_once({**QUIET, **(env or {})}, timeout=7200, command=command)
    if result.returncode != 0:
        print(result.output[-4000:], file=sys.stderr)
    return result


def default_mapping(kinds: list[str]) -> dict[str, Any]:
    """The integration's default mapping with only `kinds`' resources (in its order)."""
    mapping: dict[str, Any] = yaml.safe_load(DEFAULT_MAPPING.read_text(encoding="utf-8"))
    unknown = set(kinds) - {resource["kind"] for resource in mapping["resources"]}
    if unknown:
        raise SystemExit(f"--kinds: not in the default mapping: {', '.join(sorted(unknown))}")
    mapping["resources"] = [r for r in mapping["resources"] if r["kind"] in kinds]
    return mapping


def install_mapping(stack: Stack, mapping: Mapping[str, Any]) -> None:
    """Creates the integration in Port with `mapping`, so the run uses it rather than the
    default (Ocean keeps an existing integration's mapping)."""
    with httpx.Client(base_url=stack.port_url, timeout=30) as port:
        token = port.post(
            "/v1/auth/access_token",
            json={"clientId": PORT_CLIENT_ID, "clientSecret": PORT_CLIENT_SECRET},
        )
        token.raise_for_status()
        port.post(
            "/v1/integration",
            json={"installationId": INTEGRATION_ID, "config": mapping},
            headers={"Authorization": f"Bearer {token.json()['accessToken']}"},
        ).raise_for_status()


def jira_requests(stack: Stack) -> dict[str, int]:
    """The Jira simulator's request counts by endpoint so far."""
    counts: dict[str, int] = stack.jira("GET", "/_sim/stats")["by_endpoint"]
    return counts


def requests_since(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """The requests by endpoint between two `jira_requests` readings."""
    made = {endpoint: n - before.get(endpoint, 0) for endpoint, n in sorted(after.items())}
    return {endpoint: n for endpoint, n in made.items() if n}


def print_counts(counts: Mapping[str, int]) -> None:
    for endpoint, n in sorted(counts.items()):
        print(f"      {n:7d}  {endpoint}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    issues: int,
    *,
    jira_latency: bool = True,
    port_latency_ms: float = 0.0,
    flavor: str = "cloud",
    profile: Path | None = None,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    kinds: list[str] | None = None,
) -> int:
    """One ONCE sync (`env` is added to the integration's environment, e.g. its settings);
    prints its figures and returns its exit code. `kinds` keeps only those kinds' resources of
    the default mapping (installed in Port before the run, as a user's edited mapping is)."""
    knobs = {**site(issues, latency=jira_latency), "deployment": flavor}
    command = None
    if profile is not None:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile.resolve()), str(LAUNCHER)]
    children_before = _children_cpu()
    load_before = os.getloadavg()[0]
    with running_stack(jira=knobs, port_latency_ms=port_latency_ms) as stack:
        if kinds is not None:
            install_mapping(stack, default_mapping(kinds))
        result = sync_once(stack, env, command)
        jira = stack.jira("GET", "/_sim/stats")
        jira_requests = stack.jira("GET", "/_sim/requests")["requests"]
        port = stack.port("GET", "/_sim/stats")
        state = stack.port_state()
    # the simulators are waited for when the stack stops: what the children used besides the sync
    simulators_cpu = _children_cpu() - children_before - result.cpu_seconds
    load = (round(load_before, 1), round(os.getloadavg()[0], 1))
    entities = {bp: len(e) for bp, e in sorted(state["entities"].items()) if bp.startswith("jira")}
    if log is not None:
        log.write_text(result.output, encoding="utf-8")
    jira_total, port_total = sum(jira["by_endpoint"].values()), sum(port["by_endpoint"].values())
    latency = "standard Jira latency" if jira_latency else "no Jira latency"
    print(
        f"issues={issues} {latency}, port={port_latency_ms}ms, {flavor}, "
        f"{'unkind' if unkind_requested() else 'kind'} Jira: exit {result.returncode}"
    )
    print(f"  wall time          {result.seconds:.1f} s (load average {load})")
    print(f"  CPU time           {result.cpu_seconds:.1f} s (integration process, user + system)")
    print(f"                     {simulators_cpu:.1f} s (the two simulators)")
    print(f"  entities           {entities} ({sum(entities.values()) / result.seconds:.1f}/s)")
    per_1000 = round(jira_total * 1000 / max(1, issues), 2)
    print(f"  Jira requests      {jira_total} ({per_1000} per 1000 issues)")
    print_counts(jira["by_endpoint"])
    print(f"  429s met           {jira['by_status'].get('429', 0)}")
    print(f"  peak RSS           {result.peak_rss_kb / 1024:.1f} MB (integration process)")
    print(f"  Port requests      {port_total} (at most {port['max_in_flight']} at once)")
    print_counts(port["by_endpoint"])
    print("  stages (wall time, from Ocean's log)")
    for stage, seconds in stage_seconds(result.output).items():
        print(f"      {seconds:7.2f} s  {stage}")
    print("  timeline (seconds from the first log line; what each kind's time went to)")
    for span in timeline(result.output):
        print(f"    {span.line()}")
    if (zero := first_log_time(result.output)) is not None:
        print(
            "  Jira's requests (seconds from the first log line; per endpoint, first asked first)"
        )
        for reads in reads_by_endpoint([tuple(r) for r in jira_requests], zero):
            print(f"    {reads.line()}")
    if profile is not None:
        print(f"  profile ({profile}): seconds of the event loop's thread, under cProfile")
        for component, seconds in profile_components(str(profile)):
            print(f"      {seconds:7.2f} s  {component}")
    return result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = cli(__doc__)
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--latencies", choices=[*LATENCIES, "all"], default="jira")
    parser.add_argument("--port-latency-ms", type=float, default=100.0, help="with `both`")
    add_flavor(parser)
    parser.add_argument("--profile", type=Path, help="write the integration's cProfile stats here")
    parser.add_argument("--log", type=Path, help="write the integration's output here")
    parser.add_argument(
        "--kinds",
        type=lambda value: value.split(","),
        help="only these kinds of the default mapping, e.g. project,team,user,issue "
        "(the kinds Port's own Jira integration maps by default)",
    )
    args = parser.parse_args(argv)

    exit_codes = [
        run(
            args.issues,
            jira_latency=LATENCIES[name][0],
            port_latency_ms=args.port_latency_ms if LATENCIES[name][1] else 0.0,
            flavor=args.flavor,
            profile=args.profile,
            log=args.log,
            kinds=args.kinds,
        )
        for name in (LATENCIES if args.latencies == "all" else [args.latencies])
    ]
    return max(exit_codes)


if __name__ == "__main__":
    sys.exit(main())
