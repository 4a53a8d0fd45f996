"""Which issue fields a mapping reads, so a resync asks Jira for those and not `*all`.

Fetching `*all` is the heaviest part of an issue sync (pitfall 13). When the user left the
`fields` selector unset, the issue kind asks only for the fields its JQ mapping and selector
query reference. Any expression this cannot read with certainty (the whole `.fields` object,
recursive descent, path functions…) makes it fall back to `*all`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from port_ocean.core.handlers.port_app_config.models import ResourceConfig

from jira.selectors import IssueSelector

# `.fields.name`, `.fields?.name`, `.fields["name"]`, `.fields."name"`
_NAMED = re.compile(
    r"""\.fields\??(?:\.(?P<plain>[A-Za-z_][A-Za-z0-9_]*)|\.?\[\s*"(?P<bracket>[^"]+)"\s*\]|\."(?P<quoted>[^"]+)")"""
)
_ANY_FIELDS = re.compile(r"(?<![A-Za-z0-9_$])\.fields\b")
# Constructs that can read fields without naming them.
_OPAQUE = re.compile(
    r"\.\.|\b(?:getpath|paths|leaf_paths|to_entries|with_entries|walk|tojson|tostream|input|inputs|env)\b|\$__loc__"
)
# The whole issue used as a value: an expression that starts with `.` alone, `. |` or `.[`,
# or `[.]`, `(.)`, `{a: .}` (after a pipe, `.` is the piped value: `split("/") | .[:3]` is fine).
_WHOLE_START = re.compile(r"^\s*\.(?:\s*$|\s*\||\s*\[)")
_WHOLE_INSIDE = re.compile(r"[\[(,:]\s*\.\s*[\])},]")


def _expressions(resource: ResourceConfig) -> Iterator[str]:
    yield resource.selector.query
    port = resource.port
    if port.items_to_parse:
        yield port.items_to_parse
    mappings = port.entity.mappings
    yield from _values(mappings.dict())


def _values(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _values(value)


def fields_read_by(resource: ResourceConfig) -> list[str] | None:
    """The issue fields the mapping reads, sorted; None when unsure (then ask for `*all`)."""
    names: set[str] = set()
    for expression in _expressions(resource):
        if (
            _OPAQUE.search(expression)
            or _WHOLE_START.match(expression)
            or _WHOLE_INSIDE.search(expression)
        ):
            return None
        named = list(_NAMED.finditer(expression))
        if len(named) != len(_ANY_FIELDS.findall(expression)):
            return None  # `.fields` used as a whole somewhere
        for match in named:
            names.add(match.group("plain") or match.group("bracket") or match.group("quoted"))
    return sorted(names)


def issue_fields(resource: ResourceConfig) -> list[str]:
    """The fields an issue resource asks Jira for: the selector's `fields` when the user set
    them, otherwise those its mapping reads (or `*all` when they cannot be told)."""
    selector = resource.selector
    if not isinstance(selector, IssueSelector):
        selector = IssueSelector.parse_obj(selector.dict(by_alias=True))
    if "fields" in selector.__fields_set__:
        return selector.field_list
    return fields_read_by(resource) or ["*all"]
