"""Live events' per-delivery costs, cut without changing what users get: what they leave in the
log, in the process's output and in Port's log view (the lines Ocean ships to Port): one line
per applied change, and warnings; not Ocean's request and event lifecycle for every delivery.
And their Port writes, shared between deliveries, keep each object's states in order."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

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


def test_changes_written_together_reach_port_in_order(stack: Stack) -> None:
    """Several issues changed again and again at once: their Port writes share requests
    (jira.live_writes), and no issue's title in Port ever goes back to an older one."""
    result = stack.run_once()
    assert result.returncode == 0, result.output[-3000:]
    keys = sorted(synced_issue_keys(stack))[:12]
    rounds = 4

    def rename(key: str) -> None:
        for n in range(rounds):
            stack.jira("PUT", f"/_sim/issues/{key}", {"summary": f"{key} r{n}", "notify": True})

    with stack.integration(live_events=True, OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}'):
        wait_for_admin_webhook(stack)
        with ThreadPoolExecutor(max_workers=len(keys)) as pool:
            list(pool.map(rename, keys))
        final = {key: f"{key} r{rounds - 1}" for key in keys}
        deadline = time.monotonic() + 120
        while {k: stack.entities("jiraIssue")[k]["title"] for k in keys} != final:
            assert time.monotonic() < deadline, stack.integration_log()[-3000:]
            time.sleep(0.5)
    history: dict[str, list[str | None]] = stack.port("GET", "/_sim/history?blueprint=jiraIssue")
    for key in keys:
        written = [title for title in history[key] if title and title.startswith(f"{key} r")]
        order = [int(title.rsplit("r", 1)[1]) for title in written]
        assert order == sorted(order) and order[-1] == rounds - 1, (key, written)
