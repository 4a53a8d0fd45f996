"""Incremental sync: the window of changes a run reads, and the JQL bound that selects it.

Ocean runs the kinds registered with `ocean.on_incremental_resync` in a ONCE run with
`OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED=true` (Port's chart: the incremental CronJob).
Each kind, per resource index, gets a cursor kept in Port: the start of the last run that
completed it (the first run starts one interval back). A kind whose handler fails keeps its
cursor, so the next run reads the same window again; an incremental run only upserts, it never
deletes (deletes stay with live events and the scheduled full resync).

The window a run reads starts at the cursor minus `OVERLAP`: Jira's clock and ours differ a
little, and Jira's search index lags a moment behind a change, so an issue changed just before
the last run started may not have been searchable then. Reading a few minutes twice costs a
few issues; missing them would leave Port stale until the next full resync. A cursor in the
future (a clock set wrong) is clamped to now minus the overlap, with a warning.

Ocean's cursor is on this host's clock, but Jira stamps `updated` (and the worklog feed) on
its own: the window is moved onto Jira's clock by the difference serverInfo's `serverTime`
shows (read once per client), so a Jira running minutes behind this host loses nothing.

Issues (and the per-issue kinds) are selected with the user's JQL and an absolute
`updated >= "yyyy-MM-dd HH:mm"` bound. Jira reads absolute dates in the calling user's time
zone, so the bound is written in the zone `/myself` reports, rounded down to the minute. In
the hour a DST fall-back repeats, a wall time names two instants and Jira does not say which
it reads: the bound is then written early enough that both are at or before the window start.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loguru import logger

from jira.client import JiraClient
from jira.jql import and_clause

OVERLAP = timedelta(minutes=5)
# When Jira does not say its time zone, the bound is written in UTC this much earlier: every
# zone Jira can read it in then starts the window no later than it should (UTC+14 is the most).
UNKNOWN_ZONE_MARGIN = timedelta(hours=14)
JQL_DATE_FORMAT = "%Y-%m-%d %H:%M"

_zones: weakref.WeakKeyDictionary[JiraClient, tzinfo | None] = weakref.WeakKeyDictionary()
_clock_offsets: weakref.WeakKeyDictionary[JiraClient, timedelta] = weakref.WeakKeyDictionary()


def window_start(cursor: datetime, now: datetime, overlap: timedelta = OVERLAP) -> datetime:
    """Where a run reads from: `cursor - overlap`, never later than `now - overlap`."""
    if cursor.tzinfo is None:
        cursor = cursor.replace(tzinfo=UTC)
    if cursor > now:
        logger.warning(
            f"Incremental cursor {cursor.isoformat()} is in the future (now "
            f"{now.isoformat()}): reading from now minus {overlap} instead; check the clocks "
            "of this host and Port"
        )
        cursor = now
    return cursor - overlap


def _parse_server_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


async def jira_clock_offset(client: JiraClient) -> timedelta:
    """How far Jira's clock is ahead of this host's (negative: behind), from serverInfo's
    `serverTime` against the middle of the request (read once per client); zero, with a
    warning, when Jira does not tell its time."""
    if client in _clock_offsets:
        return _clock_offsets[client]
    asked = datetime.now(UTC)
    info = await client.server_info()
    answered = datetime.now(UTC)
    jira_now = _parse_server_time(info.get("serverTime"))
    offset = timedelta(0)
    if jira_now is None:
        logger.warning(
            "Jira's serverInfo did not give its serverTime; incremental windows assume Jira's "
            f"clock agrees with this host's (their {OVERLAP.total_seconds() / 60:.0f}-minute "
            "overlap covers small differences)"
        )
    else:
        offset = jira_now - (asked + (answered - asked) / 2)
        if abs(offset) >= timedelta(minutes=1):
            ahead = "ahead of" if offset > timedelta(0) else "behind"
            logger.info(
                f"Jira's clock is {abs(offset).total_seconds() / 60:.0f} minutes {ahead} this "
                "host's; incremental windows follow Jira's clock"
            )
    _clock_offsets[client] = offset
    return offset


async def jira_window_start(client: JiraClient, cursor: datetime) -> datetime:
    """`window_start` of `cursor` (this host's clock) on Jira's clock."""
    offset = await jira_clock_offset(client)
    return window_start(cursor, datetime.now(UTC)) + offset


async def site_zone(client: JiraClient) -> tzinfo | None:
    """The time zone Jira reads the caller's absolute JQL dates in (`/myself`), or None
    when Jira does not name one it knows (read once per client)."""
    if client in _zones:
        return _zones[client]
    name = (await client.myself()).get("timeZone")
    zone: tzinfo | None = None
    try:
        zone = ZoneInfo(name) if isinstance(name, str) and name else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is None:
        logger.warning(
            f"Jira did not give a known time zone for this account ({name!r}); incremental "
            f"runs read {UNKNOWN_ZONE_MARGIN} further back to be safe"
        )
    _zones[client] = zone
    return zone


def _readings(wall: datetime, zone: tzinfo) -> list[datetime]:
    """Every instant the naive `wall` names in `zone` (two in a DST fall-back hour)."""
    return [wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)]


def jql_date(instant: datetime, zone: tzinfo | None) -> str:
    """`instant` as a JQL absolute date in `zone`, rounded down to the minute (earlier is
    safe: the window only grows). A wall time that also names a later instant (the hour a
    DST fall-back repeats) is moved back by the difference, to one that names none later."""
    if zone is None:
        return (instant - UNKNOWN_ZONE_MARGIN).astimezone(UTC).strftime(JQL_DATE_FORMAT)
    candidate = instant
    while True:
        wall = candidate.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
        latest = max(_readings(wall, zone))
        if latest <= instant:
            return wall.strftime(JQL_DATE_FORMAT)
        candidate -= latest - instant


async def changed_since(client: JiraClient, user_jql: str, since: datetime) -> str:
    """The user's JQL narrowed to the issues updated since `since`: the user's condition in
    parentheses (a top-level OR keeps its meaning), its ORDER BY kept at the end."""
    bound = jql_date(since, await site_zone(client))
    return and_clause(user_jql, f'updated >= "{bound}"', keep_order=True)
