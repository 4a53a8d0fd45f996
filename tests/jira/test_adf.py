"""Atlassian Document Format as plain text (comment bodies, worklog comments)."""

from __future__ import annotations

from typing import Any

import pytest

from jira.adf import adf_to_text
from sandbox.jira_sim.store.records import adf


def para(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(nodes)}


def text(value: str, **marks: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if marks:
        node["marks"] = [{"type": k} for k in marks]
    return node


def doc(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(blocks)}


def item(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "listItem", "content": list(blocks)}


def test_paragraphs_become_lines_and_marks_are_dropped() -> None:
    assert adf_to_text(adf("first\nsecond")) == "first\nsecond"
    assert adf_to_text(doc(para(text("bold", strong=True), text(" and plain")))) == "bold and plain"


def test_inline_nodes() -> None:
    body = doc(
        para(
            text("Hi "),
            {"type": "mention", "attrs": {"id": "acc-1", "text": "@Ann"}},
            text(", see "),
            {"type": "inlineCard", "attrs": {"url": "https://x.example/1"}},
            {"type": "hardBreak"},
            {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
            {"type": "status", "attrs": {"text": "DONE"}},
        )
    )
    assert adf_to_text(body) == "Hi @Ann, see https://x.example/1\n😄DONE"


def test_lists_headings_code_and_rules() -> None:
    body = doc(
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Plan")]},
        {"type": "bulletList", "content": [item(para(text("one"))), item(para(text("two")))]},
        {"type": "orderedList", "content": [item(para(text("first")))]},
        {"type": "rule"},
        {"type": "codeBlock", "content": [text("a = 1\nb = 2")]},
    )
    assert adf_to_text(body) == "Plan\n- one\n- two\n1. first\n---\na = 1\nb = 2"


def test_nested_lists_and_tables() -> None:
    nested = {"type": "bulletList", "content": [item(para(text("inner")))]}
    table = {
        "type": "table",
        "content": [
            {
                "type": "tableRow",
                "content": [
                    {"type": "tableCell", "content": [para(text("a"))]},
                    {"type": "tableCell", "content": [para(text("b"))]},
                ],
            }
        ],
    }
    body = doc({"type": "bulletList", "content": [item(para(text("outer")), nested)]}, table)
    assert adf_to_text(body) == "- outer\n- inner\na\nb"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), ("plain v2 body", "plain v2 body"), (42, ""), (doc(), ""), ({"type": "doc"}, "")],
)
def test_other_values(value: Any, expected: str) -> None:
    assert adf_to_text(value) == expected


def test_unknown_nodes_are_ignored_but_their_text_kept() -> None:
    body = doc({"type": "someFutureBlock", "content": [para(text("kept"))]}, para(text("x")))
    assert "x" in adf_to_text(body)
