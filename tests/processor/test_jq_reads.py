"""What a jq expression reads of an item (jira.jq_reads): Python's reads and jq on the part
kept must give what jq gives on the whole item, for any item."""

from __future__ import annotations

import json
from typing import Any

import jq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jira.jq_reads import plain_read, projection, read_paths

TEXT = st.text(alphabet='ab -_é1/"\\', max_size=6)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2, 2), TEXT)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["key", "name", "self", "x"]), inner, max_size=3),
    ),
    max_leaves=8,
)
ITEMS = st.fixed_dictionaries(
    {},
    optional={
        "key": VALUE,
        "self": st.one_of(st.just("https://site.example/rest/api/3/issue/1"), VALUE),
        "fields": st.dictionaries(
            st.sampled_from(["summary", "status", "subtasks", "labels", "other"]), VALUE
        ),
        "id": VALUE,
    },
)

READ_PARTLY = [
    ".fields.subtasks | map(.key)",
    '(.self | split("/") | .[:3] | join("/")) + "/browse/" + .key',
    "(.fields | .summary) + .key",
    ".fields | keys",
    '.fields.status | .name + "!"',
    '"a" + "b"',
    ".key + .id",
    "((.fields.labels | length) | tostring) + .key",
    ".fields.summary | ascii_downcase",
]
READ_WHOLE = [
    "keys",
    "map(.key)",
    ".fields.summary // .key",
    ".fields.status |= 1",
    ".key += 1",
    '"\\(.key)" + .fields.summary',
    ".fields.summary # | .key",
    "[.key] + [.id]",
    ".key as $k | $k",
    "(.fields).summary",
    "tojson",
    ".fields[] | .key",
    "-.id",
]
PLAIN = [".key", ".fields.status.name", ".fields.summary.deeper", '"jiraIssue"', "true", "null"]


def jq_all(expression: str, item: Any) -> list[Any] | None:
    """The compiled program's slot for `expression`: its first output, or None if it raised."""
    try:
        return jq.compile(f"[first({expression})]").input_text(json.dumps(item)).first()  # type: ignore[no-any-return]
    except Exception:
        return None


@pytest.mark.parametrize("expression", READ_WHOLE)
def test_expressions_that_may_read_anything_are_given_the_whole_item(expression: str) -> None:
    assert read_paths(expression) is None


def test_what_the_documented_mappings_read() -> None:
    url = '(.self | split("/") | .[:3] | join("/")) + "/browse/" + .key'
    assert read_paths(url) == frozenset({("self",), ("key",)})
    assert read_paths(".fields.subtasks | map(.key)") == frozenset({("fields", "subtasks")})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=ITEMS, expression=st.sampled_from(READ_PARTLY))
def test_jq_on_the_part_kept_gives_what_it_gives_on_the_whole_item(
    item: dict[str, Any], expression: str
) -> None:
    paths = read_paths(expression)
    assert paths is not None
    before = json.dumps(item)
    assert jq_all(expression, projection(paths)(item)) == jq_all(expression, item)
    assert json.dumps(item) == before  # the item itself is left as it was


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=ITEMS, expression=st.sampled_from(PLAIN))
def test_a_plain_read_in_python_gives_what_jq_gives(item: dict[str, Any], expression: str) -> None:
    read = plain_read(expression)
    assert read is not None
    assert read(item) == jq_all(expression, item)


def test_overlapping_paths_keep_the_widest_subtree() -> None:
    item = {"fields": {"status": {"name": "Done", "id": 1}, "other": 2}, "key": "P-1"}
    kept = projection({("fields",), ("fields", "status", "name")})(item)
    assert kept == {"fields": item["fields"]}


@pytest.mark.parametrize("number", [2**53 + 1, 10**20 + 1, -0.0, 1e300, 0.1 + 0.2, 7, 10**400])
def test_numbers_read_in_python_come_back_as_jq_holds_them(number: float) -> None:
    """jq holds numbers as doubles: a plain read gives what jq gives, or leaves the item to
    jq's own path (None) for a number no double holds."""
    read = plain_read(".fields.n")
    assert read is not None
    item = {"fields": {"n": number, "list": [number]}}
    assert read(item) in (None, jq_all(".fields.n", item))
    assert read(item) is not None or number == 10**400
