"""Live events from Ocean's Redis stream (`OCEAN__LIVE_EVENTS__IS_REDIS_STREAM_CONSUMER_ENABLED`),
applied as the HTTP path applies them: concurrently, their re-reads coalesced and batched.

Port's live-events gateway writes each Jira delivery to a stream entry (`eventId`, `webhookPath`,
`payload`: the raw body, `headers`: JSON, `queuedAt`); the integration's processes read it as one
consumer group. Ocean's own consumer awaits one entry at a time, so each entry's re-read waited
its coalescing window alone, and it acknowledges an entry even when applying it failed. Here
(`JiraStreamConsumer`, installed through the manager's consumer factory by `install`):

- Entries are applied concurrently: up to OCEAN__EVENT_WORKERS_COUNT objects at once, and at most
  twice that many entries read and not yet acknowledged (what a killed process leaves pending).
- Per object, stream order: the entries of one object (`subject`: an issue and its comments, a
  project, a user, ...) are applied in turns; a turn holds the entries read while the previous
  turn of that object was still being applied, and runs once that one is done. The entries of a
  turn share one re-read (jira.webhooks.rereads), so their order within it changes nothing.
  Across processes, a turn holds a lease on its object in the same Redis (`SET NX PX`, lapsing
  30 s after its holder died), so another process's entries of that object re-read Jira after
  this write, never before it.
- An entry is applied as an HTTP delivery is (`answers.applier`: Ocean's webhook manager
  processes it, and its receipt tells how that went), and acknowledged (XACK and XDEL, as Ocean
  does) only once applied. One whose apply failed for a reason that may pass (Jira unavailable,
  a Port or Redis failure, a timeout: `Failure.may_pass`) stays pending: Ocean's stream
  maintenance worker hands it out again after OCEAN__LIVE_EVENTS__REDIS__PEL_STUCK_TIMEOUT_SECONDS,
  up to PEL_MAX_REQUEUE_COUNT times; its last attempt is acknowledged with an error instead of
  lingering. While an entry is applied,
  its idle time is reset every quarter of that timeout (or of 30 s, when shorter), so only a
  dead or stuck process's entries are handed out again.
- Every entry passes the HTTP gate's checks (`gate.check_delivery`): its signature when
  webhookSecret is set (X-Hub-Signature over the raw body, or Data Center's `?secret=` in the
  entry's webhookPath), strict JSON, a payload some kind handles. A forged entry is refused; an
  entry that is not a delivery (a field missing, not JSON, another path) is dropped; both are
  acknowledged and logged once with their ids, never applied or retried. A delivery id already
  applied (Jira's retry) is acknowledged without applying it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from loguru import logger
from port_ocean.config.settings import LiveEventsRedisSettings, RedisLiveEventsSettings
from port_ocean.consumers.live_events_stream_key import (
    resolve_live_events_stream_key_from_base_url,
)
from port_ocean.consumers.redis_stream_consumer import RedisStreamConsumer
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent, WebhookRequestAdapter
from redis.typing import StreamIdT

from jira.webhooks import signature
from jira.webhooks.answers import Apply, applier
from jira.webhooks.dedupe import RecentIds
from jira.webhooks.events import event_name, kinds_for
from jira.webhooks.gate import DELIVERY_HEADER, MAX_BODY_BYTES, Refusal, check_delivery

if TYPE_CHECKING:
    from port_ocean.config.settings import IntegrationConfiguration
    from port_ocean.consumers.abstract_live_events_consumer import AbstractLiveEventsConsumer
    from port_ocean.core.handlers.webhook.processor_manager import LiveEventsProcessorManager

READ_AHEAD_PER_WORKER = 2
LEASE_POLL_SECONDS, LEASE_POLL_MAX_SECONDS = 0.02, 0.2
LEASE_MAX_SECONDS = 30  # a dead process's leases lapse within this (or the stuck timeout)
RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
RENEW_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
STUCK_TIMEOUT_SETTING = "OCEAN__LIVE_EVENTS__REDIS__PEL_STUCK_TIMEOUT_SECONDS"
MAX_REQUEUE_SETTING = "OCEAN__LIVE_EVENTS__REDIS__PEL_MAX_REQUEUE_COUNT"
MAINTENANCE_SETTING = "OCEAN__LIVE_EVENTS__REDIS__STREAM_MAINTENANCE_WORKER_ENABLED"

Subject = tuple[str, str]


class StreamRequest(WebhookRequestAdapter):
    """The delivery's raw body and headers, and the query of the URL Jira posted to (Data
    Center's URL secret), as the processors' `authenticate` reads them over HTTP."""

    def __init__(self, raw_body: bytes, headers: dict[str, str], query: dict[str, str]) -> None:
        super().__init__(raw_body=raw_body, headers=headers)
        self.query_params = query


@dataclass
class Entry:
    """One stream entry that is a delivery this integration handles."""

    message_id: str
    path: str  # the processors' path
    subject: Subject
    event: WebhookEvent
    delivery: str | None  # X-Atlassian-Webhook-Identifier
    requeues: int  # how often Ocean's maintenance worker handed it out again

    def label(self) -> str:
        delivery = f", delivery {self.delivery}" if self.delivery else ""
        return f"stream entry {self.message_id} ({event_name(self.event.payload)}{delivery})"


@dataclass(frozen=True)
class Dropped:
    """Why an entry is acknowledged without being applied; `forged` when its signature fails."""

    reason: str
    forged: bool = False


def subject(payload: dict[str, Any]) -> Subject:
    """The object whose entries are applied in stream order: that of the first kind handling
    the event (an issue before its comments), by kind and stable id."""
    for kind, live in kinds_for(event_name(payload) or ""):
        obj = live.object_of(payload)
        if obj is not None:
            return kind.name, live.stable_id(obj)
    raise ValueError("no kind handles this payload")  # check_delivery refused it before


def _route(webhook_path: str) -> tuple[str, dict[str, str]]:
    """The entry's webhookPath as the processors' path (Ocean's normalisation: below
    `/integration/`) and its query parameters (the last value of each)."""
    parts = urlsplit(webhook_path)
    path = f"/{parts.path.strip('/')}"
    if "/integration/" in path:
        path = f"/{path.split('/integration/', 1)[1]}"
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    return path, query


def _headers(raw: str | None) -> dict[str, str] | None:
    """The entry's headers (JSON), names lower-cased as Ocean's consumer does; None when they
    are not a JSON object."""
    try:
        parsed = json.loads(raw) if raw is not None else {}
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    return {str(key).lower(): str(value) for key, value in parsed.items()}


async def read_entry(
    message_id: str,
    fields: dict[str, str],
    *,
    secret: str | None,
    paths: Iterable[str],
) -> Entry | Dropped:
    """The delivery an entry carries, or why it is dropped (never raises for what it holds)."""
    webhook_path = fields.get("webhookPath")
    if not webhook_path:
        return Dropped("it has no webhookPath")
    path, query = _route(webhook_path)
    if path not in paths:
        return Dropped(
            f"its webhookPath {webhook_path[:200]!r} is not this integration's webhook route "
            "(OCEAN__BASE_URL must be the live-events URL Port gave this integration)"
        )
    headers = _headers(fields.get("headers"))
    if headers is None:
        return Dropped("its headers are not a JSON object")
    raw = fields.get("payload")
    if raw is None:
        return Dropped("it has no payload")
    body = raw.encode("utf-8", "surrogatepass")
    if len(body) > MAX_BODY_BYTES:
        return Dropped(f"its payload of {len(body)} bytes is over {MAX_BODY_BYTES}")
    signatures = [value for name, value in headers.items() if name == signature.HEADER]
    url_secret = query.get(signature.URL_SECRET_PARAM)
    checked = await check_delivery(body, secret, signatures, url_secret)
    if isinstance(checked, Refusal):
        return Dropped(checked.reason, forged=checked.status == 401)
    event = WebhookEvent(
        trace_id=fields.get("eventId") or message_id,
        payload=checked.payload,
        headers=headers,
        original_request=StreamRequest(body, headers, query),
    )
    try:
        requeues = int(fields.get("requeue_count", "0"))
    except ValueError:
        requeues = 0
    delivery = headers.get(DELIVERY_HEADER)
    return Entry(message_id, path, subject(checked.payload), event, delivery, requeues)


@dataclass
class _Turn:
    """Entries of one object applied together, once the object's previous turn is done."""

    after: asyncio.Event | None
    entries: list[Entry] = field(default_factory=list)
    started: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)


class JiraStreamConsumer(RedisStreamConsumer):
    """Ocean's Redis stream consumer (connection, TLS, consumer group, maintenance worker),
    applying entries concurrently in per-object order, acknowledging each once applied."""

    def __init__(
        self,
        redis_settings: LiveEventsRedisSettings,
        stream_key: str,
        apply: Apply,
        *,
        registered_paths: set[str],
        workers: int,
        secret: Callable[[], str | None],
        recent: RecentIds | None = None,
    ) -> None:
        super().__init__(
            redis_settings, stream_key, on_message=_unused, registered_paths=registered_paths
        )
        # One name per process (Ocean's is per host): each process's pending entries are its own.
        self._consumer_name = f"{self._consumer_name}-{os.getpid()}"
        self._apply = apply
        self._secret = secret
        self._recent = recent if recent is not None else RecentIds()
        self._workers = max(1, workers)
        self._slots = asyncio.Semaphore(self._workers)
        self._read_ahead = self._workers * READ_AHEAD_PER_WORKER
        self._unacked: set[str] = set()
        self._room = asyncio.Condition()
        self._turns: dict[Subject, _Turn] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._keeper: asyncio.Task[None] | None = None
        self._leases: set[str] = set()

    async def start(self) -> None:
        await super().start()
        # In the group at once (not only after its first read): XINFO CONSUMERS shows it.
        await self._require_redis().xgroup_createconsumer(
            self._stream_key, self._consumer_group, self._consumer_name
        )
        self._keeper = asyncio.create_task(self._keep_claimed())
        logger.info(
            f"Live events: reading Redis stream {self._stream_key} as {self._consumer_name} in "
            f"group {self._consumer_group}, {self._workers} objects applied at once "
            "(OCEAN__EVENT_WORKERS_COUNT)"
        )

    async def stop(self) -> None:
        self._is_running = False
        if self._read_task is not None:  # first: no entry is taken after this
            self._read_task.cancel()
            await asyncio.gather(self._read_task, return_exceptions=True)
            self._read_task = None
        # Unfinished entries stay pending: the maintenance worker hands them out again.
        running = [*self._tasks, *([self._keeper] if self._keeper else [])]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._keeper = None
        await super().stop()

    # --- reading: called by Ocean's read loop for each entry, one after the other -----------
    async def _handle_message(self, message_id: str, fields: dict[str, str]) -> None:
        try:
            async with self._room:
                await self._room.wait_for(lambda: len(self._unacked) < self._read_ahead)
            read = await read_entry(
                message_id, fields, secret=self._secret(), paths=self._registered_paths
            )
            if isinstance(read, Dropped):
                await self._drop(message_id, fields, read)
            elif read.delivery and read.delivery in self._recent:
                logger.info(
                    f"Live events: {read.label()} was already applied (Jira's retry); "
                    "acknowledged without applying it again"
                )
                await self._ack(message_id)
            else:
                self._schedule(read)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never stop the read loop over one entry
            await self._drop(message_id, fields, Dropped(f"reading it failed: {exc!r}"))

    async def _drop(self, message_id: str, fields: dict[str, str], dropped: Dropped) -> None:
        event_id = fields.get("eventId")
        names = f"stream entry {message_id}" + (f", event {event_id[:100]}" if event_id else "")
        if dropped.forged:
            logger.warning(
                f"Refused a Jira webhook delivery from the Redis stream ({names}): "
                f"{dropped.reason}; acknowledged without applying it"
            )
        else:
            logger.warning(
                f"Dropped a Redis stream entry that is not a Jira delivery ({names}): "
                f"{dropped.reason}; acknowledged without applying it"
            )
        await self._ack(message_id)

    def _schedule(self, entry: Entry) -> None:
        self._unacked.add(entry.message_id)
        turn = self._turns.get(entry.subject)
        if turn is None or turn.started:
            turn = _Turn(after=turn.done if turn is not None else None)
            self._turns[entry.subject] = turn
            task = asyncio.create_task(self._take_turn(entry.subject, turn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        turn.entries.append(entry)

    # --- applying ---------------------------------------------------------------------------
    async def _take_turn(self, subject: Subject, turn: _Turn) -> None:
        try:
            if turn.after is not None:
                await turn.after.wait()
            async with self._lease(subject), self._slots:
                turn.started = True
                await asyncio.gather(*(self._apply_entry(entry) for entry in turn.entries))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the lease could not be taken (Redis): nothing was applied
            turn.started = True
            for entry in turn.entries:
                await self._retry_later(entry, f"Redis did not answer ({exc})")
        finally:
            turn.done.set()
            if self._turns.get(subject) is turn:
                del self._turns[subject]

    @contextlib.asynccontextmanager
    async def _lease(self, subject: Subject) -> AsyncIterator[None]:
        """The object to this process alone while it applies it: the other consumers' entries
        of the object wait, so they re-read Jira after this write and never write an older
        state after it. A dead process's lease lapses after LEASE_MAX_SECONDS, or the stuck
        timeout when shorter (renewed by `_keep_claimed` while held)."""
        redis, key = self._require_redis(), self._lease_key(subject)
        pause = LEASE_POLL_SECONDS
        while not await redis.set(key, self._consumer_name, nx=True, px=self._lease_ms()):
            await asyncio.sleep(pause)
            pause = min(pause * 2, LEASE_POLL_MAX_SECONDS)
        self._leases.add(key)
        try:
            yield
        finally:
            self._leases.discard(key)
            with contextlib.suppress(Exception):  # it lapses by itself
                await redis.eval(RELEASE_LEASE, 1, key, self._consumer_name)

    def _lease_key(self, subject: Subject) -> str:
        return f"{self._stream_key}:applying:{subject[0]}:{subject[1]}"

    def _lease_ms(self) -> int:
        return min(self._settings.stuck_timeout_ms, LEASE_MAX_SECONDS * 1000)

    async def _apply_entry(self, entry: Entry) -> None:
        started = time.monotonic()
        try:
            failures = await self._apply(entry.path, entry.event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # outside the processors (Port, Redis): may pass
            await self._retry_later(entry, str(exc) or type(exc).__name__)
            return
        if not failures:
            if entry.delivery:
                self._recent.seen_or_add(entry.delivery)
            await self._settle(entry)
            logger.debug(
                f"Live events: applied {entry.label()} in {time.monotonic() - started:.3f} s"
            )
            return
        reason = "; ".join(map(str, failures))
        if any(failure.may_pass for failure in failures):
            await self._retry_later(entry, reason)
            return
        logger.error(
            f"Live events: applying {entry.label()} failed: {reason}; acknowledged (applying "
            "it again would fail the same way)"
        )
        await self._settle(entry)

    async def _retry_later(self, entry: Entry, reason: str) -> None:
        settings = self._settings
        attempt, attempts = entry.requeues + 1, settings.pel_max_requeue_count + 1
        if not settings.stream_maintenance_worker_enabled:
            logger.error(
                f"Live events: applying {entry.label()} failed: {reason}; acknowledged and "
                f"dropped, since nothing hands it out again with {MAINTENANCE_SETTING}=false "
                "(the next resync brings Port up to date)"
            )
            await self._settle(entry)
        elif attempt >= attempts:
            logger.error(
                f"Live events: applying {entry.label()} failed on attempt {attempt} of "
                f"{attempts}: {reason}; acknowledged and dropped (the next resync brings Port up "
                f"to date; {MAX_REQUEUE_SETTING} allows more attempts)"
            )
            await self._settle(entry)
        else:
            logger.warning(
                f"Live events: applying {entry.label()} failed on attempt {attempt} of "
                f"{attempts}: {reason}; left pending, handed out again after "
                f"{settings.pel_stuck_timeout_seconds} s ({STUCK_TIMEOUT_SETTING})"
            )
            await self._release(entry.message_id)

    async def _settle(self, entry: Entry) -> None:
        """Acknowledges an entry that was applied (or will never be)."""
        try:
            await self._ack(entry.message_id)
        except Exception as exc:  # left pending: handed out again later, applied again
            logger.warning(
                f"Live events: could not acknowledge {entry.label()} ({exc}); it stays pending "
                "and will be applied again (harmless: applying is idempotent)"
            )
        await self._release(entry.message_id)

    async def _release(self, message_id: str) -> None:
        async with self._room:
            self._unacked.discard(message_id)
            self._room.notify_all()

    async def _keep_claimed(self) -> None:
        """Resets the idle time of the entries being applied, so that the maintenance worker
        hands out only a dead or stuck process's entries."""
        every = max(0.5, self._lease_ms() / 4000)  # a quarter of the lease, and of the timeout
        while True:
            await asyncio.sleep(every)
            ids: list[StreamIdT] = [*sorted(self._unacked)]
            if self._redis is None:
                continue
            try:
                if ids:
                    await self._redis.xclaim(
                        self._stream_key,
                        self._consumer_group,
                        self._consumer_name,
                        0,
                        ids,
                        justid=True,
                    )
                for key in list(self._leases):
                    await self._redis.eval(
                        RENEW_LEASE, 1, key, self._consumer_name, str(self._lease_ms())
                    )
            except Exception as exc:
                logger.warning(
                    f"Live events: could not renew this process's hold on the Redis stream "
                    f"entries it is applying ({exc}); if that lasts over {STUCK_TIMEOUT_SETTING}, "
                    "another process applies them too (harmless: applying is idempotent)"
                )


async def _unused(path: str, event: WebhookEvent) -> None:
    raise RuntimeError("JiraStreamConsumer applies entries itself")


def install(manager: LiveEventsProcessorManager) -> None:
    """Makes Ocean's webhook manager read the Redis stream with `JiraStreamConsumer`."""
    from jira.webhooks.processors import CONTEXT

    def create(config: IntegrationConfiguration) -> AbstractLiveEventsConsumer:
        live = config.live_events
        if not isinstance(live, RedisLiveEventsSettings):
            return type(manager)._create_live_events_consumer(manager, config)
        base_url = config.base_url or ocean.app.base_url
        return JiraStreamConsumer(
            live.redis,
            resolve_live_events_stream_key_from_base_url(base_url),
            applier(manager),
            registered_paths=set(manager._processors_classes),
            workers=config.event_workers_count,
            secret=CONTEXT.secret,
        )

    # Ocean's documented override point, on the instance Ocean created before this code loads.
    setattr(manager, "_create_live_events_consumer", create)  # noqa: B010
