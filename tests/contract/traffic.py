"""The integration's real traffic to the Jira simulator, recorded once per test session.

One sandbox (every kind mapped) serves, in turn: a full resync of every kind (ONCE, so its
checks run first), `launch.py probe`, an incremental run after some issues changed, and a
long-running integration receiving signed live events of each kind. The simulator's recorder
(`record_path`, sandbox/jira_sim/recorder.py) writes each request and answer to a JSONL file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import sandbox.stack
from sandbox.stack import LAUNCHER, Stack, running_stack
from tests.e2e.conftest import (
    SECRET,
    create_integration,
    synced_ids,
    wait_for_admin_webhook,
)
from tests.integration.harness_setup import every_kind_mapping

# A small site that still pages (worklog feed, a busy issue's comments) and has every kind of
# object. The kind Jira even under SANDBOX_JIRA_UNKIND=1: its faults (429s, 5xx, cut bodies)
# are documented for every operation in prose, not in any operation's responses.
SITE = {
    "projects": 3,
    "users": 12,
    "teams": 2,
    "issues": 40,
    "worklog_feed_page": 50,
    "unkind": False,
}
FULL, PROBE, INCREMENTAL_RUN, LIVE = "full resync", "probe", "incremental run", "live events"
PHASES = (FULL, PROBE, INCREMENTAL_RUN, LIVE)
INCREMENTAL = {
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED": "true",
    "OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL": "15",
}


@dataclass(frozen=True)
class Exchange:
    """One recorded request and the simulator's answer."""

    phase: str
    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    status: int
    response: Any

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        return f"{self.method} {self.path}{'?' + query if query else ''} -> {self.status}"


def _wait_for(check: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout}s"
        time.sleep(0.3)


class Recording:
    """The recorder's file, read phase by phase."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.exchanges: list[Exchange] = []
        self._read = 0

    def skip(self) -> None:
        """The lines written since the previous phase are the test's own requests."""
        self._read = len(self._lines())

    def _lines(self) -> list[str]:
        return self.path.read_text(encoding="utf-8").splitlines() if self.path.exists() else []

    def close_phase(self, phase: str) -> None:
        """The lines written since the previous phase belong to `phase`."""
        lines = self._lines()
        for line in lines[self._read :]:
            raw = json.loads(line)
            query = [(str(k), str(v)) for k, v in raw["query"]]
            self.exchanges.append(
                Exchange(
                    phase,
                    raw["method"],
                    raw["path"],
                    query,
                    raw["body"],
                    raw["status"],
                    raw["response"],
                )
            )
        self._read = len(lines)


def _full_resync(stack: Stack, recording: Recording) -> None:
    create_integration(stack, every_kind_mapping())
    run = stack.run_once()
    assert run.returncode == 0, run.output[-3000:]
    recording.close_phase(FULL)


def _probe(stack: Stack, recording: Recording) -> None:
    result = subprocess.run(
        [sys.executable, str(LAUNCHER), "probe", "--log-level", "WARNING"],
        env=stack.integration_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    recording.close_phase(PROBE)


def _incremental(stack: Stack, recording: Recording) -> None:
    for key in sorted(synced_ids(stack, "jiraIssue"))[:3]:
        stack.jira("PUT", f"/_sim/issues/{key}", {"fields": {"summary": f"Changed {key}"}})
    run = stack.run_once(INCREMENTAL)
    assert run.returncode == 0, run.output[-3000:]
    recording.close_phase(INCREMENTAL_RUN)


def _live_events(stack: Stack, recording: Recording) -> None:
    """One signed delivery of each event family the integration listens to, after the
    integration repaired the webhook a Jira admin made for it with too few events."""
    port = sandbox.stack.free_port()
    hook = {
        "name": "made by hand",
        "url": f"http://127.0.0.1:{port}/integration/webhook",
        "events": ["jira:issue_updated"],
        "secret": SECRET,
    }
    stack.jira_rest("POST", "/rest/webhooks/1.0/webhook", hook)
    recording.skip()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sandbox.stack, "free_port", lambda: port)  # the URL the hook names
        with stack.integration(
            OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}',
            OCEAN__BASE_URL=f"http://127.0.0.1:{port}",
            OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET=SECRET,
        ):
            _send_events(stack)
    recording.close_phase(LIVE)


def _first(stack: Stack, blueprint: str, keep: Callable[[dict[str, Any]], bool]) -> str:
    """The first synced entity of `blueprint` whose properties `keep` accepts."""
    entities = sorted(stack.entities(blueprint).items())
    return next(
        key for key, entity in entities if entity["properties"] and keep(entity["properties"])
    )


def _send_events(stack: Stack) -> None:
    _wait_for(lambda: len(wait_for_admin_webhook(stack)["events"]) > 1, "the webhook's repair")
    issues = sorted(synced_ids(stack, "jiraIssue"))
    renamed, gone = issues[0], issues[-1]
    sprint = _first(stack, "jiraSprint", lambda p: p["state"] == "active")
    version = _first(stack, "jiraRelease", lambda p: not p["released"])
    worklog, project, user = (
        _first(stack, blueprint, bool) for blueprint in ("jiraWorklog", "jiraProject", "jiraUser")
    )

    stack.jira("PUT", f"/_sim/issues/{renamed}", {"summary": "Live rename", "notify": True})
    stack.jira("DELETE", f"/_sim/issues/{gone}?notify=true")
    comment = stack.jira(
        "POST", f"/_sim/issues/{renamed}/comments", {"body": "Live!", "notify": True}
    )
    stack.jira("DELETE", f"/_sim/worklogs/{worklog}?notify=true")
    stack.jira("PUT", f"/_sim/versions/{version}", {"released": True, "notify": True})
    stack.jira("PUT", f"/_sim/sprints/{sprint}", {"state": "closed", "notify": True})
    stack.jira("PUT", f"/_sim/projects/{project}", {"name": "Live project", "notify": True})
    stack.jira("PUT", f"/_sim/users/{user}", {"displayName": "Live User", "notify": True})

    def converged() -> bool:
        return (
            stack.entities("jiraIssue")[renamed]["title"] == "Live rename"
            and gone not in synced_ids(stack, "jiraIssue")
            and comment["id"] in synced_ids(stack, "jiraComment")
            and worklog not in synced_ids(stack, "jiraWorklog")
            and stack.entities("jiraRelease")[version]["properties"]["released"] is True
            and sprint not in synced_ids(stack, "jiraSprint")
            and stack.entities("jiraProject")[project]["title"] == "Live project"
            and stack.entities("jiraUser")[user]["title"] == "Live User"
        )

    _wait_for(converged, "Port reflecting every live event")
    deliveries = stack.jira("GET", "/_sim/webhooks")["deliveries"]
    assert all(d["status"] == 200 for d in deliveries), deliveries


def record_traffic(workdir: Path) -> list[Exchange]:
    """Every request the integration made to Jira in the four phases, with the answers."""
    record = workdir / "jira-traffic.jsonl"
    recording = Recording(record)
    with running_stack(jira={**SITE, "record_path": str(record)}, workdir=workdir) as stack:
        _full_resync(stack, recording)
        _probe(stack, recording)
        _incremental(stack, recording)
        _live_events(stack, recording)
    return recording.exchanges
