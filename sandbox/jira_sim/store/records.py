"""Records and value helpers of the store: projects, issues, users, ADF text, dates."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

from ..catalog import (
    SENTINEL,
    JsonDict,
    avatar_urls,
    parse_jira_dt,
    user_avatar_urls,
)

ISSUE_EXPAND: Final = (
    "operations,versionedRepresentations,editmeta,changelog,"
    "customfield_10010.requestTypePractice,renderedFields"
)
PROJECT_EXPAND: Final = "description,lead,issueTypes,url,projectKeys,permissions,insight"

_RELATIVE_RE: Final = re.compile(r"^\s*([+-]?)\s*((?:\d+\s*[wdhm]\s*)+)$", re.IGNORECASE)
_RELATIVE_PART_RE: Final = re.compile(r"(\d+)\s*([wdhm])", re.IGNORECASE)
_UNIT_SECONDS: Final = {"w": 604800, "d": 86400, "h": 3600, "m": 60}


class NotFoundError(KeyError):
    """An entity the caller named does not exist."""


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
    """datetime, Jira/ISO string, date string or relative period (``-3d``) -> aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        delta = relative_delta(value)
        if delta is not None:
            return now + delta
        return parse_jira_dt(value)
    raise ValueError(f"not a date: {value!r}")


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


def adf_text(value: Any) -> str:
    """All text nodes of an ADF document (or a plain string) joined by spaces."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text" and isinstance(node.get("text"), str):
                parts.append(node["text"])
            for child in node.get("content", []) or []:
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(value)
    return " ".join(parts)


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


def make_user(
    account_id: str,
    display_name: str,
    *,
    email: str | None = None,
    active: bool = True,
    account_type: str = "atlassian",
    time_zone: str = "UTC",
    locale: str = "en_US",
) -> JsonDict:
    initials = "".join(p[0] for p in display_name.split()[:2]).upper() or "U"
    user: JsonDict = {
        "self": f"{SENTINEL}/rest/api/3/user?accountId={quote(account_id, safe='')}",
        "accountId": account_id,
        "accountType": account_type,
    }
    if email:
        user["emailAddress"] = email
    user["avatarUrls"] = user_avatar_urls(uuid.uuid5(uuid.NAMESPACE_URL, account_id).hex, initials)
    user["displayName"] = display_name
    user["active"] = active
    user["timeZone"] = time_zone
    user["locale"] = locale
    return user


def user_ref(user: JsonDict) -> JsonDict:
    """A user as embedded in issues (no locale), like the docs' example issue."""
    return {k: v for k, v in user.items() if k != "locale"}


@dataclass
class ProjectRecord:
    id: int
    key: str
    name: str
    project_type: str = "software"
    style: str = "next-gen"
    simplified: bool = True
    is_private: bool = False
    uuid: str = ""
    description: str = ""
    lead: str | None = None
    avatar_id: int = 10413
    board_id: int = 0
    components: list[JsonDict] = field(default_factory=list)
    versions: list[JsonDict] = field(default_factory=list)
    archived: bool = False

    def json(self) -> JsonDict:
        """The shape of ``GET /project/search`` values."""
        return {
            "expand": PROJECT_EXPAND,
            "self": f"{SENTINEL}/rest/api/3/project/{self.id}",
            "id": str(self.id),
            "key": self.key,
            "name": self.name,
            "avatarUrls": avatar_urls("project", self.avatar_id),
            "projectTypeKey": self.project_type,
            "simplified": self.simplified,
            "style": self.style,
            "isPrivate": self.is_private,
            "properties": {},
            "entityId": self.uuid,
            "uuid": self.uuid,
        }

    def ref(self) -> JsonDict:
        """A project as embedded in issues."""
        return {
            "self": f"{SENTINEL}/rest/api/3/project/{self.id}",
            "id": str(self.id),
            "key": self.key,
            "name": self.name,
            "projectTypeKey": self.project_type,
            "simplified": self.simplified,
            "avatarUrls": avatar_urls("project", self.avatar_id),
        }


@dataclass
class IssueRecord:
    id: int
    key: str
    project_key: str
    number: int
    fields: JsonDict
    indexed: bool = True
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
        parsed = (
            parse_jira_dt(raw) if "T" in raw else datetime.fromisoformat(raw).replace(tzinfo=UTC)
        )
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
