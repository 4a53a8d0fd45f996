"""Live-events benchmark: the real integration (WEBHOOKS_ONLY) fed signed Jira deliveries.

    python -m sandbox.live_benchmark burst|sustained
    python -m sandbox.live_benchmark replicas [--replicas N] [--no-kill] [--issues N]
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

- `replicas`: N `WEBHOOKS_ONLY` replicas (3 by default; they never initialise Port) behind the
  sandbox's round-robin balancer (sandbox/balancer.py, as a Kubernetes Service); each of 400
  issues is changed once and announced by 5 deliveries (2,000), REPLICA_IN_FLIGHT at a time, and
  one replica is SIGKILLed once a third of them are answered (unless `--no-kill`). A delivery
  that is not answered 2xx is sent again as Jira retries (408, 409, 425, 429, 5xx, connection
  failures and timeouts; 5 times, minutes apart in Jira, 1-3 s here). It also prints the
  entities removed from Port that Jira still has and the deliveries answered 2xx whose change
  never reached Port (both must be 0).

Delivery → Port latency of a delivery: from when it was sent to when Port first held the state
it announced or a later one of its issue (the Port simulator's `updatedAt` of that state, seen
by reading Port once a second; 0 when Port already held it).
Integration CPU per delivery: the integration process's CPU time (user + system) from the first
delivery until Port caught up, divided by the deliveries sent. The integration runs with Ocean's
logging defaults (INFO, logs shipped to Port's ingest URL), as an installation does.
Jira requests per delivery count the integration's requests to the Jira simulator during the
deliveries (the benchmark's own changes go through `/_sim`, which is not counted). At the end,
Port must hold Jira's summary for every issue the run changed.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx

from sandbox.balancer import Balancer, running_balancer
from sandbox.benchmark import cli, jira_requests, print_counts, requests_since, sync_once
from sandbox.jira_sim.webhooks import RETRIED_STATUSES, delivery_headers
from sandbox.stack import Stack, running_stack

SECRET = "live-benchmark-secret"
OWN_READS = "GET /rest/api/3/issue/{issueIdOrKey}"
SNAPSHOT_EVERY = 1.0  # seconds between reads of Port's state (to see states that do not last)
SITE = {"issues": 300, "projects": 3, "users": 20, "teams": 1}
PER_CHANGE = 5  # deliveries announcing each change, the last a retry of the first
BURST_ISSUES, IN_FLIGHT = 100, 25
RATE, SECONDS = 50, 60  # sustained: deliveries a second, for how long
SETTLE_SECONDS = 120.0  # how long Port may take to catch up once the deliveries are sent
REPLICA_SITE = {"issues": 700, "projects": 3, "users": 20, "teams": 1}
REPLICA_ISSUES, REPLICA_IN_FLIGHT = 400, 96  # Jira does not document how many it sends at once
JIRA_RETRIES, RETRY_WAIT = 5, (1.0, 3.0)  # Jira: 5 retries, 5-15 minutes apart


@dataclass
class Sent:
    """One delivery: the issue state it announces, its body and id, when it was due and sent."""

    key: str
    summary: str
    body: bytes
    identifier: str
    due: float = 0.0  # time.monotonic() to send it at (0: at once)
    at: float = 0.0  # epoch seconds it was sent at (its first attempt)
    status: int = 0  # the integration's HTTP answer to its last attempt (0: none)
    attempts: int = 0


def retried(status: int) -> bool:
    """Whether Jira sends a delivery answered `status` again (0: no answer at all)."""
    return status == 0 or status in RETRIED_STATUSES or status >= 500


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

    def __init__(
        self, stack: Stack, url: str, in_flight: int = IN_FLIGHT, retries: int = 0
    ) -> None:
        self.stack = stack
        self.url = url
        self.in_flight = in_flight
        self.retries = retries  # Jira's: sent again after RETRY_WAIT when not answered 2xx
        self.http = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=in_flight))
        self.reads = 0  # the benchmark's own GET /issue (to build payloads), not counted
        self.answered = 0  # deliveries answered 2xx so far
        self.on_answered: Callable[[int], None] = lambda answered: None
        self._lock = threading.Lock()
        self._random = random.Random(11)

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
        sent.at = time.time()
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self._random.uniform(*RETRY_WAIT))
            headers = delivery_headers(sent.body, sent.identifier, SECRET, retry=attempt)
            sent.attempts += 1
            try:
                response = self.http.post(self.url, content=sent.body, headers=headers)
                sent.status = response.status_code
            except httpx.HTTPError:
                sent.status = 0
            if not retried(sent.status):
                break
        if 200 <= sent.status < 300:
            with self._lock:
                self.answered += 1
                answered = self.answered
            self.on_answered(answered)

    def send_all(self, deliveries: Iterable[Sent]) -> list[Sent]:
        """Sends the deliveries as they come, each when due, `in_flight` at a time at most."""
        with ThreadPoolExecutor(max_workers=self.in_flight) as pool:
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


def _port_writes(stack: Stack) -> int:
    """Bulk upsert requests the Port simulator has served so far."""
    counts: dict[str, int] = stack.port("GET", "/_sim/stats")["by_endpoint"]
    return sum(n for endpoint, n in counts.items() if endpoint.endswith("/entities/bulk"))


@contextmanager
def _live_integration(stack: Stack) -> Iterator[tuple[str, Popen[bytes]]]:
    """The integration in WEBHOOKS_ONLY mode; yields the webhook URL it registered in Jira, and
    its process."""
    with stack.integration_process(
        live_events=True,
        OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}',
        OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET=SECRET,
        APPLICATION__ENABLE_HTTP_LOGGING="true",
    ) as (_, process):
        deadline = time.monotonic() + 60
        while not (admin := stack.jira("GET", "/_sim/webhooks")["admin"]):
            if time.monotonic() > deadline:
                raise RuntimeError("the integration did not register its Jira webhook")
            time.sleep(0.2)
        yield str(admin[0]["url"]), process


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
        with _live_integration(stack) as (url, process), PortWatch(stack) as watch:
            sender = Sender(stack, url)
            cpu_before = _cpu_seconds(process)
            before = jira_requests(stack)
            port_before = _port_writes(stack)
            started = time.monotonic()
            sent = sender.send_all((burst if mode == "burst" else _sustained)(sender, keys))
            send_seconds = time.monotonic() - started
            final = {s.key: s.summary for s in sorted(sent, key=lambda s: s.at)}
            _wait_for_port(watch, final)
            cpu = _cpu_seconds(process) - cpu_before
            after = jira_requests(stack)
            port_writes = _port_writes(stack) - port_before
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
    print(f"  integration CPU    {cpu:.2f} s ({cpu / len(sent) * 1000:.1f} ms per delivery)")
    print(f"  Port entity writes {port_writes} requests ({port_writes / len(sent):.3f} per delivery)")
    print_counts(used)
    print(f"  Port == Jira       {equal} {mismatches[:5] or ''}")
    return 0 if equal and len(latencies) == len(sent) else 1


@contextmanager
def _replicas(stack: Stack, balancer: Balancer, count: int) -> Iterator[list[Popen[bytes]]]:
    """`count` WEBHOOKS_ONLY replicas, started at once, behind `balancer`; yields them."""
    starting = [
        stack.integration_process(
            OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}',
            OCEAN__BASE_URL=balancer.url,
            OCEAN__INITIALIZE_PORT_RESOURCES="false",
            OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET=SECRET,
            APPLICATION__LOG_LEVEL="WARNING",
        )
        for _ in range(count)
    ]
    with ExitStack() as running:

        def enter(started: AbstractContextManager[tuple[str, Popen[bytes]]]) -> Popen[bytes]:
            url, process = started.__enter__()
            running.push(started.__exit__)  # a deque append: safe from the pool's threads
            balancer.add(url)
            return process

        with ThreadPoolExecutor(max_workers=count) as pool:
            processes = list(pool.map(enter, starting))
        yield processes


def _cpu_seconds(process: Popen[bytes]) -> float:
    """The user + system CPU time a child used so far (a killed one's too, until reaped)."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_replicas(count: int, kill: bool, issues: int = REPLICA_ISSUES) -> int:
    """The `replicas` mode; prints its figures, returns 0 when nothing was lost or removed."""
    load_before = os.getloadavg()[0]
    with running_stack(jira=REPLICA_SITE) as stack, running_balancer() as balancer:
        if sync_once(stack).returncode != 0:
            raise RuntimeError("the initial sync failed")
        keys = sorted(k for k, e in stack.entities("jiraIssue").items() if e["properties"])
        if len(keys) < issues:
            raise RuntimeError(f"the site has {len(keys)} synced issues, {issues} wanted")
        keys = keys[:issues]
        with _replicas(stack, balancer, count) as replicas, PortWatch(stack) as watch:
            sender = Sender(
                stack,
                f"{balancer.url}/integration/webhook",
                in_flight=REPLICA_IN_FLIGHT,
                retries=JIRA_RETRIES,
            )
            cpu_before = sum(_cpu_seconds(replica) for replica in replicas)
            before = jira_requests(stack)
            deliveries = list(burst(sender, keys, tag="replicas"))
            victim = replicas[len(replicas) // 2] if kill and len(replicas) > 1 else None
            if victim is not None:
                kill_at = len(deliveries) // 3

                def kill_victim(answered: int) -> None:
                    if answered == kill_at:
                        victim.send_signal(signal.SIGKILL)

                sender.on_answered = kill_victim
            started = time.monotonic()
            sent = sender.send_all(deliveries)
            send_seconds = time.monotonic() - started
            final = {s.key: s.summary for s in sent}
            _wait_for_port(watch, final)
            after = jira_requests(stack)
            deleted = stack.ever_deleted("jiraIssue")
            cpu = sum(_cpu_seconds(replica) for replica in replicas) - cpu_before
        after[OWN_READS] = after.get(OWN_READS, 0) - sender.reads
        used = requests_since(before, after)
        jira_now = stack.issue_summaries(final)
        port = stack.entities("jiraIssue")
    first = min(s.at for s in sent)
    in_port = {k for k, v in final.items() if (k, v) in watch.first_seen}
    last_write = max((watch.first_seen[(k, final[k])] for k in in_port), default=first)
    answered = [s for s in sent if 200 <= s.status < 300]
    lost = [s for s in answered if s.key not in in_port]
    removed_while_in_jira = deleted & set(jira_now)
    latencies = _latencies_ms(sent, watch.first_seen)
    equal = all(port.get(k, {}).get("title") == v for k, v in jira_now.items())
    total = sum(used.values())
    killed = f", one SIGKILLed after {len(sent) // 3} answers" if victim is not None else ""
    print(
        f"replicas: {len(sent)} signed deliveries for {len(final)} changed issues through "
        f"{count} WEBHOOKS_ONLY replica{'s' if count > 1 else ''}{killed}, {REPLICA_IN_FLIGHT} in flight"
    )
    attempts = Counter(s.attempts for s in sent)
    print(
        f"  answered 2xx       {len(answered)} of {len(sent)} in {send_seconds:.1f} s "
        f"({len(sent) / send_seconds:.0f} deliveries/s); attempts per delivery "
        f"{dict(sorted(attempts.items()))}; balancer refused {sum(balancer.refused.values())}"
    )
    p50 = statistics.median(latencies) if latencies else 0.0
    print(f"  delivery -> Port   p50 {p50:.0f} ms, p99 {_percentile(latencies, 0.99):.0f} ms")
    print(f"  every change in Port {last_write - first:.1f} s after the first delivery")
    print(f"  removed from Port while Jira had them  {len(removed_while_in_jira)}")
    print(f"  answered deliveries lost               {len(lost)}")
    print(f"  Jira requests      {total} ({total / len(sent):.3f} per delivery)")
    print_counts(used)
    print(f"  replicas' CPU      {cpu:.1f} s ({cpu / len(sent) * 1000:.1f} ms per delivery)")
    load = (round(load_before, 1), round(os.getloadavg()[0], 1))
    print(f"  load average       {load[0]} before, {load[1]} after (on {os.cpu_count()} cores)")
    print(f"  Port == Jira       {equal and len(in_port) == len(final)}")
    ok = equal and not lost and not removed_while_in_jira and len(answered) == len(sent)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = cli(__doc__)
    parser.add_argument("mode", choices=["burst", "sustained", "replicas", "redis"])
    parser.add_argument("--replicas", type=int, default=3, help="replicas mode: how many")
    parser.add_argument(
        "--no-kill", action="store_true", help="replicas mode: kill no replica mid-burst"
    )
    parser.add_argument(
        "--issues", type=int, default=REPLICA_ISSUES, help="replicas mode: issues changed"
    )
    parser.add_argument("--consumers", type=int, default=2, help="redis: consumer processes")
    parser.add_argument("--kill", action="store_true", help="redis: SIGKILL one mid-burst")
    args = parser.parse_args(argv)
    if args.mode == "replicas":
        return run_replicas(args.replicas, kill=not args.no_kill, issues=args.issues)
    if args.mode == "redis":
        from sandbox import redis_benchmark  # it builds on this module

        return redis_benchmark.run(args.consumers, args.kill)
    return run(args.mode)


if __name__ == "__main__":
    sys.exit(main())
