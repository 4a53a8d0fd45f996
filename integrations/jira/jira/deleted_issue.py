"""What a deleted issue takes with it from Port: its comments and worklogs.

Jira deletes an issue's comments and worklogs with the issue. Its `jira:issue_deleted` event
names only the issue (a comment cascade, when Jira sends one, comes as separate Secondary-flow
`comment_deleted` events; worklogs get none), so without this they stay in Port until the next
full resync. The event's `issue` has the shape of GET issue: its `comment` and `worklog` fields
list the comments and (the first 20) worklogs it had. Once Jira has confirmed the issue gone
(its 404), those are gone too: `items_gone_with` gives them shaped as the comment and worklog
kinds yield them, for the issue-deletion path to remove with the issue. Worklogs past the
event's first page stay until the next full resync (a delete event never proves more).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jira.issue_items import with_comment_fields, with_worklog_fields


def _listed(fields: Mapping[str, Any], field: str, items_key: str) -> list[dict[str, Any]]:
    container = fields.get(field)
    items = container.get(items_key) if isinstance(container, Mapping) else None
    if not isinstance(items, list):
        return []
    return [dict(item) for item in items if isinstance(item, Mapping) and item.get("id")]


def items_gone_with(issue: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The comments and worklogs a deleted issue's event lists, by kind, as the comment and
    worklog kinds yield them (with the issue's key). Call it only once Jira has confirmed the
    issue gone."""
    key = str(issue.get("key") or "")
    fields = issue.get("fields")
    if not key or not isinstance(fields, Mapping):
        return {"comment": [], "worklog": []}
    return {
        "comment": [with_comment_fields(c, key) for c in _listed(fields, "comment", "comments")],
        "worklog": [with_worklog_fields(w, key) for w in _listed(fields, "worklog", "worklogs")],
    }
