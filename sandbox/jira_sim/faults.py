"""Latency, the burst limiter, failing and malformed paths, and random faults (429/5xx/timeout).

Randomness comes from a dedicated RNG seeded with ``fault_seed`` (default: ``seed``), so a
fault drill replays identically for the same request sequence.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from starlette.responses import Response

from .config import SimConfig
from .web import error_body, json_response

RATE_LIMITED: Final = "Rate limit exceeded."
Action = Literal["timeout", "malformed"]


def iso_z(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


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

    @property
    def remaining(self) -> int:
        return int(self.tokens)


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
        self._compiled: dict[str, tuple[list[str], list[re.Pattern[str]]]] = {}

    def reconfigure(self, old: SimConfig, new: SimConfig) -> None:
        if old.effective_fault_seed != new.effective_fault_seed:
            self.rng = random.Random(new.effective_fault_seed)
        if old.burst_limit_rps != new.burst_limit_rps:
            self.buckets.clear()

    async def latency(self, config: SimConfig) -> None:
        if config.latency_ms > 0:
            await asyncio.sleep(config.latency_ms / 1000)

    async def item_delay(self, config: SimConfig, full_issues: int) -> None:
        if config.per_item_ms > 0 and full_issues > 0:
            await asyncio.sleep(config.per_item_ms * full_issues / 1000)

    def _patterns(self, config: SimConfig, knob: str = "fail_paths") -> list[re.Pattern[str]]:
        sources: list[str] = getattr(config, knob)
        cached = self._compiled.get(knob)
        if cached is None or cached[0] != sources:
            cached = self._compiled[knob] = (list(sources), [re.compile(p) for p in sources])
        return cached[1]

    def burst_headers(self, config: SimConfig, endpoint: str) -> dict[str, str]:
        """Informational headers on responses that passed the burst limiter."""
        if config.burst_limit_rps <= 0:
            return {}
        bucket = self.buckets.get(endpoint)
        remaining = bucket.remaining if bucket else int(config.burst_limit_rps)
        headers = {
            "X-RateLimit-Limit": str(math.ceil(config.burst_limit_rps)),
            "X-RateLimit-Remaining": str(remaining),
        }
        return headers

    def check(
        self, config: SimConfig, endpoint: str, path: str, raw_path: str = ""
    ) -> Fault | None:
        """Burst, fail_paths, malformed_paths, then one random draw (429 / 5xx / timeout)."""
        if config.burst_limit_rps > 0:
            bucket = self.buckets.get(endpoint)
            if bucket is None or bucket.rate != config.burst_limit_rps:
                bucket = self.buckets[endpoint] = TokenBucket(config.burst_limit_rps)
            if not bucket.take():
                return Fault("burst", self._burst_429(config, with_retry_after=True))
        for pattern in self._patterns(config):
            if pattern.search(path) or (raw_path and pattern.search(raw_path)):
                return Fault(
                    "fail_path",
                    json_response(error_body("Internal server error (simulated)."), "", 500),
                )
        for pattern in self._patterns(config, "malformed_paths"):
            if pattern.search(path) or (raw_path and pattern.search(raw_path)):
                return Fault("malformed", action="malformed")
        total = config.rate_429 + config.rate_5xx + config.rate_timeout
        if total <= 0:
            return None
        roll = self.rng.random()
        if roll < config.rate_429:
            variant = self.rng.random()
            if variant < 0.5:
                return Fault("429", self._burst_429(config, with_retry_after=True))
            if variant < 0.75:
                return Fault("429_no_retry_after", self._burst_429(config, with_retry_after=False))
            return Fault("429_bare", json_response(error_body(RATE_LIMITED), "", 429))
        roll -= config.rate_429
        if roll < config.rate_5xx:
            status = self.rng.choice((500, 502, 503))
            retry_after = {"Retry-After": "1"} if status == 503 else None
            message = {
                500: "Internal server error (simulated).",
                502: "Bad gateway (simulated).",
                503: "Service unavailable (simulated).",
            }[status]
            return Fault(str(status), json_response(error_body(message), "", status, retry_after))
        roll -= config.rate_5xx
        if roll < config.rate_timeout:
            return Fault("timeout", action="timeout")
        return None

    def _burst_429(self, config: SimConfig, *, with_retry_after: bool) -> Response:
        limit = math.ceil(config.burst_limit_rps) if config.burst_limit_rps > 0 else 100
        reset = datetime.now(UTC) + timedelta(seconds=1)
        headers = {
            "RateLimit-Reason": "jira-burst-based",
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": iso_z(reset.timestamp()),
        }
        if with_retry_after:
            headers["Retry-After"] = "1"
        return json_response(error_body(RATE_LIMITED), "", 429, headers)
