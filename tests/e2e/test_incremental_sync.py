"""Incremental runs end to end: the real process in a ONCE run with
OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED, as the chart's incremental CronJob runs it.

After a full sync, issues change in Jira: an incremental run writes exactly those to Port,
deletes nothing, reads none of the kinds Jira cannot list by change time, and saves each
kind's cursor in Port. A run whose second kind fails keeps that kind's cursor (the first one's
advances), exits non-zero naming the kind, and the next run catches up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.stack import INTEGRATION_ID, Stack
from tests.e2e.conftest import (
    NO_FAULTS,
    create_integration,
    jira_get,
    paged,
    synced_issue_keys,
    wait_until_searchable,
)
from tests.integration.harness_setup import every_kind_mapping

INCREMENTAL = {
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED": "true",
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL": "15",
}
BOARD_LIST = "/rest/agile/1.0/board"


def cursors(stack: Stack) -> dict[str, datetime]:
    """The cursors Port keeps for the integration, by "kind|index"."""
    kept = stack.port_state()["integrations"][INTEGRATION_ID].get("cursors", {})
    return {key: datetime.fromisoformat(c["primary"]) for key, c in kept.items() if c}


def content(entity: dict[str, Any]) -> Any:
    return entity.get("title"), entity.get("properties"), entity.get("relations")


def changed_entities(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {k for k, e in after.items() if k not in before or content(e) != content(before[k])}


def jira_requests(stack: Stack) -> dict[str, int]:
    by_endpoint: dict[str, int] = stack.jira("GET", "/_sim/stats").get("by_endpoint", {})
    return dict(by_endpoint)


def test_an_incremental_run_writes_exactly_what_changed_and_deletes_nothing(
    stack: Stack,
) -> None:
    # Jira reads the `updated >=` bound in the caller's zone: west of UTC, a bound written in
    # UTC would start hours late and miss the changes.
    me = jira_get(stack, "/rest/api/3/myself")
    stack.jira("PUT", f"/_sim/users/{me['accountId']}", {"timeZone": "America/Los_Angeles"})
    full = stack.run_once()
    assert full.returncode == 0, full.output[-3000:]
    assert cursors(stack) == {}  # a full resync keeps no cursor

    before = stack.entities("jiraIssue")
    keys = sorted(synced_issue_keys(stack))
    changed, gone = keys[:4], keys[-1]
    for key in changed:
        stack.jira("PUT", f"/_sim/issues/{key}", {"fields": {"summary": f"Changed {key}"}})
    stack.jira("DELETE", f"/_sim/issues/{gone}")
    wait_until_searchable(stack, {key: f"Changed {key}" for key in changed})
    requests_before = jira_requests(stack)

    started = datetime.now(UTC)
    run = stack.run_once(INCREMENTAL)
    assert run.returncode == 0, run.output[-3000:]

    after = stack.entities("jiraIssue")
    assert changed_entities(before, after) == set(changed)
    assert {after[key]["title"] for key in changed} == {f"Changed {key}" for key in changed}
    assert gone in after  # deletes stay with live events and the full resync
    # The default mapping's other kinds (projects, users, boards…) are not read at all.
    asked = {
        endpoint: n - requests_before.get(endpoint, 0)
        for endpoint, n in jira_requests(stack).items()
        if n != requests_before.get(endpoint, 0)
    }
    assert not [e for e in asked if "project" in e or "users" in e or "board" in e], asked
    # Each incremental kind's cursor is the run's start.
    index = next(
        i
        for i, r in enumerate(
            stack.port_state()["integrations"][INTEGRATION_ID]["config"]["resources"]
        )
        if r["kind"] == "issue"
    )
    saved = cursors(stack)
    assert set(saved) == {f"issue|{index}"}
    assert started <= saved[f"issue|{index}"] <= datetime.now(UTC)

    # Nothing changed since: the next run writes nothing.
    again = stack.run_once(INCREMENTAL)
    assert again.returncode == 0, again.output[-3000:]
    assert changed_entities(after, stack.entities("jiraIssue")) == set()
    assert cursors(stack)[f"issue|{index}"] > saved[f"issue|{index}"]


def _backlog_issue(stack: Stack) -> tuple[str, str]:
    """A board and a not-done issue on its backlog, read from Jira."""
    for board in paged(stack, BOARD_LIST):
        if board["type"] == "kanban":
            continue
        backlog = jira_get(stack, f"/rest/software/1.0/board/{board['id']}/backlog")["issues"]
        for issue in backlog:
            if issue["fields"]["status"]["statusCategory"]["key"] != "done":
                return str(board["id"]), str(issue["key"])
    raise AssertionError("the sandbox site has no backlog issue")


def test_a_failed_kind_keeps_its_cursor_and_the_next_run_catches_up(stack: Stack) -> None:
    mapping = every_kind_mapping()
    mapping["resources"] = [r for r in mapping["resources"] if r["kind"] in ("issue", "backlog")]
    assert [r["kind"] for r in mapping["resources"]] == ["issue", "backlog"]
    create_integration(stack, mapping)
    assert stack.run_once().returncode == 0
    seeded = stack.run_once(INCREMENTAL)
    assert seeded.returncode == 0, seeded.output[-3000:]
    first = cursors(stack)
    assert set(first) == {"issue|0", "backlog|1"}

    board, key = _backlog_issue(stack)
    item = f"{board}-{key}"
    stack.jira("PUT", f"/_sim/issues/{key}", {"fields": {"summary": "Moved up the backlog"}})
    wait_until_searchable(stack, {key: "Moved up the backlog"})
    # The backlog kind (second) fails: Jira refuses the board list.
    stack.jira("PATCH", "/_sim/config", {"fail_paths": [f"{BOARD_LIST}$"]})

    failed = stack.run_once(INCREMENTAL)

    assert failed.returncode == 1
    assert "kind backlog failed" in failed.last_line
    second = cursors(stack)
    assert second["issue|0"] > first["issue|0"]  # the kind that completed moved on
    assert second["backlog|1"] == first["backlog|1"]  # the failed one did not
    assert stack.entities("jiraIssue")[key]["title"] == "Moved up the backlog"
    assert stack.entities("jiraBacklogItem")[item]["title"] != "Moved up the backlog"

    stack.jira("PATCH", "/_sim/config", NO_FAULTS)
    caught_up = stack.run_once(INCREMENTAL)

    assert caught_up.returncode == 0, caught_up.output[-3000:]
    assert stack.entities("jiraBacklogItem")[item]["title"] == "Moved up the backlog"
    assert cursors(stack)["backlog|1"] > first["backlog|1"]
