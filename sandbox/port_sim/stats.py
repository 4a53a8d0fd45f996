"""Request statistics and a bounded log of recent requests."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any


class RequestStats:
    def __init__(self, recent_size: int = 1000) -> None:
        self.total = 0
        self.by_endpoint: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.unmatched: Counter[str] = Counter()
        self.faults_injected = 0
        self.recent: deque[dict[str, Any]] = deque(maxlen=recent_size)

    def record(
        self,
        *,
        endpoint: str,
        method: str,
        path: str,
        status: int,
        elapsed_ms: float,
        matched: bool,
        fault: bool,
    ) -> None:
        self.total += 1
        self.by_endpoint[endpoint] += 1
        self.by_status[str(status)] += 1
        if not matched:
            self.unmatched[f"{method} {path}"] += 1
        if fault:
            self.faults_injected += 1
        self.recent.append(
            {
                "method": method,
                "path": path,
                "endpoint": endpoint,
                "status": status,
                "ms": round(elapsed_ms, 2),
                "fault": fault,
            }
        )

    def reset(self) -> None:
        self.total = 0
        self.by_endpoint.clear()
        self.by_status.clear()
        self.unmatched.clear()
        self.faults_injected = 0
        self.recent.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_endpoint": dict(sorted(self.by_endpoint.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "unmatched": dict(sorted(self.unmatched.items())),
            "faults_injected": self.faults_injected,
        }
