"""The Redis stream consumer (jira.webhooks.stream): what an entry must hold to be applied, and
how entries are applied, acknowledged or left pending, against a real redis-server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import SimpleNamespace
from typing import Any

import port_ocean.consumers.redis_stream_consumer as ocean_consumer
import pytest
import redis.asyncio as aioredis
from hypothesis import given, settings
from hypothesis import strategies as st
from port_ocean.config.settings import LiveEventsRedisSettings
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent
from redis.typing import EncodableT, FieldT

from jira.webhooks.answers import Failure
from jira.webhooks.dedupe import RecentIds
from jira.webhooks.processors import JiraTransientError, LiveEventsContext
from jira.webhooks.stream import Dropped, Entry, JiraStreamConsumer, read_entry
from tests.redis_server import serving_redis
from tests.webhooks.payloads import SECRET, issue_event, sign
from tests.webhooks.support import PROCESSOR

PATHS = {"/webhook"}
ROUTE = "/live-events/abc/integration/webhook"
STREAM = "abc/live-events/raw/event-stream"
GROUP = "jira.redis-test"


def fields(
    payload: Any = None,
    *,
    secret: str | None = SECRET,
    delivery: str = "d-1",
    path: str = ROUTE,
    **extra: str,
) -> dict[str, str]:
    """A stream entry as Port's gateway writes it, signed with `secret` (None: unsigned)."""
    raw = (
        payload
        if isinstance(payload, str)
        else json.dumps(payload or issue_event("jira:issue_updated"))
    )
    headers = {"X-Atlassian-Webhook-Identifier": delivery}
    if secret:
        headers["X-Hub-Signature"] = sign(secret, raw.encode())
    return {
        "eventId": f"event-{delivery}",
        "webhookPath": path,
        "payload": raw,
        "headers": json.dumps(headers),
        "queuedAt": "1700000000000000000",
        **extra,
    }


async def read(entry: dict[str, str], secret: str | None = SECRET) -> Entry | Dropped:
    return await read_entry("1-0", entry, secret=secret, paths=PATHS)


# --- what an entry must hold -------------------------------------------------------------


async def test_a_signed_delivery_is_read_with_its_object_and_delivery_id() -> None:
    entry = await read(fields(issue_event("comment_created", n=7, comment={"id": "5"})))
    assert isinstance(entry, Entry)
    assert (entry.path, entry.delivery, entry.requeues) == ("/webhook", "d-1", 0)
    # a comment's entries are ordered with its issue's
    assert entry.subject == ("issue", str(entry.event.payload["issue"]["id"]))
    assert entry.event.trace_id == "event-d-1"


async def test_a_forged_entry_is_refused() -> None:
    assert await read(fields(secret="guessed")) == Dropped(
        "X-Hub-Signature does not match the body (check that Jira's Secret is webhookSecret)",
        forged=True,
    )
    unsigned = await read(fields(secret=None))
    assert unsigned == Dropped("missing X-Hub-Signature header", forged=True)
    tampered = fields()
    tampered["payload"] = tampered["payload"].replace("P1-1", "P1-2")
    assert isinstance(await read(tampered), Dropped)


async def test_data_centers_url_secret_in_the_webhook_path_is_checked(
    live: LiveEventsContext,
) -> None:
    """Data Center before 10 cannot sign: the URL Jira posts to carries the secret, and the
    gateway keeps it in the entry's webhookPath. Our check and the processor's both see it."""
    live.secret = lambda: SECRET
    entry = await read(fields(secret=None, path=f"{ROUTE}?secret={SECRET}"))
    assert isinstance(entry, Entry)
    processor = PROCESSOR["issue"](entry.event)
    assert await processor.authenticate(entry.event.payload, entry.event.headers)
    wrong = await read(fields(secret=None, path=f"{ROUTE}?secret=guess"))
    assert wrong == Dropped("the webhook URL's secret is not webhookSecret", forged=True)


async def test_without_a_secret_unsigned_entries_are_read() -> None:
    assert isinstance(await read(fields(secret=None), secret=None), Entry)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({k: v for k, v in fields().items() if k != "webhookPath"}, "it has no webhookPath"),
        ({k: v for k, v in fields().items() if k != "payload"}, "it has no payload"),
        ({**fields(), "headers": "[1]"}, "its headers are not a JSON object"),
        ({**fields(), "headers": "{oops"}, "its headers are not a JSON object"),
        (fields("{not json"), "the body is not JSON (Expecting property name"),
        (fields("[]"), "the body is not a JSON object"),
        (fields({"webhookEvent": "jira:issue_updated"}), "jira:issue_updated payload is missing"),
        (fields({"webhookEvent": "nope", "issue": {}}), "unsupported webhookEvent 'nope'"),
        (fields(path="/live-events/abc/integration/other"), "is not this integration's webhook"),
        ({"eventId": "only-an-id"}, "it has no webhookPath"),
    ],
)
async def test_an_entry_that_is_not_a_delivery_is_dropped(
    entry: dict[str, str], reason: str
) -> None:
    dropped = await read(entry)
    assert isinstance(dropped, Dropped) and not dropped.forged
    assert reason in dropped.reason


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["eventId", "webhookPath", "payload", "headers", "queuedAt", "x"]),
        st.one_of(st.text(max_size=60), st.sampled_from([ROUTE, "{}", '{"webhookEvent": 1}'])),
    )
)
async def test_whatever_an_entry_holds_reading_it_answers_and_never_raises(
    entry: dict[str, str],
) -> None:
    read_ = await read(entry, secret=None)
    assert isinstance(read_, Dropped) or isinstance(read_.event.payload, dict)


# --- applying, acknowledging, leaving pending -----------------------------------------------


@pytest.fixture
def redis_url() -> Iterator[str]:
    yield from serving_redis()


@pytest.fixture
def ocean_config(monkeypatch: pytest.MonkeyPatch) -> None:
    integration = SimpleNamespace(type="jira", identifier="redis-test")
    monkeypatch.setattr(
        ocean_consumer, "ocean", SimpleNamespace(config=SimpleNamespace(integration=integration))
    )


Applied = list[tuple[str, str]]  # (event, start|end) in the order they happened


class Harness:
    """A consumer on a real Redis, with an apply that tests control."""

    def __init__(self, url: str, apply: Callable[[str, WebhookEvent], Any], **redis: Any) -> None:
        self.redis = aioredis.Redis.from_url(url, decode_responses=True)
        settings_ = LiveEventsRedisSettings(
            url=url,
            block_ms=50,
            pel_stuck_timeout_seconds=2,
            stream_maintenance_scan_interval_seconds=0.2,
            **redis,
        )
        self.consumer = JiraStreamConsumer(
            settings_,
            STREAM,
            apply,
            registered_paths=PATHS,
            workers=4,
            secret=lambda: SECRET,
            recent=RecentIds(),
        )

    async def write(self, entry: dict[str, str]) -> str:
        fields_: dict[FieldT, EncodableT] = {name: value for name, value in entry.items()}
        return str(await self.redis.xadd(STREAM, fields_))

    async def pending(self) -> int:
        return int((await self.redis.xpending(STREAM, GROUP))["pending"])


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 30) -> None:
    """Until `check()` holds (polled; a loaded machine may be slow)."""
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{check} did not hold within {seconds} s")


def holds(condition: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return condition()

    return check


@pytest.fixture
async def harness_for(
    redis_url: str,
    ocean_config: None,
) -> AsyncIterator[Callable[..., Any]]:
    made: list[Harness] = []

    async def make(apply: Callable[[str, WebhookEvent], Any], **redis: Any) -> Harness:
        harness = Harness(redis_url, apply, **redis)
        await harness.consumer.start()
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.consumer.stop()
        await harness.redis.aclose()


def named(event: WebhookEvent) -> str:
    return str(event.headers["x-atlassian-webhook-identifier"])


def recording(applied: list[str]) -> Callable[[str, WebhookEvent], Awaitable[list[Failure]]]:
    """An apply that succeeds, noting the delivery id of each entry it applies."""

    async def apply(path: str, event: WebhookEvent) -> list[Failure]:
        applied.append(named(event))
        return []

    return apply


async def test_entries_of_one_object_apply_in_stream_order_others_meanwhile(
    harness_for: Callable[..., Any],
) -> None:
    log: Applied = []
    first_may_finish = asyncio.Event()

    async def apply(path: str, event: WebhookEvent) -> list[Failure]:
        log.append((named(event), "start"))
        if named(event) == "a-1":
            await first_may_finish.wait()
        log.append((named(event), "end"))
        return []

    harness = await harness_for(apply)
    await harness.write(fields(issue_event("jira:issue_updated", n=1), delivery="a-1"))
    await eventually(holds(lambda: ("a-1", "start") in log))
    await harness.write(fields(issue_event("jira:issue_updated", n=1), delivery="a-2"))
    await harness.write(fields(issue_event("jira:issue_updated", n=2), delivery="b-1"))
    await eventually(holds(lambda: ("b-1", "end") in log))
    assert ("a-2", "start") not in log  # waits for a-1, while b-1 was applied
    first_may_finish.set()
    await eventually(holds(lambda: ("a-2", "end") in log))
    assert log.index(("a-1", "end")) < log.index(("a-2", "start"))
    await eventually(holds(lambda: True))
    await eventually(lambda: _zero(harness))
    assert await harness.redis.xlen(STREAM) == 0  # acknowledged and deleted


async def _zero(harness: Harness) -> bool:
    return await harness.pending() == 0


async def test_an_entry_is_acknowledged_only_once_applied_and_a_retry_is_not_applied_again(
    harness_for: Callable[..., Any], warnings: list[str]
) -> None:
    applied: list[str] = []
    may_finish = asyncio.Event()

    async def apply(path: str, event: WebhookEvent) -> list[Failure]:
        await may_finish.wait()
        applied.append(named(event))
        return []

    harness = await harness_for(apply)
    await harness.write(fields(delivery="d-1"))
    await eventually(lambda: _pending_is(harness, 1))
    await asyncio.sleep(0.3)
    assert await harness.pending() == 1  # being applied: not acknowledged yet
    may_finish.set()
    await eventually(lambda: _zero(harness))
    await harness.write(fields(delivery="d-1"))  # Jira's retry of the same delivery
    await eventually(lambda: _stream_empty(harness))
    assert applied == ["d-1"]


async def _pending_is(harness: Harness, n: int) -> bool:
    return await harness.pending() == n


async def _stream_empty(harness: Harness) -> bool:
    return int(await harness.redis.xlen(STREAM)) == 0


async def test_a_retryable_failure_leaves_the_entry_pending_and_it_is_applied_again(
    harness_for: Callable[..., Any], warnings: list[str]
) -> None:
    attempts: list[str] = []

    async def apply(path: str, event: WebhookEvent) -> list[Failure]:
        attempts.append(named(event))
        return [Failure(JiraTransientError("Jira answered 503"))] if len(attempts) == 1 else []

    harness = await harness_for(apply)
    await harness.write(fields(delivery="d-1"))
    await eventually(holds(lambda: len(attempts) == 1))
    await asyncio.sleep(0.2)
    assert await harness.pending() == 1  # left pending, not acknowledged
    # Ocean's maintenance worker hands it out again after the stuck timeout (2 s here)
    await eventually(lambda: _stream_empty(harness))
    assert attempts == ["d-1", "d-1"]
    assert any(
        "failed on attempt 1 of 4: Jira answered 503; left pending, handed out again after 2 s"
        in line
        for line in warnings
    )


async def test_the_last_attempt_is_acknowledged_with_an_error_not_left_forever(
    harness_for: Callable[..., Any], warnings: list[str]
) -> None:
    async def apply(path: str, event: WebhookEvent) -> list[Failure]:
        return [Failure(JiraTransientError("Jira answered 503"))]

    harness = await harness_for(apply, pel_max_requeue_count=1)
    await harness.write(fields(delivery="d-1", requeue_count="1"))  # handed out once already
    await eventually(lambda: _stream_empty(harness))
    assert any(
        "failed on attempt 2 of 2" in line and "acknowledged and dropped" in line
        for line in warnings
    )


async def test_a_failure_that_would_repeat_is_acknowledged_and_one_outside_the_processors_is_not(
    harness_for: Callable[..., Any], warnings: list[str]
) -> None:
    async def apply(path: str, event: WebhookEvent) -> list[Failure]:
        if named(event) == "port-down":
            raise ConnectionError("Port is unreachable")
        return [Failure(ValueError("a mapping bug"))]

    harness = await harness_for(apply)
    await harness.write(fields(issue_event("jira:issue_updated", n=1), delivery="bug"))
    await eventually(lambda: _stream_empty(harness))
    assert any("failed: a mapping bug; acknowledged" in line for line in warnings)
    await harness.write(fields(issue_event("jira:issue_updated", n=2), delivery="port-down"))
    await eventually(
        holds(lambda: any("Port is unreachable; left pending" in line for line in warnings))
    )
    assert await harness.pending() == 1


async def test_bad_entries_are_acknowledged_once_and_the_consumer_goes_on(
    harness_for: Callable[..., Any], warnings: list[str]
) -> None:
    applied: list[str] = []
    harness = await harness_for(recording(applied))
    bad = await harness.write({"eventId": "e-1"})
    forged = await harness.write(fields(secret="guessed", delivery="forged"))
    await harness.write(fields(delivery="good"))
    await eventually(lambda: _stream_empty(harness))
    assert applied == ["good"]
    assert [line for line in warnings if bad in line] == [
        f"Dropped a Redis stream entry that is not a Jira delivery (stream entry {bad}, event "
        "e-1): it has no webhookPath; acknowledged without applying it"
    ]
    assert len([line for line in warnings if forged in line and "Refused" in line]) == 1


async def test_one_process_at_a_time_applies_an_object(
    harness_for: Callable[..., Any],
) -> None:
    async def apply(path: str, event: WebhookEvent) -> list[Failure]:
        return []

    one, two = await harness_for(apply), await harness_for(apply)
    two.consumer._consumer_name += "-two"
    held = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with one.consumer._lease(("issue", "1")):
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    waiter = asyncio.create_task(_take(two.consumer))
    await asyncio.sleep(0.3)
    assert not waiter.done()  # the other process waits for the object
    release.set()
    await asyncio.wait_for(waiter, 5)
    await holder


async def _take(consumer: JiraStreamConsumer) -> None:
    async with consumer._lease(("issue", "1")):
        pass


async def test_an_object_a_dead_process_was_applying_is_applied_once_its_lease_lapses(
    harness_for: Callable[..., Any],
) -> None:
    applied: list[str] = []
    harness = await harness_for(recording(applied))
    payload = issue_event("jira:issue_updated", n=3)
    lease = f"{STREAM}:applying:issue:{payload['issue']['id']}"
    await harness.redis.set(lease, "a-process-that-was-killed", px=1500)  # what it left behind
    await harness.write(fields(payload, delivery="after-the-kill"))
    await asyncio.sleep(0.5)
    assert applied == []  # the object is still leased to the dead process
    await eventually(holds(lambda: applied == ["after-the-kill"]))
