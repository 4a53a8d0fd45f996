"""A burst of 500 mixed live events against the real integration process and the simulators.

The integration runs in WEBHOOKS_ONLY mode (no resync can hide a live-event bug) with several
event workers, registers its admin webhook in the Jira simulator itself (signed with
webhookSecret), and the simulator delivers every change to it, many of them concurrently and
several to the same object. Port must end up exactly as Jira is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

import sandbox.stack
from sandbox.stack import Stack, running_stack
from tests.e2e.conftest import SECRET, jira_get, jira_issue_keys, wait_for_admin_webhook

Op = Callable[[], Any]


@pytest.fixture
def big_stack() -> Iterator[Stack]:
    with running_stack(jira={"projects": 3, "users": 12, "teams": 1, "issues": 300}) as running:
        yield running


def differences(stack: Stack) -> list[str]:
    """What still differs between Jira and Port (empty when they agree)."""
    problems: list[str] = []
    expected = jira_issue_keys(stack)
    issues = stack.entities("jiraIssue")
    synced = {key for key, entity in issues.items() if entity["properties"]}
    if synced != expected:
        problems.append(
            f"issues: missing {sorted(expected - synced)[:5]}, extra {sorted(synced - expected)[:5]}"
        )
    for key, summary in stack.issue_summaries(expected & synced).items():
        if issues[key]["title"] != summary:
            problems.append(f"issue {key}: Port {issues[key]['title']!r} != Jira {summary!r}")
    users = {
        u["accountId"]: u["displayName"]
        for u in jira_get(stack, "/rest/api/3/users/search", maxResults=1000)
    }
    port_users = stack.entities("jiraUser")
    for account_id, name in users.items():
        if port_users.get(account_id, {}).get("title") != name:
            problems.append(
                f"user {account_id}: Port {port_users.get(account_id, {}).get('title')!r} != {name!r}"
            )
    projects = jira_get(stack, "/rest/api/3/project/search", maxResults=100)["values"]
    port_projects = stack.entities("jiraProject")
    for project in projects:
        if port_projects.get(project["key"], {}).get("title") != project["name"]:
            problems.append(
                f"project {project['key']}: Port title differs from {project['name']!r}"
            )
    return problems


def wait_until_converged(stack: Stack, timeout: float = 180) -> list[str]:
    deadline = time.monotonic() + timeout
    problems = differences(stack)
    while problems and time.monotonic() < deadline:
        time.sleep(1)
        problems = differences(stack)
    return problems


def repeated_update(stack: Stack, path: str, field: str, label: str, rounds: int) -> Op:
    """`rounds` successive renames of one object in the simulator, each notified to the hook."""

    def run() -> None:
        for n in range(rounds):
            stack.jira("PUT", path, {field: f"{label} v{n}", "notify": True})

    return run


def duplicate_delivery(stack: Stack, url: str, key: str, n: int) -> Op:
    """Jira's retry: the same delivery (same identifier) sent twice."""

    def run() -> None:
        for _ in range(2):
            stack.jira(
                "POST",
                "/_sim/webhooks/send",
                {
                    "url": url,
                    "event": "jira:issue_updated",
                    "key": key,
                    "secret": SECRET,
                    "identifier": f"burst-duplicate-{n}",
                },
            )

    return run


def forged_delivery(url: str, key: str, n: int, statuses: list[int]) -> Op:
    """An attacker's delivery: a delete or a rename of a live issue, badly signed."""
    event = "jira:issue_deleted" if n % 2 else "jira:issue_updated"
    body = json.dumps(
        {
            "timestamp": int(time.time() * 1000) + 10**9,  # "newer" than anything real
            "webhookEvent": event,
            "issue": {"id": str(10**6 + n), "key": key, "fields": {"summary": "FORGED"}},
        }
    ).encode()
    headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": f"forged-{n}"}
    if n % 3 == 0:  # signed with a guessed secret
        digest = hmac.new(b"guessed-secret", body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature"] = f"sha256={digest}"
    elif n % 3 == 1:  # a real signature of another body (one byte changed after signing)
        digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature"] = f"sha256={digest}"
        body = body.replace(b"FORGED", b"FORGEd")
    # n % 3 == 2: unsigned

    def run() -> None:
        statuses.append(httpx.post(url, content=body, headers=headers, timeout=30).status_code)

    return run


def burst(
    stack: Stack, url: str, updated: list[str], deleted: list[str], forged: list[int]
) -> list[Op]:
    """450 genuine changes (9 of them delivered twice) and 50 forged deliveries."""
    users = sorted(stack.entities("jiraUser"))[:12]
    projects = sorted(stack.entities("jiraProject"))[:3]
    assert len(users) == 12 and len(projects) == 3

    def create_issue(n: int) -> Op:
        body = {"project": projects[n % len(projects)], "summary": f"Burst {n}", "notify": True}
        return lambda: stack.jira("POST", "/_sim/issues", body)

    def delete_issue(key: str) -> Op:
        return lambda: stack.jira("DELETE", f"/_sim/issues/{key}?notify=true")

    ops = [repeated_update(stack, f"/_sim/issues/{k}", "summary", k, 7) for k in updated]  # 280
    ops += [create_issue(n) for n in range(50)]  # 50
    ops += [delete_issue(key) for key in deleted]  # 30
    ops += [
        repeated_update(stack, f"/_sim/users/{a}", "displayName", f"User {a}", 4) for a in users
    ]  # 48
    ops += [
        repeated_update(stack, f"/_sim/projects/{p}", "name", f"Project {p}", 8) for p in projects
    ]  # 24
    ops += [duplicate_delivery(stack, url, updated[n], n) for n in range(9)]  # 18
    ops += [forged_delivery(url, updated[n % len(updated)], n, forged) for n in range(50)]
    return ops


def test_a_burst_of_500_mixed_events_leaves_port_exactly_like_jira(
    big_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = big_stack
    assert stack.run_once().returncode == 0  # the starting point: a full sync
    port = sandbox.stack.free_port()
    monkeypatch.setattr(sandbox.stack, "free_port", lambda: port)  # to know OCEAN__BASE_URL
    base_url = f"http://127.0.0.1:{port}"

    with stack.integration(
        OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}',
        OCEAN__BASE_URL=base_url,
        OCEAN__EVENT_WORKERS_COUNT="4",
        OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET=SECRET,
    ):
        hook = wait_for_admin_webhook(stack)
        assert hook["url"] == f"{base_url}/integration/webhook"
        assert hook["secret"] == SECRET

        issues = {key: e for key, e in stack.entities("jiraIssue").items() if e["properties"]}
        leaves = sorted(
            k
            for k, e in issues.items()
            if not e["relations"].get("subtasks") and not e["relations"].get("parentIssue")
        )
        assert len(leaves) >= 30 and len(issues) >= 70, "the dataset needs more issues"
        deleted = leaves[:30]
        updated = sorted(set(issues) - set(deleted))[:40]
        forged_statuses: list[int] = []
        ops = burst(stack, hook["url"], updated, deleted, forged_statuses)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            for future in [pool.submit(op) for op in ops]:
                future.result()
        sent = time.monotonic() - started

        deliveries = stack.jira("GET", "/_sim/webhooks")["deliveries"]
        genuine = len(deliveries)
        assert genuine == 450, genuine
        assert all(d.get("status") == 200 for d in deliveries), [
            d for d in deliveries if d.get("status") != 200
        ][:3]
        assert forged_statuses == [401] * 50

        problems = wait_until_converged(stack)
        converged = time.monotonic() - started - sent
        assert problems == [], problems[:10]
        # the forged deletes and renames changed nothing
        port_issues = stack.entities("jiraIssue")
        assert all(key in port_issues for key in updated)
        assert not [
            k for k, e in port_issues.items() if str(e.get("title", "")).startswith("FORGE")
        ]
        log = stack.integration_log()
        assert log.count("Refused a Jira webhook delivery") == 50
        assert log.count("was already accepted; not queued again") >= 9
        print(
            f"burst: {genuine + 50} events sent in {sent:.1f}s ({genuine} genuine, 9 of them "
            f"duplicate deliveries; 50 forged); applied {genuine} (HTTP 200), rejected "
            f"{forged_statuses.count(401)} (HTTP 401); Port converged {converged:.1f}s after the "
            f"last send; differences between Jira and Port: {len(problems)}"
        )
