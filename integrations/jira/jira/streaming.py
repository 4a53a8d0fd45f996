"""Fetch ahead: run a page generator in the background so Jira latency hides behind processing.

Ocean processes a batch before it asks the generator for the next one; `prefetch` keeps up to
`depth` pages fetched in advance in a bounded queue, so memory stays bounded too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


async def prefetch[T](source: AsyncIterator[T], depth: int = 2) -> AsyncIterator[T]:
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=max(1, depth))

    async def produce() -> None:
        try:
            async for item in source:
                await queue.put(item)
        except Exception as exc:  # handed to the consumer, who re-raises it
            await queue.put(exc)
            return
        await queue.put(_DONE)

    producer = asyncio.create_task(produce())
    try:
        while True:
            item = await queue.get()
            if item is _DONE:
                return
            if isinstance(item, Exception):
                raise item
            yield item  # type: ignore[misc]
    finally:
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer
