"""Fault drills: the real process under Jira and Port failures. Nothing may be lost or deleted."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from sandbox.stack import LAUNCHER, Stack, running_stack
from tests.e2e.conftest import assert_port_matches_jira, synced_issue_keys

# Generous retries for drills whose faults are random: the point is that the sync completes.
PATIENT = {"JIRA_HTTP_MAX_ATTEMPTS": "12", "JIRA_HTTP_RETRY_BASE_SECONDS": "0.05"}
SIZE = {"projects": 3, "users": 15, "teams": 2, "issues": 300}


@pytest.fixture
def drill_stack() -> Iterator[Stack]:
    with running_stack(jira=SIZE) as stack:
        yield stack


def test_thirty_percent_429s_complete_with_nothing_lost(drill_stack: Stack) -> None:
    drill_stack.jira("PATCH", "/_sim/config", {"rate_429": 0.3, "fault_seed": 7})
    result = drill_stack.run_once(PATIENT)
    assert result.returncode == 0, result.output[-3000:]
    stats = drill_stack.jira("GET", "/_sim/stats")
    assert stats["by_status"].get("429", 0) > 0  # the drill did throttle
    assert_port_matches_jira(drill_stack)


def test_5xx_and_timeouts_complete_with_nothing_lost(drill_stack: Stack) -> None:
    drill_stack.jira(
        "PATCH",
        "/_sim/config",
        {"rate_5xx": 0.1, "rate_timeout": 0.05, "timeout_sleep_s": 3, "fault_seed": 11},
    )
    result = drill_stack.run_once(PATIENT, JIRA_HTTP_TIMEOUT_SECONDS="1")
    assert result.returncode == 0, result.output[-3000:]
    assert_port_matches_jira(drill_stack)


@pytest.fixture
def long_stack() -> Iterator[Stack]:
    # enough issue pages (about 8 of 100) that a failure can land in the middle
    with running_stack(jira={**SIZE, "issues": 1200}) as stack:
        yield stack


def test_issue_kind_failing_halfway_exits_1_and_deletes_nothing(long_stack: Stack) -> None:
    drill_stack = long_stack
    assert drill_stack.run_once().returncode == 0
    before = {
        bp: drill_stack.entities(bp) for bp in ("jiraProject", "jiraUser", "jiraTeam", "jiraIssue")
    }
    deletes_before = drill_stack.port_state()["counters"]["deletes"]
    # change every issue so this run rewrites them page by page, then break Jira mid-way
    for key in synced_issue_keys(drill_stack):
        drill_stack.jira("PUT", f"/_sim/issues/{key}", {"labels": ["drill"]})
    drill_stack.jira("PATCH", "/_sim/config", {"latency_ms": 400})

    env = drill_stack.integration_env(JIRA_ISSUE_STRATEGY="search", JIRA_HTTP_MAX_ATTEMPTS="2")
    log = (drill_stack.workdir / "halfway.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(LAUNCHER)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120

    def rewritten_yet() -> bool:
        issues = drill_stack.entities("jiraIssue").values()
        return any(e["properties"].get("labels") == ["drill"] for e in issues)

    # the issue kind's pages are read ahead of Ocean (a few at most): break Jira once its first
    # page is in Port, so later pages fail to read
    while not rewritten_yet():
        assert time.monotonic() < deadline and process.poll() is None, "no issue was rewritten"
        time.sleep(0.05)
    drill_stack.jira(
        "PATCH", "/_sim/config", {"fail_paths": [r"/rest/api/3/search/jql", r"/issue/bulkfetch"]}
    )
    returncode = process.wait(timeout=300)
    log.close()
    output = (drill_stack.workdir / "halfway.log").read_text()

    assert returncode == 1, output[-3000:]
    assert "kind issue failed" in output.strip().splitlines()[-1]
    state = drill_stack.port_state()
    assert state["counters"]["deletes"] == deletes_before  # not one entity deleted
    after = {bp: drill_stack.entities(bp) for bp in before}
    assert {bp: set(v) for bp, v in after.items()} == {bp: set(v) for bp, v in before.items()}
    rewritten = [
        k for k, e in after["jiraIssue"].items() if e["properties"].get("labels") == ["drill"]
    ]
    untouched = [k for k, e in after["jiraIssue"].items() if e == before["jiraIssue"][k]]
    assert rewritten, "the first pages were applied"
    assert untouched, "the failure came before the last page"


def test_a_malformed_json_page_fails_with_the_endpoint_named(drill_stack: Stack) -> None:
    drill_stack.jira("PATCH", "/_sim/config", {"malformed_paths": [r"/rest/api/3/search/jql"]})
    result = drill_stack.run_once()
    assert result.returncode == 1
    assert "kind issue failed" in result.last_line
    assert "POST /rest/api/3/search/jql" in result.last_line
    assert "not valid JSON" in result.last_line


def test_port_503s_mid_upsert_are_retried_and_nothing_is_deleted(drill_stack: Stack) -> None:
    drill_stack.port(
        "PATCH",
        "/_sim/faults",
        {"rules": [{"path_regex": r"/entities/bulk", "method": "POST", "status": 503, "count": 6}]},
    )
    result = drill_stack.run_once()
    assert result.returncode == 0, result.output[-3000:]
    stats = drill_stack.port("GET", "/_sim/stats")
    assert stats["by_status"].get("503", 0) == 6
    assert drill_stack.port_state()["counters"]["deletes"] == 0
    assert_port_matches_jira(drill_stack)
