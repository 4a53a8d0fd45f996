"""Live mode of the real process: `ocean sail` as the README says, and POLLING + OCEAN__BASE_URL
serving /integration/webhook, where an issue update from Jira reaches Port."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from sandbox.stack import ROOT, Stack
from tests.e2e.conftest import rename_in_jira_and_wait, synced_issue_keys, wait_for_first_resync

INTEGRATION_DIR = ROOT / "integrations" / "jira"


def test_plain_ocean_sail_from_the_integration_folder_syncs(stack: Stack) -> None:
    ocean = Path(sys.executable).parent / "ocean"  # the venv's `ocean` command
    result = stack.run_once(command=[str(ocean), "sail", "-O"], cwd=INTEGRATION_DIR)
    assert result.returncode == 0, result.output[-3000:]
    assert synced_issue_keys(stack)
    assert len(stack.entities("jiraProject")) == 3


def test_polling_mode_serves_webhooks_and_an_issue_update_reaches_port(stack: Stack) -> None:
    with stack.integration(live_events=True) as url:
        # the first resync runs at start; wait for it
        wait_for_first_resync(stack)
        hooks = stack.jira("GET", "/_sim/webhooks")["admin"]
        assert [h["url"] for h in hooks] == [f"{url}/integration/webhook"]

        key = sorted(synced_issue_keys(stack))[0]
        rename_in_jira_and_wait(stack, key, "Changed in Jira just now")

        # and the route answers a malformed delivery with a 4xx instead of queueing it
        response = httpx.post(f"{url}/integration/webhook", content=b"not json", timeout=10)
        assert response.status_code == 400
