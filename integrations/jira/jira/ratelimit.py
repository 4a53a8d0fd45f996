"""Jira's rate limits: bounded concurrency, backoff, and pauses scoped by `RateLimit-Reason`.

A burst limit (per endpoint and method) slows that endpoint only; a quota limit (hourly points)
pauses every request until the reset. Responses without rate-limit headers still work: a 429
with no `Retry-After` falls back to exponential backoff.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from loguru import logger

from jira.priority import PrioritySlots

# Requests in flight at once: enough to hide Jira's latency in the per-project and per-board
# fan-outs, few enough to stay well under an endpoint's burst limit (the README's benchmark
# figures were measured with it).
DEFAULT_CONCURRENCY = 16
# Bulk reads (reads of many issues at once, seconds each: Cloud's `POST /issue/bulkfetch` of up
# to 1000 issues, Data Center's 1000-issue search pages; `JiraHttp.bulk_at`) have slots of their own:
# a burst limit counts requests a second, and eight of them at once are under three a second,
# while holding eight of the shared slots for seconds would stall the fan-outs' short reads.
# Never more than the shared bound: a user who lowers JIRA_HTTP_MAX_CONCURRENCY lowers both.
BULK_CONCURRENCY = 8

QUOTA_REASONS = ("jira-quota-global-based", "jira-quota-tenant-based", "jira-cost-based")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a request that Jira could not serve."""

    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: tuple[float, float] = (0.7, 1.3)

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (1-based): doubling, capped, with jitter."""
        raw = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        factor: float = random.uniform(*self.jitter)
        return raw * factor


def _jira_now(headers: Mapping[str, str], now: float | None) -> float:
    """Jira's time when it answered: its `Date` header, else this host's clock. Dates Jira
    writes in headers are on its clock, which can run minutes off this host's."""
    value = headers.get("date")
    if value:
        try:
            return parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            pass
    return now if now is not None else time.time()


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """`Retry-After` as seconds (it may be a number or an HTTP date, RFC 7231 §7.1.3); None
    when absent or unreadable. A date counts from Jira's `Date` header when it sent one."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - _jira_now(headers, now))


def reset_in_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """`X-RateLimit-Reset` (ISO 8601) as seconds from Jira's `Date` (or this host's now)."""
    value = headers.get("x-ratelimit-reset")
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - _jira_now(headers, now))


class RateLimiter:
    """Shared by every request of one Jira client."""

    def __init__(
        self,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        bulk_concurrency: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._slots = PrioritySlots(max_concurrency)
        self._bulk_slots = PrioritySlots(
            min(BULK_CONCURRENCY, max_concurrency) if bulk_concurrency is None else bulk_concurrency
        )
        self.concurrency = max_concurrency
        self._clock = clock
        self._sleep = sleep
        self._endpoint_until: dict[str, float] = {}
        self._global_until = 0.0
        self._near_limit_warned = False

    def _wait_for(self, endpoint: str) -> float:
        until = max(self._global_until, self._endpoint_until.get(endpoint, 0.0))
        return until - self._clock()

    @asynccontextmanager
    async def slot(self, endpoint: str, bulk: bool = False) -> AsyncIterator[None]:
        """Waits out any pause that covers `endpoint`, then holds one concurrency slot, a bulk
        read's own or a shared one (the request of the resource Ocean reaches first gets the
        next free one: jira.priority)."""
        while (wait := self._wait_for(endpoint)) > 0:
            await self._sleep(wait)
        slots = self._bulk_slots if bulk else self._slots
        async with slots.slot():
            yield

    def on_throttled(self, endpoint: str, headers: Mapping[str, str], fallback: float) -> float:
        """Records a 429 and returns how long this request should wait before retrying."""
        reason = headers.get("ratelimit-reason", "unspecified")
        retry_after = retry_after_seconds(headers)
        wait = retry_after if retry_after is not None else fallback
        if reason in QUOTA_REASONS:
            reset = reset_in_seconds(headers)
            wait = max(wait, reset or 0.0)
            self._global_until = max(self._global_until, self._clock() + wait)
            logger.warning(
                f"Jira's rate-limit quota is exhausted ({reason}); pausing every request for "
                f"{wait:.0f}s until it resets"
            )
        else:
            self._endpoint_until[endpoint] = max(
                self._endpoint_until.get(endpoint, 0.0), self._clock() + wait
            )
        return wait

    def on_response(self, headers: Mapping[str, str]) -> None:
        """Notes `X-RateLimit-NearLimit` once, so a user knows why a sync may slow down."""
        if (
            headers.get("x-ratelimit-nearlimit", "").lower() == "true"
            and not self._near_limit_warned
        ):
            self._near_limit_warned = True
            logger.warning("Jira reports that less than 20% of the rate-limit quota remains")
