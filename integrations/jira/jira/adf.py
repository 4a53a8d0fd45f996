"""Atlassian Document Format (comment bodies, worklog comments) as plain text.

Block nodes (paragraphs, headings, list items, code blocks, table cells…) become lines; inline
nodes become their text: a mention its `@name`, an emoji its shortcut, a link card its URL, a
hard break a new line. List items are prefixed with `- ` (or `1. ` in ordered lists). A plain
string (API v2 bodies) is returned as it is; anything else gives an empty string.
"""

from __future__ import annotations

from typing import Any

_BLOCKS = frozenset(
    {
        "doc",
        "paragraph",
        "heading",
        "blockquote",
        "codeBlock",
        "panel",
        "rule",
        "table",
        "tableRow",
        "tableHeader",
        "tableCell",
        "mediaSingle",
        "mediaGroup",
        "expand",
        "nestedExpand",
        "decisionList",
        "taskList",
    }
)
_LISTS = frozenset({"bulletList", "orderedList"})
_ITEMS = frozenset({"listItem", "taskItem", "decisionItem"})


def _inline(node: dict[str, Any]) -> str:
    kind = node.get("type")
    found = node.get("attrs")
    attrs: dict[str, Any] = found if isinstance(found, dict) else {}
    if kind == "text":
        return str(node.get("text") or "")
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        text = str(attrs.get("text") or attrs.get("id") or "")
        return text if text.startswith("@") else f"@{text}"
    if kind == "emoji":
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind in ("inlineCard", "blockCard", "embedCard"):
        return str(attrs.get("url") or "")
    if kind in ("status", "placeholder"):
        return str(attrs.get("text") or "")
    if kind == "date":
        return str(attrs.get("timestamp") or "")
    return ""


def _lines(node: Any, prefix: str = "") -> list[str]:
    """The lines of one node; `prefix` marks the first line of a list item."""
    if not isinstance(node, dict):
        return []
    kind = node.get("type")
    content = [child for child in node.get("content") or [] if isinstance(child, dict)]
    if kind in _LISTS:
        ordered = kind == "orderedList"
        lines: list[str] = []
        for n, item in enumerate(content, start=1):
            lines += _lines(item, f"{n}. " if ordered else "- ")
        return lines
    if kind in _ITEMS or kind in _BLOCKS or kind is None:
        has_blocks = any(child.get("type") in _BLOCKS | _LISTS | _ITEMS for child in content)
        if has_blocks:
            lines = []
            for child in content:
                child_lines = _lines(child)
                if prefix and not lines and child_lines:
                    child_lines[0] = prefix + child_lines[0]
                lines += child_lines
            return lines
        text = "".join(_inline(child) for child in content)
        if kind == "rule":
            return ["---"]
        if not text and not prefix:
            return []
        lines = text.split("\n")
        lines[0] = prefix + lines[0]
        return lines
    text = _inline(node)
    return text.split("\n") if text else []


def adf_to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    return "\n".join(line.rstrip() for line in _lines(value)).strip()
