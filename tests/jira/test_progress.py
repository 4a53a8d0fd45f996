"""Progress lines during a resync and the summary table after it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from loguru import logger

from jira import progress
from jira.progress import KindProgress, ResyncProgress, resolve_stubs, summary_table
from tests.conftest import FakeClock


def logged_lines(run: object) -> list[str]:
    found: list[str] = []
    handler = logger.add(lambda m: found.append(m.record["message"]), level="INFO")
    try:
        assert callable(run)
        run()
    finally:
        logger.remove(handler)
    return [line for line in found if line.startswith("Progress")]


def test_a_line_at_most_every_interval_with_read_sent_and_rate() -> None:
    clock = FakeClock()
    tracker = KindProgress("user", clock=clock, interval=5.0)

    def read_pages() -> None:
        for _ in range(10):  # a page of 100 every second
            clock.now += 1.0
            tracker.page_read(100)

    lines = logged_lines(read_pages)
    assert lines == [
        "Progress user: 500 read, 400 sent, 100/s",
        "Progress user: 1000 read, 900 sent, 100/s",
    ]


def test_issues_show_percent_and_eta_once_the_id_pages_are_all_read() -> None:
    clock = FakeClock()
    tracker = KindProgress("issue", clock=clock)
    tracker.expected = 5000
    clock.now += 10
    tracker.page_read(1000)
    assert tracker.line().endswith("100/s, at least 5000 to read")
    tracker.expected, tracker.expected_final = 10000, True
    assert tracker.line() == "Progress issue: 1000 read, 0 sent, 100/s, 10% of 10000, ETA 90s"


async def test_requests_count_for_the_kind_that_started_them_even_in_tasks() -> None:
    resync = ResyncProgress(clock=FakeClock())
    resync.start()

    async def kind(name: str, requests: int) -> None:
        tracker = resync.track(name)
        await asyncio.gather(*(asyncio.to_thread(lambda: None) for _ in range(requests)))
        await asyncio.gather(*(_request(429 if i == 0 else 200) for i in range(requests)))
        progress.expect(requests, final=True)
        assert tracker.expected == requests

    await asyncio.create_task(kind("project", 3))
    await asyncio.create_task(kind("issue", 5))
    assert [(t.kind, t.requests, t.throttled) for t in resync.kinds] == [
        ("project", 3, 1),
        ("issue", 5, 1),
    ]


async def _request(status: int) -> None:
    await asyncio.sleep(0)
    progress.count_request(status)


def test_summary_table_has_a_row_per_kind_with_every_column() -> None:
    clock = FakeClock()
    issue = KindProgress("issue", clock=clock)
    issue.page_read(1200)
    issue.upserted, issue.failed, issue.deleted, issue.requests, issue.throttled = 1198, 2, 7, 14, 3
    clock.now += 12.34
    issue.finish()
    team = KindProgress("team", clock=clock)
    team.error = "Jira answered 403"
    team.finish()
    assert summary_table([issue, team]).splitlines() == [
        "kind           read  upserted  failed  deleted  requests  429s   time",
        "issue          1200      1198       2        7        14     3  12.3s",
        "team (failed)     0         0       0        0         0     0   0.0s",
    ]


# --------------------------------------------------------------------------- start, end, ticks


async def test_each_kind_logs_its_start_and_its_end() -> None:
    resync = ResyncProgress(clock=FakeClock())
    resync.start()
    found: list[str] = []
    handler = logger.add(lambda m: found.append(m.record["message"]), level="INFO")
    try:
        project = resync.track("project")
        project.page_read(5)
        project.finish()
        issue = resync.track("issue")
        issue.error = "Jira answered 500"
        issue.finish()
    finally:
        logger.remove(handler)
    assert [line for line in found if line.startswith("Progress")] == [
        "Progress project: started",
        "Progress project: done, 5 read in 0.0s",
        "Progress issue: started",
        "Progress issue: failed after 0 read (the error is above) in 0.0s",
    ]


async def test_a_slow_jira_still_gets_a_line_every_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No page arrives (Jira is slow, or retrying 429s): the ticker writes the line anyway,
    with the requests made so far."""
    monkeypatch.setenv(progress.INTERVAL_ENV, "0.01")
    resync = ResyncProgress()
    resync.start()
    found: list[str] = []
    waiting_line = asyncio.Event()
    page_arrives = asyncio.Event()

    def record(message: Any) -> None:
        found.append(message.record["message"])
        if found[-1].startswith("Progress issue: 0 read"):
            waiting_line.set()

    async def read_issues() -> None:
        tracker = resync.track("issue")
        progress.count_request(429)
        progress.count_request(200)
        await page_arrives.wait()  # Jira has not answered yet
        tracker.page_read(100)
        tracker.finish()

    handler = logger.add(record, level="INFO")
    reader = asyncio.create_task(read_issues())
    try:
        async with asyncio.timeout(60):
            await waiting_line.wait()
            page_arrives.set()
            await reader
            assert resync._ticker is not None
            await resync._ticker  # it ends with the last running kind
    finally:
        page_arrives.set()
        logger.remove(handler)
    waiting = next(line for line in found if line.startswith("Progress issue: 0 read"))
    assert waiting.endswith(", 2 Jira requests (1 answered 429 and retried)")
    assert found[-1].startswith("Progress issue: done, 100 read")


# --------------------------------------------------------------------------- stub entities


@dataclass
class _Entity:
    identifier: str
    blueprint: str
    relations: dict[str, Any] = field(default_factory=dict)


async def test_the_summary_names_the_relation_targets_port_holds_as_stubs() -> None:
    """2 issues upserted, naming a parent and subtasks that were not selected: Port holds 4
    jiraIssue entities (2 + 2 stubs), and the summary says so beside `upserted 2`."""
    clock = FakeClock()
    project = KindProgress("project", clock=clock)
    project.upserted_entities([_Entity("PA", "jiraProject")])
    issue = KindProgress("issue", clock=clock)
    issue.upserted_entities(
        [
            _Entity("PA-1", "jiraIssue", {"project": "PA", "parentIssue": "PA-9", "subtasks": []}),
            _Entity(
                "PA-2",
                "jiraIssue",
                {"project": "PA", "parentIssue": "PA-1", "subtasks": ["PA-7", "PA-9"]},
            ),
        ]
    )
    issue.upserted = 2
    targets = {("jiraIssue", "project"): "jiraProject"}
    asked: list[tuple[str, str]] = []

    async def relation_target(blueprint: str, relation: str) -> str | None:
        asked.append((blueprint, relation))
        return targets.get((blueprint, relation), "jiraIssue")

    await resolve_stubs([project, issue], relation_target)
    assert issue.stubs == {"jiraIssue": {"PA-7", "PA-9"}}
    lines = summary_table([project, issue]).splitlines()
    assert lines[0].startswith("Stub entities: relation targets this resync did not sync")
    assert lines[0].endswith(": jiraIssue 2 (from issue.parentIssue, issue.subtasks)")
    assert lines[1].split() == list(progress.COLUMNS)
    assert ("jiraIssue", "project") in asked


async def test_no_stub_line_when_every_target_was_synced_or_unknown() -> None:
    issue = KindProgress("issue", clock=FakeClock())
    issue.upserted_entities([_Entity("PA-1", "jiraIssue", {"parentIssue": "PA-1", "x": {"a": 1}})])

    async def unknown(blueprint: str, relation: str) -> str | None:
        return None if relation == "x" else "jiraIssue"

    await resolve_stubs([issue], unknown)
    assert summary_table([issue]).splitlines()[0].split() == list(progress.COLUMNS)


async def test_the_summary_asks_port_for_every_relation_target_at_once() -> None:
    """Port is a round trip away: the blueprints of every kind's relations are read together,
    not one after another at the end of the resync."""
    user = KindProgress("user", clock=FakeClock())
    user.upserted_entities([_Entity("u1", "jiraUser", {"team": "t1"})])
    issue = KindProgress("issue", clock=FakeClock())
    issue.upserted_entities([_Entity("PA-1", "jiraIssue", {"assignee": "u1", "project": "PA"})])
    wanted = {("jiraUser", "team"), ("jiraIssue", "assignee"), ("jiraIssue", "project")}
    asked: set[tuple[str, str]] = set()
    everyone_asked = asyncio.Event()

    async def relation_target(blueprint: str, relation: str) -> str | None:
        asked.add((blueprint, relation))
        if asked == wanted:
            everyone_asked.set()
        await asyncio.wait_for(everyone_asked.wait(), timeout=10)  # one at a time never gets here
        return {"team": "jiraTeam", "assignee": "jiraUser", "project": "jiraProject"}[relation]

    await resolve_stubs([user, issue], relation_target)
    assert issue.stubs == {"jiraProject": {"PA"}}
    assert user.stubs == {"jiraTeam": {"t1"}}
