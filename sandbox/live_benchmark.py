"""Live-events benchmark: the real integration (WEBHOOKS_ONLY) fed signed Jira deliveries.

    python -m sandbox.live_benchmark burst     [--issues 100 --per-issue 5 --in-flight 25]
    python -m sandbox.live_benchmark sustained [--rate 50 --seconds 60 --per-change 5]
                                               [--latency-ms 0 --workers N --json]

Both modes first sync the simulator's issues to Port (ONCE), start the integration with a
webhook secret, and let it register its webhook in the Jira simulator. Then:

- `burst`: every one of `--issues` issues is changed once in Jira, and `--per-issue`
  deliveries announce it (the last one a retry of the first, with the same delivery id, as Jira
  retries), sent in random order by `--in-flight` concurrent senders.
- `sustained`: `--rate` deliveries a second for `--seconds`: every second, rate/per-change
  issues (taken in turn, so an issue changes again only after several seconds) are changed and
  each change is announced by `--per-change` deliveries spread over that second.

Delivery → Port latency of a delivery: from when it was sent to when Port first held the state
it announced or a later one of its issue (the Port simulator's `updatedAt` of that state, seen
by reading Port once a second; 0 when Port already held it).
Jira requests per delivery count the integration's requests to the Jira simulator during the
deliveries (the benchmark's own changes go through `/_sim`, which is not counted). At the end,
Port must hold Jira's summary for every issue the run changed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import httpx

from sandbox.jira_sim.webhooks import sign
from sandbox.stack import Stack, running_stack

SECRET = "live-benchmark-secret"
OWN_READS = "GET /rest/api/3/issue/{issueIdOrKey}"
SNAPSHOT_EVERY = 1.0  # seconds between reads of Port's state (to see states that do not last)


@dataclass
class Sent:
    key: str
    summary: str
    at: float  # epoch seconds
    status: int = 0


@dataclass
class LiveFigures:
    mode: str
    deliveries: int
    changed_issues: int
    workers: str
    latency_ms: float
    send_seconds: float
    all_in_port_seconds: float  # from the first delivery until Port held every change
    p50_ms: float
    p99_ms: float
    max_ms: float
    not_in_port: int
    jira_requests: int
    jira_requests_per_delivery: float
    port_equals_jira: bool
    mismatches: list[str] = field(default_factory=list)
    jira_by_endpoint: dict[str, int] = field(default_factory=dict)
    delivery_statuses: dict[str, int] = field(default_factory=dict)


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


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
                self.first_seen.setdefault((key, title), _epoch(stamp))
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


def _jira_counts(stack: Stack) -> dict[str, int]:
    counts: dict[str, int] = stack.jira("GET", "/_sim/stats").get("by_endpoint", {})
    return counts


class Sender:
    """Posts signed deliveries to the integration as Jira does, over kept-alive connections."""

    def __init__(self, stack: Stack, url: str, connections: int) -> None:
        self.stack = stack
        self.url = url
        self.http = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=connections))
        self.reads = 0  # the benchmark's own GET /issue (to build payloads), not counted

    def payload(self, key: str) -> bytes:
        """A `jira:issue_updated` delivery body carrying the issue as Jira holds it now."""
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

    def send(self, sent: Sent, body: bytes, identifier: str) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Atlassian-Webhook-Identifier": identifier,
            "X-Hub-Signature": sign(body, SECRET),
            "User-Agent": "Atlassian Webhook HTTP Client",
        }
        sent.at = time.time()
        try:
            sent.status = self.http.post(self.url, content=body, headers=headers).status_code
        except httpx.HTTPError:
            sent.status = 0


def _change(stack: Stack, key: str, summary: str) -> None:
    stack.jira("PUT", f"/_sim/issues/{key}", {"summary": summary})


def _burst(sender: Sender, keys: list[str], per_issue: int, in_flight: int) -> list[Sent]:
    jobs: list[tuple[Sent, bytes, str]] = []
    for key in keys:
        summary = f"{key} burst"
        _change(sender.stack, key, summary)
        body = sender.payload(key)
        ids = [f"{key}-burst-{n}" for n in range(per_issue)]
        if per_issue > 1:
            ids[-1] = ids[0]  # Jira's retry of the first delivery
        jobs += [(Sent(key, summary, 0.0), body, identifier) for identifier in ids]
    random.Random(7).shuffle(jobs)
    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        for future in [pool.submit(sender.send, *job) for job in jobs]:
            future.result()
    return [s for s, _, _ in jobs]


def _sustained(
    sender: Sender, keys: list[str], rate: int, seconds: int, per_change: int
) -> list[Sent]:
    changes_per_second = max(1, rate // per_change)
    turn = iter(keys * (seconds * changes_per_second // len(keys) + 1))
    sent: list[Sent] = []
    pool = ThreadPoolExecutor(max_workers=max(8, rate // 2))
    futures = []
    start = time.monotonic()
    for second in range(seconds):
        for n in range(changes_per_second):
            key = next(turn)
            summary = f"{key} s{second}.{n}"
            _change(sender.stack, key, summary)
            body = sender.payload(key)
            for k in range(per_change):
                delivery = Sent(key, summary, 0.0)
                sent.append(delivery)
                identifier = f"{key}-{second}-{n}-{k if k < per_change - 1 else 0}"
                due = start + second + (n * per_change + k) / rate
                futures.append(pool.submit(_send_at, sender, delivery, body, identifier, due))
        time.sleep(max(0.0, start + second + 1 - time.monotonic()))
    for future in futures:
        future.result()
    pool.shutdown()
    return sent


def _send_at(sender: Sender, sent: Sent, body: bytes, identifier: str, due: float) -> None:
    time.sleep(max(0.0, due - time.monotonic()))
    sender.send(sent, body, identifier)


def _in_port_at(sent: list[Sent], first_seen: dict[tuple[str, str], float]) -> dict[int, float]:
    """When Port first held each delivery's state or a later one of its issue (a burst of
    changes may take Port straight to the newest state), by delivery (`id`)."""
    states: dict[str, list[str]] = {}
    for s in sorted(sent, key=lambda s: s.at):
        if s.summary not in states.setdefault(s.key, []):
            states[s.key].append(s.summary)
    arrived: dict[int, float] = {}
    for s in sent:
        later = states[s.key][states[s.key].index(s.summary) :]
        seen = [first_seen[(s.key, v)] for v in later if (s.key, v) in first_seen]
        if seen:
            arrived[id(s)] = min(seen)
    return arrived


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Options:
    mode: str
    issues: int = 100
    per_issue: int = 5
    in_flight: int = 25
    rate: int = 50
    seconds: int = 60
    per_change: int = 5
    latency_ms: float = 0.0
    workers: str | None = None
    dataset_issues: int = 300
    settle_seconds: float = 120.0


@contextmanager
def _live_integration(stack: Stack, workers: str | None) -> Iterator[str]:
    env = {
        "OCEAN__EVENT_LISTENER": '{"type":"WEBHOOKS_ONLY"}',
        "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET": SECRET,
        "APPLICATION__LOG_LEVEL": "WARNING",
    }
    if workers:
        env["OCEAN__EVENT_WORKERS_COUNT"] = workers
    with stack.integration(live_events=True, **env):
        deadline = time.monotonic() + 60
        while not (admin := stack.jira("GET", "/_sim/webhooks")["admin"]):
            if time.monotonic() > deadline:
                raise RuntimeError("the integration did not register its Jira webhook")
            time.sleep(0.2)
        yield str(admin[0]["url"])


def run(options: Options) -> LiveFigures:
    jira = {"issues": options.dataset_issues, "projects": 3, "users": 20, "teams": 1}
    with running_stack(jira=jira) as stack:
        synced = stack.run_once(OCEAN__SEND_RAW_DATA_EXAMPLES="false")
        if synced.returncode != 0:
            raise RuntimeError(f"the initial sync failed:\n{synced.output[-3000:]}")
        keys = sorted(k for k, e in stack.entities("jiraIssue").items() if e["properties"])
        wanted = options.issues if options.mode == "burst" else len(keys)
        if len(keys) < wanted:
            raise RuntimeError(f"the dataset has {len(keys)} synced issues, {wanted} wanted")
        keys = keys[:wanted]
        stack.jira("PATCH", "/_sim/config", {"latency_ms": options.latency_ms})
        for_workers = options.workers or "default"
        with _live_integration(stack, options.workers) as url, PortWatch(stack) as watch:
            sender = Sender(stack, url, max(options.in_flight, options.rate))
            before = _jira_counts(stack)
            started = time.monotonic()
            if options.mode == "burst":
                sent = _burst(sender, keys, options.per_issue, options.in_flight)
            else:
                sent = _sustained(sender, keys, options.rate, options.seconds, options.per_change)
            send_seconds = time.monotonic() - started
            final = {s.key: s.summary for s in sorted(sent, key=lambda s: s.at)}
            deadline = time.monotonic() + options.settle_seconds
            while True:
                port = watch.snapshot()
                behind = [k for k, v in final.items() if port.get(k, {}).get("title") != v]
                if not behind or time.monotonic() > deadline:
                    break
                time.sleep(SNAPSHOT_EVERY)
            after = _jira_counts(stack)
        after[OWN_READS] = after.get(OWN_READS, 0) - sender.reads
        used = {e: n - before.get(e, 0) for e, n in after.items() if n - before.get(e, 0)}
        jira_now = stack.issue_summaries(final)
        port = stack.entities("jiraIssue")
    arrived = _in_port_at(sent, watch.first_seen)
    latencies = [max(0.0, arrived[id(s)] - s.at) * 1000 for s in sent if id(s) in arrived]
    first = min(s.at for s in sent)
    last_write = max((watch.first_seen.get((k, v), first) for k, v in final.items()), default=first)
    mismatches = [
        f"{k}: Port {port.get(k, {}).get('title')!r} != Jira {v!r}"
        for k, v in sorted(jira_now.items())
        if port.get(k, {}).get("title") != v
    ]
    statuses: dict[str, int] = {}
    for s in sent:
        statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    total = sum(used.values())
    return LiveFigures(
        mode=options.mode,
        deliveries=len(sent),
        changed_issues=len(final),
        workers=for_workers,
        latency_ms=options.latency_ms,
        send_seconds=round(send_seconds, 2),
        all_in_port_seconds=round(last_write - first, 2),
        p50_ms=round(statistics.median(latencies), 1) if latencies else 0.0,
        p99_ms=round(_percentile(latencies, 0.99), 1),
        max_ms=round(max(latencies, default=0.0), 1),
        not_in_port=len(sent) - len(latencies),
        jira_requests=total,
        jira_requests_per_delivery=round(total / max(1, len(sent)), 3),
        port_equals_jira=not mismatches and len(jira_now) == len(final),
        mismatches=mismatches[:5],
        jira_by_endpoint=dict(sorted(used.items())),
        delivery_statuses=statuses,
    )


def _print(f: LiveFigures) -> None:
    print(
        f"{f.mode}: {f.deliveries} signed deliveries for {f.changed_issues} changed issues, "
        f"sent in {f.send_seconds:.1f} s (Jira latency {f.latency_ms} ms, event workers "
        f"{f.workers}); HTTP answers {f.delivery_statuses}"
    )
    print(
        f"  delivery -> Port   p50 {f.p50_ms:.0f} ms, p99 {f.p99_ms:.0f} ms, max {f.max_ms:.0f} ms"
    )
    print(f"  every change in Port {f.all_in_port_seconds:.1f} s after the first delivery")
    print(f"  never in Port      {f.not_in_port} deliveries")
    print(f"  Jira requests      {f.jira_requests} ({f.jira_requests_per_delivery} per delivery)")
    for endpoint, n in f.jira_by_endpoint.items():
        print(f"      {n:7d}  {endpoint}")
    print(f"  Port == Jira       {f.port_equals_jira} {f.mismatches or ''}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("mode", choices=["burst", "sustained"])
    parser.add_argument("--issues", type=int, default=100, help="burst: issues changed")
    parser.add_argument("--per-issue", type=int, default=5, help="burst: deliveries per issue")
    parser.add_argument("--in-flight", type=int, default=25, help="burst: concurrent senders")
    parser.add_argument("--rate", type=int, default=50, help="sustained: deliveries a second")
    parser.add_argument("--seconds", type=int, default=60, help="sustained: how long")
    parser.add_argument("--per-change", type=int, default=5, help="sustained: deliveries a change")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="Jira simulator latency")
    parser.add_argument("--workers", help="OCEAN__EVENT_WORKERS_COUNT (default: the launcher's)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(
        Options(
            mode=args.mode,
            issues=args.issues,
            per_issue=args.per_issue,
            in_flight=args.in_flight,
            rate=args.rate,
            seconds=args.seconds,
            per_change=args.per_change,
            latency_ms=args.latency_ms,
            workers=args.workers,
        )
    )
    print(json.dumps(asdict(figures))) if args.json else _print(figures)
    return 0 if figures.port_equals_jira and not figures.not_in_port else 1


if __name__ == "__main__":
    sys.exit(main())
