"""Ocean's comparison with Port before an upsert, its searches overlapping
(integrations/jira/jira/port_diff.py): the same entities left to upsert as Ocean's own
comparison, with the searches in flight together."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from port_ocean.clients.port.types import UserAgentType
from port_ocean.core.integrations.mixins.sync_raw import SyncRawMixin
from port_ocean.core.models import Entity

from jira.port_diff import SEARCHES_IN_FLIGHT, ConcurrentPortDiff


class PortSearches:
    """Port's answers to Ocean's comparison searches: the entities it holds, by identifier."""

    def __init__(self, held: dict[str, Entity], fail_on: int | None = None) -> None:
        self.held = held
        self.fail_on = fail_on
        self.searches = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.cancelled = 0

    async def __call__(self, batch: list[Entity], resource: Any, agent: Any) -> list[Entity]:
        self.searches += 1
        number = self.searches
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if number == self.fail_on:
                raise RuntimeError("Port answered 503")
            await asyncio.sleep(0.001)  # Port's round trip: the other searches may start
            return [self.held[e.identifier] for e in batch if e.identifier in self.held]
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1


def _compare(cls: type[SyncRawMixin], entities: list[Entity], port: PortSearches) -> Any:
    syncer = cls.__new__(cls)  # the comparison reads no state of the integration
    syncer._fetch_entities_batch_from_port = port  # type: ignore[assignment,method-assign]
    return syncer._map_entities_compared_with_port(entities, None, UserAgentType.exporter)  # type: ignore[arg-type]


def _issue(number: int, status: str) -> Entity:
    return Entity.parse_obj(
        {
            "identifier": f"PROJ-{number}",
            "blueprint": "jiraIssue",
            "title": f"Issue {number}",
            "properties": {"status": status},
            "relations": {"project": "PROJ"},
        }
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["new", "same", "changed"]), max_size=180),
)
def test_the_entities_left_to_upsert_are_the_ones_ocean_leaves(states: list[str]) -> None:
    entities = [_issue(n, "Done") for n in range(len(states))]
    held = {
        e.identifier: _issue(n, "Done" if state == "same" else "To Do")
        for n, (e, state) in enumerate(zip(entities, states, strict=True))
        if state != "new"
    }

    ours = asyncio.run(_compare(ConcurrentPortDiff, entities, PortSearches(held)))
    oceans = asyncio.run(_compare(SyncRawMixin, entities, PortSearches(held)))

    assert [e.identifier for e in ours] == [e.identifier for e in oceans]
    changed = {e.identifier for e, state in zip(entities, states, strict=True) if state != "same"}
    # Ocean upserts a batch of 10 or fewer without comparing
    assert {e.identifier for e in ours} == (
        changed if len(entities) > 10 else {e.identifier for e in entities}
    )


async def test_a_batch_s_searches_are_in_flight_together() -> None:
    entities = [_issue(n, "Done") for n in range(1000)]
    port = PortSearches({})

    left = await _compare(ConcurrentPortDiff, entities, port)

    assert len(left) == 1000
    assert port.searches == 20  # 50 identifiers a search, as Ocean asks
    assert port.max_in_flight == SEARCHES_IN_FLIGHT
    ocean_port = PortSearches({})
    await _compare(SyncRawMixin, entities, ocean_port)
    assert ocean_port.searches == 20 and ocean_port.max_in_flight == 1


async def test_a_failed_search_fails_the_comparison_and_stops_the_others() -> None:
    entities = [_issue(n, "Done") for n in range(2000)]  # 40 searches, twice those in flight
    port = PortSearches({}, fail_on=3)

    with pytest.raises(RuntimeError, match="503"):
        await _compare(ConcurrentPortDiff, entities, port)

    assert port.searches < 40  # the searches still waiting never start
    assert port.cancelled > 0 and port.in_flight == 0  # those in flight are stopped
