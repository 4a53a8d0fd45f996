"""Generated mappings over generated Jira-like items: ours and Ocean's processor agree.

The mappings mix expressions that fail, yield null or nothing, return non-strings or nested
values, read `$ENV`, do not compile, build search-relation rules, and read an itemsToParse
element; the items mix missing, null and wrongly typed fields."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.processor.support import both, ocean_app, resource

TEXT = st.text(alphabet="abcXYZ -_é1", max_size=8)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(-2, 2), TEXT)

EXPRESSIONS = st.sampled_from(
    [
        ".key",
        ".id",
        ".fields.summary",
        ".fields.status.name",
        ".fields.labels",
        ".fields.labels[0]",
        '.fields.labels | join(",")',
        ".fields.labels | length",
        ".fields.points + 1",
        ".fields.points | tonumber",
        ".fields.assignee.accountId",
        ".fields.assignee",
        ".fields.missing.deeper",
        ".fields.points",  # plain paths are read in Python: numbers, objects, and through
        ".fields.nested",  # a string (jq raises) must come out as jq's do
        ".fields.summary.deeper",
        " .key ",
        '"jiraIssue"',
        "true",
        # jq reads only part of the item (jira.jq_reads): what it is given must be enough
        '(.fields.summary | ascii_downcase) + "-" + .key',
        "(.fields | .summary) + .key",
        '.key + (.fields.labels | tostring) + "#"',
        ".fields.nested | tojson",
        '.fields.status |= "x"',
        ".fields.labels + .fields.labels",
        ".fields | keys",
        "{key: .key, n: .fields.points}",
        "[.fields.labels[]?]",
        ".fields.labels[]",
        '.fields.summary // "untitled"',
        'if .fields.points then .fields.points else error("no points") end',
        'error("boom")',
        "null",
        "empty",
        "false",
        "0",
        "'\"quoted\"'",
        '"a-" + .key',
        ".key | ascii_downcase",
        ".key # trailing comment",
        "def twice(f): [f, f]; twice(.id)",
        "$ENV.HOME",
        "env | type",
        ".fields.points as $p | $p * 2",
        "limit(0; .key)",
        "first(.fields.labels[]?)",
        ".item",
        ".item.name",
        ".item | tostring",
        ".fields.points +",
        "| .key",
        "$undefined_variable",
        "$__loc__.line",
        "input",
    ]
)
SELECTORS = st.sampled_from(
    [
        "true",
        "false",
        ".fields.points != null",
        ".fields.labels | length > 0",
        '.key | startswith("P1")',
        ".fields.summary",
        'error("selector")',
        "empty",
        '.fields.summary | test("a")',
        "1 +",
    ]
)
NAMES = st.sampled_from(["status", "labels", "points", "owner", "url", "nested"])


def _rules(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    rule = st.fixed_dictionaries(
        {
            "property": st.sampled_from(['"$identifier"', '"jira_user_id"', ".key"]),
            "operator": st.sampled_from(['"="', '"contains"', "="]),
            "value": EXPRESSIONS,
        }
    )
    entries = rule if depth == 0 else st.one_of(rule, _rules(depth - 1))
    return st.fixed_dictionaries(
        {
            "combinator": st.sampled_from(['"and"', '"or"', ".fields.summary"]),
            "rules": st.lists(entries, min_size=1, max_size=2),
        }
    )


TARGET = st.one_of(EXPRESSIONS, _rules(1))

MAPPINGS = st.fixed_dictionaries(
    {
        "identifier": st.one_of(st.sampled_from([".key", ".id", ".key"]), EXPRESSIONS, _rules(0)),
        "blueprint": st.sampled_from(['"jiraIssue"', '"jiraIssue"', ".fields.summary"]),
        "properties": st.dictionaries(NAMES, EXPRESSIONS, max_size=4),
        "relations": st.dictionaries(NAMES, TARGET, max_size=3),
    },
    optional={"title": EXPRESSIONS, "team": TARGET, "icon": EXPRESSIONS},
)


def _fields() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "summary": st.one_of(TEXT, st.none(), st.integers()),
            "status": st.one_of(st.fixed_dictionaries({"name": TEXT}), st.none(), TEXT),
            "labels": st.one_of(st.lists(TEXT, max_size=3), st.none(), TEXT),
            "points": SCALAR,
            "assignee": st.one_of(st.none(), st.fixed_dictionaries({"accountId": TEXT})),
            "nested": st.recursive(SCALAR, lambda inner: st.dictionaries(TEXT, inner, max_size=2)),
        },
    )


ITEMS = st.lists(
    st.fixed_dictionaries(
        {
            "key": st.sampled_from(["P1-1", "P1-2", "P2-1", "x"]),
            "id": st.integers(1, 99).map(str),
            "fields": _fields(),
        },
        optional={
            "children": st.one_of(
                st.lists(st.fixed_dictionaries({"name": TEXT}), max_size=2), st.none()
            )
        },
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    mappings=MAPPINGS,
    items=ITEMS,
    selector=SELECTORS,
    parse_all=st.booleans(),
    allow_env=st.booleans(),
    items_to_parse=st.sampled_from([None, None, ".children", ".fields.labels"]),
)
def test_same_outcome_as_ocean(
    mappings: dict[str, Any],
    items: list[dict[str, Any]],
    selector: str,
    parse_all: bool,
    allow_env: bool,
    items_to_parse: str | None,
) -> None:
    port = {"itemsToParse": items_to_parse} if items_to_parse else {}
    config = resource(mappings, query=selector, **port)
    with ocean_app(allow_env=allow_env):
        expected, actual = asyncio.run(both(config, items, parse_all))
    assert actual == expected
