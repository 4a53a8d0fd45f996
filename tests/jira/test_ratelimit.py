"""`Retry-After` as an HTTP date (RFC 7231 §7.1.3 allows it) on 429 and 503, read against
Jira's own clock (its `Date` header): a Jira whose clock runs ahead of or behind this host's
still gets exactly the wait it asked for."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from jira.http import Api, JiraHttp
from jira.ratelimit import RateLimiter, retry_after_seconds
from tests.builders import SITE
from tests.conftest import FakeClock

MYSELF = f"{SITE}/rest/api/3/myself"
HOST_NOW = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def asked_to_wait(seconds: int, jira_clock_offset: timedelta) -> dict[str, str]:
    """A Jira whose clock is `jira_clock_offset` off the host's, asking for `seconds`."""
    jira_now = HOST_NOW + jira_clock_offset
    return {
        "Date": http_date(jira_now),
        "Retry-After": http_date(jira_now + timedelta(seconds=seconds)),
    }


@given(
    seconds=st.integers(min_value=0, max_value=3600),
    offset_minutes=st.integers(min_value=-180, max_value=180),
)
def test_an_http_date_is_read_against_jira_s_own_clock(seconds: int, offset_minutes: int) -> None:
    headers = httpx.Headers(asked_to_wait(seconds, timedelta(minutes=offset_minutes)))
    assert retry_after_seconds(headers, now=HOST_NOW.timestamp()) == seconds


def test_without_a_date_header_the_host_clock_is_the_reference() -> None:
    headers = httpx.Headers({"Retry-After": http_date(HOST_NOW + timedelta(seconds=9))})
    assert retry_after_seconds(headers, now=HOST_NOW.timestamp()) == 9
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"})) is None


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("offset", [timedelta(minutes=-30), timedelta(minutes=45)])
@respx.mock
async def test_429_and_503_wait_the_http_date_jira_gave(
    http: JiraHttp, clock: FakeClock, status: int, offset: timedelta
) -> None:
    route = respx.get(MYSELF).mock(
        side_effect=[
            httpx.Response(status, headers=asked_to_wait(20, offset)),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    assert await http.request("GET", Api.PLATFORM, "/myself") == {"ok": True}
    assert route.call_count == 2
    assert clock.sleeps == [20.0]


async def test_bulk_reads_have_slots_of_their_own() -> None:
    """Seconds-long bulk fetches never hold the slots the fan-outs' short reads need, and the
    short reads never hold theirs; each kind of slot keeps its own bound."""
    limiter = RateLimiter(max_concurrency=1, bulk_concurrency=2)
    bulk = "POST /rest/api/3/issue/bulkfetch"
    release = asyncio.Event()
    entered: list[str] = []

    async def hold(endpoint: str) -> None:
        async with limiter.slot(endpoint, bulk=endpoint == bulk):
            entered.append(endpoint)
            await release.wait()

    tasks = [asyncio.create_task(hold(e)) for e in ["GET /rest/api/3/myself", bulk, bulk, bulk]]
    for _ in range(5):
        await asyncio.sleep(0)
    assert entered == ["GET /rest/api/3/myself", bulk, bulk]  # the third bulk read waits
    release.set()
    await asyncio.gather(*tasks)
    assert entered.count(bulk) == 3


async def test_a_lower_concurrency_setting_lowers_the_bulk_reads_too() -> None:
    """JIRA_HTTP_MAX_CONCURRENCY=2: at most two bulk fetches at once, not eight."""
    limiter = RateLimiter(max_concurrency=2)
    release = asyncio.Event()
    entered: list[int] = []

    async def hold(n: int) -> None:
        async with limiter.slot("POST /rest/api/3/issue/bulkfetch", bulk=True):
            entered.append(n)
            await release.wait()

    tasks = [asyncio.create_task(hold(n)) for n in range(4)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert entered == [0, 1]
    release.set()
    await asyncio.gather(*tasks)
