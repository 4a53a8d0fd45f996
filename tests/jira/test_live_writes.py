"""Live events' Port writes: concurrent deliveries share one bulk request, one object's states
reach Port in the order they came, and each delivery is done only once its own write is."""

from __future__ import annotations

import asyncio

import pytest
from port_ocean.core.models import Entity

from jira.live_writes import LiveWrites, Outcome


def issue(key: str, title: str = "") -> Entity:
    return Entity.parse_obj({"identifier": key, "blueprint": "jiraIssue", "title": title or key})


class Port:
    """Bulk writes as Port answers them: each held until `release`, the failing ids refused."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.requests: list[list[tuple[str, str | None]]] = []
        self.refuse = refuse
        self.gate = asyncio.Event()
        self.error: Exception | None = None

    async def write(self, entities: list[Entity]) -> Outcome:
        self.requests.append([(str(e.identifier), e.title) for e in entities])
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        return [(e.identifier not in self.refuse, e) for e in entities]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_deliveries_writing_together_share_one_request() -> None:
    writes, port = LiveWrites(), Port(refuse=frozenset({"P-3"}))
    first = asyncio.ensure_future(writes.upsert("k", [issue("P-0")], port.write))
    await settle()  # P-0 is in flight; the next three wait for it and then go together
    rest = [
        asyncio.ensure_future(writes.upsert("k", [issue(f"P-{n}")], port.write)) for n in (1, 2, 3)
    ]
    await settle()
    assert not any(task.done() for task in [first, *rest])
    port.gate.set()
    outcomes = await asyncio.gather(first, *rest)
    assert port.requests == [[("P-0", "P-0")], [("P-1", "P-1"), ("P-2", "P-2"), ("P-3", "P-3")]]
    assert [[(ok, e.identifier) for ok, e in outcome] for outcome in outcomes] == [
        [(True, "P-0")],
        [(True, "P-1")],
        [(True, "P-2")],
        [(False, "P-3")],  # Port refused it: that delivery learns it, the others do not
    ]


async def test_one_objects_states_reach_port_in_the_order_they_came() -> None:
    writes, port = LiveWrites(), Port()
    port.gate.set()
    tasks = [
        asyncio.ensure_future(writes.upsert("k", [issue("P-1", f"state {n}")], port.write))
        for n in range(3)
    ]
    tasks.append(asyncio.ensure_future(writes.upsert("k", [issue("P-2")], port.write)))
    await asyncio.gather(*tasks)
    assert port.requests == [
        [("P-1", "state 0")],
        [("P-1", "state 1")],
        [("P-1", "state 2"), ("P-2", "P-2")],
    ]


async def test_a_failed_request_fails_each_of_its_deliveries_only() -> None:
    writes, port = LiveWrites(), Port()
    port.error = RuntimeError("Port unreachable")
    tasks = [
        asyncio.ensure_future(writes.upsert("k", [issue(f"P-{n}")], port.write)) for n in (1, 2)
    ]
    await settle()
    port.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert [str(r) for r in results] == ["Port unreachable"] * 2
    port.error = None  # the lane carries on with the next writes
    assert await writes.upsert("k", [issue("P-3")], port.write) == [(True, issue("P-3"))]


async def test_other_blueprints_and_options_do_not_wait_for_each_other() -> None:
    writes, held, free = LiveWrites(), Port(), Port()
    free.gate.set()
    waiting = asyncio.ensure_future(writes.upsert("a", [issue("P-1")], held.write))
    await settle()
    assert await writes.upsert("b", [issue("P-2")], free.write) == [(True, issue("P-2"))]
    assert not waiting.done()
    held.gate.set()
    assert await waiting == [(True, issue("P-1"))]


async def test_a_stopped_writer_leaves_no_delivery_waiting_forever() -> None:
    writes, port = LiveWrites(), Port()
    first = asyncio.ensure_future(writes.upsert("k", [issue("P-1")], port.write))
    await settle()
    second = asyncio.ensure_future(writes.upsert("k", [issue("P-2")], port.write))
    await settle()
    for task in list(writes._tasks):  # shutdown cancels the writing task
        task.cancel()
    await settle()
    with pytest.raises(asyncio.CancelledError):
        await second
    assert first.done()
