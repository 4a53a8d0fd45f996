"""The Jira simulator reads absolute JQL dates in the caller's time zone (`/myself`), as Jira
does: incremental runs write their `updated >=` bound in that zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

TOKYO = ZoneInfo("Asia/Tokyo")


async def _keys(jira: httpx.AsyncClient, jql: str) -> list[str]:
    answer = await jira.post("/rest/api/3/search/jql", json={"jql": jql, "fields": ["key"]})
    assert answer.status_code == 200, answer.text
    return [issue["key"] for issue in answer.json()["issues"]]


async def test_an_absolute_bound_is_read_in_the_callers_zone(jira: httpx.AsyncClient) -> None:
    me = (await jira.get("/rest/api/3/myself")).json()
    moved = await jira.put(f"/_sim/users/{me['accountId']}", json={"timeZone": "Asia/Tokyo"})
    assert moved.status_code == 200
    key = (await _keys(jira, "created >= -3650d"))[0]
    edited = await jira.put(f"/_sim/issues/{key}", json={"fields": {"summary": "now"}})
    assert edited.status_code == 200

    def since(instant: datetime) -> str:
        return f'updated >= "{instant.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")}"'

    now = datetime.now(UTC)
    # Two minutes ago on Tokyo's clock: read as UTC it would be 9 hours from now.
    assert key in await _keys(jira, since(now - timedelta(minutes=2)))
    assert key not in await _keys(jira, since(now + timedelta(hours=1)))
