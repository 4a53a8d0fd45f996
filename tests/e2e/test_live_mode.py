"""Live mode of the real process: `ocean sail` as the README says, and POLLING + OCEAN__BASE_URL
serving /integration/webhook, where an issue update from Jira reaches Port."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

from sandbox.stack import ROOT, Stack
from tests.e2e.conftest import synced_issue_keys

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
        deadline = time.monotonic() + 120
        while not synced_issue_keys(stack):
            assert time.monotonic() < deadline, stack.integration_log()[-3000:]
            time.sleep(0.5)
        hooks = stack.jira("GET", "/_sim/webhooks")["admin"]
        assert [h["url"] for h in hooks] == [f"{url}/integration/webhook"]

        key = sorted(synced_issue_keys(stack))[0]
        stack.jira(
            "PUT", f"/_sim/issues/{key}", {"summary": "Changed in Jira just now", "notify": True}
        )
        deadline = time.monotonic() + 60
        while stack.entities("jiraIssue")[key]["title"] != "Changed in Jira just now":
            assert time.monotonic() < deadline, stack.integration_log()[-3000:]
            time.sleep(0.2)

        # and the route answers a malformed delivery with a 4xx instead of queueing it
        response = httpx.post(f"{url}/integration/webhook", content=b"not json", timeout=10)
        assert response.status_code == 400
