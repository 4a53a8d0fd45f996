"""What the sandbox tests share besides fixtures: Port test blueprints, Ocean's writer, a clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

OCEAN_UA = "port-ocean/jira/0.1.0/my-jira/exporter"
UPSERT = "upsert=true&merge=true&create_missing_related_entities=false"
PROJECT_BP: dict[str, Any] = {
    "identifier": "jiraProject",
    "title": "Jira Project",
    "schema": {"properties": {"url": {"type": "string", "format": "url"}}, "required": []},
}
ISSUE_BP: dict[str, Any] = {
    "identifier": "jiraIssue",
    "title": "Jira Issue",
    "schema": {
        "properties": {
            "status": {"type": "string"},
            "storyPoints": {"type": "number"},
            "labels": {"type": "array"},
        },
        "required": [],
    },
    "relations": {
        "project": {"title": "Project", "target": "jiraProject", "required": False, "many": False},
        "epics": {"title": "Epics", "target": "jiraIssue", "required": False, "many": True},
    },
}
Bulk = Callable[..., Awaitable[httpx.Response]]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1) -> None:
        self.now += timedelta(seconds=seconds)
