"""The real process against a slow Jira that answers some requests 429: every kind logs when it
starts and ends and something in between, and the summary explains what Port holds: for every
blueprint, the entities upserted plus the stub entities Port created for relation targets."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest

from jira.progress import COLUMNS
from sandbox.stack import INTEGRATION_ID, Stack, running_stack

# Slow (300 ms a request) and throttling: what the tester's 2,000-issue sync with retries met.
SLOW_THROTTLING_JIRA = {
    "projects": 3,
    "users": 12,
    "teams": 2,
    "issues": 400,
    "latency_ms": 300,
    "rate_429": 0.2,
    "fault_seed": 7,
}
STUBS = re.compile(r"(\w+) (\d+) \(from [^)]*\)")


@pytest.fixture(scope="module")
def slow() -> Iterator[Stack]:
    with running_stack(jira=SLOW_THROTTLING_JIRA) as stack:
        yield stack


def test_progress_lines_and_a_summary_that_adds_up(slow: Stack) -> None:
    result = slow.run_once(JIRA_PROGRESS_INTERVAL_SECONDS="0.2", timeout=900)
    assert result.returncode == 0, result.output[-3000:]
    lines = result.output.splitlines()
    mapping = slow.port_state()["integrations"][INTEGRATION_ID]["config"]
    kinds = [resource["kind"] for resource in mapping["resources"]]

    for kind in kinds:
        mine = [line.split("| ")[-1] for line in lines if f"| Progress {kind}: " in line]
        assert mine[0] == f"Progress {kind}: started", mine
        assert mine[-1].startswith(f"Progress {kind}: done, "), mine
    # Every issue request takes 300 ms and the id page comes before the bulk fetches, so the
    # issue kind runs longer than the 0.2 s interval: lines in between, naming the requests.
    between = [line for line in lines if re.search(r"\| Progress issue: \d+ read", line)]
    assert between, lines
    for line in between:
        assert "Jira requests" in line or "waiting for Jira's first answer" in line, line

    verdict = lines.index("Jira resync completed")
    header = max(i for i, line in enumerate(lines[:verdict]) if line.startswith("kind "))
    assert lines[header].split() == list(COLUMNS)
    upserted: Counter[str] = Counter()
    for line in lines[header + 1 : verdict]:
        kind, *cells = line.split()
        (resource,) = [r for r in mapping["resources"] if r["kind"] == kind]
        blueprint = resource["port"]["entity"]["mappings"]["blueprint"].strip("\"'")
        upserted[blueprint] += int(cells[COLUMNS.index("upserted") - 1])
    stub_line = next((line for line in lines[:header] if line.startswith("Stub entities: ")), "")
    stubs = {blueprint: int(count) for blueprint, count in STUBS.findall(stub_line)}
    assert stubs.get("jiraIssue", 0) > 0, "subtasks and parents outside the JQL become stubs"
    in_port = {blueprint: len(slow.entities(blueprint)) for blueprint in upserted | stubs}
    assert in_port == {bp: upserted[bp] + stubs.get(bp, 0) for bp in in_port}
