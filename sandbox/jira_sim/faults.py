"""The burst limiter, failing and malformed paths, and random faults (429/5xx/timeout).

Randomness comes from a dedicated RNG seeded with ``fault_seed`` (default: ``seed``), so a
fault drill replays identically for the same request sequence.
"""

from __future__ import annotations

import math
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Final, Literal

from starlette.responses import Response

from .catalog import fmt_jira_dt
from .config import SimConfig
from .web import error_body, json_response

RATE_LIMITED: Final = "Rate limit exceeded."
Action = Literal["timeout", "malformed"]
SERVER_ERRORS: Final = {
    500: "Internal server error (simulated).",
    502: "Bad gateway (simulated).",
    503: "Service unavailable (simulated).",
}


def retry_after(config: SimConfig, now: datetime, seconds: int) -> str:
    """`Retry-After` for a wait of `seconds`: delay-seconds, or (`retry_after_http_date`) the
    HTTP date that far past Jira's `now`, which RFC 9110 §10.2.3 allows too."""
    if config.retry_after_http_date:
        return format_datetime(now + timedelta(seconds=seconds), usegmt=True)
    return str(seconds)


class TokenBucket:
    """``rate`` tokens per second, burst capacity ``rate``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Fault:
    """Either an immediate response or an action applied around the handler."""

    kind: str
    response: Response | None = None
    action: Action | None = None


class FaultEngine:
    def __init__(self, config: SimConfig) -> None:
        self.rng = random.Random(config.effective_fault_seed)
        self.buckets: dict[str, TokenBucket] = {}

    def reconfigure(self, old: SimConfig, new: SimConfig) -> None:
        if old.effective_fault_seed != new.effective_fault_seed:
            self.rng = random.Random(new.effective_fault_seed)

    def check(
        self, config: SimConfig, endpoint: str, path: str, now: datetime | None = None
    ) -> Fault | None:
        """Burst, fail_paths, malformed_paths, then one random draw (429 / 5xx / timeout).
        `now` is Jira's clock (its `Retry-After` dates and `X-RateLimit-Reset` count from it)."""
        now = now or datetime.now(UTC)
        if config.burst_limit_rps > 0:
            bucket = self.buckets.get(endpoint)
            if bucket is None or bucket.rate != config.burst_limit_rps:
                bucket = self.buckets[endpoint] = TokenBucket(config.burst_limit_rps)
            if not bucket.take():
                return Fault("burst", self._burst_429(config, now, with_retry_after=True))
        if any(re.search(pattern, path) for pattern in config.fail_paths):
            return Fault("fail_path", json_response(error_body(SERVER_ERRORS[500]), "", 500))
        if any(re.search(pattern, path) for pattern in config.malformed_paths):
            return Fault("malformed", action="malformed")
        total = config.rate_429 + config.rate_5xx + config.rate_timeout
        if total <= 0:
            return None
        roll = self.rng.random()
        if roll < config.rate_429:
            variant = self.rng.random()
            if variant < 0.5:
                return Fault("429", self._burst_429(config, now, with_retry_after=True))
            if variant < 0.75:
                return Fault(
                    "429_no_retry_after", self._burst_429(config, now, with_retry_after=False)
                )
            return Fault("429_bare", json_response(error_body(RATE_LIMITED), "", 429))
        roll -= config.rate_429
        if roll < config.rate_5xx:
            status = self.rng.choice((500, 502, 503))
            wait = {"Retry-After": retry_after(config, now, 1)} if status == 503 else None
            body = error_body(SERVER_ERRORS[status])
            return Fault(str(status), json_response(body, "", status, wait))
        roll -= config.rate_5xx
        if roll < config.rate_timeout:
            return Fault("timeout", action="timeout")
        return None

    def _burst_429(self, config: SimConfig, now: datetime, *, with_retry_after: bool) -> Response:
        limit = math.ceil(config.burst_limit_rps) if config.burst_limit_rps > 0 else 100
        reset = now + timedelta(seconds=1)
        headers = {
            "RateLimit-Reason": "jira-burst-based",
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": fmt_jira_dt(reset, "Z"),
        }
        if with_retry_after:
            headers["Retry-After"] = retry_after(config, now, 1)
        return json_response(error_body(RATE_LIMITED), "", 429, headers)
