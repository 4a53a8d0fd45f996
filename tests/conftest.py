"""Shared fixtures: a fake clock for retries and rate limits, Jira clients over respx, and the
warnings a test logs."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from loguru import logger

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "integrations" / "jira"
if str(INTEGRATION) not in sys.path:
    sys.path.insert(0, str(INTEGRATION))

from jira.client import JiraClient  # noqa: E402
from jira.http import JiraHttp  # noqa: E402
from jira.ratelimit import RateLimiter, RetryPolicy  # noqa: E402
from jira.settings import JiraSettings  # noqa: E402
from tests.builders import SITE  # noqa: E402


class FakeClock:
    """Time that only moves when somebody sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def basic_settings() -> JiraSettings:
    return JiraSettings.from_config(
        {
            "jira_host": SITE,
            "atlassian_user_email": "me@example.com",
            "atlassian_user_token": "tok-SECRET",
        }
    )


def build_http(settings: JiraSettings, clock: FakeClock, max_attempts: int = 5) -> JiraHttp:
    return JiraHttp(
        settings,
        httpx.AsyncClient(),
        policy=RetryPolicy(max_attempts=max_attempts, base_delay=0.5, jitter=(1.0, 1.0)),
        limiter=RateLimiter(max_concurrency=4, clock=clock, sleep=clock.sleep),
        sleep=clock.sleep,
    )


@pytest.fixture
async def http(basic_settings: JiraSettings, clock: FakeClock) -> AsyncIterator[JiraHttp]:
    client = build_http(basic_settings, clock)
    yield client
    await client.aclose()


@pytest.fixture
def client(http: JiraHttp) -> JiraClient:
    return JiraClient(http)


def _logged(level: str) -> Iterator[list[str]]:
    found: list[str] = []
    handler = logger.add(lambda m: found.append(m.record["message"]), level=level)
    yield found
    logger.remove(handler)


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    """The messages logged at warning level (or above) during the test."""
    yield from _logged("WARNING")


@pytest.fixture
def infos() -> Iterator[list[str]]:
    """The messages logged at info level (or above) during the test."""
    yield from _logged("INFO")
