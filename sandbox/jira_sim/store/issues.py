"""Issues (fields, parents and sub-tasks, changelog) and their comments."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Final

from ..catalog import (
    NULL_CUSTOM_FIELDS,
    RESOLUTION_DONE,
    SENTINEL,
    JsonDict,
    fmt_jira_dt,
    issuetype_object,
    priority_object,
    status_object,
)
from .records import (
    IssueRecord,
    NotFoundError,
    ProjectRecord,
    adf,
    adf_text,
    coerce_datetime,
    relative_delta,
    user_ref,
)
from .worklogs import WorklogStore

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


class IssueStore(WorklogStore):
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
