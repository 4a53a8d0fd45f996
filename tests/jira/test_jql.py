"""Combining the selector's JQL with a key clause: parenthesised, without ORDER BY."""

from __future__ import annotations

import pytest

from jira.jql import and_clause, quoted, without_order_by


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("project = PA", "project = PA"),
        ("project = PA ORDER BY created DESC", "project = PA"),
        ("project = PA order   by key", "project = PA"),
        ('summary ~ "order by" ORDER BY key', 'summary ~ "order by"'),
        ("summary ~ 'sort order by x'", "summary ~ 'sort order by x'"),
        ("reorder by = 1", "reorder by = 1"),
        ("ORDER BY key", ""),
    ],
)
def test_order_by_is_removed_outside_quotes_only(jql: str, expected: str) -> None:
    assert without_order_by(jql) == expected


def test_user_jql_is_parenthesised_so_or_keeps_its_meaning() -> None:
    assert (
        and_clause("project = A OR project = B ORDER BY key", 'key = "A-1"')
        == '(project = A OR project = B) AND key = "A-1"'
    )


def test_quoted_escapes_quotes_and_backslashes() -> None:
    assert quoted('a"b\\c') == '"a\\"b\\\\c"'
