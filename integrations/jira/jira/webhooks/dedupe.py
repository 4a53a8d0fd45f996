"""Bounded memories for at-least-once, unordered delivery.

- `RecentIds`: delivery ids already accepted (Jira repeats X-Atlassian-Webhook-Identifier on
  retries), so a retried delivery is answered without being queued twice.
- `NewestApplied`: per object, the newest state applied so far (`Applied`), so that when event
  workers run concurrently an older state fetched late never overwrites a newer one.

Both forget the least recently used entries beyond their size; forgetting only costs a redundant
(idempotent) update, never a wrong one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

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

    def __contains__(self, delivery_id: object) -> bool:
        return delivery_id in self._entries

    def seen_or_add(self, delivery_id: str) -> bool:
        """True when `delivery_id` was seen before; otherwise remembers it and returns False."""
        seen = delivery_id in self._entries
        self._remember(delivery_id, None)
        return seen

    def forget(self, delivery_id: str) -> None:
        """Lets Jira's retry of a delivery we failed to queue through again."""
        self._entries.pop(delivery_id, None)


@dataclass(frozen=True)
class Applied:
    """The newest state of one object applied to Port.

    `read` numbers the re-read that answered it: the re-reads of one object never overlap
    (jira.webhooks.rereads), so their order is the order of Jira's states, whatever the clocks.
    `updated` is Jira's own version of the content (epoch ms, None for kinds without one); a
    removal keeps the version it removed, so only a state Jira changed since can come back.
    """

    read: int
    updated: int | None
    removed: bool

    def admits(self, new: Applied) -> bool:
        """Whether `new` is not older than this state."""
        if new.removed:  # removed as of its read: older only than a state read after it
            return self.removed or new.read > self.read
        if self.removed:  # back only when read after the removal and changed since
            changed = new.updated is None or self.updated is None or new.updated > self.updated
            return new.read > self.read and changed
        if new.updated is not None and self.updated is not None:
            return new.updated >= self.updated  # Jira's version decides: a lagging search
        return new.read >= self.read


class NewestApplied(_Bounded[Hashable, Applied]):
    def __init__(self, size: int = DEFAULT_OBJECTS) -> None:
        super().__init__(size)

    def accept(self, key: Hashable, state: Applied) -> bool:
        """True (and remembered) unless a newer state of `key` was already applied. The same
        state applied twice is accepted, and so is a removal after a removal: both harmless."""
        newest = self._entries.get(key)
        if newest is not None and not newest.admits(state):
            return False
        if newest is not None and state.removed and state.updated is None:
            state = Applied(state.read, newest.updated, True)
        self._remember(key, state)
        return True
