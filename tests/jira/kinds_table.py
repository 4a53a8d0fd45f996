"""The table of kinds in docs/kinds.md and README.md, generated from `KINDS` (tests/jira/
test_kinds.py holds them equal). Rewrite both with: .venv/bin/python -m tests.jira.kinds_table"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integrations" / "jira"))

from port_ocean.core.handlers.port_app_config.models import Selector  # noqa: E402

from jira.kinds import KINDS, Kind  # noqa: E402

KINDS_DOC = ROOT / "docs" / "kinds.md"
README = ROOT / "README.md"
TABLE_DOCS = (KINDS_DOC, README)
START = "<!-- kinds table: generated from KINDS by tests/jira/kinds_table.py -->"
END = "<!-- end of kinds table -->"
# Marks a kind or key that Port's own Jira integration has too, with the same shape and default.
MATCH = "✔"


def _default(value: object) -> str:
    return "unset" if value is None else f"`{json.dumps(value)}`"


def _mark(upstream: bool) -> str:
    return f" {MATCH}" if upstream else ""


def _selector_keys(kind: Kind) -> str:
    """The kind's own selector keys (beside Ocean's `query`), with their defaults, marked
    where Port's integration has the same key."""
    keys = [
        f"`{field.alias}`: {_default(field.get_default())}{_mark(field.alias in kind.upstream_keys)}"
        for name, field in kind.selector.__fields__.items()
        if name not in Selector.__fields__
    ]
    return ", ".join(keys) or "none"


def _adds(kind: Kind) -> str:
    """The private keys the kind adds for mappings, marked where Port's integration adds them."""
    return ", ".join(f"`{a.key}`: {a.value}{_mark(a.upstream)}" for a in kind.adds) or "none"


def _events(kind: Kind) -> str:
    if kind.live is None:
        return "none (resync only)"
    return ", ".join(f"`{name}`" for name in sorted(kind.live.events))


def render(kinds: Iterable[Kind] = KINDS) -> str:
    rows = [
        "| Kind | Reads | Selector keys (default) | Adds for mappings | Live events |",
        "|------|-------|-------------------------|-------------------|-------------|",
        *(
            f"| `{k.name}`{_mark(k.upstream)} | {k.description} | {_selector_keys(k)} | "
            f"{_adds(k)} | {_events(k)} |"
            for k in kinds
        ),
    ]
    return "\n".join([START, *rows, END])


def documented(text: str) -> str:
    """The generated block as it stands in the docs ('' when it is missing)."""
    start, end = text.find(START), text.find(END)
    return text[start : end + len(END)] if 0 <= start < end else ""


def main() -> None:
    for doc in TABLE_DOCS:
        text = doc.read_text()
        current = documented(text)
        if not current:
            raise SystemExit(f"{doc}: no {START!r} ... {END!r} block to rewrite")
        doc.write_text(text.replace(current, render()))


if __name__ == "__main__":
    main()
