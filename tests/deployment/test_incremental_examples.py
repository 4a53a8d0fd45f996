"""The CI examples schedule incremental syncs beside the full one: the same image and command,
with OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED true on a 15-minute schedule only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deployment.support import EXAMPLES_DIR, load_yaml
from tests.deployment.test_examples import CI_EXAMPLES, docker_env, docker_run_commands

CI_DIR = EXAMPLES_DIR / "ci"
INCREMENTAL = {
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED",
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL",
}


@pytest.mark.parametrize("example", CI_EXAMPLES)
def test_the_run_passes_the_incremental_switch_from_the_schedule(example: str) -> None:
    (command,) = docker_run_commands((CI_DIR / example).read_text("utf-8"))
    env = docker_env(command)
    # Passed through by name: the schedule decides, not the command line.
    assert {name: env.get(name, "missing") for name in INCREMENTAL} == dict.fromkeys(INCREMENTAL)


def test_github_runs_incremental_syncs_on_the_15_minute_cron_only() -> None:
    workflow: dict[str, Any] = load_yaml((CI_DIR / "github-actions.yml").read_text("utf-8"))
    triggers: dict[str, Any] = workflow.get("on", workflow.get(True))
    crons = [entry["cron"] for entry in triggers["schedule"]]
    (job,) = workflow["jobs"].values()
    switch = job["env"]["OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED"]
    incremental = [cron for cron in crons if f"'{cron}'" in switch]
    assert incremental == ["*/15 * * * *"]
    assert len(crons) == 2  # and a full resync, at minutes the 15-minute cron never hits
    (full,) = set(crons) - set(incremental)
    assert int(full.split()[0]) % 15 != 0
    assert job["env"]["OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL"] == "15"


def test_azure_tells_the_incremental_schedule_by_its_name() -> None:
    pipeline: dict[str, Any] = load_yaml((CI_DIR / "azure-pipelines.yml").read_text("utf-8"))
    names = {entry["displayName"]: entry["cron"] for entry in pipeline["schedules"]}
    switch = next(v["value"] for v in pipeline["variables"] if v.get("name") == "INCREMENTAL")
    (name,) = [n for n in names if f"'{n}'" in switch]
    assert names[name] == "*/15 * * * *"
    (step,) = pipeline["steps"]
    assert step["env"]["OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED"] == "$(INCREMENTAL)"
