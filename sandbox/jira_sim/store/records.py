"""Records and value helpers of the store: projects, issues, users, ADF text, dates."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ..catalog import SENTINEL, JsonDict, avatar_urls, parse_jira_dt

ISSUE_EXPAND: Final = (
    "operations,versionedRepresentations,editmeta,changelog,"
    "customfield_10010.requestTypePractice,renderedFields"
)

_RELATIVE_RE: Final = re.compile(r"^\s*([+-]?)\s*((?:\d+\s*[wdhm]\s*)+)$", re.IGNORECASE)
_RELATIVE_PART_RE: Final = re.compile(r"(\d+)\s*([wdhm])", re.IGNORECASE)
_UNIT_SECONDS: Final = {"w": 604800, "d": 86400, "h": 3600, "m": 60}


class NotFoundError(KeyError):
    """An entity the caller named does not exist."""


def require[T](value: T | None, ref: object) -> T:
    """``value``; :class:`NotFoundError` naming ``ref`` when there is none."""
    if value is None:
        raise NotFoundError(str(ref))
    return value


def relative_delta(text: str) -> timedelta | None:
    """``-1w``, ``-7d``, ``12h``, ``-4w 2d`` -> signed timedelta; None if not a period."""
    match = _RELATIVE_RE.match(text)
    if not match:
        return None
    seconds = sum(
        int(num) * _UNIT_SECONDS[unit.lower()] for num, unit in _RELATIVE_PART_RE.findall(text)
    )
    return timedelta(seconds=-seconds if match.group(1) == "-" else seconds)


def coerce_datetime(value: Any, now: datetime) -> datetime:
    """datetime, Jira/ISO date(-time) string or relative period (``-3d``) -> aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    delta = relative_delta(str(value))
    return now + delta if delta is not None else parse_jira_dt(str(value))


def adf(text: str) -> JsonDict:
    """Plain text -> Atlassian Document Format (one paragraph per line)."""
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": line}]}
            for line in text.split("\n")
            if line
        ],
    }


def duration_text(seconds: int) -> str:
    """Jira's worklog ``timeSpent``: ``1w 2d 3h 20m`` (8h days, 5d weeks)."""
    parts = []
    minutes = seconds // 60
    for unit, size in (("w", 5 * 8 * 60), ("d", 8 * 60), ("h", 60), ("m", 1)):
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0m"


def rebase(obj: Any, base: str) -> Any:
    """A deep copy of ``obj`` with the sentinel base URL replaced by ``base``."""
    return json.loads(json.dumps(obj).replace(SENTINEL, base.rstrip("/")))


def user_ref(user: JsonDict) -> JsonDict:
    """A user as embedded in issues (no locale), like the docs' example issue."""
    return {k: v for k, v in user.items() if k != "locale"}


@dataclass
class ProjectRecord:
    id: int
    key: str
    name: str
    style: str = "next-gen"
    lead: str | None = None
    avatar_id: int = 10413
    board_id: int = 0
    components: list[JsonDict] = field(default_factory=list)
    versions: list[JsonDict] = field(default_factory=list)
    archived: bool = False

    def ref(self) -> JsonDict:
        """A project as embedded in issues."""
        return {
            "self": f"{SENTINEL}/rest/api/3/project/{self.id}",
            "id": str(self.id),
            "key": self.key,
            "name": self.name,
            "avatarUrls": avatar_urls("project", self.avatar_id),
        }

    def json(self) -> JsonDict:
        """The shape of ``GET /project/search`` values (the fields something reads)."""
        return {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            **self.ref(),
            "style": self.style,
        }


@dataclass
class IssueRecord:
    id: int
    key: str
    project_key: str
    number: int
    fields: JsonDict
    changelog: list[JsonDict] = field(default_factory=list)
    _dt_cache: dict[str, tuple[str, datetime]] = field(default_factory=dict, repr=False)

    def dt(self, field_id: str) -> datetime | None:
        """A date/date-time field parsed (cached)."""
        raw = self.fields.get(field_id)
        if not isinstance(raw, str) or not raw:
            return None
        cached = self._dt_cache.get(field_id)
        if cached and cached[0] == raw:
            return cached[1]
        parsed = parse_jira_dt(raw)
        self._dt_cache[field_id] = (raw, parsed)
        return parsed

    def json(self) -> JsonDict:
        return {
            "expand": ISSUE_EXPAND,
            "id": str(self.id),
            "self": f"{SENTINEL}/rest/api/3/issue/{self.id}",
            "key": self.key,
            "fields": self.fields,
        }

    def link(self) -> JsonDict:
        """The small form used by ``parent`` and ``subtasks``."""
        f = self.fields
        return {
            "id": str(self.id),
            "key": self.key,
            "self": f"{SENTINEL}/rest/api/3/issue/{self.id}",
            "fields": {
                "summary": f.get("summary"),
                "status": f.get("status"),
                "priority": f.get("priority"),
                "issuetype": f.get("issuetype"),
            },
        }
