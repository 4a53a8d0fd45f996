"""The one parent→child helper: concurrency bound, the skip rule, failures, batching."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from loguru import logger
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.models import Entity

from jira import progress
from jira.errors import JiraApiError, JiraAuthError, JiraNotFoundError, JiraUnavailableError
from jira.fanout import Fanout, children, enrich, tagged
from jira.paging import Page
from jira.progress import ResyncProgress, summary_table
from jira.unavailable import kept
from tests.jira.support import collect

Item = dict[str, Any]


@pytest.fixture
def logs() -> Any:
    records: list[tuple[str, str]] = []
    handler = logger.add(lambda m: records.append((m.record["level"].name, m.record["message"])))
    yield records
    logger.remove(handler)


async def pages_of(*pages: Page) -> AsyncIterator[Page]:
    for page in pages:
        yield page


def parents(n: int, per_page: int = 3) -> AsyncIterator[Page]:
    items = [{"id": i} for i in range(n)]
    return pages_of(*[items[i : i + per_page] for i in range(0, n, per_page)])


def describe(parent: Item) -> str:
    return f"parent {parent['id']}"


async def test_every_child_page_is_yielded_and_children_run_concurrently() -> None:
    running = 0
    peak = 0

    async def fetch(parent: Item) -> AsyncIterator[Page]:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        yield [{"child": f"{parent['id']}-a"}, {"child": f"{parent['id']}-b"}]
        yield [{"child": f"{parent['id']}-c"}]

    found = await collect(children(parents(10), fetch, Fanout("k", describe, 4)))
    assert sorted(c["child"] for c in found) == sorted(f"{i}-{s}" for i in range(10) for s in "abc")
    assert peak == 4  # concurrent, and never more than the bound


async def test_child_pages_are_gathered_into_batches() -> None:
    async def fetch(parent: Item) -> AsyncIterator[Page]:
        yield [{"n": parent["id"]}]

    sizes = [
        len(page)
        async for page in children(
            parents(25), fetch, Fanout("k", describe, 3), batch=10
        )
    ]
    assert sum(sizes) == 25 and sizes[:2] == [10, 10] and sizes[-1] == 5


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_a_400_403_or_404_skips_that_parent_with_one_warning(
    status: int, logs: list[tuple[str, str]]
) -> None:
    kind = {403: JiraAuthError, 404: JiraNotFoundError}.get(status, JiraApiError)
    tracker = ResyncProgress().new("k")
    progress.use(tracker)

    async def fetch(parent: Item) -> AsyncIterator[Page]:
        if parent["id"] == 2:
            yield [{"n": 2, "first": True}]  # already read pages stay
            raise kind(status, "GET", "GET /rest/x/{id}", ["No access to 2"])
        yield [{"n": parent["id"]}]

    fanout = Fanout("k", describe, 2, access="the Browse projects permission in that project")
    found = await collect(children(parents(5), fetch, fanout))
    assert sorted(c["n"] for c in found) == [0, 1, 2, 3, 4]
    warnings = [m for level, m in logs if level == "WARNING"]
    assert len(warnings) == 1
    assert "parent 2" in warnings[0] and str(status) in warnings[0] and "No access" in warnings[0]
    if status == 404:
        # the parent is gone: so are its children, which Ocean's delete phase removes
        assert tracker.refused == []
        assert "it is gone, and its k entities leave Port with it" in warnings[0]
    else:
        # refused: its children are unknown, not gone; the kind's entities in Port are kept
        assert tracker.refused == ["parent 2"]
        grant = "grant the integration's user the Browse projects permission in that project"
        assert grant in warnings[0]
        assert "no k entity is deleted from Port" in warnings[0]


async def test_a_refused_parent_keeps_the_kinds_entities_in_port(
    logs: list[tuple[str, str]],
) -> None:
    resync = ResyncProgress()
    tracker = resync.new("release")
    progress.use(tracker)

    async def fetch(parent: Item) -> AsyncIterator[Page]:
        if parent["id"] == 1:
            raise JiraAuthError(403, "GET", "GET /project/{key}/version", ["Forbidden"])
        yield [{"id": f"v{parent['id']}"}]

    found: Page = []
    async for page in children(parents(3), fetch, Fanout("release", describe, 2)):
        tracker.page_read(len(page))  # as the kind's resync handler counts them
        found += page
    assert found == [{"id": "v0"}, {"id": "v2"}]
    release = ResourceConfig.parse_obj(
        {
            "kind": "release",
            "selector": {"query": "true"},
            "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"jiraRelease"'}}},
        }
    )
    in_port = [
        Entity.parse_obj({"identifier": "v1", "blueprint": "jiraRelease"}),
        Entity.parse_obj({"identifier": "OLD-1", "blueprint": "jiraIssue"}),
    ]
    assert kept(in_port, [release], resync) == in_port[:1]
    tracker.finish()
    assert summary_table([tracker]).splitlines()[1].startswith("release (partial)  ")
    assert logs[-1][1].startswith("Progress release: done, 2 read in ")
    assert logs[-1][1].endswith(
        "s; Jira refused 1 parent(s) (the warnings above), so its entities in Port are kept"
    )


async def test_expected_answers_are_skipped_quietly_with_one_summary(
    logs: list[tuple[str, str]],
) -> None:
    async def fetch(parent: Item) -> AsyncIterator[Page]:
        if parent["id"] % 2:
            raise JiraApiError(400, "GET", "GET /board/{id}/sprint", ["no sprints"])
        yield [{"n": parent["id"]}]

    found = await collect(
        children(
            parents(6),
            fetch,
            Fanout(
                "sprint",
                describe,
                3,
                expected=lambda e: e.status == 400,
                expected_reason="those boards do not support sprints",
            ),
        )
    )
    assert sorted(c["n"] for c in found) == [0, 2, 4]
    assert [m for level, m in logs if level == "WARNING"] == []
    infos = [m for level, m in logs if level == "INFO"]
    assert infos == [
        "Kind sprint: skipped 3 parent(s) (parent 1, parent 3, parent 5): "
        "those boards do not support sprints"
    ]


@pytest.mark.parametrize(
    "error",
    [
        JiraApiError(500, "GET", "GET /x", ["boom"]),
        JiraAuthError(401, "GET", "GET /x", ["who are you"]),
        JiraUnavailableError("Jira GET /x failed 6 times"),
        ValueError("a bug"),
    ],
)
async def test_any_other_error_fails_the_whole_fan_out_and_stops_the_rest(
    error: Exception,
) -> None:
    started: list[int] = []
    cancelled: list[int] = []

    async def fetch(parent: Item) -> AsyncIterator[Page]:
        started.append(parent["id"])
        if parent["id"] == 1:
            raise error
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(parent["id"])
            raise
        yield [{"n": parent["id"]}]

    with pytest.raises(type(error)):
        await collect(children(parents(30), fetch, Fanout("k", describe, 3)))
    assert len(started) <= 4  # the fan-out stopped starting parents
    assert sorted(cancelled) == sorted(set(started) - {1})


async def test_a_failure_of_the_parents_fails_the_fan_out() -> None:
    async def broken_parents() -> AsyncIterator[Page]:
        yield [{"id": 1}]
        raise JiraUnavailableError("the parent list failed")

    async def fetch(parent: Item) -> AsyncIterator[Page]:
        yield [{"n": parent["id"]}]

    with pytest.raises(JiraUnavailableError, match="parent list"):
        await collect(children(broken_parents(), fetch, Fanout("k", describe, 2)))


async def test_no_parents_no_children() -> None:
    async def fetch(parent: Item) -> AsyncIterator[Page]:
        yield [parent]

    assert (
        await collect(children(pages_of(), fetch, Fanout("k", describe, 2))) == []
    )


async def test_closing_early_cancels_the_running_children() -> None:
    started: list[int] = []
    cancelled: list[int] = []
    all_started = asyncio.Event()

    async def fetch(parent: Item) -> AsyncIterator[Page]:
        started.append(parent["id"])
        if len(started) == 4:
            all_started.set()
        if parent["id"] == 0:
            yield [{"n": 0}]
            return
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(parent["id"])
            raise
        yield [{"n": parent["id"]}]

    pages = children(parents(4), fetch, Fanout("k", describe, 4), batch=1)
    first = await anext(pages)
    await all_started.wait()  # the next parents are read while the first one is consumed
    await pages.aclose()  # type: ignore[attr-defined]
    assert first == [{"n": 0}]
    assert sorted(cancelled) == [1, 2, 3]


async def test_child_pages_come_in_parent_order_whatever_finishes_first() -> None:
    async def fetch(parent: Item) -> AsyncIterator[Page]:
        await asyncio.sleep(0.001 * (10 - parent["id"]))  # the last parents answer first
        yield [{"n": parent["id"], "page": 1}]
        yield [{"n": parent["id"], "page": 2}]

    found = await collect(
        children(parents(10), fetch, Fanout("k", describe, 5), batch=3)
    )
    assert [(c["n"], c["page"]) for c in found] == [(n, p) for n in range(10) for p in (1, 2)]


async def test_a_failure_far_ahead_stops_the_fan_out_at_once() -> None:
    async def fetch(parent: Item) -> AsyncIterator[Page]:
        if parent["id"] == 0:
            await asyncio.sleep(10)  # the consumer waits on this one
        if parent["id"] == 3:
            raise JiraApiError(500, "GET", "GET /x", ["boom"])
        yield [{"n": parent["id"]}]

    async def run() -> None:
        await collect(children(parents(5), fetch, Fanout("k", describe, 5)))

    with pytest.raises(JiraApiError, match="boom"):
        await asyncio.wait_for(run(), timeout=2)


async def test_enrich_completes_items_and_leaves_out_skipped_ones(
    logs: list[tuple[str, str]],
) -> None:
    peak = running = 0

    async def add(item: Item) -> None:
        nonlocal peak, running
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        if item["id"] == 4:
            raise JiraNotFoundError(404, "GET", "GET /board/{id}/project", ["gone"])
        item["extra"] = item["id"] * 10

    pages = [
        p async for p in enrich(parents(6), add, Fanout("board", describe, 2))
    ]
    assert [[i["extra"] for i in page] for page in pages] == [[0, 10, 20], [30, 50]]
    assert peak == 2
    assert len([m for level, m in logs if level == "WARNING" and "parent 4" in m]) == 1


async def test_enrich_fails_on_other_errors() -> None:
    async def add(item: Item) -> None:
        raise JiraApiError(502, "GET", "GET /x", [])

    with pytest.raises(JiraApiError):
        await collect(enrich(parents(3), add, Fanout("board", describe, 2)))


async def test_tagged_adds_the_parent_identity() -> None:
    pages = tagged(pages_of([{"id": 1}], [{"id": 2}]), __project="PA")
    assert await collect(pages) == [{"id": 1, "__project": "PA"}, {"id": 2, "__project": "PA"}]
