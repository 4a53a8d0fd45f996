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


class RecentIds:
    def __init__(self, size: int = DEFAULT_DELIVERY_IDS) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._ids)

    def seen_or_add(self, delivery_id: str) -> bool:
        """True when `delivery_id` was seen before; otherwise remembers it and returns False."""
        if delivery_id in self._ids:
            self._ids.move_to_end(delivery_id)
            return True
        self._ids[delivery_id] = None
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return False

    def forget(self, delivery_id: str) -> None:
        """Lets Jira's retry of a delivery we failed to queue through again."""
        self._ids.pop(delivery_id, None)

    def clear(self) -> None:
        self._ids.clear()


class NewestApplied:
    def __init__(self, size: int = DEFAULT_OBJECTS) -> None:
        self._size = size
        self._versions: OrderedDict[Hashable, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._versions)

    def accept(self, key: Hashable, version: int | None) -> bool:
        """True (and remembered) unless a newer version of `key` was already applied.

        Versions are Jira epoch milliseconds; an unknown version is always accepted. Equal
        versions are accepted: the same state applied twice is harmless.
        """
        if version is None:
            return True
        newest = self._versions.get(key)
        if newest is not None and version < newest:
            return False
        self._versions[key] = version if newest is None else max(newest, version)
        self._versions.move_to_end(key)
        while len(self._versions) > self._size:
            self._versions.popitem(last=False)
        return True

    def clear(self) -> None:
        self._versions.clear()
