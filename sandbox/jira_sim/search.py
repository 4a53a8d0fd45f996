"""JQL search with ``nextPageToken`` keyset paging and the optional index lag.

The token is opaque base64 of ``{"q": <jql hash>, "after": <sort key of the last issue>}``:
paging is stable under inserts/deletes (like a real index cursor) and needs no server state.
Issues created with ``indexed=False`` are invisible to search unless listed in
``reconcileIssues``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final

from .jql import JqlContext, JqlError, Ordering, compile_query, ordering, parse
from .store import Dataset, IssueRecord

UNBOUNDED: Final = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
INVALID_TOKEN: Final = "The provided next page token is invalid or expired."


class TokenError(ValueError):
    pass


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
    raise TokenError(INVALID_TOKEN)


class SearchEngine:
    """Evaluates JQL over a dataset, caching results per (jql, reconcile, data version, minute)."""

    def __init__(self, dataset: Dataset, cache_size: int = 64) -> None:
        self.dataset = dataset
        self._cache: OrderedDict[tuple[Any, ...], Evaluated] = OrderedDict()
        self._cache_size = cache_size

    def evaluate(
        self, jql: str, ctx: JqlContext, reconcile: frozenset[int] = frozenset()
    ) -> Evaluated:
        query = parse(jql)
        if query.where is None:
            raise JqlError(UNBOUNDED)
        cache_key = (
            jql.strip(),
            reconcile,
            self.dataset.version,
            ctx.now.replace(second=0, microsecond=0),
        )
        hit = self._cache.get(cache_key)
        if hit is not None:
            self._cache.move_to_end(cache_key)
            return hit
        predicate = compile_query(query, ctx)
        order = ordering(query)
        matched = [
            rec
            for rec in self.dataset.issues.values()
            if (rec.indexed or rec.id in reconcile) and predicate(rec)
        ]
        keyed = order.sort(matched)
        result = Evaluated(order, [k for k, _ in keyed], [r for _, r in keyed])
        self._cache[cache_key] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result

    def page(
        self,
        jql: str,
        ctx: JqlContext,
        *,
        token: str | None,
        max_results: int,
        reconcile: frozenset[int] = frozenset(),
    ) -> tuple[list[IssueRecord], str | None]:
        """One page of issues and the next token (None on the last page)."""
        evaluated = self.evaluate(jql, ctx, reconcile)
        start = 0
        if token:
            try:
                start = evaluated.ordering.after(evaluated.keys, decode_token(jql, token))
            except TypeError:
                raise TokenError(INVALID_TOKEN) from None
        end = start + max_results
        issues = evaluated.issues[start:end]
        if end >= len(evaluated.issues) or not issues:
            return issues, None
        return issues, encode_token(jql, evaluated.keys[end - 1])
