"""Incremental runs: the window read (overlap, clamped future cursor), the JQL bound in the
site's time zone, the user's JQL combined safely, and what each incremental kind asks Jira."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from jira.client import JiraClient
from jira.incremental import OVERLAP, changed_since, jira_window_start, jql_date, window_start
from jira.jql import UnbalancedJqlError, and_clause
from jira.kinds import KINDS, KINDS_BY_NAME
from tests.builders import (
    SITE,
    issue,
    json_response,
    resource,
    since_pager,
    token_pager,
    worklog,
)
from tests.jira.support import collect

API = f"{SITE}/rest/api/3"
NOW = datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC)


def myself(zone: str | None = "Europe/Berlin") -> respx.Route:
    body = {"accountId": "me"} if zone is None else {"accountId": "me", "timeZone": zone}
    return respx.get(f"{API}/myself").mock(return_value=json_response(body))


async def read_changed(
    client: JiraClient, kind: str, config: Any, since: datetime
) -> list[dict[str, Any]]:
    """What an incremental run of `kind` yields for this resource and window start."""
    reader = KINDS_BY_NAME[kind].changed
    assert reader is not None
    return await collect(reader(client, config, since))


def searched_jql(route: respx.Route) -> list[str]:
    return [json.loads(call.request.content)["jql"] for call in route.calls]


# The window


def test_a_run_reads_from_the_cursor_minus_the_overlap() -> None:
    cursor = NOW - timedelta(minutes=15)
    assert window_start(cursor, NOW) == cursor - OVERLAP
    assert OVERLAP == timedelta(minutes=5)  # the documented default (README)


def test_a_cursor_in_the_future_is_clamped_to_now_with_a_warning(warnings: list[str]) -> None:
    assert window_start(NOW + timedelta(hours=3), NOW) == NOW - OVERLAP
    assert any("in the future" in message for message in warnings)


# The bound, in the site's time zone


def test_the_bound_is_written_in_the_site_zone_rounded_down_to_the_minute() -> None:
    assert jql_date(NOW, ZoneInfo("America/New_York")) == "2026-03-10 08:00"
    assert jql_date(NOW, ZoneInfo("Asia/Kolkata")) == "2026-03-10 17:30"
    assert jql_date(NOW, ZoneInfo("UTC")) == "2026-03-10 12:00"


def test_an_unknown_zone_reads_far_enough_back_for_every_zone() -> None:
    # UTC+14 is the earliest clock on earth: written 14 h back in UTC, no zone starts late.
    assert jql_date(NOW, None) == "2026-03-09 22:00"


@respx.mock
async def test_the_zone_is_read_once_from_myself(client: JiraClient) -> None:
    route = myself("Asia/Tokyo")
    first = await changed_since(client, "project = A", NOW)
    second = await changed_since(client, "project = B", NOW)
    assert first == '(project = A) AND updated >= "2026-03-10 21:00"'
    assert second == '(project = B) AND updated >= "2026-03-10 21:00"'
    assert route.call_count == 1


@respx.mock
async def test_a_zone_jira_does_not_name_widens_the_window_and_says_so(
    client: JiraClient, warnings: list[str]
) -> None:
    myself(None)
    assert await changed_since(client, "project = A", NOW) == (
        '(project = A) AND updated >= "2026-03-09 22:00"'
    )
    assert any("time zone" in message for message in warnings)


# Combining the user's JQL


@pytest.mark.parametrize(
    ("user_jql", "expected"),
    [
        ("project = A OR project = B", "(project = A OR project = B) AND X"),
        ("project = A ORDER BY updated DESC", "(project = A) AND X ORDER BY updated DESC"),
        (
            'summary ~ "order by (x" OR labels = a order by key',
            '(summary ~ "order by (x" OR labels = a) AND X order by key',
        ),
        ("ORDER BY key", "X ORDER BY key"),
        ("", "X"),
    ],
)
def test_the_user_jql_is_parenthesised_and_keeps_its_order(user_jql: str, expected: str) -> None:
    assert and_clause(user_jql, "X", keep_order=True) == expected


@pytest.mark.parametrize("user_jql", ["project = A) OR (project = B", "(project = A", ")("])
def test_unbalanced_parentheses_are_refused_not_combined(user_jql: str) -> None:
    with pytest.raises(UnbalancedJqlError, match="selector's jql"):
        and_clause(user_jql, "X")


_CLAUSES = st.sampled_from(
    [
        "project = A",
        "status != Done",
        'summary ~ "or (order by"',
        "labels in (a, b)",
        "assignee is EMPTY",
        "text ~ 'it''s'",
    ]
)


@st.composite
def _conditions(draw: st.DrawFn, depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(_CLAUSES)
    left, right = draw(_conditions(depth - 1)), draw(_conditions(depth - 1))
    joined = f"{left} {draw(st.sampled_from(['AND', 'OR', 'and', 'or']))} {right}"
    return f"({joined})" if draw(st.booleans()) else joined


@given(
    condition=_conditions(),
    order=st.sampled_from(["", "ORDER BY key", "order by updated DESC, key ASC"]),
)
def test_any_condition_is_wrapped_whole_and_its_order_kept_last(condition: str, order: str) -> None:
    combined = and_clause(f"{condition} {order}".strip(), 'updated >= "2026-01-01 00:00"', True)
    expected = f'({condition}) AND updated >= "2026-01-01 00:00"'
    assert combined == (f"{expected} {order}" if order else expected)


# What each incremental kind reads


def test_only_kinds_jira_lists_by_change_time_are_incremental() -> None:
    incremental = [kind.name for kind in KINDS if kind.changed]
    assert set(incremental) == {"issue", "backlog", "worklog", "comment"}
    # The README names the same kinds (the others are kept current by the full resync).
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    line = next(line for line in readme.splitlines() if "Incremental kinds:" in line)
    assert re.findall(r"`(\w+)`", line.split(":", 1)[1].split(".")[0]) == incremental


@respx.mock
async def test_changed_issues_are_read_as_a_full_sync_reads_them(client: JiraClient) -> None:
    myself("UTC")
    changed = [issue(1), issue(2)]
    search = respx.post(f"{API}/search/jql").mock(
        side_effect=token_pager([{"id": i["id"]} for i in changed], max_page=5000)
    )
    bulk = respx.post(f"{API}/issue/bulkfetch").mock(
        return_value=json_response({"issues": changed})
    )
    config = _issue_resource("project = A OR project = B ORDER BY key")

    got = await read_changed(client, "issue", config, NOW)

    assert [i["key"] for i in got] == ["P1-1", "P1-2"]
    assert searched_jql(search) == [
        '(project = A OR project = B) AND updated >= "2026-03-10 12:00" ORDER BY key'
    ]
    assert json.loads(search.calls[0].request.content)["fields"] == ["id"]
    assert json.loads(bulk.calls[0].request.content)["fields"] == ["summary", "status"]


@respx.mock
async def test_changed_comments_come_from_the_issues_changed(client: JiraClient) -> None:
    myself("UTC")
    search = respx.post(f"{API}/search/jql").mock(side_effect=token_pager([], max_page=5000))
    assert await read_changed(client, "comment", resource("comment", jql="project = A"), NOW) == []
    assert searched_jql(search) == ['(project = A) AND updated >= "2026-03-10 12:00"']


@respx.mock
async def test_the_worklog_feed_starts_at_the_window_and_skips_deleted(
    client: JiraClient,
) -> None:
    window = datetime.now(UTC) - timedelta(minutes=20)  # later than the selector's -30d
    since_ms = int(window.timestamp() * 1000)
    deleted = respx.get(f"{API}/worklog/deleted").mock(
        side_effect=since_pager([(since_ms + 5, 50002)], path="/rest/api/3/worklog/deleted")
    )
    updated = respx.get(f"{API}/worklog/updated").mock(
        side_effect=since_pager(
            [(since_ms - 10, 50001), (since_ms + 1, 50002), (since_ms + 2, 50003)]
        )
    )
    respx.post(f"{API}/worklog/list").mock(
        side_effect=lambda request: json_response(
            [worklog(n - 50000) for n in json.loads(request.content)["ids"]]
        )
    )
    respx.post(f"{API}/issue/bulkfetch").mock(return_value=json_response({"issues": [issue(1)]}))

    got = await read_changed(client, "worklog", resource("worklog", since="-30d"), window)

    assert [w["id"] for w in got] == ["50003"]  # 50001 predates the window, 50002 was deleted
    assert deleted.calls[0].request.url.params["since"] == str(since_ms)
    assert updated.calls[0].request.url.params["since"] == str(since_ms)


@respx.mock
async def test_a_jira_failure_fails_the_incremental_kind(client: JiraClient) -> None:
    # Raised, so Ocean keeps the kind's cursor and the next run reads the same window.
    myself("UTC")
    respx.post(f"{API}/search/jql").mock(
        return_value=httpx.Response(400, json={"errorMessages": ["bad"]})
    )
    with pytest.raises(Exception, match="bad"):
        await read_changed(client, "issue", _issue_resource("project = A"), NOW)


def _issue_resource(jql: str) -> Any:
    config = resource("issue", jql=jql, fields="summary,status")
    return config


@respx.mock
async def test_worklogs_of_a_jql_come_from_its_issues_changed(client: JiraClient) -> None:
    myself("UTC")
    search = respx.post(f"{API}/search/jql").mock(side_effect=token_pager([], max_page=5000))
    feed = respx.get(f"{API}/worklog/updated")

    config = resource("worklog", jql="project = A ORDER BY key")
    assert await read_changed(client, "worklog", config, NOW) == []

    assert searched_jql(search) == ['(project = A) AND updated >= "2026-03-10 12:00" ORDER BY key']
    assert not feed.called


@respx.mock
async def test_changed_backlogs_narrow_each_boards_backlog(client: JiraClient) -> None:
    myself("UTC")
    respx.get(f"{SITE}/rest/agile/1.0/board").mock(
        return_value=json_response(
            {"values": [{"id": 7, "name": "B", "type": "scrum"}], "isLast": True, "total": 1}
        )
    )
    backlog = respx.get(f"{SITE}/rest/software/1.0/board/7/backlog").mock(
        return_value=json_response({"issues": [issue(1)], "total": 1, "startAt": 0})
    )

    got = await read_changed(client, "backlog", resource("backlog", jql=None), NOW)

    assert [i["key"] for i in got] == ["P1-1"]
    assert backlog.calls[0].request.url.params["jql"] == 'updated >= "2026-03-10 12:00"'


# The DST fall-back hour: a wall time there names two instants; Jira may read either


def _readings(bound: str, zone: ZoneInfo) -> list[datetime]:
    wall = datetime.strptime(bound, "%Y-%m-%d %H:%M")
    return [wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)]


FALL_BACK = {
    "America/New_York": datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    "America/St_Johns": datetime(2026, 11, 1, 4, 30, tzinfo=UTC),
    "Europe/Berlin": datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    "Australia/Lord_Howe": datetime(2026, 4, 4, 15, 0, tzinfo=UTC),  # a half-hour shift
}


def test_in_the_fall_back_hour_the_bound_is_the_earlier_wall_time() -> None:
    """01:30 on 2026-11-01 in New York is 05:30 UTC (EDT) and 06:30 UTC (EST): a window from
    05:30 UTC must not be written "01:30", which Jira may read as 06:30 (an hour missed)."""
    zone = ZoneInfo("America/New_York")
    since = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    bound = jql_date(since, zone)
    assert bound == "2026-11-01 00:30"
    assert max(_readings(bound, zone)) <= since


@given(
    zone_name=st.sampled_from(sorted(FALL_BACK)),
    minutes=st.integers(min_value=-150, max_value=150),
    seconds=st.integers(min_value=0, max_value=59),
)
def test_no_reading_of_the_bound_starts_the_window_late(
    zone_name: str, minutes: int, seconds: int
) -> None:
    """Around every fall-back, both instants a bound can name are at or before the window's
    start, and it reads at most the DST shift (plus the minute rounded down) more."""
    zone = ZoneInfo(zone_name)
    since = FALL_BACK[zone_name] + timedelta(minutes=minutes, seconds=seconds)
    readings = _readings(jql_date(since, zone), zone)
    assert max(readings) <= since
    assert since - min(readings) < timedelta(hours=2, minutes=1)


# Jira's clock


def server_info(jira_time: datetime | None) -> respx.Route:
    body: dict[str, Any] = {"deploymentType": "Cloud", "version": "1001.0.0"}
    if jira_time is not None:
        body["serverTime"] = jira_time.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return respx.get(f"{API}/serverInfo").mock(return_value=json_response(body))


@respx.mock
async def test_the_window_is_moved_onto_jira_s_clock(client: JiraClient) -> None:
    """Jira stamps `updated` on its own clock: when it runs ten minutes behind this host, a
    change made just after the last run is stamped before that run's cursor, and a window kept
    on this host's clock (5 minutes of overlap) would miss it."""
    host_now = datetime.now(UTC)
    route = server_info(host_now - timedelta(minutes=10))
    cursor = host_now - timedelta(minutes=30)
    start = await jira_window_start(client, cursor)
    assert abs(start - (cursor - OVERLAP - timedelta(minutes=10))) < timedelta(seconds=5)
    await jira_window_start(client, cursor)
    assert route.call_count == 1  # Jira's clock is read once per client


@respx.mock
async def test_a_jira_that_does_not_tell_its_time_keeps_the_host_s_clock(
    client: JiraClient, warnings: list[str]
) -> None:
    server_info(None)
    cursor = datetime.now(UTC) - timedelta(minutes=30)
    assert await jira_window_start(client, cursor) == cursor - OVERLAP
    assert any("serverTime" in message for message in warnings)
