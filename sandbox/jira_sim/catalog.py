"""Static Jira metadata the simulator serves: statuses, issue types, priorities, date formats.

Every URL built here starts with :data:`SENTINEL`; responses replace it with the base URL the
request came in on (site URL, or the OAuth gateway ``/ex/jira/{cloudId}`` prefix).
The ``*_object`` lookups return SHARED dicts: never mutate them in place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

JsonDict = dict[str, Any]

#: Placeholder for the request's base URL inside stored objects.
SENTINEL: Final = "https://jira-sim.invalid"
#: The Sprint custom field (its id on Jira Cloud sites).
SPRINT_FIELD: Final = "customfield_10020"


def fmt_jira_dt(dt: datetime, zone: str = "+0000") -> str:
    """Format like Jira: ``2023-11-06T11:02:59.000+0000`` (always UTC); ``zone="Z"`` gives
    Jira Software's form (sprints): ``2024-07-08T11:59:07.316Z``."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}{zone}"


def parse_jira_dt(value: str) -> datetime:
    """Parse a Jira date-time (``...+0000``), an ISO ``...Z`` string or a plain date (UTC)."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _by_name(objects: list[JsonDict]) -> dict[str, JsonDict]:
    return {str(o["name"]).lower(): o for o in objects}


STATUS_CATEGORIES: Final[dict[str, JsonDict]] = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {
        "id": 4,
        "key": "indeterminate",
        "colorName": "yellow",
        "name": "In Progress",
    },
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}

_STATUSES: Final = _by_name(
    [
        {
            "self": f"{SENTINEL}/rest/api/3/status/{status_id}",
            "iconUrl": f"{SENTINEL}/",
            "name": name,
            "id": status_id,
            "statusCategory": {
                "self": f"{SENTINEL}/rest/api/3/statuscategory/{STATUS_CATEGORIES[cat]['id']}",
                **STATUS_CATEGORIES[cat],
            },
        }
        for name, status_id, cat in (
            ("To Do", "10000", "new"),
            ("In Progress", "3", "indeterminate"),
            ("In Review", "10001", "indeterminate"),
            ("Done", "10002", "done"),
        )
    ]
)

_ISSUE_TYPES: Final = _by_name(
    [
        {
            "self": f"{SENTINEL}/rest/api/3/issuetype/{type_id}",
            "id": type_id,
            "iconUrl": (
                f"{SENTINEL}/rest/api/2/universal_avatar/view/type/issuetype/avatar/"
                f"{avatar}?size=medium"
            ),
            "name": name,
            "subtask": level < 0,
            "avatarId": avatar,
            "hierarchyLevel": level,
        }
        for name, type_id, level, avatar in (
            ("Epic", "10000", 1, 10307),
            ("Task", "10001", 0, 10318),
            ("Bug", "10002", 0, 10303),
            ("Story", "10003", 0, 10315),
            ("Sub-task", "10004", -1, 10316),
        )
    ]
)

_PRIORITIES: Final = _by_name(
    [
        {
            "self": f"{SENTINEL}/rest/api/3/priority/{priority_id}",
            "iconUrl": f"{SENTINEL}/images/icons/priorities/{name.lower()}.svg",
            "name": name,
            "id": str(priority_id),
        }
        for priority_id, name in enumerate(("Highest", "High", "Medium", "Low", "Lowest"), 1)
    ]
)


def status_object(name: str) -> JsonDict:
    """The status called ``name`` (any case); KeyError for an unknown one."""
    return _STATUSES[name.lower()]


def issuetype_object(name: str) -> JsonDict:
    return _ISSUE_TYPES[name.lower()]


def priority_object(name: str) -> JsonDict:
    return _PRIORITIES[name.lower()]


RESOLUTION_DONE: Final[JsonDict] = {
    "self": f"{SENTINEL}/rest/api/3/resolution/10000",
    "id": "10000",
    "description": "Work has been completed on this issue.",
    "name": "Done",
}

#: Fields that ``*navigable`` leaves out (multi-valued, not shown in the issue navigator).
NON_NAVIGABLE: Final[frozenset[str]] = frozenset(
    {"comment", "worklog", "attachment", "timetracking"}
)


def avatar_urls(kind: str, avatar_id: int) -> dict[str, str]:
    base = f"{SENTINEL}/rest/api/3/universal_avatar/view/type/{kind}/avatar/{avatar_id}"
    return {
        "48x48": base,
        "24x24": f"{base}?size=small",
        "16x16": f"{base}?size=xsmall",
        "32x32": f"{base}?size=medium",
    }


def user_avatar_urls(seed_hex: str, initials: str) -> dict[str, str]:
    url = (
        f"https://secure.gravatar.com/avatar/{seed_hex}?d=https%3A%2F%2Favatar-management--"
        f"avatars.us-west-2.prod.public.atl-paas.net%2Finitials%2F{initials}-3.png"
    )
    return {"48x48": url, "24x24": url, "16x16": url, "32x32": url}
