"""The README's first command: a full ONCE sync from the Jira simulator into the Port simulator.

    python -m sandbox.demo [--issues N] [--flavor cloud|datacenter]

Prints what reached Port, how long it took and how many requests each side served. Logs, the
Port simulator's final state and the raw output stay in `.sandbox/` for a look afterwards.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys

from sandbox.benchmark import add_flavor, print_counts
from sandbox.stack import ROOT, running_stack

WORKDIR = ROOT / ".sandbox"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one full sync against the local sandbox")
    parser.add_argument("--issues", type=int, default=250)
    add_flavor(parser)
    args = parser.parse_args(argv)

    shutil.rmtree(WORKDIR, ignore_errors=True)
    knobs = {
        "projects": 4,
        "users": 25,
        "teams": 3,
        "issues": args.issues,
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

    entities = state["entities"]
    blueprints = sorted(b for b in state["blueprints"] if b.startswith("jira"))
    unmapped = [bp for bp in blueprints if not entities.get(bp)]
    print()
    print("Jira sandbox → Port sandbox")
    status = "succeeded" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    print(f"  sync         {status} in {result.seconds:.1f} s (process start to exit)")
    counts = [f"{bp}: {len(entities[bp])}" for bp in blueprints if entities.get(bp)]
    print(f"  in Port      {', '.join(counts)}")
    note = f" ({', '.join(unmapped)}: not in the default mapping, see docs/kinds.md)"
    print(f"  blueprints   {len(blueprints)} created{note if unmapped else ''}")
    print(f"  Jira served  {jira_stats['total']} requests")
    print_counts(jira_stats["by_endpoint"])
    print(f"  Port served  {port_stats['total']} requests")
    print("  details      .sandbox/ (integration.log, port-state.json, simulator logs)")
    if result.returncode != 0:
        print(f"  reason       {result.last_line}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
