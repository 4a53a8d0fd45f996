"""Ocean's comparison with Port before each upsert, with its searches in flight together.

Before upserting a batch in a resync, Ocean (port-ocean 0.56,
`SyncRawMixin._map_entities_compared_with_port`) reads the batch's entities back from Port, 50
identifiers a search, to leave out the ones that did not change. It sends those searches one
after another, so they are most of a sync's wall time once Port is a network away (a batch of
1,000 issues waits for 20 searches in a row; see docs/performance.md).

`ConcurrentPortDiff` sends the same searches, `SEARCHES_IN_FLIGHT` at a time, and hands the
results to Ocean's own `resolve_entities_diff`, so the entities upserted are the ones Ocean would
upsert. A search that fails fails the comparison as Ocean's does (Ocean then upserts the whole
batch); the other searches of the batch are cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from port_ocean.clients.port.types import UserAgentType
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.integrations.mixins.sync_raw import SyncRawMixin
from port_ocean.core.models import Entity
from port_ocean.core.utils.utils import resolve_entities_diff

# Ocean's own figures (sync_raw.py): a batch of at most this many entities is upserted without
# a comparison, and a search asks for this many identifiers.
MIN_ENTITIES_TO_COMPARE = 10
SEARCH_SIZE = 50
# A batch of 1,000 entities (the issue kind's, jira.issues) makes 20 searches: one round trip.
SEARCHES_IN_FLIGHT = 20


class ConcurrentPortDiff(SyncRawMixin):
    async def _map_entities_compared_with_port(
        self,
        entities: list[Entity],
        resource: ResourceConfig,
        user_agent_type: UserAgentType,
    ) -> list[Entity]:
        if not entities:
            return []
        if entities[0].is_using_search_identifier or entities[0].is_using_search_relation:
            return entities
        if len(entities) <= MIN_ENTITIES_TO_COMPARE:
            return entities
        gate = asyncio.Semaphore(SEARCHES_IN_FLIGHT)

        async def search(batch: list[Entity]) -> list[Entity]:
            async with gate:
                return await self._fetch_entities_batch_from_port(batch, resource, user_agent_type)

        searches = [
            asyncio.create_task(search(entities[i : i + SEARCH_SIZE]))
            for i in range(0, len(entities), SEARCH_SIZE)
        ]
        try:
            found = await asyncio.gather(*searches)
        finally:  # after a failure: the searches still waiting or in flight are not needed
            for task in searches:
                task.cancel()
            await asyncio.gather(*searches, return_exceptions=True)

        async def in_port() -> AsyncGenerator[list[Entity], None]:
            for entities_in_port in found:
                yield entities_in_port

        return await resolve_entities_diff(entities, in_port())
