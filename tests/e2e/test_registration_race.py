"""Four real integration processes of one install starting at the same moment against the
sandbox Jira (live events on, all announcing one URL as replicas behind a Service do): Jira ends
up with exactly one webhook of the integration, and a change is delivered once.

Two deployments: our chart's (one resync process and three WEBHOOKS_ONLY replicas) and a user's
`replicaCount: 4` of the main deployment (four resync processes, each registering). The
simulator's webhook administration answers slowly (sandbox.registration_race.SITE), so the
processes do overlap: before the fix, both left three or four webhooks."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sandbox.registration_race import MODES, SITE, Started, race_env, started_together
from sandbox.stack import Stack, running_stack
from tests.e2e.conftest import synced_issue_keys

REPLICA_LINE = "this WEBHOOKS_ONLY process serves Jira's deliveries and leaves the Jira webhook"


@pytest.fixture(scope="module")
def installed() -> Iterator[Stack]:
    """A small site whose integration is installed (a first ONCE run), ready to scale out."""
    with running_stack(jira=SITE) as stack:
        result = stack.run_once()
        assert result.returncode == 0, result.output[-3000:]
        yield stack


def outputs(started: Started) -> str:
    return "\n---\n".join(one.output()[-3000:] for one in started.running)


def deliveries(stack: Stack) -> list[dict[str, object]]:
    delivered: list[dict[str, object]] = stack.jira("GET", "/_sim/webhooks")["deliveries"]
    return delivered


def test_one_resync_process_and_three_replicas_register_one_webhook(installed: Stack) -> None:
    with started_together(installed, MODES["mixed"], **race_env()) as started:
        assert len(started.webhooks) == 1, outputs(started)
        assert started.creates == 1  # the resync process's: the replicas never create
        resync, *replicas = started.running
        assert all(REPLICA_LINE in replica.output() for replica in replicas), outputs(started)
        assert REPLICA_LINE not in resync.output()
        # what registering needs (a public URL, Jira's ADMINISTER) is checked where it happens
        assert "Check [ok] OCEAN__BASE_URL" in resync.output()
        assert not any("OCEAN__BASE_URL" in replica.output() for replica in replicas)


def test_four_resync_processes_starting_together_leave_one_webhook(installed: Stack) -> None:
    with started_together(installed, MODES["resync"], **race_env()) as started:
        assert len(started.webhooks) == 1, outputs(started)
        (hook,) = started.webhooks
        assert hook["secret"] == race_env()["OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET"]
        # a change in Jira reaches Port through the webhook that remains, delivered once
        key = sorted(synced_issue_keys(installed))[0]
        summary = "Renamed while four processes run"
        before = len(deliveries(installed))
        installed.jira("PUT", f"/_sim/issues/{key}", {"summary": summary, "notify": True})
        deadline = time.monotonic() + 120
        while installed.entities("jiraIssue")[key]["title"] != summary:
            assert time.monotonic() < deadline, outputs(started)
            time.sleep(0.2)
        sent = deliveries(installed)[before:]  # what the rename made Jira send
        assert [(d["event"], d["status"]) for d in sent] == [("jira:issue_updated", 200)]
