"""JQL search with ``nextPageToken`` keyset paging and the optional index lag (an issue
written less than ``search_lag_s`` ago is searched as the index still holds it, unless
``reconcileIssues`` names it).

The token is opaque base64 of ``{"q": <jql hash>, "after": <sort key of the last issue>}``:
paging is stable under inserts/deletes (like a real index cursor) and needs no server state.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

from .jql import JqlContext, JqlError, Ordering, compile_query, ordering, parse
from .store import Dataset, IssueRecord
from .unkind_search import UnkindSearch

UNBOUNDED: Final = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
INVALID_TOKEN: Final = "The provided next page token is invalid or expired."
CACHE_SIZE: Final = 64


@dataclass(frozen=True)
class Evaluated:
    ordering: Ordering
    keys: list[list[Any]]
    issues: list[IssueRecord]


def _jql_hash(jql: str) -> str:
    return hashlib.sha256(jql.strip().encode()).hexdigest()[:16]


def encode_token(jql: str, after: list[Any]) -> str:
    raw = json.dumps({"q": _jql_hash(jql), "after": after}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(jql: str, token: str) -> list[Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data["q"] == _jql_hash(jql) and isinstance(data["after"], list):
            return data["after"]
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError, KeyError):
        pass
    raise JqlError(INVALID_TOKEN)


class SearchEngine:
    """Evaluates JQL over a dataset, caching results per (jql, data version, minute)."""

    def __init__(self, dataset: Dataset, seed: int = 1) -> None:
        self.dataset = dataset
        self._cache: dict[tuple[Any, ...], Evaluated] = {}
        self.unkind = UnkindSearch(seed)  # the unkind Jira's search behaviours (their state)

    def evaluate(
        self, jql: str, ctx: JqlContext, reconciled: frozenset[int] = frozenset()
    ) -> Evaluated:
        minute = ctx.now.replace(second=0, microsecond=0)
        lagging = self.dataset.lagging(self.dataset.now(), reconciled)
        cache_key = (jql.strip(), self.dataset.version, minute, tuple(sorted(lagging)))
        if cache_key not in self._cache:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[cache_key] = self._evaluate(jql, ctx, lagging)
        return self._cache[cache_key]

    def _evaluate(
        self, jql: str, ctx: JqlContext, lagging: dict[int, IssueRecord | None]
    ) -> Evaluated:
        query = parse(jql)
        if query.where is None:
            raise JqlError(UNBOUNDED)
        predicate = compile_query(query, ctx)
        order = ordering(query)
        indexed = [
            lagging[rec.id] if rec.id in lagging else rec for rec in self.dataset.issues.values()
        ]
        keyed = order.sort([rec for rec in indexed if rec is not None and predicate(rec)])
        return Evaluated(order, [k for k, _ in keyed], [r for _, r in keyed])

    def page(
        self,
        jql: str,
        ctx: JqlContext,
        token: str | None,
        max_results: int,
        reconciled: frozenset[int] = frozenset(),
    ) -> tuple[list[IssueRecord], str | None]:
        """One page of issues and the next token (None on the last page)."""
        evaluated = self.evaluate(jql, ctx, reconciled)
        start = 0
        if token:  # the token names this JQL, so its key compares with these
            start = evaluated.ordering.after(evaluated.keys, decode_token(jql, token))
        end = start + max_results
        issues = evaluated.issues[start:end]
        if end >= len(evaluated.issues) or not issues:
            return issues, None
        return issues, encode_token(jql, evaluated.keys[end - 1])
