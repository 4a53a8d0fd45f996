"""An entity as the simulator stores it, Port's error answers and Port's time format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Port's identifier pattern (entities and blueprints); "." and ".." alone are refused.
IDENTIFIER_RE = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9@_.+:\\/=-]+$")


class PortError(Exception):
    """An error answered the way Port does: ``{"ok": false, "error": ..., "message": ...}``."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, "message": self.message}


def not_found(message: str) -> PortError:
    return PortError(404, "not_found", message)


def invalid(message: str) -> PortError:
    return PortError(422, "invalid_request", message)


def iso(moment: datetime) -> str:
    """Port's timestamp format: UTC, millisecond precision, ``Z`` suffix."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (``Z``, an offset, or naive = UTC); None if it is not one."""
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class EntityRecord:
    """One entity (Port's shape), when it last changed and the datasource that wrote it."""

    identifier: str
    blueprint: str
    updated_at: datetime
    datasource: str
    title: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    relations: dict[str, Any] = field(default_factory=dict)

    def content(self) -> tuple[Any, ...]:
        """What decides whether an upsert changed anything."""
        return (self.title, self.properties, self.relations, self.datasource)

    def to_api(self) -> dict[str, Any]:
        """The entity as Port's API returns it."""
        return {
            "identifier": self.identifier,
            "title": self.title,
            "blueprint": self.blueprint,
            "properties": dict(self.properties),
            "relations": dict(self.relations),
            "updatedAt": iso(self.updated_at),
        }
