"""What live events leave in the log, in the process's output and in Port's log view (the lines
Ocean ships to Port): one line per applied change, and warnings; not Ocean's request and event
lifecycle for every delivery."""

from __future__ import annotations

import httpx

from sandbox.stack import Stack
from tests.e2e.conftest import rename_in_jira_and_wait, synced_issue_keys, wait_for_admin_webhook

PER_DELIVERY = (
    "Request to /integration/webhook started",
    "Request to /integration/webhook ended",
    "Found matching processors for webhook event",
    "Successfully processed webhook events",
    "Parsing 1 raw results into entities",
    "Upserting 1 entities",
    "Found 0 entities to remove",
)


def test_live_events_log_each_applied_change_and_ship_warnings_to_port(stack: Stack) -> None:
    result = stack.run_once()
    assert result.returncode == 0, result.output[-3000:]
    keys = sorted(synced_issue_keys(stack))[:3]
    with stack.integration(
        live_events=True,
        OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}',
        APPLICATION__ENABLE_HTTP_LOGGING="true",
    ):
        url = wait_for_admin_webhook(stack)["url"]
        for n, key in enumerate(keys):
            rename_in_jira_and_wait(stack, key, f"Renamed for the log test {n}")
        refused = httpx.post(url, content=b"not json", timeout=10)
        assert refused.status_code == 400
    # stopped: Ocean shipped what it still held

    output = stack.integration_log()
    shipped = stack.shipped_logs()
    messages = [line["message"] for line in shipped]
    for key in keys:
        applied = f"Found 1 entities to upsert jiraIssue/{key}"
        assert f"INFO     | {applied}" in output
        assert applied in messages
    for line in PER_DELIVERY:
        assert line not in output
        assert line not in messages
    warnings = [line for line in shipped if line["level"] == "WARNING"]
    assert any(line["message"].startswith("Refused a Jira webhook delivery") for line in warnings)
