"""Progress lines during a resync and the summary table after it."""

from __future__ import annotations

import asyncio

from loguru import logger

from jira import progress
from jira.progress import KindProgress, ResyncProgress, summary_table
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
