"""The ``fields`` projection of an issue, as Jira applies it.

``fields``: ``*all``, ``*navigable``, field ids, ``-id`` exclusions; a list or a comma string.
Unknown field names are silently ignored (like Jira). A request naming only ``id``/``key`` gets
the minimal issue object (``{"id"}`` / ``{"id", "key"}``): these don't count as full issues.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from .catalog import NON_NAVIGABLE, JsonDict
from .store import IssueRecord

ID_KEY: Final = frozenset({"id", "key"})
MULTI_VALUED: Final = frozenset({"comment", "worklog", "attachment"})
#: An issue's ``comment`` field holds the first comments only; ``total`` says how many there are.
EMBEDDED_COMMENTS: Final = 20


class FieldsError(ValueError):
    """A ``fields`` value of the wrong type."""


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
        include = {item for item in items if not item.startswith(("*", "-"))}
        exclude = {item[1:] for item in items if item.startswith("-")}
        all_, navigable = "*all" in items, "*navigable" in items
        if not include and not all_ and exclude:
            navigable = True  # exclusions only: applied to the default navigable set
        return cls(all_, navigable, frozenset(include), frozenset(exclude))

    @property
    def full(self) -> bool:
        """Whether issues come back with fields beyond id/key (costly, counted by stats)."""
        return self.all or self.navigable or not self.include <= ID_KEY

    @property
    def explicit(self) -> bool:
        """Names at least one field explicitly and uses no wildcard (bulkfetch 1000 rule)."""
        return bool(self.include - ID_KEY) and not self.all and not self.navigable

    def issue(self, rec: IssueRecord) -> JsonDict:
        """Project one issue."""
        if not self.full:
            return {"id": str(rec.id), **({"key": rec.key} if "key" in self.include else {})}
        fields = {
            name: _embedded(name, value)
            for name, value in rec.fields.items()
            if name not in self.exclude
            and (self.all or (self.navigable and name not in NON_NAVIGABLE) or name in self.include)
        }
        return {**rec.json(), "fields": fields}


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
