"""Issues (fields, parents and sub-tasks, changelog) and their comments."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from ..catalog import (
    RESOLUTION_DONE,
    SENTINEL,
    SPRINT_FIELD,
    JsonDict,
    fmt_jira_dt,
    issuetype_object,
    priority_object,
    status_object,
)
from .records import IssueRecord, ProjectRecord, adf, coerce_datetime, require, user_ref
from .worklogs import WorklogStore

#: The fields whose changes the changelog records.
_TRACKED_FIELDS: Final = (
    "summary status assignee priority labels issuetype description parent duedate components "
    "fixVersions"
).split()
#: Fields a new issue holds as null and as an empty list; with the null custom fields they make
#: ``*all`` as heavy as on a real site.
_NULL_FIELDS: Final = (
    *(
        "timespent aggregatetimespent resolution resolutiondate lastViewed timeestimate "
        "aggregatetimeoriginalestimate assignee timeoriginalestimate description security "
        "aggregatetimeestimate environment duedate"
    ).split(),
    *(f"customfield_{n}" for n in range(10001, 10036) if n not in (10018, 10019, 10020)),
)
_LIST_FIELDS: Final = (
    "fixVersions labels versions issuelinks components subtasks attachment".split()
)


class IssueStore(WorklogStore):
    def _blank_fields(self, project: ProjectRecord, now: datetime) -> JsonDict:
        stamp = fmt_jira_dt(now)
        reporter = self._default_user()
        ref = user_ref(reporter) if reporter else None
        return {
            **dict.fromkeys(_NULL_FIELDS),
            **{name: [] for name in _LIST_FIELDS},
            "statuscategorychangedate": stamp,
            "created": stamp,
            "updated": stamp,
            "project": project.ref(),
            "issuetype": issuetype_object("Task"),
            "status": status_object("To Do"),
            "priority": priority_object("Medium"),
            SPRINT_FIELD: None,
            "summary": "",
            "creator": ref,
            "reporter": ref,
            "workratio": -1,
            "watches": {"self": "", "watchCount": 1, "isWatching": True},
            "votes": {"self": "", "votes": 0, "hasVoted": False},
            "customfield_10018": {
                "hasEpicLinkFieldDependency": False,
                "showField": False,
                "nonEditableReason": {
                    "reason": "PLUGIN_LICENSE_ERROR",
                    "message": "The Parent Link is only available to Jira Premium users.",
                },
            },
            "customfield_10019": "0|hzzzzz:",
            "aggregateprogress": {"progress": 0, "total": 0},
            "progress": {"progress": 0, "total": 0},
            "comment": {"comments": [], "self": "", "maxResults": 0, "total": 0, "startAt": 0},
            "worklog": {"startAt": 0, "maxResults": 20, "total": 0, "worklogs": []},
            "timetracking": {},
        }

    def _user_field(self, account_id: str | None) -> JsonDict | None:
        if not account_id:
            return None
        user = self.users.get(account_id)
        if user is None:
            raise ValueError(f"unknown user {account_id!r}")
        return user_ref(user)

    def _normalize(self, project: ProjectRecord, values: dict[str, Any], now: datetime) -> JsonDict:
        """Simple Python values (names, accountIds, dates or relative periods, sprint ids, a
        list of comments) -> Jira-shaped field values; any other field is kept as given."""
        out: JsonDict = {}
        for name, value in values.items():
            if name == "sprint":
                name = SPRINT_FIELD
            if value is None or name not in _SIMPLE_FIELDS:
                out[name] = value
            elif name in _CATALOG_BUILDERS:
                out[name] = _catalog_value(name, str(value))
            elif name in ("assignee", "reporter", "creator"):
                out[name] = self._user_field(value)
            elif name in ("description", "environment"):
                out[name] = adf(value)
            elif name in ("created", "updated", "resolutiondate", "statuscategorychangedate"):
                out[name] = fmt_jira_dt(coerce_datetime(value, now))
            elif name == "components":
                out[name] = [self.add_component(project.key, c) for c in value]
            elif name in ("fixVersions", "versions"):
                out[name] = [self.add_version(project.key, v) for v in value]
            elif name == "comment":
                out[name] = _comment_block(value)
            else:  # the sprint field: sprint ids
                unknown = [i for i in value if int(i) not in self.sprints]
                if unknown:
                    raise ValueError(f"unknown sprints {unknown}")
                out[name] = [self.sprints[int(i)] for i in value] or None
        return out

    def _fix_self_links(self, rec: IssueRecord) -> None:
        issue_url = f"{SENTINEL}/rest/api/3/issue"
        f = rec.fields
        for name, path in (("watches", "watchers"), ("votes", "votes")):
            if isinstance(f.get(name), dict):
                f[name] = {**f[name], "self": f"{issue_url}/{rec.key}/{path}"}
        base = f"{issue_url}/{rec.id}/comment"
        comments = [{**c, "self": f"{base}/{c['id']}"} for c in self.issue_comments(rec)]
        f["comment"] = {**_comment_block(comments), "self": base}

    def _apply_parent(self, rec: IssueRecord, parent_key: str | None) -> None:
        """Make ``parent_key`` (None: none) the issue's parent, and keep sub-task lists right."""
        old = rec.fields.get("parent")
        old_parent = self.get_issue(old["id"]) if isinstance(old, dict) else None
        new_parent = self.get_issue(parent_key) if parent_key else None
        if parent_key and new_parent is None:
            raise ValueError(f"unknown parent issue {parent_key!r}")
        if old_parent is not None and old_parent is not new_parent:
            old_parent.fields["subtasks"] = [
                s for s in old_parent.fields.get("subtasks", []) if s["id"] != str(rec.id)
            ]
        if new_parent is None:
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

    def changelog_entry(
        self, author: JsonDict | None, at: datetime, items: list[JsonDict]
    ) -> JsonDict:
        """A changelog entry (with the next changelog id) of ``items`` (see :func:`change_item`)."""
        entry_id = self._next_changelog_id
        self._next_changelog_id += 1
        return {
            "id": str(entry_id),
            "author": user_ref(author) if author else None,
            "created": fmt_jira_dt(at),
            "items": items,
        }

    def new_comment(self, author: JsonDict | None, text: str, at: datetime) -> JsonDict:
        """A comment (with the next id, which comments share with changelog entries)."""
        comment_id = self._next_changelog_id
        self._next_changelog_id += 1
        stamp = fmt_jira_dt(at)
        return {
            "id": str(comment_id),
            "author": user_ref(author) if author else None,
            "body": adf(text),
            "created": stamp,
            "updated": stamp,
            "jsdPublic": True,
        }

    def _children(self, rec: IssueRecord) -> list[IssueRecord]:
        return [
            other
            for other in self.issues.values()
            if isinstance(other.fields.get("parent"), dict)
            and other.fields["parent"].get("id") == str(rec.id)
        ]

    def create_issue_record(
        self,
        project_key: str,
        fields: dict[str, Any],
        *,
        issue_id: int | None = None,
        number: int | None = None,
        changelog: list[JsonDict] | None = None,
    ) -> IssueRecord:
        """Create an issue from simple values (see :meth:`_normalize`); Jira's defaults fill
        the rest: ``updated`` = ``created``, a resolution for a done status."""
        project = require(self.get_project(project_key), project_key)
        now = self.now()
        values = dict(fields)
        parent_key = values.pop("parent", None)
        normalized = self._normalize(project, values, now)
        merged = self._blank_fields(project, now)
        merged.update(normalized)
        if "updated" not in normalized and "created" in normalized:
            merged["updated"] = merged["created"]
        if "statuscategorychangedate" not in normalized:
            merged["statuscategorychangedate"] = merged["updated"]
        if merged["status"]["statusCategory"]["key"] == "done":
            merged["resolution"] = merged["resolution"] or RESOLUTION_DONE
            if "resolutiondate" not in normalized:
                merged["resolutiondate"] = merged["updated"]
        issue_id = issue_id or self._next_issue_id
        self._next_issue_id = max(self._next_issue_id, issue_id + 1)
        number = number or self._project_counters.get(project.key, 0) + 1
        self._project_counters[project.key] = max(
            self._project_counters.get(project.key, 0), number
        )
        key = f"{project.key}-{number}"
        if key in self._key_index:
            raise ValueError(f"issue key {key} already exists")
        self._before_write(issue_id, None)
        rec = IssueRecord(
            id=issue_id,
            key=key,
            project_key=project.key,
            number=number,
            fields=merged,
            changelog=list(changelog or []),
        )
        self.issues[issue_id] = rec
        self._key_index[key] = issue_id
        self._fix_self_links(rec)
        self._apply_parent(rec, parent_key)
        self.deleted_issues.pop(key, None)
        self._touch()
        return rec

    def update_issue(
        self,
        key: str,
        fields: dict[str, Any],
    ) -> JsonDict:
        """Update fields (simple values accepted); records a changelog and bumps ``updated``."""
        rec = require(self.get_issue(key), key)
        self._before_write(rec.id, rec)
        now = self.now()
        values = dict(fields)
        has_parent = "parent" in values
        parent_key = values.pop("parent", None)
        normalized = self._normalize(self.projects[rec.project_key], values, now)
        before = {name: rec.fields.get(name) for name in _TRACKED_FIELDS}
        old_cat = rec.fields["status"]["statusCategory"]["key"]
        rec.fields.update(normalized)
        if has_parent:
            self._apply_parent(rec, parent_key)
        new_cat = rec.fields["status"]["statusCategory"]["key"]
        stamp = fmt_jira_dt(now)
        if "updated" not in normalized:
            rec.fields["updated"] = stamp
        if new_cat != old_cat and "statuscategorychangedate" not in normalized:
            rec.fields["statuscategorychangedate"] = stamp
        if new_cat == "done" and old_cat != "done":
            rec.fields["resolution"] = rec.fields.get("resolution") or RESOLUTION_DONE
            if "resolutiondate" not in normalized:
                rec.fields["resolutiondate"] = stamp
        elif new_cat != "done" and old_cat == "done":
            rec.fields["resolution"] = None
            rec.fields["resolutiondate"] = None
        items = [
            change_item(name, before[name], rec.fields.get(name))
            for name in _TRACKED_FIELDS
            if before[name] != rec.fields.get(name)
        ]
        return self._changed(rec, now, items)

    def _changed(self, rec: IssueRecord, now: datetime, items: list[JsonDict]) -> JsonDict:
        """After a change to ``rec``: its changelog entry (when ``items``), its links, its
        children's and parent's copies of it; the issue as the API shows it."""
        if items:
            rec.changelog.append(self.changelog_entry(self._default_user(), now, items))
        self._fix_self_links(rec)
        for child in self._children(rec):
            child.fields["parent"] = rec.link()
        self._refresh_subtask_entry(rec)
        self._touch()
        return self.public(rec.json())

    def move_issue(self, key: str, project_key: str) -> JsonDict:
        """Move an issue to another project, as Jira's Move does: it gets the next key there,
        its old key still finds it (Jira keeps a moved issue's previous keys), and the
        changelog records the new key and project."""
        rec = require(self.get_issue(key), key)
        target = require(self.get_project(project_key), project_key)
        if target.key == rec.project_key:
            raise ValueError(f"issue {rec.key} is already in project {target.key}")
        now = self.now()
        old_key, old_project = rec.key, rec.fields["project"]
        number = self._project_counters.get(target.key, 0) + 1
        self._project_counters[target.key] = number
        rec.key, rec.project_key, rec.number = f"{target.key}-{number}", target.key, number
        self._key_index[rec.key] = rec.id  # the old key keeps pointing at it too
        rec.fields["project"] = target.ref()
        rec.fields["updated"] = fmt_jira_dt(now)
        items = [
            {**change_item("Key", None, None), "fromString": old_key, "toString": rec.key},
            change_item("project", old_project, rec.fields["project"]),
        ]
        return self._changed(rec, now, items)

    def _remove_issue(self, rec: IssueRecord) -> None:
        for child in self._children(rec):
            if child.fields["issuetype"].get("subtask"):
                self._remove_issue(child)
            else:
                child.fields.pop("parent", None)
        self._apply_parent(rec, None)
        for worklog_id in [w for w, wl in self.worklogs.items() if wl["issueId"] == str(rec.id)]:
            self._drop_worklog(worklog_id)
        del self.issues[rec.id]
        self._key_index.pop(rec.key, None)
        self.deleted_issues[rec.key] = rec.json()

    def delete_issue(self, key: str) -> JsonDict:
        """Delete an issue (and its sub-tasks); returns the last known issue."""
        rec = require(self.get_issue(key), key)
        data = rec.json()
        self._remove_issue(rec)
        self._touch()
        return self.public(data)

    def add_comment(
        self,
        key: str,
        text: str,
        *,
        author: str | None = None,
        at: datetime | None = None,
        touch_issue: bool = True,
    ) -> JsonDict:
        rec = require(self.get_issue(key), key)
        user = self.users.get(author or "") or self._default_user()
        comment = self.new_comment(user, text, at or self.now())
        comment["self"] = f"{SENTINEL}/rest/api/3/issue/{rec.id}/comment/{comment['id']}"
        comment["updateAuthor"] = comment["author"]
        rec.fields["comment"] = {
            **rec.fields["comment"],
            **_comment_block([*self.issue_comments(rec), comment]),
        }
        if touch_issue:
            rec.fields["updated"] = comment["created"]
        self._touch()
        return comment

    def issue_comments(self, rec: IssueRecord) -> list[JsonDict]:
        return list((rec.fields.get("comment") or {}).get("comments") or [])

    def update_comment(self, key: str, comment_id: str, text: str) -> JsonDict:
        """Edit a comment's body; like Jira, the edit updates the comment and its issue."""
        rec = require(self.get_issue(key), key)
        comments = self.issue_comments(rec)
        found = require(next((c for c in comments if c["id"] == str(comment_id)), None), comment_id)
        stamp = fmt_jira_dt(self.now())
        edited = {**found, "body": adf(text), "updated": stamp}
        rec.fields["comment"] = {
            **rec.fields["comment"],
            **_comment_block([edited if c is found else c for c in comments]),
        }
        rec.fields["updated"] = stamp
        self._touch()
        return edited

    def delete_comment(self, key: str, comment_id: str) -> JsonDict:
        rec = require(self.get_issue(key), key)
        comments = self.issue_comments(rec)
        gone = require(next((c for c in comments if c["id"] == str(comment_id)), None), comment_id)
        left = [c for c in comments if c is not gone]
        rec.fields["comment"] = {**rec.fields["comment"], **_comment_block(left)}
        self.tombstones["comment"][str(comment_id)] = gone
        self._touch()
        return gone


def _comment_block(comments: list[JsonDict]) -> JsonDict:
    """An issue's ``comment`` field holding ``comments`` (its ``self`` comes with the issue)."""
    count = len(comments)
    return {"comments": comments, "maxResults": count, "total": count, "startAt": 0}


_CATALOG_BUILDERS: Final[dict[str, Callable[[str], JsonDict]]] = {
    "status": status_object,
    "issuetype": issuetype_object,
    "priority": priority_object,
}
#: The fields :meth:`IssueStore._normalize` turns from simple values into Jira's shape.
_SIMPLE_FIELDS: Final = frozenset(
    {
        *_CATALOG_BUILDERS,
        *("assignee", "reporter", "creator", "description", "environment", "comment"),
        *("created", "updated", "resolutiondate", "statuscategorychangedate"),
        *("components", "fixVersions", "versions", SPRINT_FIELD),
    }
)


def _catalog_value(name: str, label: str) -> JsonDict:
    """A status/issuetype/priority by name."""
    try:
        return _CATALOG_BUILDERS[name](label)
    except KeyError:
        raise ValueError(f"unknown {name} {label!r}") from None


def _display(value: Any) -> tuple[str | None, str | None]:
    """(id, display string) of a field value, for changelog items."""
    if isinstance(value, list):
        pairs = [_display(v) for v in value]
        ids = [i or "" for i, _ in pairs]
        return (", ".join(ids) if any(ids) else None), " ".join(name or "" for _, name in pairs)
    if not isinstance(value, dict):
        return None, None if value is None else str(value)
    if "accountId" in value:
        return str(value["accountId"]), str(value.get("displayName"))
    if "key" in value and "id" in value:
        return str(value["id"]), str(value["key"])
    if "name" in value:
        return (str(value["id"]) if "id" in value else None), str(value["name"])
    return None, json.dumps(value)


def change_item(name: str, old: Any, new: Any) -> JsonDict:
    """A changelog item: field ``name`` went from ``old`` to ``new`` (Jira-shaped values)."""
    old_id, old_str = _display(old)
    new_id, new_str = _display(new)
    return {
        "field": "Fix Version" if name == "fixVersions" else name,
        "fieldtype": "jira",
        "fieldId": name,
        "from": old_id,
        "fromString": old_str,
        "to": new_id,
        "toString": new_str,
    }
