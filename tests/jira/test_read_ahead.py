"""One resync's reads start together, wait within their bound, fail for their own kind only,
and share the parent lists within the resync, never across resyncs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from port_ocean.core.handlers.port_app_config.models import ResourceConfig

from jira import progress, read_ahead
from jira.paging import Page
from jira.progress import ResyncProgress
from jira.read_ahead import ResyncReads

MAPPING = {"entity": {"mappings": {"identifier": ".id", "blueprint": '"x"'}}}


def resource(kind: str) -> ResourceConfig:
    return ResourceConfig.parse_obj({"kind": kind, "selector": {"query": "true"}, "port": MAPPING})


class Reader:
    """A kind's pages, recording what was read and which tracker each read counted for."""

    def __init__(
        self, kind: str, pages: int, fail_after: int | None = None, items: int = 1
    ) -> None:
        self.kind, self.pages, self.fail_after, self.items = kind, pages, fail_after, items
        self.read = 0
        self.counted_for: list[str | None] = []

    async def __call__(self) -> AsyncIterator[Page]:
        for n in range(self.pages):
            if self.fail_after is not None and n == self.fail_after:
                raise RuntimeError(f"{self.kind}: Jira answered 500")
            await asyncio.sleep(0)
            tracker = progress.current()
            self.counted_for.append(tracker.kind if tracker else None)
            self.read += 1
            yield [
                {"id": f"{self.kind}-{n}-{i}" if self.items > 1 else f"{self.kind}-{n}"}
                for i in range(self.items)
            ]


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def test_every_resource_is_read_ahead_within_its_bound_and_counted_for_its_kind() -> None:
    readers = {"project": Reader("project", 10), "user": Reader("user", 2)}
    reads, trackers = ResyncReads(pages_ahead=3), ResyncProgress()
    reads.start([resource("project"), resource("user")], lambda r: readers[r.kind](), trackers.new)
    await settle()
    # before any handler asks: the small kind is read whole, the big one up to its bound
    assert readers["user"].read == 2
    assert readers["project"].read == 3  # the bound: nothing read beyond it
    taken = reads.take(0)
    assert taken is not None and reads.take(0) is None  # one handler per resource
    tracker, pages = taken
    assert tracker.kind == "project"
    assert [page async for page in pages] == [[{"id": f"project-{n}"}] for n in range(10)]
    assert set(readers["project"].counted_for) == {"project"}
    assert set(readers["user"].counted_for) == {"user"}
    await reads.close()


async def test_big_pages_wait_within_the_item_budget_small_ones_within_the_page_bound() -> None:
    issues, users = Reader("issue", 20, items=1000), Reader("user", 20, items=10)
    readers = {"issue": issues, "user": users}
    reads = ResyncReads(pages_ahead=4, items_ahead=1500)
    reads.start(
        [resource("issue"), resource("user")], lambda r: readers[r.kind](), ResyncProgress().new
    )
    await settle()
    # 1,000-item pages: two wait (the second takes it past 1,500), not four
    assert issues.read == 2
    assert users.read == 4
    taken = reads.take(0)
    assert taken is not None
    pages = taken[1]
    await anext(pages)
    await settle()
    assert issues.read == 3  # one taken, one more read: the budget is what waits, not a total
    rest = [page async for page in pages]  # and every page still arrives, in order
    assert [page[0]["id"] for page in rest] == [f"issue-{n}-0" for n in range(1, 20)]
    await reads.close()


async def test_a_failed_read_fails_its_own_kind_when_its_handler_reads_it() -> None:
    failing, fine = Reader("release", 5, fail_after=1), Reader("user", 2)
    reads = ResyncReads()
    readers = {"release": failing, "user": fine}
    reads.start(
        [resource("release"), resource("user")], lambda r: readers[r.kind](), ResyncProgress().new
    )
    await settle()
    user = reads.take(1)
    assert user is not None
    assert len([page async for page in user[1]]) == 2  # the other kind is untouched
    release = reads.take(0)
    assert release is not None
    got: list[Page] = []
    with pytest.raises(RuntimeError, match="500"):
        async for page in release[1]:
            got.append(page)
    assert got == [[{"id": "release-0"}]]  # what was read before the failure, then the error
    await reads.close()


async def test_a_resource_it_cannot_read_is_left_to_its_handler() -> None:
    reads = ResyncReads()
    reads.start([resource("unknown")], lambda r: None, ResyncProgress().new)
    assert reads.take(0) is None


async def test_closing_stops_reads_still_going() -> None:
    endless = Reader("issue", 1_000_000)
    reads = ResyncReads(pages_ahead=2)
    reads.start([resource("issue")], lambda r: endless(), ResyncProgress().new)
    await settle()
    await reads.close()
    read = endless.read
    await settle()
    assert endless.read == read <= 3


async def test_a_parent_list_is_read_once_per_resync_and_each_kind_gets_its_own_copy() -> None:
    projects = Reader("project", 3)
    read_ahead.begin()
    try:
        first = [p async for p in read_ahead.shared_list("projects", projects)]
        first[0][0]["__projectKey"] = "added by one kind"
        second = [p async for p in read_ahead.shared_list("projects", projects)]
    finally:
        await read_ahead.end()
    assert projects.read == 3
    assert second == [[{"id": f"project-{n}"}] for n in range(3)]
    third = [p async for p in read_ahead.shared_list("projects", projects)]  # no resync: read
    assert projects.read == 6 and third == second


async def test_a_parent_list_that_failed_is_asked_for_again() -> None:
    calls = 0

    async def flaky() -> AsyncIterator[Page]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("Jira answered 503")
        yield [{"id": "1"}]

    read_ahead.begin()
    try:
        with pytest.raises(RuntimeError):
            _ = [p async for p in read_ahead.shared_list("boards", flaky)]
        assert [p async for p in read_ahead.shared_list("boards", flaky)] == [[{"id": "1"}]]
    finally:
        await read_ahead.end()
    assert calls == 2
