"""Live-events benchmark through Ocean's Redis stream: `python -m sandbox.live_benchmark redis
[--consumers N] [--kill]`.

Like the HTTP burst (sandbox.live_benchmark): a 300-issue site synced to Port, then each of 200
issues changed once in Jira and announced by 5 signed deliveries (the last a retry of the first),
in random order; here they are written to a real redis-server's stream as Port's live-events
gateway writes them (sandbox.redis_stream), and N integration processes (WEBHOOKS_ONLY, the
Redis consumer on) read it as one consumer group. `--kill` SIGKILLs one of them as soon as it
holds entries it has not acknowledged: the others apply them once Ocean's maintenance worker
hands them out again (PEL_STUCK_TIMEOUT_SECONDS below), and every change must be in Port within
that timeout plus 10 s of the first delivery.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from sandbox.benchmark import jira_requests, print_counts, requests_since, sync_once
from sandbox.jira_sim.webhooks import delivery_headers
from sandbox.live_benchmark import (
    OWN_READS,
    SECRET,
    SITE,
    PortWatch,
    Sender,
    Sent,
    _latencies_ms,
    _percentile,
    _wait_for_port,
    burst,
)
from sandbox.redis_stream import Gateway, consumer, running_redis
from sandbox.stack import Stack, running_stack

ISSUES = 200
STUCK_SECONDS = 5
SCAN_SECONDS = 1
SETTINGS = {
    "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET": SECRET,
    "OCEAN__LIVE_EVENTS__REDIS__PEL_STUCK_TIMEOUT_SECONDS": str(STUCK_SECONDS),
    "OCEAN__LIVE_EVENTS__REDIS__STREAM_MAINTENANCE_SCAN_INTERVAL_SECONDS": str(SCAN_SECONDS),
    "APPLICATION__LOG_LEVEL": "WARNING",
}


class StreamSender(Sender):
    """Writes each delivery to the stream, as the gateway does once Jira posted it."""

    def __init__(self, stack: Stack, gateway: Gateway) -> None:
        super().__init__(stack, gateway.base_url)
        self.gateway = gateway

    def send(self, sent: Sent) -> None:
        time.sleep(max(0.0, sent.due - time.monotonic()))
        headers = delivery_headers(sent.body, sent.identifier, SECRET)
        sent.at = time.time()
        self.gateway.write(self.gateway.entry(sent.body, headers))
        sent.status = 200


def run(consumers: int, kill: bool) -> int:
    """One burst through `consumers` processes (one killed with `kill`); prints its figures,
    returns 0 when Port holds every change (within the reclaim timeout + 10 s with `kill`)."""
    if kill and consumers < 2:
        raise SystemExit("--kill needs at least 2 consumers")
    with running_stack(jira=SITE) as stack, tempfile.TemporaryDirectory() as scratch:
        if sync_once(stack).returncode != 0:
            raise RuntimeError("the initial sync failed")
        keys = sorted(k for k, e in stack.entities("jiraIssue").items() if e["properties"])
        keys = keys[:ISSUES]
        with running_redis(Path(scratch)) as url, ExitStack() as processes:
            gateway = Gateway(url)
            running = [
                processes.enter_context(consumer(stack, gateway, **SETTINGS))
                for _ in range(consumers)
            ]
            with PortWatch(stack) as watch:
                sender = StreamSender(stack, gateway)
                before = jira_requests(stack)
                deliveries = list(burst(sender, keys))  # the changes in Jira, then the entries
                started = time.monotonic()
                sent = sender.send_all(deliveries)
                write_seconds = time.monotonic() - started
                left = 0
                if kill:
                    victim = running[0]
                    deadline = time.monotonic() + 60
                    while gateway.pending(victim.name) < 3 and time.monotonic() < deadline:
                        time.sleep(0.01)
                    victim.process.kill()
                    victim.process.wait(timeout=30)
                    left = gateway.pending(victim.name)
                final = {s.key: s.summary for s in sorted(sent, key=lambda s: s.at)}
                _wait_for_port(watch, final)
                after = jira_requests(stack)
            pending_at_end = gateway.pending()
            gateway.close()
        after[OWN_READS] = after.get(OWN_READS, 0) - sender.reads
        used = requests_since(before, after)
        port = stack.entities("jiraIssue")
        jira_now = stack.issue_summaries(final)
    latencies = _latencies_ms(sent, watch.first_seen)
    first = min(s.at for s in sent)
    last_write = max(watch.first_seen.get((k, v), first) for k, v in final.items())
    every = last_write - first
    in_port = sum(1 for k, v in jira_now.items() if port.get(k, {}).get("title") == v)
    total = sum(used.values())
    p50 = statistics.median(latencies) if latencies else 0.0
    p99 = _percentile(latencies, 0.99)
    print(
        f"redis: {len(sent)} signed deliveries for {len(final)} changed issues written to the "
        f"stream in {write_seconds:.1f} s; {consumers} consumer(s)"
        + (f", one SIGKILLed holding {left} unacknowledged entries" if kill else "")
    )
    print(f"  every change in Port {every:.1f} s after the first delivery")
    print(f"  deliveries per second {len(sent) / every if every > 0 else float('inf'):.0f}")
    print(f"  delivery -> Port   p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    print(f"  never in Port      {len(sent) - len(latencies)} deliveries")
    print(f"  Jira requests      {total} ({total / len(sent):.3f} per delivery)")
    print_counts(used)
    print(
        f"  changes in Port    {in_port} of {len(final)} (entries not yet acknowledged then: "
        f"{pending_at_end}, later deliveries of changes already applied)"
    )
    statuses = Counter(str(s.status) for s in sent)
    ok = in_port == len(final) == len(jira_now) and statuses == Counter({"200": len(sent)})
    if kill:
        budget = STUCK_SECONDS + 10
        print(f"  within the reclaim timeout + 10 s ({budget} s): {every <= budget}")
        ok = ok and every <= budget
    return 0 if ok else 1
