"""Plain data records of the simulated catalog, and time helpers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Port's identifier pattern (entities and blueprints): letters, digits and @_.+:\/=- ;
# "." and ".." alone are refused.
IDENTIFIER_RE = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9@_.+:\\/=-]+$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

META_FIELDS = ("createdAt", "createdBy", "updatedAt", "updatedBy")


def iso(moment: datetime) -> str:
    """Port's timestamp format: UTC, millisecond precision, ``Z`` suffix."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: Any) -> datetime | None:
    """Parse an ISO 8601 timestamp (``Z`` or an offset; naive means UTC); None if it is not one."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python < 3.11 style offsets without colon ("+0000") are accepted by fromisoformat in 3.12.
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass
class EntityRecord:
    """One entity as the simulator stores it (Port's shape plus the owning datasource)."""

    identifier: str
    blueprint: str
    title: str | None = None
    icon: str | None = None
    team: list[Any] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    relations: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    created_by: str = ""
    updated_at: str = ""
    updated_by: str = ""
    datasource: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.blueprint, self.identifier)

    def content_fingerprint(self) -> str:
        """What decides whether an upsert changed anything."""
        return canonical(
            [
                self.title,
                self.icon,
                self.team,
                self.properties,
                self.relations,
                self.datasource,
            ]
        )

    def to_api(self) -> dict[str, Any]:
        """The entity as Port's API returns it (no datasource, no calculated values)."""
        out: dict[str, Any] = {
            "identifier": self.identifier,
            "title": self.title,
            "blueprint": self.blueprint,
            "team": list(self.team),
            "properties": dict(self.properties),
            "relations": dict(self.relations),
            "createdAt": self.created_at,
            "createdBy": self.created_by,
            "updatedAt": self.updated_at,
            "updatedBy": self.updated_by,
        }
        if self.icon is not None:
            out["icon"] = self.icon
        return out

    def to_dict(self) -> dict[str, Any]:
        out = self.to_api()
        out["icon"] = self.icon
        out["datasource"] = self.datasource
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntityRecord:
        team = data.get("team") or []
        return cls(
            identifier=str(data["identifier"]),
            blueprint=str(data["blueprint"]),
            title=data.get("title"),
            icon=data.get("icon"),
            team=list(team) if isinstance(team, list) else [team],
            properties=dict(data.get("properties") or {}),
            relations=dict(data.get("relations") or {}),
            created_at=str(data.get("createdAt") or ""),
            created_by=str(data.get("createdBy") or ""),
            updated_at=str(data.get("updatedAt") or ""),
            updated_by=str(data.get("updatedBy") or ""),
            datasource=data.get("datasource"),
        )
