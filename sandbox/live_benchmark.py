"""Live-events benchmark: the real integration (WEBHOOKS_ONLY) fed signed Jira deliveries.

    python -m sandbox.live_benchmark burst|sustained
    python -m sandbox.live_benchmark redis [--consumers N] [--kill]   (sandbox.redis_benchmark)

Both modes first sync a 300-issue simulator site to Port (ONCE), start the integration with a
webhook secret and its default settings, and let it register its webhook in the Jira simulator
(no simulated latency). Then:

- `burst`: each of 100 issues is changed once in Jira, and 5 deliveries announce it (the last
  one a retry of the first, with the same delivery id, as Jira retries), sent in random order
  by 25 concurrent senders.
- `sustained`: 50 deliveries a second for 60 s: every second, 10 issues (taken in turn, so an
  issue changes again only after several seconds) are changed and each change is announced by
  5 deliveries spread over that second.

Delivery → Port latency of a delivery: from when it was sent to when Port first held the state
it announced or a later one of its issue (the Port simulator's `updatedAt` of that state, seen
by reading Port once a second; 0 when Port already held it).
Jira requests per delivery count the integration's requests to the Jira simulator during the
deliveries (the benchmark's own changes go through `/_sim`, which is not counted). At the end,
Port must hold Jira's summary for every issue the run changed.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from sandbox.benchmark import cli, jira_requests, print_counts, requests_since, sync_once
from sandbox.jira_sim.webhooks import delivery_headers
from sandbox.stack import Stack, running_stack

SECRET = "live-benchmark-secret"
OWN_READS = "GET /rest/api/3/issue/{issueIdOrKey}"
SNAPSHOT_EVERY = 1.0  # seconds between reads of Port's state (to see states that do not last)
SITE = {"issues": 300, "projects": 3, "users": 20, "teams": 1}
PER_CHANGE = 5  # deliveries announcing each change, the last a retry of the first
BURST_ISSUES, IN_FLIGHT = 100, 25
RATE, SECONDS = 50, 60  # sustained: deliveries a second, for how long
SETTLE_SECONDS = 120.0  # how long Port may take to catch up once the deliveries are sent


@dataclass
class Sent:
    """One delivery: the issue state it announces, its body and id, when it was due and sent."""

    key: str
    summary: str
    body: bytes
    identifier: str
    due: float = 0.0  # time.monotonic() to send it at (0: at once)
    at: float = 0.0  # epoch seconds it was sent at
    status: int = 0  # the integration's HTTP answer (0: none)


class PortWatch:
    """When Port first held each (issue, title): the Port simulator's `updatedAt` of it."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.first_seen: dict[tuple[str, str], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        issues = self.stack.entities("jiraIssue")
        for key, entity in issues.items():
            title, stamp = entity.get("title"), entity.get("updatedAt")
            if isinstance(title, str) and stamp:
                self.first_seen.setdefault((key, title), datetime.fromisoformat(stamp).timestamp())
        return issues

    def _run(self) -> None:
        while not self._stop.wait(SNAPSHOT_EVERY):
            self.snapshot()

    def __enter__(self) -> PortWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Sender:
    """Changes issues in Jira and posts signed deliveries announcing them to the integration, as
    Jira does, over kept-alive connections."""

    def __init__(self, stack: Stack, url: str) -> None:
        self.stack = stack
        self.url = url
        self.http = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=IN_FLIGHT))
        self.reads = 0  # the benchmark's own GET /issue (to build payloads), not counted

    def change(self, key: str, summary: str) -> bytes:
        """Sets the issue's summary in Jira; returns a `jira:issue_updated` delivery body that
        carries the issue as Jira then holds it."""
        self.stack.jira("PUT", f"/_sim/issues/{key}", {"summary": summary})
        issue = self.stack.jira_rest("GET", f"/rest/api/3/issue/{key}")
        self.reads += 1
        event = {
            "timestamp": int(time.time() * 1000),
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_updated",
            "user": {"accountId": "benchmark"},
            "issue": issue,
        }
        return json.dumps(event).encode()

    def send(self, sent: Sent) -> None:
        time.sleep(max(0.0, sent.due - time.monotonic()))
        headers = delivery_headers(sent.body, sent.identifier, SECRET)
        sent.at = time.time()
        try:
            response = self.http.post(self.url, content=sent.body, headers=headers)
            sent.status = response.status_code
        except httpx.HTTPError:
            sent.status = 0

    def send_all(self, deliveries: Iterable[Sent]) -> list[Sent]:
        """Sends the deliveries as they come, each when due, IN_FLIGHT at a time at most."""
        with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            sent = [(delivery, pool.submit(self.send, delivery)) for delivery in deliveries]
            for _, future in sent:
                future.result()
        return [delivery for delivery, _ in sent]


def _announced(sender: Sender, key: str, summary: str, tag: str) -> list[Sent]:
    """The issue's summary changed in Jira, and PER_CHANGE deliveries announcing it (ids
    `{key}-{tag}-{n}`; the last one a retry of the first, with its id, as Jira retries)."""
    body = sender.change(key, summary)
    ids = [f"{key}-{tag}-{n}" for n in range(PER_CHANGE - 1)]
    return [Sent(key, summary, body, identifier) for identifier in [*ids, ids[0]]]


def burst(sender: Sender, keys: list[str], tag: str = "burst") -> Iterator[Sent]:
    """Each issue changed once (its summary: `{key} {tag}`), the deliveries in random order,
    all at once."""
    deliveries = [sent for key in keys for sent in _announced(sender, key, f"{key} {tag}", tag)]
    random.Random(7).shuffle(deliveries)
    yield from deliveries


def _sustained(sender: Sender, keys: list[str]) -> Iterator[Sent]:
    """RATE deliveries a second for SECONDS: each second's changes, their deliveries spread over
    that second."""
    turn = itertools.cycle(keys)
    start = time.monotonic()
    for second in range(SECONDS):
        for n in range(RATE // PER_CHANGE):
            key = next(turn)
            deliveries = _announced(sender, key, f"{key} s{second}.{n}", f"{second}-{n}")
            for k, sent in enumerate(deliveries):
                sent.due = start + second + (n * PER_CHANGE + k) / RATE
                yield sent
        time.sleep(max(0.0, start + second + 1 - time.monotonic()))


def _latencies_ms(sent: list[Sent], first_seen: dict[tuple[str, str], float]) -> list[float]:
    """Delivery -> Port latency of each delivery Port caught up with: until Port first held its
    state or a later one of its issue (a burst of changes may take Port straight to the newest)."""
    states: dict[str, list[str]] = {}
    for s in sorted(sent, key=lambda s: s.at):
        if s.summary not in states.setdefault(s.key, []):
            states[s.key].append(s.summary)
    latencies = []
    for s in sent:
        later = states[s.key][states[s.key].index(s.summary) :]
        seen = [first_seen[(s.key, v)] for v in later if (s.key, v) in first_seen]
        if seen:
            latencies.append(max(0.0, min(seen) - s.at) * 1000)
    return latencies


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def _live_integration(stack: Stack) -> Iterator[str]:
    """The integration in WEBHOOKS_ONLY mode; yields the webhook URL it registered in Jira."""
    with stack.integration(
        live_events=True,
        OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}',
        OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET=SECRET,
        APPLICATION__LOG_LEVEL="WARNING",
    ):
        deadline = time.monotonic() + 60
        while not (admin := stack.jira("GET", "/_sim/webhooks")["admin"]):
            if time.monotonic() > deadline:
                raise RuntimeError("the integration did not register its Jira webhook")
            time.sleep(0.2)
        yield str(admin[0]["url"])


def _wait_for_port(watch: PortWatch, final: dict[str, str]) -> None:
    """Until Port holds the last summary sent of each issue (or SETTLE_SECONDS passed)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        port = watch.snapshot()
        if all(port.get(k, {}).get("title") == v for k, v in final.items()):
            return
        time.sleep(SNAPSHOT_EVERY)


def run(mode: str) -> int:
    """One run of `mode`; prints its figures, returns 0 when Port holds every change."""
    with running_stack(jira=SITE) as stack:
        synced = sync_once(stack)
        if synced.returncode != 0:
            raise RuntimeError("the initial sync failed")
        keys = sorted(k for k, e in stack.entities("jiraIssue").items() if e["properties"])
        if mode == "burst":
            if len(keys) < BURST_ISSUES:
                raise RuntimeError(f"the site has {len(keys)} synced issues, {BURST_ISSUES} wanted")
            keys = keys[:BURST_ISSUES]
        with _live_integration(stack) as url, PortWatch(stack) as watch:
            sender = Sender(stack, url)
            before = jira_requests(stack)
            started = time.monotonic()
            sent = sender.send_all((burst if mode == "burst" else _sustained)(sender, keys))
            send_seconds = time.monotonic() - started
            final = {s.key: s.summary for s in sorted(sent, key=lambda s: s.at)}
            _wait_for_port(watch, final)
            after = jira_requests(stack)
        after[OWN_READS] = after.get(OWN_READS, 0) - sender.reads
        used = requests_since(before, after)
        jira_now = stack.issue_summaries(final)
        port = stack.entities("jiraIssue")
    latencies = _latencies_ms(sent, watch.first_seen)
    first = min(s.at for s in sent)
    last_write = max(watch.first_seen.get((k, v), first) for k, v in final.items())
    mismatches = [
        f"{k}: Port {port.get(k, {}).get('title')!r} != Jira {v!r}"
        for k, v in sorted(jira_now.items())
        if port.get(k, {}).get("title") != v
    ]
    equal = not mismatches and len(jira_now) == len(final)
    statuses = Counter(str(s.status) for s in sent)
    total = sum(used.values())
    print(
        f"{mode}: {len(sent)} signed deliveries for {len(final)} changed issues, "
        f"sent in {send_seconds:.1f} s; HTTP answers {dict(statuses)}"
    )
    p50 = statistics.median(latencies) if latencies else 0.0
    p99, worst = _percentile(latencies, 0.99), max(latencies, default=0.0)
    print(f"  delivery -> Port   p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {worst:.0f} ms")
    print(f"  every change in Port {last_write - first:.1f} s after the first delivery")
    print(f"  never in Port      {len(sent) - len(latencies)} deliveries")
    print(f"  Jira requests      {total} ({total / len(sent):.3f} per delivery)")
    print_counts(used)
    print(f"  Port == Jira       {equal} {mismatches[:5] or ''}")
    return 0 if equal and len(latencies) == len(sent) else 1


def main(argv: list[str] | None = None) -> int:
    parser = cli(__doc__)
    parser.add_argument("mode", choices=["burst", "sustained", "redis"])
    parser.add_argument("--consumers", type=int, default=2, help="redis: consumer processes")
    parser.add_argument("--kill", action="store_true", help="redis: SIGKILL one mid-burst")
    args = parser.parse_args(argv)
    if args.mode == "redis":
        from sandbox import redis_benchmark  # it builds on this module

        return redis_benchmark.run(args.consumers, args.kill)
    return run(args.mode)


if __name__ == "__main__":
    sys.exit(main())
