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


def split_order_by(jql: str) -> tuple[str, str]:
    """`jql` as its condition and its `ORDER BY …` clause ('' when it has none); an ORDER BY
    inside a quoted string is text, not a clause."""
    for start, end in _unquoted_spans(jql):
        match = _ORDER_BY.search(jql, start, end)
        if match and (match.start() == 0 or not (jql[match.start() - 1].isalnum())):
            return jql[: match.start()].strip(), jql[match.start() :].strip()
    return jql.strip(), ""


def without_order_by(jql: str) -> str:
    """`jql` without its ORDER BY clause (which cannot be wrapped in parentheses)."""
    return split_order_by(jql)[0]


def quoted(value: str) -> str:
    """A JQL string literal."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


class UnbalancedJqlError(ValueError):
    """The user's JQL closes a parenthesis it did not open (or leaves one open): wrapped in
    parentheses it would mean something else, so it is not combined at all."""


def _check_balanced(jql: str) -> None:
    depth = 0
    for start, end in _unquoted_spans(jql):
        for char in jql[start:end]:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                break
        if depth < 0:
            break
    if depth != 0:
        raise UnbalancedJqlError(
            f"The selector's jql has unbalanced parentheses; fix the mapping's jql: {jql}"
        )


def and_clause(user_jql: str, clause: str, keep_order: bool = False) -> str:
    """`(user JQL) AND clause`, keeping the user's precedence intact (a top-level OR stays
    inside the parentheses); with `keep_order`, the user's ORDER BY is put back at the end."""
    base, order = split_order_by(user_jql)
    _check_balanced(base)
    combined = f"({base}) AND {clause}" if base else clause
    return f"{combined} {order}" if keep_order and order else combined
