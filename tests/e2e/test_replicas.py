"""Replicas over HTTP, as an operator runs them: one process that resyncs and three
`WEBHOOKS_ONLY` replicas behind a load balancer (sandbox/balancer.py, round robin, as a
Kubernetes Service), all real processes against the simulators. Jira's deliveries of a burst of
changes are spread over the replicas, and one replica is SIGKILLed in the middle of the burst:
the deliveries it had not answered are retried by the Jira simulator as Jira retries them
(shortened from minutes to seconds), and nothing it answered is lost, because an answer is only
sent once the delivery is applied. Afterwards Port equals Jira for every changed issue, and
nothing Jira still has was ever removed from Port.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import pytest

from sandbox.balancer import running_balancer
from sandbox.stack import Stack, running_stack
from tests.e2e.conftest import (
    SECRET,
    synced_issue_keys,
    wait_for_admin_webhook,
    wait_until_searchable,
)

REPLICAS = 3
CHANGED = 150  # issues, each renamed once: a lost delivery leaves one of them behind in Port
KILL_AFTER = 40  # changes made before a replica is killed
# Jira retries 5 times, 5-15 minutes apart; the same here, in seconds
RETRIES = {"webhook_retries": 5, "webhook_retry_min_s": 1.0, "webhook_retry_max_s": 3.0}


@pytest.fixture
def replica_stack() -> Iterator[Stack]:
    size = {"projects": 3, "users": 12, "teams": 1, "issues": 260}
    with running_stack(jira={**size, **RETRIES}) as running:
        yield running


def _wait(condition: Callable[[], Any], what: str, stack: Stack, timeout: float = 180) -> None:
    """Until `condition()` is truthy; else fails with its last answer and the logs' end."""
    deadline = time.monotonic() + timeout
    while not (answer := condition()):
        assert time.monotonic() < deadline, f"{what}: {answer}\n{stack.integration_log()[-3000:]}"
        time.sleep(0.5)


def _behind(stack: Stack, final: dict[str, str]) -> list[str]:
    """The changed issues whose Port title is not Jira's summary."""
    port = stack.entities("jiraIssue")
    jira = stack.issue_summaries(final)
    assert jira == final  # nothing else changes them
    return sorted(k for k, v in jira.items() if port.get(k, {}).get("title") != v)


def _caught_up(stack: Stack, final: dict[str, str], timeout: float = 180) -> list[str]:
    """Waits until Port shows every change (or `timeout` passed); what it still does not."""
    deadline = time.monotonic() + timeout
    while (behind := _behind(stack, final)) and time.monotonic() < deadline:
        time.sleep(1)
    return behind


def test_a_replica_killed_mid_burst_loses_no_delivery(replica_stack: Stack) -> None:
    stack = replica_stack
    with running_balancer() as balancer, ExitStack() as processes:
        # every process's public URL is the balancer's (where Jira posts: the Service)
        # the resync process: initialises Port, resyncs at start, registers the webhook
        processes.enter_context(
            stack.integration_process(
                OCEAN__BASE_URL=balancer.url, OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET=SECRET
            )
        )
        hook = wait_for_admin_webhook(stack)
        assert hook["url"] == f"{balancer.url}/integration/webhook"
        _wait(lambda: len(synced_issue_keys(stack)) > CHANGED, "the first resync", stack)

        replicas = []
        for _ in range(REPLICAS):
            url, process = processes.enter_context(
                stack.integration_process(
                    OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}',
                    OCEAN__INITIALIZE_PORT_RESOURCES="false",
                    OCEAN__BASE_URL=balancer.url,
                    OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET=SECRET,
                )
            )
            balancer.add(url)
            replicas.append((url, process))
        assert len(stack.jira("GET", "/_sim/webhooks")["admin"]) == 1

        keys = sorted(synced_issue_keys(stack))[:CHANGED]
        final = {key: f"{key} renamed during the burst" for key in keys}
        done = 0
        counted = threading.Lock()
        killed = threading.Event()
        victim_url, victim = replicas[1]

        def rename(key: str) -> None:
            nonlocal done
            stack.jira("PUT", f"/_sim/issues/{key}", {"summary": final[key], "notify": True})
            with counted:
                done += 1
                if done == KILL_AFTER:
                    victim.send_signal(signal.SIGKILL)
                    killed.set()

        with ThreadPoolExecutor(max_workers=16) as pool:
            for future in [pool.submit(rename, key) for key in keys]:
                future.result()
        assert killed.is_set() and victim.wait(10) == -signal.SIGKILL

        # the test reads Jira by search, whose index lags writes on the unkind Jira
        wait_until_searchable(stack, final)
        behind = _caught_up(stack, final)
        assert behind == [], f"{len(behind)} changes never reached Port: {behind[:10]}"
        deliveries = stack.jira("GET", "/_sim/webhooks")["deliveries"]
        deleted = stack.ever_deleted("jiraIssue")

    # the killed replica cost some deliveries their first attempt ...
    failed = {d["identifier"] for d in deliveries if d["status"] is None}
    assert failed and balancer.refused[victim_url] >= 1
    # ... each of which Jira's retry (same id, X-Atlassian-Webhook-Retry) got applied
    answered = {d["identifier"] for d in deliveries if d["status"] == 200}
    assert failed <= answered
    assert {d["retry"] for d in deliveries if d["identifier"] in failed} > {0}
    # every delivery got a 200 in the end (none given up)
    assert len(answered) == CHANGED
    # the live replicas shared the deliveries
    assert all(balancer.connections[url] > 0 for url, _ in replicas)
    # nothing Jira still has was ever removed from Port
    still_in_jira = set(stack.issue_summaries(keys))
    assert deleted & still_in_jira == set()
