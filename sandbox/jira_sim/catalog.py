"""Static Jira metadata the simulator serves: statuses, issue types, priorities, fields.

Every URL built here starts with :data:`SENTINEL`; responses replace it with the base URL the
request came in on (site URL, or the OAuth gateway ``/ex/jira/{cloudId}`` prefix).
The ``*_object`` builders are cached and return SHARED dicts: never mutate them in place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

JsonDict = dict[str, Any]

#: Placeholder for the request's base URL inside stored objects.
SENTINEL: Final = "https://jira-sim.invalid"

JIRA_DT_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%f%z"


def fmt_jira_dt(dt: datetime) -> str:
    """Format like Jira: ``2023-11-06T11:02:59.000+0000`` (always UTC)."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def fmt_iso_z(dt: datetime) -> str:
    """Format like Jira Software (sprints): ``2024-07-08T11:59:07.316Z``."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_jira_dt(value: str) -> datetime:
    """Parse a Jira date-time (``...+0000``), an ISO ``...Z`` string or a plain date."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+0000"
    for fmt in (JIRA_DT_FORMAT, "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, fmt).astimezone(UTC)
        except ValueError:
            continue
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


# --- status categories and statuses -------------------------------------------------------

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

#: (name, id, category key, description)
STATUSES: Final[list[tuple[str, str, str, str]]] = [
    ("To Do", "10000", "new", ""),
    ("In Progress", "3", "indeterminate", "This issue is being actively worked on."),
    ("In Review", "10001", "indeterminate", "Waiting for a review."),
    ("Done", "10002", "done", ""),
]


@cache
def status_object(name: str) -> JsonDict:
    for s_name, s_id, cat, desc in STATUSES:
        if s_name.lower() == name.lower():
            category = STATUS_CATEGORIES[cat]
            return {
                "self": f"{SENTINEL}/rest/api/3/status/{s_id}",
                "description": desc,
                "iconUrl": f"{SENTINEL}/",
                "name": s_name,
                "id": s_id,
                "statusCategory": {
                    "self": f"{SENTINEL}/rest/api/3/statuscategory/{category['id']}",
                    **category,
                },
            }
    raise KeyError(name)


# --- issue types -------------------------------------------------------------------------

#: (name, id, subtask, hierarchyLevel, description, avatar)
ISSUE_TYPES: Final[list[tuple[str, str, bool, int, str, int]]] = [
    (
        "Epic",
        "10000",
        False,
        1,
        "Epics track collections of related bugs, stories, and tasks.",
        10307,
    ),
    ("Task", "10001", False, 0, "Tasks track small, distinct pieces of work.", 10318),
    ("Bug", "10002", False, 0, "Bugs track problems or errors.", 10303),
    (
        "Story",
        "10003",
        False,
        0,
        "Stories track functionality or features expressed as user goals.",
        10315,
    ),
    (
        "Sub-task",
        "10004",
        True,
        -1,
        "Subtasks track small pieces of work that are part of a larger task.",
        10316,
    ),
]


@cache
def issuetype_object(name: str) -> JsonDict:
    for t_name, t_id, subtask, level, desc, avatar in ISSUE_TYPES:
        if t_name.lower() == name.lower():
            return {
                "self": f"{SENTINEL}/rest/api/3/issuetype/{t_id}",
                "id": t_id,
                "description": desc,
                "iconUrl": (
                    f"{SENTINEL}/rest/api/2/universal_avatar/view/type/issuetype/avatar/"
                    f"{avatar}?size=medium"
                ),
                "name": t_name,
                "subtask": subtask,
                "avatarId": avatar,
                "hierarchyLevel": level,
            }
    raise KeyError(name)


# --- priorities and resolutions ---------------------------------------------------------

#: (name, id, rank: higher = more important)
PRIORITIES: Final[list[tuple[str, str, int]]] = [
    ("Highest", "1", 5),
    ("High", "2", 4),
    ("Medium", "3", 3),
    ("Low", "4", 2),
    ("Lowest", "5", 1),
]


@cache
def priority_object(name: str) -> JsonDict:
    for p_name, p_id, _rank in PRIORITIES:
        if p_name.lower() == name.lower():
            return {
                "self": f"{SENTINEL}/rest/api/3/priority/{p_id}",
                "iconUrl": f"{SENTINEL}/images/icons/priorities/{p_name.lower()}.svg",
                "name": p_name,
                "id": p_id,
            }
    raise KeyError(name)


RESOLUTION_DONE: Final[JsonDict] = {
    "self": f"{SENTINEL}/rest/api/3/resolution/10000",
    "id": "10000",
    "description": "Work has been completed on this issue.",
    "name": "Done",
}


# --- fields ------------------------------------------------------------------------------

#: System fields: id -> display name.
#: Fields that ``*navigable`` leaves out (multi-valued, not shown in the issue navigator).
NON_NAVIGABLE: Final[frozenset[str]] = frozenset(
    {"comment", "worklog", "attachment", "timetracking"}
)

#: Null custom fields every generated issue carries, to make ``*all`` realistically heavy.
NULL_CUSTOM_FIELDS: Final[tuple[str, ...]] = tuple(
    f"customfield_{n}" for n in range(10001, 10036) if n not in (10018, 10019, 10020)
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
