"""A small TCP load balancer in front of integration replicas, as a Kubernetes Service is.

Each client connection goes to the next upstream in turn (round robin, as kube-proxy spreads
connections over a Service's endpoints) and its bytes are copied both ways untouched. An
upstream that cannot be reached (a replica that was killed) costs the client its connection: it
is closed without an answer, which Jira takes for a failed delivery and retries. The upstream is
then left out of the rotation for `eject_seconds`, as Kubernetes drops the endpoint of a pod
that stopped being ready. A connection in flight when its upstream dies is cut the same way.

    with running_balancer() as balancer:   # listening on 127.0.0.1, in a background thread
        balancer.add("http://127.0.0.1:8001")
        ... POST to balancer.url ...
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

EJECT_SECONDS = 10.0
_CHUNK = 64 * 1024


class Balancer:
    """Round robin over upstream base URLs (http://host:port); `url` is where it listens."""

    def __init__(self, eject_seconds: float = EJECT_SECONDS) -> None:
        self.eject_seconds = eject_seconds
        self.url = ""
        self.connections: Counter[str] = Counter()  # per upstream: connections passed on
        self.refused: Counter[str] = Counter()  # per upstream: connections it could not take
        self._upstreams: list[tuple[str, int]] = []
        self._ejected_until: dict[tuple[str, int], float] = {}
        self._turn = 0
        self._lock = threading.Lock()

    def add(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"an upstream needs a host and a port, got {url!r}")
        with self._lock:
            self._upstreams.append((parts.hostname, parts.port))

    def _next(self) -> tuple[str, int] | None:
        """The next upstream in turn that is not ejected (None when there is none)."""
        with self._lock:
            now = time.monotonic()
            for _ in range(len(self._upstreams)):
                upstream = self._upstreams[self._turn % len(self._upstreams)]
                self._turn += 1
                if self._ejected_until.get(upstream, 0.0) <= now:
                    return upstream
            return None

    def _eject(self, upstream: tuple[str, int]) -> None:
        with self._lock:
            self._ejected_until[upstream] = time.monotonic() + self.eject_seconds

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = self._next()
        name = f"http://{upstream[0]}:{upstream[1]}" if upstream else "none"
        try:
            if upstream is None:
                raise OSError("no upstream")
            up_reader, up_writer = await asyncio.open_connection(*upstream)
        except OSError:
            self.refused[name] += 1
            if upstream is not None:
                self._eject(upstream)
            writer.transport.abort()  # the client sees its connection reset, no answer
            return
        self.connections[name] += 1
        try:
            await asyncio.gather(_copy(reader, up_writer), _copy(up_reader, writer))
        finally:
            for side in (writer, up_writer):
                side.close()


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copies until `source` ends, then ends `sink`'s side too; a connection that breaks on
    either side is reset on the other (no half answers)."""
    try:
        while chunk := await source.read(_CHUNK):
            sink.write(chunk)
            await sink.drain()
    except OSError:
        sink.transport.abort()
        return
    with suppress(OSError):
        if sink.can_write_eof():
            sink.write_eof()


@contextmanager
def running_balancer(eject_seconds: float = EJECT_SECONDS) -> Iterator[Balancer]:
    """A Balancer serving on a free loopback port in a background thread, until the block ends."""
    balancer = Balancer(eject_seconds)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop: asyncio.Future[None] | None = None

    async def serve() -> None:
        nonlocal stop
        server = await asyncio.start_server(balancer.handle, "127.0.0.1", 0)
        balancer.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        stop = loop.create_future()
        started.set()
        async with server:
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the balancer did not start")
    try:
        yield balancer
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(10)
