"""The Jira simulator reads absolute JQL dates in the caller's time zone (`/myself`), as Jira
does: incremental runs write their `updated >=` bound in that zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox.jira_sim import SimConfig, create_app
from sandbox.jira_sim.testing import asgi_client

TOKYO = ZoneInfo("Asia/Tokyo")


async def test_an_absolute_bound_is_read_in_the_callers_zone() -> None:
    async with asgi_client(create_app(SimConfig(issues=5))) as jira:
        me = (await jira.get("/rest/api/3/myself")).json()
        changed = await jira.put(f"/_sim/users/{me['accountId']}", json={"timeZone": "Asia/Tokyo"})
        assert changed.status_code == 200
        key = (
            await jira.post(
                "/rest/api/3/search/jql", json={"jql": "project is not EMPTY", "fields": ["key"]}
            )
        ).json()["issues"][0]["key"]
        assert (
            await jira.put(f"/_sim/issues/{key}", json={"fields": {"summary": "now"}})
        ).status_code == 200

        async def found(instant: datetime) -> set[str]:
            bound = instant.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")
            body = {"jql": f'updated >= "{bound}"', "fields": ["key"]}
            answer = (await jira.post("/rest/api/3/search/jql", json=body)).json()
            return {issue["key"] for issue in answer["issues"]}

        now = datetime.now(UTC)
        assert key in await found(now - timedelta(minutes=2))
        assert key not in await found(now + timedelta(hours=1))
