"""The unkind Jira's time: its own clock (`Date`, `updated`, serverTime), `Retry-After` as an
HTTP date, a user time zone that crosses DST read the later way in the fall-back hour, and a
search index that lags writes unless `reconcileIssues` names them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from sandbox.jira_sim import SimConfig
from sandbox.jira_sim.catalog import parse_jira_dt
from sandbox.jira_sim.jql import JqlContext, compile_query, parse
from tests.sandbox.support import asgi_client, sim_state

SEARCH = "/rest/api/3/search/jql"


def test_the_unkind_profile_holds_every_time_behaviour() -> None:
    unkind = SimConfig(unkind=True)
    assert unkind.clock_offset_s < 0 and unkind.retry_after_http_date
    assert unkind.user_time_zone and unkind.ambiguous_local_time == "later"
    assert unkind.search_lag_s > 0


async def test_jira_s_clock_runs_off_the_host_s() -> None:
    async with asgi_client(config=SimConfig(clock_offset_s=-600)) as jira:
        host = datetime.now(UTC)
        answer = await jira.get("/rest/api/3/serverInfo")
        date = parsedate_to_datetime(answer.headers["date"])
        server_time = parse_jira_dt(answer.json()["serverTime"])
        for jira_time in (date, server_time):
            assert timedelta(minutes=-11) < jira_time - host < timedelta(minutes=-9)
        key = await jira.post(SEARCH, json={"jql": "created >= -3650d", "fields": ["key"]})
        first = key.json()["issues"][0]["key"]
        await jira.put(f"/_sim/issues/{first}", json={"fields": {"summary": "later"}})
        updated = parse_jira_dt(
            (await jira.get(f"/rest/api/3/issue/{first}")).json()["fields"]["updated"]
        )
        assert timedelta(minutes=-11) < updated - host < timedelta(minutes=-9)


async def test_retry_after_is_an_http_date_on_jira_s_clock() -> None:
    config = SimConfig(rate_429=1.0, retry_after_http_date=True, fault_seed=3, clock_offset_s=300)
    async with asgi_client(config=config) as jira:
        dated = []
        for _ in range(8):
            answer = await jira.get("/rest/api/3/myself")
            assert answer.status_code == 429
            if "retry-after" in answer.headers:
                dated.append(answer)
        assert dated
        for answer in dated:
            wait = parsedate_to_datetime(answer.headers["retry-after"]) - parsedate_to_datetime(
                answer.headers["date"]
            )
            assert timedelta(0) <= wait <= timedelta(seconds=2)


async def test_the_api_user_s_zone_and_the_later_reading_of_an_ambiguous_wall_time() -> None:
    config = SimConfig(user_time_zone="America/St_Johns", ambiguous_local_time="later")
    async with asgi_client(config=config) as jira:
        me = (await jira.get("/rest/api/3/myself")).json()
        assert me["timeZone"] == "America/St_Johns"
        dataset = sim_state(jira).dataset
    zone = ZoneInfo("America/St_Johns")
    # 2026-11-01 01:30 happens twice in St John's: 03:00 and 04:00 UTC
    earlier, later = (
        datetime(2026, 11, 1, 1, 30, tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)
    )
    assert later - earlier == timedelta(hours=1)
    query = parse('updated >= "2026-11-01 01:30"')
    record = next(iter(dataset.issues.values()))
    record.fields["updated"] = (earlier + timedelta(minutes=30)).strftime(
        "%Y-%m-%dT%H:%M:%S.000+0000"
    )
    record._dt_cache.clear()
    read_later = compile_query(query, JqlContext(dataset, zone=zone, later_when_ambiguous=True))
    read_earlier = compile_query(query, JqlContext(dataset, zone=zone))
    assert read_earlier(record) and not read_later(record)


async def test_a_recent_write_is_searchable_only_when_reconciled() -> None:
    async with asgi_client(config=SimConfig(search_lag_s=3600)) as jira:
        created = await jira.post(
            "/_sim/issues", json={"project": "PA", "fields": {"summary": "fresh"}}
        )
        assert created.status_code == 201, created.text
        fresh = created.json()
        jql = f"key = {fresh['key']}"
        plain = await jira.post(SEARCH, json={"jql": jql})
        assert plain.json()["issues"] == []
        named = await jira.post(SEARCH, json={"jql": jql, "reconcileIssues": [int(fresh["id"])]})
        assert [i["id"] for i in named.json()["issues"]] == [str(fresh["id"])]
        too_many = await jira.post(SEARCH, json={"jql": jql, "reconcileIssues": list(range(51))})
        assert too_many.status_code == 400
