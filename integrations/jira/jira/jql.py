"""Small, quote-aware JQL helpers for combining a user's JQL with our own clauses."""

from __future__ import annotations

import re

_ORDER_BY = re.compile(r"order\s+by\b", re.IGNORECASE)


def _unquoted_spans(jql: str) -> list[tuple[int, int]]:
    """The [start, end) ranges of `jql` that are outside quoted strings."""
    spans: list[tuple[int, int]] = []
    start = 0
    quote: str | None = None
    i = 0
    while i < len(jql):
        char = jql[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = None
                start = i + 1
        elif char in ("'", '"'):
            spans.append((start, i))
            quote = char
        i += 1
    if quote is None:
        spans.append((start, len(jql)))
    return spans


def without_order_by(jql: str) -> str:
    """`jql` without its ORDER BY clause (which cannot be wrapped in parentheses)."""
    for start, end in _unquoted_spans(jql):
        match = _ORDER_BY.search(jql, start, end)
        if match and (match.start() == 0 or not (jql[match.start() - 1].isalnum())):
            return jql[: match.start()].strip()
    return jql.strip()


def quoted(value: str) -> str:
    """A JQL string literal."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def and_clause(user_jql: str, clause: str) -> str:
    """`(user JQL) AND clause`, keeping the user's precedence intact."""
    base = without_order_by(user_jql)
    return f"({base}) AND {clause}" if base else clause
