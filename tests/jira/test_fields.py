"""Deriving the issue fields a mapping reads (and falling back to *all when unsure)."""

from __future__ import annotations

from typing import Any

import pytest

from jira.fields import fields_read_by
from jira.selectors import IssueResourceConfig
from tests.builders import DEFAULT_ISSUE_FIELDS, issue_mapping
from tests.integration.harness_setup import default_mapping


def resource(
    properties: dict[str, Any], query: str = "true", relations: dict[str, Any] | None = None
) -> IssueResourceConfig:
    return IssueResourceConfig.parse_obj(issue_mapping(properties, relations or {}, query=query))


def test_the_default_mapping_reads_exactly_these_fields() -> None:
    issue = next(r for r in default_mapping()["resources"] if r["kind"] == "issue")
    assert fields_read_by(IssueResourceConfig.parse_obj(issue)) == DEFAULT_ISSUE_FIELDS


def test_fields_in_the_selector_query_and_search_relations_count() -> None:
    config = resource(
        {"sprint": '.fields.customfield_11111[-1].name // ""'},
        query='.fields["customfield_222"] != null',
        relations={
            "owner": {
                "combinator": '"or"',
                "rules": [
                    {
                        "property": '"$identifier"',
                        "operator": '"="',
                        "value": ".fields.assignee.emailAddress",
                    }
                ],
            }
        },
    )
    assert fields_read_by(config) == ["assignee", "customfield_11111", "customfield_222", "summary"]


@pytest.mark.parametrize(
    "expression",
    [
        ".fields | keys",
        ".fields",
        "[.fields[] | .name]",
        ".. | .name? // empty",
        "to_entries | length",
        ". | tostring",
        "[.] | length",
        'getpath(["fields", "summary"])',
    ],
)
def test_unsure_expressions_fall_back_to_all_fields(expression: str) -> None:
    assert fields_read_by(resource({"x": expression})) is None


def test_top_level_keys_need_no_fields() -> None:
    assert fields_read_by(resource({"url": '.self + "/" + .key', "id": ".id"})) == ["summary"]
