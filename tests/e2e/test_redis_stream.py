"""Live events through Ocean's Redis stream, with a real redis-server: two integration processes
in one consumer group, one SIGKILLed in the middle of a burst.

The deliveries are written to the stream as Port's live-events gateway writes them
(sandbox.redis_stream.Gateway). The killed process's pending entries must be handed out again
(a short OCEAN__LIVE_EVENTS__REDIS__PEL_STUCK_TIMEOUT_SECONDS) and applied by the other one;
every change must reach Port, and no issue's title in Port may ever go back to an older change
(the Port simulator's write history). Forged entries and entries that are not deliveries are
acknowledged, logged once each and never applied.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.jira_sim.webhooks import delivery_headers
from sandbox.live_benchmark import Sender
from sandbox.redis_stream import Gateway, consumer, running_redis
from sandbox.stack import Stack, running_stack
from tests.e2e.conftest import SECRET, wait_until_searchable
from tests.redis_server import needs_redis_server

ISSUES, ROUNDS, PER_CHANGE = 40, 3, 2
STUCK_SECONDS = 4
SETTINGS = {
    "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET": SECRET,
    "OCEAN__LIVE_EVENTS__REDIS__PEL_STUCK_TIMEOUT_SECONDS": str(STUCK_SECONDS),
    "OCEAN__LIVE_EVENTS__REDIS__STREAM_MAINTENANCE_SCAN_INTERVAL_SECONDS": "1",
}
REFUSED = "Refused a Jira webhook delivery from the Redis stream"
DROPPED = "Dropped a Redis stream entry that is not a Jira delivery"


@pytest.fixture
def redis_stack() -> Iterator[tuple[Stack, Gateway]]:
    needs_redis_server()
    with running_stack(jira={"projects": 2, "users": 6, "teams": 1, "issues": 120}) as stack:
        assert stack.run_once().returncode == 0  # the starting point: a full sync
        with running_redis(stack.workdir) as url:
            gateway = Gateway(url)
            yield stack, gateway
            gateway.close()


def announce(gateway: Gateway, body: bytes, identifier: str) -> None:
    """PER_CHANGE deliveries of one change, signed as Jira signs them."""
    for n in range(PER_CHANGE):
        delivery = f"{identifier}-{n}"
        gateway.write(gateway.entry(body, delivery_headers(body, delivery, SECRET)))


def forged_and_bad(gateway: Gateway, key: str) -> tuple[int, int]:
    """Entries a consumer must refuse (forged) or drop (not deliveries); their counts."""
    body = json.dumps(
        {"webhookEvent": "jira:issue_deleted", "issue": {"id": "1", "key": key}}
    ).encode()
    forged = [
        gateway.entry(body, delivery_headers(body, "forged-1", "guessed-secret")),
        gateway.entry(body, {"X-Atlassian-Webhook-Identifier": "forged-2"}),  # unsigned
        # unsigned, with a wrong URL secret (Data Center before 10)
        gateway.entry(body, {"X-Atlassian-Webhook-Identifier": "forged-3"}, query="secret=guess"),
    ]
    signed = delivery_headers(b"{not json", "bad-1", SECRET)
    good = gateway.entry(body, delivery_headers(body, "bad-2", SECRET))
    bad: list[dict[str, Any]] = [
        gateway.entry(b"{not json", signed),  # a body that is not JSON
        {k: v for k, v in good.items() if k != "webhookPath"},  # missing fields
        {k: v for k, v in good.items() if k != "payload"},
        {**good, "headers": "[1, 2]"},  # headers that are not an object
        {**good, "webhookPath": "/live-events/x/integration/other"},  # another route
        {"eventId": "only-an-id"},
    ]
    for fields in [*forged, *bad]:
        gateway.write(fields)
    return len(forged), len(bad)


def round_of(key: str, title: str | None, original: str) -> int:
    if title == original:
        return 0
    assert title is not None and title.startswith(f"{key} r"), title
    return int(title.removeprefix(f"{key} r"))


def wait_for(condition: Any, timeout: float, what: str, every: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(every)


def test_two_consumers_one_killed_mid_burst_every_change_reaches_port_in_order(
    redis_stack: tuple[Stack, Gateway],
) -> None:
    stack, gateway = redis_stack
    issues = stack.entities("jiraIssue")
    keys = sorted(k for k, e in issues.items() if e["properties"])[:ISSUES]
    assert len(keys) == ISSUES
    original = {key: issues[key]["title"] for key in keys}
    change = Sender(
        stack, gateway.base_url
    ).change  # the summary in Jira, and the body announcing it

    with (
        consumer(stack, gateway, **SETTINGS) as doomed,
        consumer(stack, gateway, **SETTINGS) as kept,
    ):
        victim = doomed.name
        assert victim != kept.name  # one consumer name per process
        bodies = [(key, change(key, f"{key} r1")) for key in keys]
        for key, body in bodies:  # at once: a burst
            announce(gateway, body, f"{key}-r1")
        # the first consumer holds entries it has not acknowledged yet (polled closely: on a
        # loaded machine it may apply them as fast as they come)
        wait_for(lambda: gateway.pending(victim) > 0, 60, "the first consumer took no entry", 0.005)
        doomed.process.kill()  # SIGKILL, in the middle of applying what it read
        doomed.process.wait(timeout=30)
        left = gateway.pending(victim)
        assert left > 0, "the killed consumer left nothing pending: nothing to reclaim"

        forged, bad = forged_and_bad(gateway, keys[0])
        for n in range(2, ROUNDS + 1):
            for key in keys:
                announce(gateway, change(key, f"{key} r{n}"), f"{key}-r{n}")

        final = {key: f"{key} r{ROUNDS}" for key in keys}
        wait_for(
            lambda: all(stack.entities("jiraIssue")[k]["title"] == v for k, v in final.items()),
            180,
            "Port did not get every change",
        )
        wait_for(lambda: gateway.pending() == 0, 60, "entries are still pending")
        log = kept.output()

    wait_until_searchable(stack, final)  # Jira's truth, which Port now holds (search may lag)
    history: dict[str, list[str | None]] = stack.port("GET", "/_sim/history?blueprint=jiraIssue")
    for key in keys:
        rounds = [round_of(key, title, original[key]) for title in history.get(key, [])]
        assert rounds == sorted(rounds), f"{key} went back to an older change in Port: {rounds}"
        assert rounds[-1] == ROUNDS
    assert gateway.length() == 0  # every entry acknowledged (and deleted, as Ocean does)
    assert "Requeued stuck PEL message" in log  # the killed one's entries were handed out again
    assert log.count(REFUSED) == forged
    assert log.count(DROPPED) == bad
    assert "Traceback" not in log
    print(
        f"redis: {ISSUES * ROUNDS * PER_CHANGE} deliveries for {ISSUES} issues x {ROUNDS} changes, "
        f"{left} left pending by the killed consumer and applied by the other; {forged} forged "
        f"refused, {bad} bad entries dropped"
    )
