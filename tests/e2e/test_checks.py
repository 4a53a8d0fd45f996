"""The real process against the simulators: a ONCE run that cannot succeed stops before it
syncs, exits 1 and names the failing check on its last line, and one that can (without the
optional atlassianOrganizationId, with a project the user may not browse) syncs, warning; its
checks cost a few Jira requests whatever the number of projects; `launch.py probe` reports the
same checks; a long sync prints progress lines and a summary table before its verdict."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jira.progress import COLUMNS
from sandbox.stack import (
    INTEGRATION_ID,
    LAUNCHER,
    ROOT,
    RunResult,
    Stack,
    running_stack,
)
from tests.e2e.conftest import (
    jira_issue_keys,
    port_api,
    synced_ids,
    synced_issue_keys,
    synced_stack,
)

# More projects than a page of /project/search: the checks' cost must not grow with them.
SIZE = {"projects": 32, "users": 12, "teams": 2, "issues": 150}
INTEGRATION_DIR = ROOT / "integrations" / "jira"
FAILED = "Jira resync failed: nothing was synced: [FAIL] "
NO_ORGANIZATION_ID = {"OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID": ""}
CHECKS_MAX_JIRA_REQUESTS = 5


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


SUMMARY_ROW = re.compile(r"^[a-z]+( \(skipped\))?\s+\d+\s")


def summary_rows(result: RunResult) -> dict[str, list[str]]:
    """The last summary table in the run's output (the log's, and launch.py prints it again
    before its verdict), by kind."""
    lines = result.output.splitlines()
    header = max(i for i, line in enumerate(lines) if line.split() == list(COLUMNS))
    rows: dict[str, list[str]] = {}
    for line in lines[header + 1 :]:
        if not SUMMARY_ROW.match(line):
            break
        rows[line.split()[0]] = line.split()
    return rows


def jira_requests(stack: Stack) -> int:
    total: int = stack.jira("GET", "/_sim/stats")["total"]
    return total


def run_counting_checks(
    stack: Stack, env: dict[str, str] | None = None, command: list[str] | None = None
) -> RunResult:
    """A ONCE run that succeeds; prints and bounds the Jira requests of its checks: every
    request of the run but those its kinds made (the summary's `requests`)."""
    before = jira_requests(stack)
    result = stack.run_once(env or {}, command=command, cwd=INTEGRATION_DIR if command else None)
    made = jira_requests(stack) - before
    assert "Resync finished successfully" in result.output, result.output[-3000:]
    # counted from the right: a skipped kind's name is two words ("team (skipped)")
    requests = COLUMNS.index("requests") - len(COLUMNS)
    by_kinds = sum(int(row[requests]) for row in summary_rows(result).values())
    print(f"\nJira requests: {made}, of which the checks made {made - by_kinds}")
    assert made - by_kinds <= CHECKS_MAX_JIRA_REQUESTS
    return result


def assert_synced_without_teams(stack: Stack, result: RunResult, teams: set[str]) -> None:
    """Everything but teams reached Port, the team entities from before are still there, and
    the one warning about the team kind names the setting."""
    assert synced_ids(stack, "jiraTeam") == teams
    assert len(synced_ids(stack, "jiraProject")) == SIZE["projects"]
    assert len(synced_ids(stack, "jiraUser")) >= SIZE["users"]
    assert synced_issue_keys(stack) == jira_issue_keys(stack)
    warnings = [
        line
        for line in result.output.splitlines()
        if "WARNING" in line and "atlassianOrganizationId" in line
    ]
    assert len(warnings) == 1, warnings
    assert "Skipping kind team: set atlassianOrganizationId" in warnings[0]
    assert "(blueprint jiraTeam) are kept" in warnings[0]
    assert summary_rows(result)["team"][1] == "(skipped)"


def test_without_organization_id_a_once_run_skips_teams_keeps_them_and_syncs_the_rest(
    synced: Stack,
) -> None:
    teams = synced_ids(synced, "jiraTeam")
    assert len(teams) == SIZE["teams"]
    result = run_counting_checks(synced, NO_ORGANIZATION_ID)
    assert result.returncode == 0, result.output[-3000:]
    assert result.last_line == "Jira resync completed"
    assert_synced_without_teams(synced, result, teams)


def test_without_organization_id_plain_ocean_sail_skips_teams_and_syncs_the_rest(
    synced: Stack,
) -> None:
    teams = synced_ids(synced, "jiraTeam")
    ocean = Path(sys.executable).parent / "ocean"  # the venv's `ocean` command
    result = run_counting_checks(synced, NO_ORGANIZATION_ID, [str(ocean), "sail", "-O"])
    # `ocean sail` ends a ONCE run as launch.py does (jira.exits): its exit code and verdict
    # mean it, and the Port contents below prove it.
    assert result.returncode == 0, result.output[-3000:]
    assert result.last_line == "Jira resync completed"
    assert_synced_without_teams(synced, result, teams)


def test_the_checks_cost_the_same_few_requests_with_the_organization_id(synced: Stack) -> None:
    result = run_counting_checks(synced)
    assert result.returncode == 0, result.output[-3000:]
    assert int(summary_rows(result)["team"][COLUMNS.index("read")]) == SIZE["teams"]


def test_a_project_the_user_may_not_browse_warns_and_the_run_syncs(synced: Stack) -> None:
    """The resync lists such a project and reads nothing of it: a warning, not a failure.
    (The simulator hides it from the permission answers only, so its data still syncs.)"""
    key = sorted(synced.entities("jiraProject"))[-1]
    synced.jira("PATCH", "/_sim/config", {"forbidden_projects": [key]})
    try:
        result = synced.run_once()
        probed = probe(synced)
    finally:
        synced.jira("PATCH", "/_sim/config", {"forbidden_projects": []})
    assert result.returncode == 0, result.output[-3000:]
    assert probed.returncode == 0, probed.stdout + probed.stderr[-3000:]
    lines = probed.stdout.splitlines()
    assert f"  [warn] Project {key}: Jira lists it but the user may not browse it" in "\n".join(
        lines
    )
    assert lines[-1] == "Jira probe passed"


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
    issue_resource(broken)["port"]["entity"]["mappings"]["identifier"] = ".key |"
    set_mapping(synced, broken)
    try:
        result = run_failing(synced)
    finally:
        set_mapping(synced, original)
    assert "JQ of kind issue" in result.last_line
    assert "port.entity.mappings.identifier" in result.last_line


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


def test_probe_without_organization_id_passes_with_a_warning(synced: Stack) -> None:
    result = probe(synced, **NO_ORGANIZATION_ID)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[-1] == "Jira probe passed"
    [team] = [line for line in lines if "Permissions of kind team" in line]
    assert team.startswith(
        "  [warn] Permissions of kind team: skipped: set atlassianOrganizationId"
    )
    assert "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID" in team


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
