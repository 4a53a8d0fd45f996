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
from typing import Any

from sandbox.benchmark import add_flavor, print_counts
from sandbox.jira_sim.config import unkind_requested
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
    jira = "the unkind Jira" if unkind_requested() else "the kind Jira"
    print(f"Starting {jira} and Port simulators ({json.dumps(knobs)}) …", flush=True)
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
    counts = [_count(bp, entities[bp]) for bp in blueprints if entities.get(bp)]
    print(f"  in Port      {', '.join(counts)}")
    if any(_stubs(entities[bp]) for bp in blueprints if entities.get(bp)):
        print(
            "               (stubs: relation targets the sync did not select, e.g. the parent of"
            " a selected issue; Port creates them with only an identifier. The summary table"
            " in .sandbox/integration.log names them per relation.)"
        )
    note = f" ({', '.join(unmapped)}: not in the default mapping, see docs/kinds.md)"
    print(f"  blueprints   {len(blueprints)} created{note if unmapped else ''}")
    print(f"  Jira served  {jira_stats['total']} requests")
    print_counts(jira_stats["by_endpoint"])
    print(f"  Port served  {port_stats['total']} requests")
    print("  details      .sandbox/ (integration.log, port-state.json, simulator logs)")
    if result.returncode != 0:
        print(f"  reason       {result.last_line}")
    return result.returncode


def _stubs(entities: dict[str, dict[str, Any]]) -> int:
    """Entities Port created for a relation target: an identifier, nothing mapped."""
    return sum(
        1
        for entity in entities.values()
        if entity.get("title") is None
        and not entity.get("properties")
        and not entity.get("relations")
    )


def _count(blueprint: str, entities: dict[str, dict[str, Any]]) -> str:
    stubs = _stubs(entities)
    return f"{blueprint}: {len(entities)}" + (f" ({stubs} stubs)" if stubs else "")


if __name__ == "__main__":
    sys.exit(main())
