"""The README's first command: a full ONCE sync from the Jira simulator into the Port simulator.

    python -m sandbox.demo [--issues N] [--projects N] [--users N] [--teams N] [--latency-ms MS]
                           [--flavor cloud|datacenter]

Prints what reached Port, how long it took and how many requests each side served. Logs, the
Port simulator's final state and the raw output stay in `.sandbox/` for a look afterwards.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from typing import Any

from sandbox.stack import ROOT, running_stack

WORKDIR = ROOT / ".sandbox"


def _count(stats: dict[str, Any]) -> int:
    total = stats.get("total")
    return int(total) if isinstance(total, int) else sum(stats.get("by_endpoint", {}).values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one full sync against the local sandbox")
    parser.add_argument("--projects", type=int, default=4)
    parser.add_argument("--users", type=int, default=25)
    parser.add_argument("--teams", type=int, default=3)
    parser.add_argument("--issues", type=int, default=250)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument(
        "--flavor",
        choices=["cloud", "datacenter"],
        default="cloud",
        help="the simulated Jira: Cloud, or Data Center (REST v2, a personal access token)",
    )
    args = parser.parse_args(argv)

    shutil.rmtree(WORKDIR, ignore_errors=True)
    knobs = {
        "projects": args.projects,
        "users": args.users,
        "teams": args.teams,
        "issues": args.issues,
        "latency_ms": args.latency_ms,
        "deployment": args.flavor,
    }
    print(f"Starting the Jira and Port simulators ({json.dumps(knobs)}) …", flush=True)
    with running_stack(jira=knobs, workdir=WORKDIR) as stack:
        print(
            "Running the integration once (ONCE mode, initializePortResources=true) …", flush=True
        )
        result = stack.run_once()
        (WORKDIR / "integration.log").write_text(result.output)
        state = stack.port_state()
        (WORKDIR / "port-state.json").write_text(json.dumps(state, indent=2))
        jira_stats = stack.jira("GET", "/_sim/stats")
        port_stats = stack.port("GET", "/_sim/stats")

    entities = state.get("entities", {})
    blueprints = sorted(b for b in state.get("blueprints", {}) if b.startswith("jira"))
    counts = {bp: len(entities.get(bp, {})) for bp in blueprints if entities.get(bp)}
    unmapped = [bp for bp in blueprints if not entities.get(bp)]
    print()
    print("Jira sandbox → Port sandbox")
    status = "succeeded" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    print(f"  sync         {status} in {result.seconds:.1f} s (process start to exit)")
    print("  in Port      " + ", ".join(f"{bp}: {n}" for bp, n in counts.items()))
    print(
        f"  blueprints   {len(blueprints)} created"
        + (
            f" ({', '.join(unmapped)}: not in the default mapping, see docs/kinds.md)"
            if unmapped
            else ""
        )
    )
    print(f"  Jira served  {_count(jira_stats)} requests")
    for endpoint, n in sorted(jira_stats.get("by_endpoint", {}).items()):
        print(f"                 {n:5d}  {endpoint}")
    print(f"  Port served  {_count(port_stats)} requests")
    print(
        f"  details      {WORKDIR.relative_to(ROOT)}/ (integration.log, port-state.json, simulator logs)"
    )
    if result.returncode != 0:
        print(f"  reason       {result.last_line}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
