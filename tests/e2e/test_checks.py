"""The real process against the simulators: a ONCE run that cannot succeed stops before it
syncs, exits 1 and names the failing check on its last line; `launch.py probe` reports the same
checks; a long sync prints progress lines and a summary table before its verdict."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from jira.progress import COLUMNS
from sandbox.stack import (
    INTEGRATION_ID,
    LAUNCHER,
    RunResult,
    Stack,
    running_stack,
)
from tests.e2e.conftest import port_api, synced_issue_keys, synced_stack

SIZE = {"projects": 3, "users": 12, "teams": 2, "issues": 80}
FAILED = "Jira resync failed: nothing was synced: [FAIL] "


@pytest.fixture(scope="module")
def synced() -> Iterator[Stack]:
    """A stack whose first ONCE run succeeded (the integration and its mapping exist in Port)."""
    yield from synced_stack(SIZE)


def set_mapping(stack: Stack, mapping: dict[str, Any]) -> None:
    port_api(stack, "PATCH", f"/v1/integration/{INTEGRATION_ID}", {"config": mapping})


def mapping_of(stack: Stack) -> dict[str, Any]:
    config: dict[str, Any] = stack.port_state()["integrations"][INTEGRATION_ID]["config"]
    return copy.deepcopy(config)


def issue_resource(mapping: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = next(r for r in mapping["resources"] if r["kind"] == "issue")
    return resource


def entity_writes(stack: Stack) -> int:
    writes: int = stack.port_state()["counters"]["writes"]
    return writes


def run_failing(stack: Stack, **env: str) -> RunResult:
    """A ONCE run that must fail its checks: exit 1, the check last, nothing written to Port."""
    writes = entity_writes(stack)
    result = stack.run_once(env)
    print(f"\nexit {result.returncode} after {result.seconds:.1f}s; last line: {result.last_line}")
    assert result.returncode == 1, result.output[-3000:]
    assert result.last_line.startswith(FAILED), result.last_line
    assert entity_writes(stack) == writes  # stopped before syncing anything
    return result


def test_wrong_port_secret_is_named_without_retrying(synced: Stack) -> None:
    result = run_failing(synced, OCEAN__PORT__CLIENT_SECRET="wrong-port-SECRET")
    assert "Port rejected OCEAN__PORT__CLIENT_ID/OCEAN__PORT__CLIENT_SECRET" in result.last_line
    assert "wrong-port-SECRET" not in result.output
    assert "retry" not in result.output.lower()


def test_jira_refusing_the_token_names_the_settings(synced: Stack) -> None:
    result = run_failing(synced, OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN="wrong-XYZ")
    assert "Jira credentials:" in result.last_line
    assert "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN" in result.last_line
    assert "wrong-XYZ" not in result.output


def test_a_project_the_user_may_not_browse_is_named(synced: Stack) -> None:
    key = sorted(synced.entities("jiraProject"))[-1]
    synced.jira("PATCH", "/_sim/config", {"forbidden_projects": [key]})
    try:
        result = run_failing(synced)
    finally:
        synced.jira("PATCH", "/_sim/config", {"forbidden_projects": []})
    assert f"Project {key}: Jira lists it but the user may not browse it" in result.last_line


def test_invalid_jql_is_named_with_jiras_reason(synced: Stack) -> None:
    original = mapping_of(synced)
    broken = copy.deepcopy(original)
    issue_resource(broken)["selector"]["jql"] = "statuz = Done"
    set_mapping(synced, broken)
    try:
        result = run_failing(synced)
    finally:
        set_mapping(synced, original)
    assert "JQL of kind issue" in result.last_line and "statuz" in result.last_line


def test_jq_that_does_not_compile_is_named_with_its_place(synced: Stack) -> None:
    original = mapping_of(synced)
    broken = copy.deepcopy(original)
    issue_resource(broken)["port"]["entity"]["mappings"]["properties"]["status"] = ".fields |"
    set_mapping(synced, broken)
    try:
        result = run_failing(synced)
    finally:
        set_mapping(synced, original)
    assert "JQ of kind issue" in result.last_line
    assert "port.entity.mappings.properties.status" in result.last_line


def test_team_kind_without_organization_id_names_the_setting(synced: Stack) -> None:
    result = run_failing(synced, OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID="")
    assert "Permissions of kind team" in result.last_line
    assert "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID" in result.last_line


def probe(stack: Stack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LAUNCHER), "probe", "--log-level", "WARNING", *args],
        env=stack.integration_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",  # any directory
    )


def test_probe_reports_every_check_and_passes(synced: Stack) -> None:
    result = probe(synced)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[-1] == "Jira probe passed"
    assert any(line.startswith("  [ok] Jira host:") and "Cloud" in line for line in lines)
    assert any(line.startswith("  [ok] Jira credentials:") for line in lines)
    assert any(line.startswith("  [ok] Permissions of kind issue:") for line in lines)


def test_probe_fails_with_the_same_check(synced: Stack) -> None:
    result = probe(synced, OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN="wrong")
    assert result.returncode == 1
    assert "  [FAIL] Jira credentials:" in result.stdout
    assert result.stdout.splitlines()[-1] == "Jira probe failed"


@pytest.fixture
def big_stack() -> Iterator[Stack]:
    with running_stack(jira={"projects": 5, "users": 20, "teams": 1, "issues": 10_000}) as stack:
        yield stack


def test_a_10k_issue_sync_prints_progress_and_the_summary_before_the_verdict(
    big_stack: Stack,
) -> None:
    result = big_stack.run_once(JIRA_PROGRESS_INTERVAL_SECONDS="0.5")
    assert result.returncode == 0, result.output[-3000:]
    progress = [line for line in result.output.splitlines() if "| Progress issue:" in line]
    assert progress, result.output[-3000:]
    assert any("% of " in line and "ETA" in line for line in progress)
    lines = result.output.splitlines()
    verdict = lines.index("Jira resync completed")
    header = max(i for i, line in enumerate(lines[:verdict]) if line.startswith("kind "))
    assert lines[header].split() == list(COLUMNS)
    rows = {line.split()[0]: line.split() for line in lines[header + 1 : verdict]}
    assert set(rows) == {r["kind"] for r in mapping_of(big_stack)["resources"]}
    assert int(rows["issue"][COLUMNS.index("read")]) == len(synced_issue_keys(big_stack)) > 1000


def test_the_summary_counts_the_entities_a_resync_deleted(synced: Stack) -> None:
    before = set(synced.entities("jiraIssue"))
    for key in sorted(synced_issue_keys(synced))[:2]:
        synced.jira("DELETE", f"/_sim/issues/{key}")  # Jira deletes their subtasks too
    result = synced.run_once()
    assert result.returncode == 0, result.output[-3000:]
    removed = before - set(synced.entities("jiraIssue"))
    lines = result.output.splitlines()
    verdict = lines.index("Jira resync completed")
    rows = {line.split()[0]: line.split() for line in lines[verdict - 12 : verdict]}
    assert int(rows["issue"][COLUMNS.index("deleted")]) == len(removed) >= 2
    assert int(rows["project"][COLUMNS.index("deleted")]) == 0
