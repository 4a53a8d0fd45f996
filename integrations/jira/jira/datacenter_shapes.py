"""Data Center objects under the names the Cloud mapping reads, added beside their own.

Data Center identifies a user by `key` (stable) and `name` (the login) where Cloud has
`accountId`. Every user object in a Data Center answer (a listed user, an issue's assignee,
reporter and creator, a comment's author, a component's lead, a project's lead…) gains
`accountId` = its `key` (its `name` when it has no key), so a mapping written for Cloud
(`.accountId`, `.fields.assignee.accountId`) relates the same entities on Data Center, and a
mapping written for Port's Jira Server integration (`.key`, `.fields.assignee.name`) still finds
Data Center's own keys. Nothing is renamed or removed.
"""

from __future__ import annotations

from typing import Any


def _is_user(obj: dict[str, Any]) -> bool:
    # Users carry a display name and a login; projects, issues and boards never have both.
    return "displayName" in obj and "name" in obj and "accountId" not in obj


def with_cloud_names(body: Any) -> Any:
    """`body` (any JSON value) with Cloud's `accountId` added to every Data Center user in it;
    changed in place and returned."""
    stack = [body]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if _is_user(value):
                ident = value.get("key") or value.get("name")
                if isinstance(ident, str) and ident:
                    value["accountId"] = ident
            stack.extend(v for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend(v for v in value if isinstance(v, dict | list))
    return body
