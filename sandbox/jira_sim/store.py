"""The in-memory Jira store: projects, users, teams, sprints, issues, with create/update/delete.

Stored objects are Jira-shaped JSON whose URLs start with :data:`~.catalog.SENTINEL`; the app
swaps in the request's base URL when it serialises a response. Python callers get copies rebased
on :attr:`Dataset.public_base`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, cast
from urllib.parse import quote

from .catalog import (
    NULL_CUSTOM_FIELDS,
    RESOLUTION_DONE,
    SENTINEL,
    JsonDict,
    avatar_urls,
    fmt_iso_z,
    fmt_jira_dt,
    issuetype_object,
    parse_jira_dt,
    priority_object,
    status_object,
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


_TRACKED_FIELDS: Final = (
    "summary",
    "status",
    "assignee",
    "priority",
    "labels",
    "issuetype",
    "description",
    "parent",
    "duedate",
    "components",
    "fixVersions",
)


class Dataset:
    """The mutable store. Every mutation bumps :attr:`version` (search caches key on it)."""

    def __init__(
        self,
        *,
        sprint_field: str = "customfield_10020",
        clock: Callable[[], datetime] | None = None,
        public_base: str = "http://jira-sim.local",
    ) -> None:
        self.sprint_field = sprint_field
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.public_base = public_base
        self.projects: dict[str, ProjectRecord] = {}
        self.users: dict[str, JsonDict] = {}
        self.teams: dict[str, JsonDict] = {}
        self.team_members: dict[str, list[str]] = {}
        self.sprints: dict[int, JsonDict] = {}
        self.issues: dict[int, IssueRecord] = {}
        self.deleted_issues: dict[str, JsonDict] = {}
        self.deleted_users: dict[str, JsonDict] = {}
        self.deleted_projects: dict[str, JsonDict] = {}
        self.version = 0
        self.current_account_id: str | None = None
        self._key_index: dict[str, int] = {}
        self._next_issue_id = 10000
        self._next_project_id = 10000
        self._next_changelog_id = 10000
        self._next_component_id = 10000
        self._next_version_id = 10000
        self._next_sprint_id = 1
        self._project_counters: dict[str, int] = {}
        # Jira Software boards (a scrum board per project, plus any added), worklogs, and the
        # last state of deleted versions, sprints, boards and comments (for delete events).
        self.boards: dict[int, JsonDict] = {}
        self.worklogs: dict[int, JsonDict] = {}
        self.worklog_times: dict[int, int] = {}  # id -> updated, epoch ms (unique)
        self.deleted_worklogs: dict[int, tuple[int, JsonDict]] = {}  # id -> (deleted ms, last)
        self.component_leads: dict[str, str] = {}  # component id -> accountId
        self.tombstones: dict[str, dict[str, JsonDict]] = {
            "version": {},
            "sprint": {},
            "board": {},
            "comment": {},
        }
        self._next_worklog_id = 10000
        self._worklog_stamps: set[int] = set()

    # ------------------------------------------------------------------ helpers
    def now(self) -> datetime:
        return self.clock()

    def _touch(self) -> None:
        self.version += 1

    def public(self, obj: JsonDict) -> JsonDict:
        """A copy of ``obj`` with URLs on :attr:`public_base`."""
        return cast(JsonDict, rebase(obj, self.public_base))

    # ------------------------------------------------------------------ lookups
    def get_project(self, id_or_key: str | int) -> ProjectRecord | None:
        text = str(id_or_key).strip()
        if text.isdigit():
            for project in self.projects.values():
                if project.id == int(text):
                    return project
        return self.projects.get(text.upper())

    def get_user(self, account_id: str) -> JsonDict | None:
        return self.users.get(account_id)

    def get_issue(self, id_or_key: str | int) -> IssueRecord | None:
        text = str(id_or_key).strip()
        if text.isdigit():
            return self.issues.get(int(text))
        issue_id = self._key_index.get(text.upper())
        return self.issues.get(issue_id) if issue_id is not None else None

    def iter_issues(self) -> Iterator[IssueRecord]:
        return iter(self.issues.values())

    def find_user(self, ref: str) -> JsonDict | None:
        """By accountId, email or display name (case-insensitive)."""
        if ref in self.users:
            return self.users[ref]
        low = ref.lower()
        for user in self.users.values():
            if str(user.get("emailAddress", "")).lower() == low:
                return user
            if str(user.get("displayName", "")).lower() == low:
                return user
        return None

    def find_sprints(self, ref: str) -> list[JsonDict]:
        text = ref.strip()
        if text.isdigit() and int(text) in self.sprints:
            return [self.sprints[int(text)]]
        return [s for s in self.sprints.values() if str(s["name"]).lower() == text.lower()]

    def project_issue_stats(self, project_key: str) -> tuple[int, datetime | None]:
        count = 0
        last: datetime | None = None
        for rec in self.issues.values():
            if rec.project_key == project_key:
                count += 1
                upd = rec.dt("updated")
                if upd and (last is None or upd > last):
                    last = upd
        return count, last

    # ------------------------------------------------------------------ users
    def create_user(
        self,
        display_name: str | None = None,
        *,
        account_id: str | None = None,
        email: str | None = None,
        active: bool = True,
        account_type: str = "atlassian",
        time_zone: str = "UTC",
        **extra: Any,
    ) -> JsonDict:
        display_name = display_name or extra.pop("displayName", None) or "New User"
        email = email or extra.pop("emailAddress", None)
        account_id = account_id or extra.pop("accountId", None) or f"712020:{uuid.uuid4()}"
        account_type = extra.pop("accountType", account_type)
        time_zone = extra.pop("timeZone", time_zone)
        if account_id in self.users:
            raise ValueError(f"user {account_id} already exists")
        user = make_user(
            account_id,
            display_name,
            email=email,
            active=bool(extra.pop("active", active)),
            account_type=account_type,
            time_zone=time_zone,
        )
        user.update(extra)
        self.users[account_id] = user
        self.deleted_users.pop(account_id, None)
        self._touch()
        return self.public(user)

    def update_user(self, account_id: str, fields: dict[str, Any]) -> JsonDict:
        user = self.users.get(account_id)
        if user is None:
            raise NotFoundError(account_id)
        new = dict(user)
        for k, v in fields.items():
            if k in ("accountId", "self"):
                continue
            if k == "emailAddress" and v is None:
                new.pop("emailAddress", None)
            else:
                new[k] = v
        self.users[account_id] = new
        ref = user_ref(new)
        for rec in self.issues.values():
            for role in ("assignee", "reporter", "creator"):
                cur = rec.fields.get(role)
                if isinstance(cur, dict) and cur.get("accountId") == account_id:
                    rec.fields[role] = ref
        self._touch()
        return self.public(new)

    def delete_user(self, account_id: str) -> JsonDict:
        user = self.users.pop(account_id, None)
        if user is None:
            raise NotFoundError(account_id)
        for members in self.team_members.values():
            if account_id in members:
                members.remove(account_id)
        self.deleted_users[account_id] = user
        self._touch()
        return self.public(user)

    # ------------------------------------------------------------------ teams
    def create_team(
        self,
        display_name: str,
        *,
        team_id: str | None = None,
        description: str = "",
        members: Iterable[str] = (),
        org_id: str = "sandbox-org",
    ) -> JsonDict:
        team_id = team_id or str(uuid.uuid4())
        team = {
            "teamId": team_id,
            "displayName": display_name,
            "description": description,
            "state": "ACTIVE",
            "teamType": "OPEN",
            "organizationId": org_id,
            "creatorId": self.current_account_id,
        }
        self.teams[team_id] = team
        self.team_members[team_id] = [m for m in members if m in self.users]
        self._touch()
        return dict(team)

    # ------------------------------------------------------------------ projects
    def create_project(
        self,
        key: str,
        name: str | None = None,
        *,
        project_id: int | None = None,
        project_type: str = "software",
        style: str = "next-gen",
        description: str = "",
        lead: str | None = None,
        components: Iterable[str | JsonDict] = (),
        versions: Iterable[str | JsonDict] = (),
        **extra: Any,
    ) -> JsonDict:
        key = key.upper()
        if key in self.projects:
            raise ValueError(f"project {key} already exists")
        if project_id is None:
            project_id = int(extra.pop("id", 0)) or self._next_project_id
        self._next_project_id = max(self._next_project_id, project_id + 1)
        project_type = extra.pop("projectTypeKey", project_type)
        style = extra.pop("style", style) if project_type == "software" else "classic"
        rec = ProjectRecord(
            id=project_id,
            key=key,
            name=name or extra.pop("name", None) or key,
            project_type=project_type,
            style=style,
            simplified=bool(extra.pop("simplified", style == "next-gen")),
            is_private=bool(extra.pop("isPrivate", False)),
            uuid=str(extra.pop("uuid", None) or uuid.uuid5(uuid.NAMESPACE_DNS, f"project-{key}")),
            description=description,
            lead=lead or self.current_account_id,
            avatar_id=10400 + len(self.projects) + 13,
            board_id=int(extra.pop("boardId", 0)) or len(self.projects) + 1,
        )
        self.projects[key] = rec
        self._project_counters.setdefault(key, 0)
        if rec.board_id not in self.boards:
            self.boards[rec.board_id] = {
                "id": rec.board_id,
                "name": f"{rec.key} board",
                "type": "scrum",
                "projects": [rec.key],
                "sharedSprints": [],
                "backlog": True,
            }
        for comp in components:
            self.add_component(key, comp)
        for ver in versions:
            self.add_version(key, ver)
        self.deleted_projects.pop(key, None)
        self._touch()
        return self.public(self.project_json(rec))

    def add_component(self, project_key: str, comp: str | JsonDict) -> JsonDict:
        rec = self.projects[project_key.upper()]
        name = comp if isinstance(comp, str) else str(comp.get("name"))
        for existing in rec.components:
            if existing["name"].lower() == name.lower():
                return existing
        cid = int(comp.get("id", 0)) if isinstance(comp, dict) and comp.get("id") else 0
        cid = cid or self._next_component_id
        self._next_component_id = max(self._next_component_id, cid + 1)
        obj = {"self": f"{SENTINEL}/rest/api/3/component/{cid}", "id": str(cid), "name": name}
        rec.components.append(obj)
        return obj

    def add_version(self, project_key: str, ver: str | JsonDict) -> JsonDict:
        rec = self.projects[project_key.upper()]
        data: JsonDict = {"name": ver} if isinstance(ver, str) else dict(ver)
        name = str(data["name"])
        for existing in rec.versions:
            if existing["name"].lower() == name.lower():
                return existing
        vid = int(data.get("id", 0)) or self._next_version_id
        self._next_version_id = max(self._next_version_id, vid + 1)
        obj: JsonDict = {
            "self": f"{SENTINEL}/rest/api/3/version/{vid}",
            "id": str(vid),
            "name": name,
            "archived": bool(data.get("archived", False)),
            "released": bool(data.get("released", False)),
        }
        if data.get("releaseDate"):
            obj["releaseDate"] = data["releaseDate"]
        rec.versions.append(obj)
        return obj

    def project_json(self, rec: ProjectRecord, *, full: bool = False) -> JsonDict:
        out = rec.json()
        if full:
            out["description"] = rec.description
            lead = self.users.get(rec.lead or "")
            if lead:
                out["lead"] = {
                    k: v for k, v in user_ref(lead).items() if k not in ("emailAddress", "timeZone")
                }
            out["components"] = rec.components
            out["versions"] = rec.versions
            out["issueTypes"] = [
                issuetype_object(n) for n in ("Task", "Bug", "Story", "Epic", "Sub-task")
            ]
            out["assigneeType"] = "UNASSIGNED"
            out["roles"] = {}
            out["archived"] = rec.archived
        return out

    def update_project(self, key: str, fields: dict[str, Any]) -> JsonDict:
        rec = self.get_project(key)
        if rec is None:
            raise NotFoundError(key)
        for k, v in fields.items():
            if k == "name":
                rec.name = str(v)
            elif k == "description":
                rec.description = str(v)
            elif k in ("lead", "leadAccountId"):
                rec.lead = str(v) if v else None
            elif k in ("projectTypeKey", "project_type"):
                rec.project_type = str(v)
            elif k == "isPrivate":
                rec.is_private = bool(v)
            elif k == "archived":
                rec.archived = bool(v)
            elif k == "components":
                for comp in v:
                    self.add_component(rec.key, comp)
            elif k == "versions":
                for ver in v:
                    self.add_version(rec.key, ver)
            else:
                raise ValueError(f"unsupported project field {k!r}")
        ref = rec.ref()
        for issue in self.issues.values():
            if issue.project_key == rec.key:
                issue.fields["project"] = ref
        self._touch()
        return self.public(self.project_json(rec, full=True))

    def delete_project(self, key: str) -> JsonDict:
        rec = self.get_project(key)
        if rec is None:
            raise NotFoundError(key)
        for issue in [i for i in self.issues.values() if i.project_key == rec.key]:
            if issue.id in self.issues:
                self._remove_issue(issue)
        del self.projects[rec.key]
        for board in list(self.boards.values()):
            if rec.key in board["projects"]:
                board["projects"] = [k for k in board["projects"] if k != rec.key]
                if not board["projects"]:
                    self.delete_board(int(board["id"]))
        data = self.project_json(rec, full=True)
        self.deleted_projects[rec.key] = data
        self._touch()
        return self.public(data)

    # ------------------------------------------------------------------ sprints
    def add_sprint(
        self,
        name: str,
        *,
        state: str,
        board_id: int,
        start: datetime | None = None,
        end: datetime | None = None,
        complete: datetime | None = None,
        goal: str = "",
        sprint_id: int | None = None,
    ) -> JsonDict:
        sid = sprint_id or self._next_sprint_id
        self._next_sprint_id = max(self._next_sprint_id, sid + 1)
        sprint: JsonDict = {
            "id": sid,
            "name": name,
            "state": state,
            "boardId": board_id,
            "goal": goal,
        }
        if start:
            sprint["startDate"] = fmt_iso_z(start)
        if end:
            sprint["endDate"] = fmt_iso_z(end)
        if complete:
            sprint["completeDate"] = fmt_iso_z(complete)
        self.sprints[sid] = sprint
        return sprint

    def _register_sprint(self, data: JsonDict) -> JsonDict:
        sid = int(data["id"])
        if sid not in self.sprints:
            self.sprints[sid] = dict(data)
            self._next_sprint_id = max(self._next_sprint_id, sid + 1)
        return self.sprints[sid]

    # ------------------------------------------------------------------ issues
    def _default_user(self) -> JsonDict | None:
        if self.current_account_id and self.current_account_id in self.users:
            return self.users[self.current_account_id]
        return next(iter(self.users.values()), None)

    def _blank_fields(self, project: ProjectRecord, now: datetime) -> JsonDict:
        stamp = fmt_jira_dt(now)
        reporter = self._default_user()
        ref = user_ref(reporter) if reporter else None
        f: JsonDict = {
            "statuscategorychangedate": stamp,
            "issuetype": issuetype_object("Task"),
            "timespent": None,
            "project": project.ref(),
            "fixVersions": [],
            "aggregatetimespent": None,
            "resolution": None,
            "resolutiondate": None,
            "workratio": -1,
            "watches": {"self": "", "watchCount": 1, "isWatching": True},
            "lastViewed": None,
            "created": stamp,
            self.sprint_field: None,
            "priority": priority_object("Medium"),
            "labels": [],
            "customfield_10018": {
                "hasEpicLinkFieldDependency": False,
                "showField": False,
                "nonEditableReason": {
                    "reason": "PLUGIN_LICENSE_ERROR",
                    "message": "The Parent Link is only available to Jira Premium users.",
                },
            },
            "customfield_10019": "0|hzzzzz:",
            "timeestimate": None,
            "aggregatetimeoriginalestimate": None,
            "versions": [],
            "issuelinks": [],
            "assignee": None,
            "updated": stamp,
            "status": status_object("To Do"),
            "components": [],
            "timeoriginalestimate": None,
            "description": None,
            "security": None,
            "aggregatetimeestimate": None,
            "summary": "",
            "creator": ref,
            "subtasks": [],
            "reporter": ref,
            "aggregateprogress": {"progress": 0, "total": 0},
            "environment": None,
            "duedate": None,
            "progress": {"progress": 0, "total": 0},
            "votes": {"self": "", "votes": 0, "hasVoted": False},
            "comment": {"comments": [], "self": "", "maxResults": 0, "total": 0, "startAt": 0},
            "worklog": {"startAt": 0, "maxResults": 20, "total": 0, "worklogs": []},
            "attachment": [],
            "timetracking": {},
        }
        for cf in NULL_CUSTOM_FIELDS:
            f.setdefault(cf, None)
        return f

    def _user_field(self, value: Any) -> JsonDict | None:
        if value is None or value == "":
            return None
        account_id = value.get("accountId") if isinstance(value, dict) else str(value)
        user = self.users.get(str(account_id)) or self.find_user(str(account_id))
        if user is None:
            if isinstance(value, dict):  # fixture with an unknown user: keep it as given
                return value
            raise ValueError(f"unknown user {value!r}")
        return user_ref(user)

    def _normalize(self, project: ProjectRecord, values: dict[str, Any], now: datetime) -> JsonDict:
        """Simple Python values (names, accountIds, strings) -> Jira-shaped field values."""
        out: JsonDict = {}
        for name, value in values.items():
            if name in ("sprint", "sprints"):
                name = self.sprint_field
            if name in _CATALOG_BUILDERS:
                out[name] = None if value is None else _catalog_value(name, value)
            elif name in ("assignee", "reporter", "creator"):
                out[name] = self._user_field(value)
            elif name in ("description", "environment"):
                out[name] = adf(value) if isinstance(value, str) else value
            elif name in ("created", "updated", "resolutiondate", "statuscategorychangedate"):
                out[name] = None if value is None else fmt_jira_dt(coerce_datetime(value, now))
            elif name == "duedate":
                if isinstance(value, (date, datetime)):
                    value = value.strftime("%Y-%m-%d")
                elif isinstance(value, str) and relative_delta(value) is not None:
                    value = coerce_datetime(value, now).strftime("%Y-%m-%d")
                out[name] = value
            elif name == "labels":
                out[name] = [str(v) for v in (value or [])]
            elif name == "components":
                out[name] = [self.add_component(project.key, c) for c in (value or [])]
            elif name in ("fixVersions", "versions"):
                out[name] = [self.add_version(project.key, v) for v in (value or [])]
            elif name == self.sprint_field:
                out[name] = self._sprint_value(value)
            elif name == "parent":
                out[name] = value  # resolved in _apply_parent
            elif name == "comment" and isinstance(value, list):
                out[name] = self._comments(value, now)
            else:
                out[name] = value
        return out

    def _sprint_value(self, value: Any) -> list[JsonDict] | None:
        if value is None or value == []:
            return None
        items = value if isinstance(value, list) else [value]
        sprints: list[JsonDict] = []
        for item in items:
            if isinstance(item, dict):
                sprints.append(self._register_sprint(item))
            else:
                found = self.find_sprints(str(item))
                if not found:
                    raise ValueError(f"unknown sprint {item!r}")
                sprints.append(found[0])
        return sprints

    def _comments(self, items: list[Any], now: datetime) -> JsonDict:
        comments: list[JsonDict] = []
        for i, item in enumerate(items):
            if isinstance(item, dict) and "body" in item and "id" in item:
                comments.append(item)
                continue
            text = item if isinstance(item, str) else str(item.get("body", ""))
            author = self._default_user()
            stamp = fmt_jira_dt(now)
            cid = self._next_changelog_id + i
            comments.append(
                {
                    "self": "",
                    "id": str(cid),
                    "author": user_ref(author) if author else None,
                    "body": adf(text),
                    "created": stamp,
                    "updated": stamp,
                    "jsdPublic": True,
                }
            )
        self._next_changelog_id += len(items)
        return {
            "comments": comments,
            "self": "",
            "maxResults": len(comments),
            "total": len(comments),
            "startAt": 0,
        }

    def _fix_self_links(self, rec: IssueRecord) -> None:
        base = f"{SENTINEL}/rest/api/3/issue/{rec.id}"
        f = rec.fields
        if isinstance(f.get("watches"), dict):
            f["watches"] = {
                **f["watches"],
                "self": f"{SENTINEL}/rest/api/3/issue/{rec.key}/watchers",
            }
        if isinstance(f.get("votes"), dict):
            f["votes"] = {**f["votes"], "self": f"{SENTINEL}/rest/api/3/issue/{rec.key}/votes"}
        comment = f.get("comment")
        if isinstance(comment, dict):
            comments = [
                {**c, "self": f"{base}/comment/{c.get('id')}"} for c in comment.get("comments", [])
            ]
            f["comment"] = {**comment, "comments": comments, "self": f"{base}/comment"}

    def _apply_parent(self, rec: IssueRecord, parent_value: Any) -> None:
        old = rec.fields.get("parent")
        old_parent = self.get_issue(old["id"]) if isinstance(old, dict) and old.get("id") else None
        new_parent: IssueRecord | None = None
        if parent_value not in (None, ""):
            ref = (
                parent_value.get("key") or parent_value.get("id")
                if isinstance(parent_value, dict)
                else parent_value
            )
            new_parent = self.get_issue(str(ref))
            if new_parent is None:
                raise ValueError(f"unknown parent issue {parent_value!r}")
            if new_parent.id == rec.id:
                raise ValueError("an issue cannot be its own parent")
        if old_parent is not None and (new_parent is None or new_parent.id != old_parent.id):
            old_parent.fields["subtasks"] = [
                s for s in old_parent.fields.get("subtasks", []) if s["id"] != str(rec.id)
            ]
        if new_parent is None:
            rec.fields["parent"] = None
            rec.fields.pop("parent", None)
            return
        rec.fields["parent"] = new_parent.link()
        self._refresh_subtask_entry(rec)

    def _refresh_subtask_entry(self, rec: IssueRecord) -> None:
        parent = rec.fields.get("parent")
        if not isinstance(parent, dict) or not rec.fields["issuetype"].get("subtask"):
            return
        parent_rec = self.get_issue(parent["id"])
        if parent_rec is None:
            return
        subtasks = [s for s in parent_rec.fields.get("subtasks", []) if s["id"] != str(rec.id)]
        subtasks.append(rec.link())
        subtasks.sort(key=lambda s: int(s["id"]))
        parent_rec.fields["subtasks"] = subtasks

    def _refresh_children(self, rec: IssueRecord) -> None:
        for other in self.issues.values():
            parent = other.fields.get("parent")
            if isinstance(parent, dict) and parent.get("id") == str(rec.id):
                other.fields["parent"] = rec.link()

    def create_issue(
        self,
        project_key: str,
        *,
        indexed: bool = True,
        issue_id: int | None = None,
        number: int | None = None,
        changelog: list[JsonDict] | None = None,
        **fields: Any,
    ) -> JsonDict:
        """Create an issue from simple values; returns the issue (Jira shape, public base)."""
        rec = self.create_issue_record(
            project_key,
            fields,
            indexed=indexed,
            issue_id=issue_id,
            number=number,
            changelog=changelog,
        )
        return self.public(rec.json())

    def create_issue_record(
        self,
        project_key: str,
        fields: dict[str, Any],
        *,
        indexed: bool = True,
        issue_id: int | None = None,
        number: int | None = None,
        changelog: list[JsonDict] | None = None,
    ) -> IssueRecord:
        project = self.get_project(project_key)
        if project is None:
            raise NotFoundError(project_key)
        now = self.now()
        values = dict(fields)
        parent_value = values.pop("parent", None)
        normalized = self._normalize(project, values, now)
        merged = self._blank_fields(project, now)
        merged.update(normalized)
        if "updated" not in normalized and "created" in normalized:
            merged["updated"] = merged["created"]
        if "statuscategorychangedate" not in normalized:
            merged["statuscategorychangedate"] = merged["updated"]
        if merged["status"]["statusCategory"]["key"] == "done":
            if "resolution" not in normalized:
                merged["resolution"] = RESOLUTION_DONE
            if "resolutiondate" not in normalized:
                merged["resolutiondate"] = merged["updated"]
        if issue_id is None:
            issue_id = self._next_issue_id
        if issue_id in self.issues:
            raise ValueError(f"issue id {issue_id} already exists")
        self._next_issue_id = max(self._next_issue_id, issue_id + 1)
        if number is None:
            number = self._project_counters.get(project.key, 0) + 1
        self._project_counters[project.key] = max(
            self._project_counters.get(project.key, 0), number
        )
        key = f"{project.key}-{number}"
        if key.upper() in self._key_index:
            raise ValueError(f"issue key {key} already exists")
        rec = IssueRecord(
            id=issue_id,
            key=key,
            project_key=project.key,
            number=number,
            fields=merged,
            indexed=indexed,
            changelog=list(changelog or []),
        )
        self.issues[issue_id] = rec
        self._key_index[key.upper()] = issue_id
        self._fix_self_links(rec)
        self._apply_parent(rec, parent_value)
        self.deleted_issues.pop(key, None)
        self._touch()
        return rec

    def update_issue(
        self,
        key: str,
        fields: dict[str, Any],
        *,
        indexed: bool | None = None,
        author: str | None = None,
    ) -> JsonDict:
        """Update fields (simple values accepted); records a changelog and bumps ``updated``."""
        rec = self.get_issue(key)
        if rec is None:
            raise NotFoundError(key)
        project = self.projects[rec.project_key]
        now = self.now()
        values = dict(fields)
        has_parent = "parent" in values
        parent_value = values.pop("parent", None)
        normalized = self._normalize(project, values, now)
        before = {name: rec.fields.get(name) for name in _TRACKED_FIELDS}
        old_cat = rec.fields["status"]["statusCategory"]["key"]
        rec.fields.update(normalized)
        if has_parent:
            self._apply_parent(rec, parent_value)
        new_cat = rec.fields["status"]["statusCategory"]["key"]
        stamp = fmt_jira_dt(now)
        if "updated" not in normalized:
            rec.fields["updated"] = stamp
        if new_cat != old_cat and "statuscategorychangedate" not in normalized:
            rec.fields["statuscategorychangedate"] = stamp
        if new_cat == "done" and old_cat != "done":
            if rec.fields.get("resolution") is None:
                rec.fields["resolution"] = RESOLUTION_DONE
            if "resolutiondate" not in normalized:
                rec.fields["resolutiondate"] = stamp
        elif new_cat != "done" and old_cat == "done":
            rec.fields["resolution"] = None
            rec.fields["resolutiondate"] = None
        if indexed is not None:
            rec.indexed = indexed
        items = [
            _change_item(name, before[name], rec.fields.get(name))
            for name in _TRACKED_FIELDS
            if before[name] != rec.fields.get(name)
        ]
        if items:
            author_user = self.users.get(author or "") or self._default_user()
            rec.changelog.append(
                {
                    "id": str(self._next_changelog_id),
                    "author": user_ref(author_user) if author_user else None,
                    "created": stamp,
                    "items": items,
                }
            )
            self._next_changelog_id += 1
        self._fix_self_links(rec)
        self._refresh_children(rec)
        self._refresh_subtask_entry(rec)
        self._touch()
        return self.public(rec.json())

    def set_indexed(self, key: str, indexed: bool) -> None:
        rec = self.get_issue(key)
        if rec is None:
            raise NotFoundError(key)
        rec.indexed = indexed
        self._touch()

    def _remove_issue(self, rec: IssueRecord) -> None:
        for child in [
            o
            for o in self.issues.values()
            if isinstance(o.fields.get("parent"), dict)
            and o.fields["parent"].get("id") == str(rec.id)
        ]:
            if child.fields["issuetype"].get("subtask"):
                self._remove_issue(child)
            else:
                child.fields.pop("parent", None)
        self._apply_parent(rec, None)
        for worklog_id in [w for w, wl in self.worklogs.items() if wl["issueId"] == str(rec.id)]:
            self._drop_worklog(worklog_id)
        del self.issues[rec.id]
        self._key_index.pop(rec.key.upper(), None)
        self.deleted_issues[rec.key] = rec.json()

    def delete_issue(self, key: str) -> JsonDict:
        """Delete an issue (and its sub-tasks); returns the last known issue."""
        rec = self.get_issue(key)
        if rec is None:
            raise NotFoundError(key)
        data = rec.json()
        self._remove_issue(rec)
        self._touch()
        return self.public(data)

    # ------------------------------------------------------------------ boards (Jira Software)
    def add_board(
        self,
        name: str,
        *,
        board_type: str,
        projects: Iterable[str],
        board_id: int | None = None,
        shared_sprints: Iterable[int] = (),
        backlog: bool = True,
    ) -> JsonDict:
        bid = board_id or max([1000, *self.boards]) + 1
        if bid in self.boards:
            raise ValueError(f"board {bid} already exists")
        board: JsonDict = {
            "id": bid,
            "name": name,
            "type": board_type,
            "projects": [k.upper() for k in projects],
            "sharedSprints": list(shared_sprints),
            "backlog": backlog,
        }
        self.boards[bid] = board
        self._touch()
        return board

    def delete_board(self, board_id: int) -> JsonDict:
        board = self.boards.pop(board_id, None)
        if board is None:
            raise NotFoundError(str(board_id))
        self.tombstones["board"][str(board_id)] = self.board_json(board)
        self._touch()
        return board

    def board_json(self, board: JsonDict) -> JsonDict:
        out: JsonDict = {
            "id": board["id"],
            "self": f"{SENTINEL}/rest/agile/1.0/board/{board['id']}",
            "name": board["name"],
            "type": board["type"],
        }
        first = self.projects.get(board["projects"][0]) if board["projects"] else None
        if first is not None:
            label = f"{first.name} ({first.key})"
            out["location"] = {
                "projectId": first.id,
                "displayName": label,
                "projectName": first.name,
                "projectKey": first.key,
                "projectTypeKey": first.project_type,
                "avatarURI": f"/rest/api/2/universal_avatar/view/type/project/avatar/{first.avatar_id}",
                "name": label,
            }
        return out

    def board_projects(self, board: JsonDict) -> list[ProjectRecord]:
        return [self.projects[k] for k in board["projects"] if k in self.projects]

    def board_sprints(self, board: JsonDict) -> list[JsonDict]:
        shared = set(board["sharedSprints"])
        return sorted(
            (s for s in self.sprints.values() if s["boardId"] == board["id"] or s["id"] in shared),
            key=lambda s: int(s["id"]),
        )

    def _board_issues(self, board: JsonDict) -> list[IssueRecord]:
        keys = set(board["projects"])
        return sorted(
            (rec for rec in self.issues.values() if rec.project_key in keys), key=lambda r: r.id
        )

    def board_epics(self, board: JsonDict) -> list[IssueRecord]:
        return [r for r in self._board_issues(board) if r.fields["issuetype"]["name"] == "Epic"]

    def board_backlog(self, board: JsonDict) -> list[IssueRecord]:
        """Not done; on scrum boards also in no active or future sprint (kanban: To Do)."""
        out: list[IssueRecord] = []
        for rec in self._board_issues(board):
            category = rec.fields["status"]["statusCategory"]["key"]
            if board["type"] == "kanban":
                if category == "new":
                    out.append(rec)
                continue
            sprints = rec.fields.get(self.sprint_field) or []
            planned = any(s.get("state") in ("active", "future") for s in sprints)
            if category != "done" and not planned:
                out.append(rec)
        return out

    @staticmethod
    def epic_json(rec: IssueRecord) -> JsonDict:
        summary = str(rec.fields.get("summary") or "")
        return {
            "id": rec.id,
            "key": rec.key,
            "self": f"{SENTINEL}/rest/agile/1.0/epic/{rec.id}",
            "name": summary.removeprefix("Epic: "),
            "summary": summary,
            "color": {"key": f"color_{rec.id % 14 + 1}"},
            "done": rec.fields["status"]["statusCategory"]["key"] == "done",
        }

    @staticmethod
    def sprint_json(sprint: JsonDict) -> JsonDict:
        out: JsonDict = {
            "id": sprint["id"],
            "self": f"{SENTINEL}/rest/agile/1.0/sprint/{sprint['id']}",
            "state": sprint["state"],
            "name": sprint["name"],
        }
        for key in ("startDate", "endDate", "completeDate"):
            if sprint.get(key):
                out[key] = sprint[key]
        if sprint.get("startDate"):
            out["createdDate"] = sprint["startDate"]
        out["originBoardId"] = sprint["boardId"]
        out["goal"] = sprint.get("goal", "")
        return out

    def update_sprint(self, sprint_id: int, fields: dict[str, Any]) -> JsonDict:
        sprint = self.sprints.get(sprint_id)
        if sprint is None:
            raise NotFoundError(str(sprint_id))
        for key, value in fields.items():
            if key not in ("name", "state", "goal", "startDate", "endDate", "completeDate"):
                raise ValueError(f"unsupported sprint field {key!r}")
            if key == "state" and value not in ("active", "closed", "future"):
                raise ValueError(f"unknown sprint state {value!r}")
            sprint[key] = value
        self._touch()
        return sprint

    def delete_sprint(self, sprint_id: int) -> JsonDict:
        sprint = self.sprints.pop(sprint_id, None)
        if sprint is None:
            raise NotFoundError(str(sprint_id))
        for board in self.boards.values():
            if sprint_id in board["sharedSprints"]:
                board["sharedSprints"].remove(sprint_id)
        self.tombstones["sprint"][str(sprint_id)] = self.sprint_json(sprint)
        self._touch()
        return sprint

    # ------------------------------------------------------------------ versions, components
    def find_version(self, version_id: str) -> tuple[ProjectRecord, JsonDict] | None:
        for project in self.projects.values():
            for version in project.versions:
                if version["id"] == str(version_id):
                    return project, version
        return None

    def version_json(self, project: ProjectRecord, version: JsonDict) -> JsonDict:
        out = dict(version)
        out.setdefault("description", f"{project.name} {version['name']}")
        out["overdue"] = bool(
            not version.get("released")
            and version.get("releaseDate")
            and str(version["releaseDate"]) < self.now().strftime("%Y-%m-%d")
        )
        out["projectId"] = project.id
        return out

    def update_version(self, version_id: str, fields: dict[str, Any]) -> JsonDict:
        found = self.find_version(version_id)
        if found is None:
            raise NotFoundError(version_id)
        project, version = found
        for key, value in fields.items():
            if key not in ("name", "released", "archived", "releaseDate", "description"):
                raise ValueError(f"unsupported version field {key!r}")
            version[key] = value
        self._touch()
        return self.version_json(project, version)

    def delete_version(self, version_id: str) -> JsonDict:
        found = self.find_version(version_id)
        if found is None:
            raise NotFoundError(version_id)
        project, version = found
        data = self.version_json(project, version)
        project.versions = [v for v in project.versions if v["id"] != str(version_id)]
        self.tombstones["version"][str(version_id)] = data
        self._touch()
        return data

    def component_json(self, project: ProjectRecord, component: JsonDict) -> JsonDict:
        count = sum(
            1
            for rec in self.issues.values()
            if rec.project_key == project.key
            and any(c.get("id") == component["id"] for c in rec.fields.get("components") or [])
        )
        out: JsonDict = {
            **component,
            "description": f"{component['name']} of {project.name}",
            "assigneeType": "PROJECT_DEFAULT",
            "realAssigneeType": "PROJECT_DEFAULT",
            "isAssigneeTypeValid": False,
            "project": project.key,
            "projectId": project.id,
            "issueCount": count,
        }
        lead = self.users.get(self.component_leads.get(str(component["id"]), ""))
        if lead is not None:
            out["lead"] = user_ref(lead)
        return out

    # ------------------------------------------------------------------ comments
    def add_comment(
        self,
        key: str,
        text: str,
        *,
        author: str | None = None,
        at: datetime | None = None,
        touch_issue: bool = True,
    ) -> JsonDict:
        rec = self.get_issue(key)
        if rec is None:
            raise NotFoundError(key)
        user = self.users.get(author or "") or self._default_user()
        stamp = fmt_jira_dt(at or self.now())
        comment_id = str(self._next_changelog_id)
        self._next_changelog_id += 1
        comment: JsonDict = {
            "self": f"{SENTINEL}/rest/api/3/issue/{rec.id}/comment/{comment_id}",
            "id": comment_id,
            "author": user_ref(user) if user else None,
            "body": adf(text),
            "updateAuthor": user_ref(user) if user else None,
            "created": stamp,
            "updated": stamp,
            "jsdPublic": True,
        }
        block = rec.fields["comment"]
        comments = [*block.get("comments", []), comment]
        rec.fields["comment"] = {
            **block,
            "comments": comments,
            "maxResults": len(comments),
            "total": len(comments),
        }
        if touch_issue:
            rec.fields["updated"] = stamp
        self._touch()
        return comment

    def issue_comments(self, rec: IssueRecord) -> list[JsonDict]:
        return list((rec.fields.get("comment") or {}).get("comments") or [])

    def delete_comment(self, key: str, comment_id: str) -> JsonDict:
        rec = self.get_issue(key)
        if rec is None:
            raise NotFoundError(key)
        comments = self.issue_comments(rec)
        gone = next((c for c in comments if c["id"] == str(comment_id)), None)
        if gone is None:
            raise NotFoundError(comment_id)
        left = [c for c in comments if c["id"] != str(comment_id)]
        rec.fields["comment"] = {
            **rec.fields["comment"],
            "comments": left,
            "maxResults": len(left),
            "total": len(left),
        }
        self.tombstones["comment"][str(comment_id)] = gone
        self._touch()
        return gone

    # ------------------------------------------------------------------ worklogs
    def load_worklog(self, worklog: JsonDict) -> None:
        """A dumped worklog (``to_fixture``), kept as it is."""
        data = dict(worklog)
        worklog_id = int(data["id"])
        ms = int(data.pop("updatedMs", 0)) or self._worklog_stamp(parse_jira_dt(data["updated"]))
        self._worklog_stamps.add(ms)
        self.worklogs[worklog_id] = data
        self.worklog_times[worklog_id] = ms
        self._next_worklog_id = max(self._next_worklog_id, worklog_id + 1)

    def _worklog_stamp(self, when: datetime) -> int:
        """Epoch ms for a worklog change, unique (the change feed pages on it)."""
        ms = int(when.timestamp() * 1000)
        while ms in self._worklog_stamps:
            ms += 1
        self._worklog_stamps.add(ms)
        return ms

    def add_worklog(
        self,
        key: str,
        *,
        seconds: int,
        started: datetime | None = None,
        author: str | None = None,
        comment: str | None = None,
        at: datetime | None = None,
    ) -> JsonDict:
        rec = self.get_issue(key)
        if rec is None:
            raise NotFoundError(key)
        if seconds <= 0:
            raise ValueError("timeSpentSeconds must be positive")
        user = self.users.get(author or "") or self._default_user()
        when = at or self.now()
        ms = self._worklog_stamp(when)
        stamp = fmt_jira_dt(datetime.fromtimestamp(ms / 1000, UTC))
        worklog_id = self._next_worklog_id
        self._next_worklog_id += 1
        worklog: JsonDict = {
            "self": f"{SENTINEL}/rest/api/3/issue/{rec.id}/worklog/{worklog_id}",
            "author": user_ref(user) if user else None,
            "updateAuthor": user_ref(user) if user else None,
            "created": stamp,
            "updated": stamp,
            "started": fmt_jira_dt(started or when),
            "timeSpent": duration_text(seconds),
            "timeSpentSeconds": seconds,
            "id": str(worklog_id),
            "issueId": str(rec.id),
        }
        if comment:
            worklog["comment"] = adf(comment)
        self.worklogs[worklog_id] = worklog
        self.worklog_times[worklog_id] = ms
        self._touch()
        return worklog

    def update_worklog(self, worklog_id: int, fields: dict[str, Any]) -> JsonDict:
        worklog = self.worklogs.get(worklog_id)
        if worklog is None:
            raise NotFoundError(str(worklog_id))
        for key, value in fields.items():
            if key == "timeSpentSeconds":
                worklog["timeSpentSeconds"] = int(value)
                worklog["timeSpent"] = duration_text(int(value))
            elif key == "comment":
                worklog["comment"] = adf(str(value))
            else:
                raise ValueError(f"unsupported worklog field {key!r}")
        ms = self._worklog_stamp(self.now())
        self.worklog_times[worklog_id] = ms
        worklog["updated"] = fmt_jira_dt(datetime.fromtimestamp(ms / 1000, UTC))
        self._touch()
        return worklog

    def _drop_worklog(self, worklog_id: int) -> JsonDict:
        worklog = self.worklogs.pop(worklog_id)
        self.worklog_times.pop(worklog_id, None)
        self.deleted_worklogs[worklog_id] = (self._worklog_stamp(self.now()), worklog)
        return worklog

    def delete_worklog(self, worklog_id: int) -> JsonDict:
        if worklog_id not in self.worklogs:
            raise NotFoundError(str(worklog_id))
        worklog = self._drop_worklog(worklog_id)
        self._touch()
        return worklog

    def issue_worklogs(self, rec: IssueRecord) -> list[JsonDict]:
        return sorted(
            (w for w in self.worklogs.values() if w["issueId"] == str(rec.id)),
            key=lambda w: int(w["id"]),
        )

    def worklog_feed(self, since: int, *, deleted: bool = False) -> list[tuple[int, int]]:
        """(updated ms, worklog id) changed (or deleted) strictly after ``since``, oldest first."""
        if deleted:
            items = [(ms, wid) for wid, (ms, _) in self.deleted_worklogs.items()]
        else:
            items = [(ms, wid) for wid, ms in self.worklog_times.items()]
        return sorted(item for item in items if item[0] > since)

    # ------------------------------------------------------------------ dump
    def to_fixture(self, base: str | None = None) -> JsonDict:
        """Everything, in the fixture format (loadable by :func:`.data.load_fixture`).

        URLs are on ``base`` (default :attr:`public_base`).
        """
        projects = []
        for rec in self.projects.values():
            data = self.project_json(rec, full=True)
            data["lead"] = rec.lead
            data["boardId"] = rec.board_id
            projects.append(data)
        dump: JsonDict = {
            "sprint_field": self.sprint_field,
            "projects": projects,
            "users": list(self.users.values()),
            "teams": list(self.teams.values()),
            "team_members": self.team_members,
            "sprints": list(self.sprints.values()),
            "boards": list(self.boards.values()),
            "worklogs": [
                {**w, "updatedMs": self.worklog_times[i]} for i, w in sorted(self.worklogs.items())
            ],
            "issues": [
                {**rec.json(), "indexed": rec.indexed, "changelog": rec.changelog}
                for rec in sorted(self.issues.values(), key=lambda r: r.id)
            ],
        }
        return cast(JsonDict, rebase(dump, base or self.public_base))


_CATALOG_BUILDERS: Final[dict[str, Callable[[str], JsonDict]]] = {
    "status": status_object,
    "issuetype": issuetype_object,
    "priority": priority_object,
}


def _catalog_value(name: str, value: Any) -> JsonDict:
    """A status/issuetype/priority by name; an unknown name given as a full object is kept."""
    label = str(value["name"]) if isinstance(value, dict) else str(value)
    try:
        return _CATALOG_BUILDERS[name](label)
    except KeyError:
        if isinstance(value, dict):
            return value
        raise ValueError(f"unknown {name} {label!r}") from None


def _display(value: Any) -> tuple[str | None, str | None]:
    """(id, display string) of a field value, for changelog items."""
    if value is None:
        return None, None
    if isinstance(value, dict):
        if "accountId" in value:
            return str(value["accountId"]), str(value.get("displayName"))
        if "key" in value and "id" in value:
            return str(value["id"]), str(value["key"])
        if "name" in value:
            return (str(value["id"]) if "id" in value else None), str(value["name"])
        if value.get("type") == "doc":
            return None, adf_text(value)
        return None, json.dumps(value)
    if isinstance(value, list):
        names = [_display(v)[1] or "" for v in value]
        ids = [_display(v)[0] or "" for v in value]
        return (", ".join(ids) if any(ids) else None), " ".join(names)
    return None, str(value)


def _change_item(name: str, old: Any, new: Any) -> JsonDict:
    old_id, old_str = _display(old)
    new_id, new_str = _display(new)
    return {
        "field": {"issuetype": "issuetype", "fixVersions": "Fix Version"}.get(name, name),
        "fieldtype": "jira",
        "fieldId": name,
        "from": old_id,
        "fromString": old_str,
        "to": new_id,
        "toString": new_str,
    }
