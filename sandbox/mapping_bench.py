"""Mapping cost: Ocean's JQEntityProcessor vs ours, per issue and in a whole sandbox sync.

    python -m sandbox.mapping_bench cost [--issues 3000]
    python -m sandbox.mapping_bench sync [--issues 3000]

`cost` maps sandbox issues (read from the Jira simulator, all fields) in batches of
100 with the default issue mapping: Ocean's processor as a resync runs it (a forked pool per
batch), Ocean's per-field evaluation alone (in process, no fork), and ours; it prints ms per
issue and checks the entities are equal. `sync` runs `sandbox.benchmark` at zero latency with
mappingEngine=compiled and =ocean (the setting goes to the integration through `benchmark.run`'s
`env`).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import yaml
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.entity_processor.jq_entity_processor import JQEntityProcessor
from port_ocean.core.handlers.entity_processor.jq_entity_processor_sync import (
    JQEntityProcessorSync,
)
from port_ocean.core.handlers.port_app_config.models import ResourceConfig

from jira.entity_processor import CompiledJQEntityProcessor
from sandbox import benchmark
from sandbox.stack import running_stack
from tests.integration.harness_setup import RESOURCES
from tests.processor.support import Outcome, ocean_app

BATCH = 100  # issues mapped at once, as in a resync


def sandbox_issues(count: int) -> list[dict[str, Any]]:
    """`count` simulator issues with all their fields, as the issue kind reads them."""
    with running_stack(jira=benchmark.site(count, latency=False)) as stack:
        return stack.search("created >= -3650d order by key", ["*all"])


def issue_resource() -> ResourceConfig:
    mapping = yaml.safe_load((RESOURCES / "port-app-config.yaml").read_text())
    raw = next(r for r in mapping["resources"] if r["kind"] == "issue")
    return ResourceConfig.parse_obj({**raw, "selector": {"query": raw["selector"]["query"]}})


async def _timed_batches(
    processor: JQEntityProcessor, config: ResourceConfig, issues: list[dict[str, Any]]
) -> tuple[float, list[Outcome]]:
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    for start in range(0, len(issues), BATCH):
        result = await processor.parse_items(config, issues[start : start + BATCH])
        outcomes.append(Outcome.of(result))
    return time.perf_counter() - started, outcomes


def _per_field_seconds(config: ResourceConfig, issues: list[dict[str, Any]]) -> float:
    mappings = config.port.entity.mappings.dict(exclude_unset=True)
    started = time.perf_counter()
    for issue in issues:
        JQEntityProcessorSync._get_mapped_entity(issue, mappings, config.selector.query)
    return time.perf_counter() - started


async def cost(issues: list[dict[str, Any]]) -> dict[str, Any]:
    config = issue_resource()
    with ocean_app():
        ocean_s, theirs = await _timed_batches(JQEntityProcessor(ocean), config, issues)
        ours_s, mine = await _timed_batches(CompiledJQEntityProcessor(ocean), config, issues)
        per_field_s = _per_field_seconds(config, issues)
    per_issue = {
        "ocean_processor_ms": ocean_s * 1000 / len(issues),
        "ocean_per_field_in_process_ms": per_field_s * 1000 / len(issues),
        "compiled_ms": ours_s * 1000 / len(issues),
    }
    return {
        "issues": len(issues),
        "batch": BATCH,
        "per_issue": {k: round(v, 3) for k, v in per_issue.items()},
        "speedup_vs_ocean_processor": round(ocean_s / ours_s, 1),
        "identical_outcomes": theirs == mine,
    }


def sync(count: int) -> None:
    for name in ("compiled", "ocean"):
        print(f"mappingEngine={name}")
        engine = {"OCEAN__INTEGRATION__CONFIG__MAPPING_ENGINE": name}
        benchmark.run(count, jira_latency=False, env=engine)


def main(argv: list[str] | None = None) -> int:
    parser = benchmark.cli(__doc__)
    parser.add_argument("what", choices=["cost", "sync"])
    parser.add_argument("--issues", type=int, default=3000)
    args = parser.parse_args(argv)
    if args.what == "cost":
        print(json.dumps(asyncio.run(cost(sandbox_issues(args.issues)))))
    else:
        sync(args.issues)
    return 0


if __name__ == "__main__":
    sys.exit(main())
