"""The entities live events wrote to Port lately, which a full resync must not delete.

Jira's search index lags its writes: `/search/jql` documents that "recent updates might not be
immediately visible" unless `reconcileIssues` names them. A live event re-reads its object with
`reconcileIssues` and writes it to Port; a full resync that starts a moment later lists the
issues from the index, which may not show that one yet. Ocean's delete phase would then remove
an entity Jira has and selects: the resync did not return it, which makes it unknown, not gone.

So the integration's applier (integration.py) records what live events upsert, and a resync's
delete phase keeps the entities of the kinds it reads through the search index (`SEARCHED`)
that live events upserted since `LAG_MARGIN_SECONDS` before the resync started. Keeping one
costs at most staleness until the next resync (which deletes it if Jira still does not list
it); a live event that finds it gone removes it anyway.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from datetime import datetime

from port_ocean.core.models import Entity

LAG_MARGIN_SECONDS = 60.0
"""How long before a resync's start a live upsert still counts as possibly unseen by it (Jira
names no bound for its index lag; seconds are usual)."""
SEARCHED = frozenset({"issue", "comment", "worklog", "backlog"})
"""The kinds a resync reads through the JQL search index (comments and worklogs: of the issues
it finds)."""
REMEMBERED = 50_000

Key = tuple[str, str]


class LiveUpserts:
    """When each entity was last upserted by a live event (bounded: the oldest are forgotten)."""

    def __init__(self, clock: Callable[[], float] = time.time, size: int = REMEMBERED) -> None:
        self._clock = clock
        self._size = size
        self._at: OrderedDict[Key, float] = OrderedDict()

    def saw(self, entities: Iterable[Entity]) -> None:
        now = self._clock()
        for entity in entities:
            key = (entity.blueprint, entity.identifier)
            self._at[key] = now
            self._at.move_to_end(key)
        while len(self._at) > self._size:
            self._at.popitem(last=False)

    def kept(
        self,
        entities: Iterable[Entity],
        searched_blueprints: Collection[str | None],
        resync_started: datetime | None,
    ) -> list[Entity]:
        """Those of `entities` live events upserted since shortly before `resync_started` (all
        the remembered ones when the start is unknown), of the blueprints the searched kinds map
        to (every blueprint when one of them is computed per object: None among them)."""
        since = (resync_started.timestamp() if resync_started else 0.0) - LAG_MARGIN_SECONDS
        return [
            entity
            for entity in entities
            if (None in searched_blueprints or entity.blueprint in searched_blueprints)
            and self._at.get((entity.blueprint, entity.identifier), float("-inf")) >= since
        ]

    def forget(self) -> None:
        self._at.clear()


LIVE_UPSERTS = LiveUpserts()
