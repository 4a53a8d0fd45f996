"""Request counters exposed at ``GET /_sim/stats``."""

from __future__ import annotations

from collections import Counter
from typing import Any


class Stats:
    """Counts every non-``/_sim`` request by route template and by status."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total = 0
        self.by_endpoint: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.by_endpoint_status: Counter[str] = Counter()
        self.issues_returned = 0
        self.items_returned = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.faults: Counter[str] = Counter()

    def begin(self, endpoint: str) -> None:
        self.total += 1
        self.by_endpoint[endpoint] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def end(self, endpoint: str, status: int) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.by_status[str(status)] += 1
        self.by_endpoint_status[f"{endpoint} {status}"] += 1

    def add_items(self, items: int, full_issues: int = 0) -> None:
        self.items_returned += items
        self.issues_returned += full_issues

    def fault(self, kind: str) -> None:
        self.faults[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_endpoint": dict(self.by_endpoint),
            "by_status": dict(self.by_status),
            "by_endpoint_status": dict(self.by_endpoint_status),
            "issues_returned": self.issues_returned,
            "items_returned": self.items_returned,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "faults": dict(self.faults),
        }
