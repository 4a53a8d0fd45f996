"""The order in which Jira requests get the client's concurrency slots (jira.priority)."""

from __future__ import annotations

import asyncio

import pytest

from jira import priority
from jira.priority import PrioritySlots


async def _hold(slots: PrioritySlots, prio: int, log: list[int], release: asyncio.Event) -> None:
    async with slots.slot(prio):
        log.append(prio)
        await release.wait()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_resource_with_nothing_in_flight_goes_before_the_fan_out_ahead_of_it() -> None:
    """The teams' one request, asked after a board fan-out filled the queue, is served first."""
    slots = PrioritySlots(2)
    order: list[int] = []
    release = asyncio.Event()
    tasks = [asyncio.create_task(_hold(slots, 6, order, release)) for _ in range(6)]
    await _settle()
    assert order == [6, 6]  # the bound: two in flight, four waiting
    tasks.append(asyncio.create_task(_hold(slots, 2, order, release)))
    await _settle()
    release.set()
    await asyncio.gather(*tasks)
    assert order == [6, 6, 2, 6, 6, 6, 6]


async def test_a_resource_holding_its_share_waits_for_one_holding_none() -> None:
    slots = PrioritySlots(2)
    order: list[int] = []
    keep, done = asyncio.Event(), asyncio.Event()
    holders = [asyncio.create_task(_hold(slots, 3, order, e)) for e in (keep, done)]
    await _settle()
    # 3 holds both slots; 9 asks, then 3 again: when one slot frees, 3 still holds the other,
    # so 9 (holding none) is served before the resource Ocean reaches sooner.
    waiting = [asyncio.create_task(_hold(slots, 9, order, keep))]
    await _settle()
    waiting.append(asyncio.create_task(_hold(slots, 3, order, keep)))
    await _settle()
    done.set()
    await _settle()
    assert order == [3, 3, 9]
    keep.set()
    await asyncio.gather(*holders, *waiting)
    assert order == [3, 3, 9, 3]


async def test_among_resources_holding_slots_the_lower_priority_goes_first() -> None:
    slots = PrioritySlots(2)
    order: list[int] = []
    gate = asyncio.Event()
    holders = [asyncio.create_task(_hold(slots, p, order, gate)) for p in (4, 8)]
    await _settle()
    waiting = [asyncio.create_task(_hold(slots, p, order, gate)) for p in (8, 4, 8, 4)]
    await _settle()
    gate.set()
    await asyncio.gather(*holders, *waiting)
    assert order == [4, 8, 4, 8, 4, 8]


async def test_the_bound_holds_and_a_cancelled_waiter_loses_no_slot() -> None:
    slots = PrioritySlots(3)
    in_flight = most = 0

    async def request(prio: int) -> None:
        nonlocal in_flight, most
        async with slots.slot(prio):
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.001)
            in_flight -= 1

    tasks = [asyncio.create_task(request(i % 5)) for i in range(40)]
    await _settle()
    for task in tasks[10:20]:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert most == 3
    assert sum(isinstance(r, asyncio.CancelledError) for r in results) == 10
    # every slot came back: three more requests run at once
    started = [asyncio.create_task(_hold(slots, 0, [], asyncio.Event())) for _ in range(3)]
    await _settle()
    assert slots.holding[0] == 3
    for task in started:
        task.cancel()
    await asyncio.gather(*started, return_exceptions=True)


async def test_a_task_s_requests_carry_the_priority_it_was_given() -> None:
    async def read() -> int:
        priority.use(7)
        return await asyncio.create_task(_current())

    async def _current() -> int:
        return priority.current()

    assert await asyncio.create_task(read()) == 7
    assert priority.current() == priority.FIRST


@pytest.mark.parametrize("size", [1, 4])
async def test_a_granted_waiter_cancelled_before_it_runs_passes_its_slot_on(size: int) -> None:
    slots = PrioritySlots(size)
    gate = asyncio.Event()
    holders = [asyncio.create_task(_hold(slots, 1, [], gate)) for _ in range(size)]
    await _settle()
    doomed = asyncio.create_task(_hold(slots, 2, [], gate))
    after: list[int] = []
    survivor = asyncio.create_task(_hold(slots, 3, after, asyncio.Event()))
    await _settle()
    holders[0].cancel()  # frees a slot: granted to `doomed` (priority 2 holds nothing, first)
    await asyncio.sleep(0)
    doomed.cancel()  # cancelled before it resumed: the slot goes on to `survivor`
    await _settle()
    assert after == [3]
    gate.set()
    survivor.cancel()
    await asyncio.gather(*holders, doomed, survivor, return_exceptions=True)
