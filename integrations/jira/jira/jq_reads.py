"""What a mapping's jq expression reads of an item, where its text proves it.

The compiled mapping engine (jira.entity_processor) hands jq each item as JSON text, and jq's
parser, not the expressions, is most of the cost (5 KB of text an issue, most of it avatar and
`self` URLs no mapping reads). Two shapes are common enough to be worth knowing:
- `plain_read`: a plain path (`.fields.status.name`) or a literal (`"jiraIssue"`, `true`) is
  read in Python exactly as jq reads it: no jq at all for it.
- `read_paths`: an expression built only from plain paths, string literals, `+`, parentheses
  and pipes (`.fields.subtasks | map(.key)`,
  `(.self | split("/") | .[:3] | join("/")) + "/browse/" + .key`) reads nothing of the item
  but the subtrees at those paths: what follows a pipe sees only what precedes it, and jq has
  no way back to the item (`input`, `$__loc__` and the like never get here:
  entity_processor leaves such expressions to Ocean). `projection` keeps only those subtrees,
  so jq parses a few hundred bytes an issue.
Anything else (`.fields | keys`, `map(.x)` on the item, `//`, a comment, a string with an
interpolation) reads an unknown part of the item: jq gets all of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

Path = tuple[str, ...]
Read = Callable[[Any], list[Any] | None]

_PLAIN_PATH = re.compile(r"\s*((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*")
_PLAIN_STRING = re.compile(r'\s*("[^"\\]*")\s*')
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
_OPENING, _CLOSING = "([{", ")]}"


def plain_read(expression: str) -> Read | None:
    """How Python reads a plain path or a literal as jq does, or None (jq runs it). The
    result is a slot as the compiled program makes it: `[value]`, or None where jq raises (a
    path through something that is neither an object nor null)."""
    if expression.strip() in _LITERALS:
        constant = [_LITERALS[expression.strip()]]
        return lambda item: constant
    if match := _PLAIN_STRING.fullmatch(expression):
        try:
            text = [json.loads(match.group(1))]
        except ValueError:  # a character jq takes in a string and JSON does not
            return None
        return lambda item: text
    if path := _plain_path(expression):
        return lambda item: _at(item, path)
    return None


def read_paths(expression: str) -> frozenset[Path] | None:
    """The item's paths whose subtrees are all `expression` reads, or None when its text does
    not prove it reads nothing else."""
    if "\\(" in expression:  # a string interpolation: code inside a string
        return None
    pieces = _split(expression, "|")
    if pieces is None:
        return None
    if len(pieces) > 1:  # what follows the first pipe sees only what precedes it
        if pieces[1].lstrip().startswith("="):  # `|=` updates the item itself
            return None
        return read_paths(pieces[0])
    terms = _split(expression, "+")
    if terms is None or any(term.lstrip().startswith("=") for term in terms[1:]):  # `+=`
        return None
    paths: set[Path] = set()
    for term in terms:
        text = term.strip()
        if _PLAIN_STRING.fullmatch(text):
            continue
        if (path := _plain_path(text)) is not None:
            paths.add(path)
        elif text.startswith("(") and _closes_at_end(text):
            inner = read_paths(text[1:-1])
            if inner is None:
                return None
            paths |= inner
        else:
            return None
    return frozenset(paths)


def projection(paths: Iterable[Path]) -> Callable[[Any], Any]:
    """The item with only the subtrees at `paths` (every path leading to them kept as it is),
    so that an expression that reads only those gives what it gives on the whole item."""
    kept = sorted(set(paths), key=len)
    kept = [p for p in kept if not any(p[: len(q)] == q for q in kept if len(q) < len(p))]

    def project(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        out: dict[str, Any] = {}
        for path in kept:
            source, target = item, out
            for depth, key in enumerate(path):
                if key not in source:
                    break  # missing: jq reads null either way
                value = source[key]
                if depth == len(path) - 1 or not isinstance(value, dict):
                    target[key] = value  # the subtree, or what jq cannot index further
                    break
                target = target.setdefault(key, {})
                source = value
        return out

    return project


def _plain_path(expression: str) -> Path | None:
    match = _PLAIN_PATH.fullmatch(expression)
    return tuple(match.group(1).split(".")[1:]) if match else None


def _at(item: Any, path: Path) -> list[Any] | None:
    value = item
    for key in path:
        if isinstance(value, dict):
            value = value.get(key)
        elif value is not None:
            return None  # jq: "Cannot index <type> with <key>"
    try:
        return [_copy(value)]
    except OverflowError:  # a number beyond a double: jq's own path decides
        return None


def _copy(value: Any) -> Any:
    """What jq hands back: a value of its own, not the item's, its numbers as jq holds them
    (doubles; a whole one comes back as an int: 2**53 + 1 as 2**53, -0.0 as 0)."""
    if isinstance(value, dict):
        return {key: _copy(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_copy(child) for child in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def _split(expression: str, separator: str) -> list[str] | None:
    """`expression` split at `separator` where it stands outside strings and brackets; None
    when the text holds a comment or does not balance (its meaning is then not read here)."""
    pieces, depth, start, in_string, escaped = [], 0, 0, False, False
    for index, char in enumerate(expression):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#":
            return None
        elif char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth -= 1
            if depth < 0:
                return None
        elif char == separator and depth == 0:
            pieces.append(expression[start:index])
            start = index + 1
    if in_string or depth:
        return None
    return [*pieces, expression[start:]]


def _closes_at_end(text: str) -> bool:
    """`text` (starting with `(`) is one parenthesised expression: its `(` closes at the end."""
    return text.endswith(")") and _split(text[1:-1], "\0") is not None
