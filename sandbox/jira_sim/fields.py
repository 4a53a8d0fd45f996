"""The ``fields`` / ``expand`` / ``properties`` projection of an issue, as Jira applies it.

``fields``: ``*all``, ``*navigable``, field ids, ``-id`` exclusions; a list or a comma string.
Unknown field names are silently ignored (like Jira). A request naming only ``id``/``key`` gets
the minimal issue object (``{"id"}`` / ``{"id", "key"}``): these don't count as full issues.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from .catalog import NON_NAVIGABLE, JsonDict, field_names, parse_jira_dt
from .store import ISSUE_EXPAND, IssueRecord, adf_text

ID_KEY: Final = frozenset({"id", "key"})
#: Expansions that make a bulkfetch request "expensive" (100 issues max instead of 1000).
EXPENSIVE_EXPANDS: Final = frozenset(
    {
        "changelog",
        "editmeta",
        "operations",
        "renderedfields",
        "transitions",
        "versionedrepresentations",
    }
)
MULTI_VALUED: Final = frozenset({"comment", "worklog", "attachment"})
#: An issue's ``comment`` field holds the first comments only; ``total`` says how many there are.
EMBEDDED_COMMENTS: Final = 20


class FieldsError(ValueError):
    """A ``fields``/``expand``/``properties`` value of the wrong type."""


def split_list(value: Any) -> list[str]:
    """A list of strings or a comma-separated string -> trimmed non-empty items."""
    if value is None:
        return []
    if isinstance(value, str):
        raw: Iterable[Any] = value.split(",")
    elif isinstance(value, list):
        raw = (part for item in value for part in str(item).split(","))
    else:
        raise FieldsError(f"expected a list or a string, got {type(value).__name__}")
    return [s.strip() for s in raw if str(s).strip()]


@dataclass(frozen=True)
class FieldSpec:
    all: bool = False
    navigable: bool = False
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, value: Any, default: Iterable[str]) -> FieldSpec:
        items = split_list(value) or list(default)
        include: set[str] = set()
        exclude: set[str] = set()
        all_ = nav = False
        for item in items:
            if item == "*all":
                all_ = True
            elif item == "*navigable":
                nav = True
            elif item.startswith("-"):
                exclude.add(item[1:])
            else:
                include.add(item)
        if not include and not all_ and not nav and exclude:
            nav = True  # exclusions only: applied to the default navigable set
        return cls(all_, nav, frozenset(include), frozenset(exclude))

    @property
    def id_key_only(self) -> bool:
        return not self.all and not self.navigable and self.include <= ID_KEY

    @property
    def explicit(self) -> bool:
        """Names at least one field explicitly and uses no wildcard (bulkfetch 1000 rule)."""
        return bool(self.include - ID_KEY) and not self.all and not self.navigable

    def selected(self, rec: IssueRecord) -> list[str]:
        out: list[str] = []
        for name in rec.fields:
            if name in self.exclude:
                continue
            if self.all or (self.navigable and name not in NON_NAVIGABLE) or name in self.include:
                out.append(name)
        return out


@dataclass(frozen=True)
class Projection:
    fields: FieldSpec
    expand: frozenset[str] = frozenset()
    properties: tuple[str, ...] = ()
    sprint_field: str = "customfield_10020"

    @property
    def full(self) -> bool:
        """Whether issues come back with fields beyond id/key (costly, counted by stats)."""
        return not self.fields.id_key_only

    def has(self, expand: str) -> bool:
        return expand.lower() in self.expand

    def issue(self, rec: IssueRecord, names: dict[str, str] | None = None) -> JsonDict:
        """Project one issue. ``names`` (if given) collects display names of returned fields."""
        out: JsonDict
        if self.fields.id_key_only:
            out = {"id": str(rec.id)}
            if "key" in self.fields.include:
                out["key"] = rec.key
            selected: list[str] = []
        else:
            selected = self.fields.selected(rec)
            out = {
                "expand": ISSUE_EXPAND,
                "id": str(rec.id),
                "self": rec.json()["self"],
                "key": rec.key,
            }
            if self.has("versionedRepresentations"):
                out["versionedRepresentations"] = {n: {"1": rec.fields[n]} for n in selected}
            else:
                out["fields"] = {n: _embedded(n, rec.fields[n]) for n in selected}
        if self.has("renderedFields"):
            out["renderedFields"] = {n: render_field(n, rec.fields[n]) for n in selected}
        if names is not None and (self.has("names") or self.has("schema")):
            catalog = field_names(self.sprint_field)
            for n in selected:
                names[n] = catalog.get(n, n)
        if self.has("changelog"):
            histories = list(reversed(rec.changelog))[:40]
            out["changelog"] = {
                "startAt": 0,
                "maxResults": len(histories),
                "total": len(rec.changelog),
                "histories": histories,
            }
        if self.has("transitions"):
            out["transitions"] = _transitions()
        if self.has("operations"):
            out["operations"] = {"linkGroups": []}
        if self.has("editmeta"):
            out["editmeta"] = {"fields": {}}
        if self.properties:
            out["properties"] = {}
        return out


def _embedded(name: str, value: Any) -> Any:
    if name == "comment" and isinstance(value, dict):
        comments = value.get("comments") or []
        if len(comments) > EMBEDDED_COMMENTS:
            return {
                **value,
                "comments": comments[:EMBEDDED_COMMENTS],
                "maxResults": EMBEDDED_COMMENTS,
            }
    return value


def parse_expand(value: Any) -> frozenset[str]:
    return frozenset(s.lower() for s in split_list(value))


def schema_for(names: dict[str, str]) -> JsonDict:
    return {
        n: {"type": "any", "custom" if n.startswith("customfield_") else "system": n} for n in names
    }


def _transitions() -> list[JsonDict]:
    from .catalog import STATUSES, status_object

    return [
        {"id": str(11 + i * 10), "name": name, "to": status_object(name), "hasScreen": False}
        for i, (name, _sid, _cat, _desc) in enumerate(STATUSES)
    ]


def _render_date(value: str, with_time: bool) -> str:
    dt = parse_jira_dt(value) if "T" in value else parse_jira_dt(value + "T00:00:00.000+0000")
    return dt.strftime("%d/%b/%y %I:%M %p" if with_time else "%d/%b/%y")


def _render_adf(value: Any) -> str:
    if isinstance(value, dict):
        paragraphs = []
        for block in value.get("content", []) or []:
            paragraphs.append(f"<p>{html.escape(adf_text(block))}</p>")
        return "".join(paragraphs)
    return f"<p>{html.escape(str(value))}</p>"


def render_field(name: str, value: Any) -> Any:
    """The ``renderedFields`` value: HTML for rich text, formatted dates, else null."""
    if value is None:
        return None
    if name in ("description", "environment"):
        return _render_adf(value)
    if name in ("created", "updated", "resolutiondate", "statuscategorychangedate", "lastViewed"):
        return _render_date(str(value), with_time=True)
    if name == "duedate":
        return _render_date(str(value), with_time=False)
    if name in ("timespent", "aggregatetimespent", "timeoriginalestimate", "timeestimate") and (
        isinstance(value, int)
    ):
        hours = value / 3600
        return f"{hours:g} hour" + ("" if hours == 1 else "s")
    if name == "comment" and isinstance(value, dict):
        return {
            **value,
            "comments": [
                {**c, "body": _render_adf(c.get("body"))} for c in value.get("comments", [])
            ],
        }
    return None
