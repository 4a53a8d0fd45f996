"""Bounded memories for at-least-once, unordered delivery.

- `RecentIds`: delivery ids already accepted (Jira repeats X-Atlassian-Webhook-Identifier on
  retries), so a retried delivery is answered without being queued twice.
- `NewestApplied`: per object, the newest version applied so far, so that when event workers run
  concurrently an older state fetched late never overwrites a newer one.

Both forget the least recently used entries beyond their size; forgetting only costs a redundant
(idempotent) update, never a wrong one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

DEFAULT_DELIVERY_IDS = 10_000
DEFAULT_OBJECTS = 50_000


class _Bounded[K: Hashable, V]:
    """At most `size` entries; the least recently remembered ones are forgotten first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def _remember(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


class RecentIds(_Bounded[str, None]):
    def __init__(self, size: int = DEFAULT_DELIVERY_IDS) -> None:
        super().__init__(size)

    def seen_or_add(self, delivery_id: str) -> bool:
        """True when `delivery_id` was seen before; otherwise remembers it and returns False."""
        seen = delivery_id in self._entries
        self._remember(delivery_id, None)
        return seen

    def forget(self, delivery_id: str) -> None:
        """Lets Jira's retry of a delivery we failed to queue through again."""
        self._entries.pop(delivery_id, None)


class NewestApplied(_Bounded[Hashable, int]):
    def __init__(self, size: int = DEFAULT_OBJECTS) -> None:
        super().__init__(size)

    def accept(self, key: Hashable, version: int | None) -> bool:
        """True (and remembered) unless a newer version of `key` was already applied.

        Versions are Jira epoch milliseconds; an unknown version is always accepted. Equal
        versions are accepted: the same state applied twice is harmless.
        """
        if version is None:
            return True
        newest = self._entries.get(key)
        if newest is not None and version < newest:
            return False
        self._remember(key, version if newest is None else max(newest, version))
        return True
