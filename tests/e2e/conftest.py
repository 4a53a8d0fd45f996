"""End-to-end fixtures: the simulators and the real integration process (sandbox.stack)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.stack import (
    INTEGRATION_ID,
    PORT_CLIENT_ID,
    PORT_CLIENT_SECRET,
    Stack,
    running_stack,
)

NO_FAULTS: dict[str, Any] = {
    "rate_429": 0.0,
    "rate_5xx": 0.0,
    "rate_timeout": 0.0,
    "fail_paths": [],
    "malformed_paths": [],
    "latency_ms": 0.0,
}
DEFAULT_JQL = "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)"
SECRET = "burst-secret-0123456789"  # the webhookSecret of the live-event tests


@pytest.fixture
def stack() -> Iterator[Stack]:
    with running_stack(jira={"projects": 3, "users": 12, "teams": 2, "issues": 80}) as running:
        yield running


def synced_stack(size: dict[str, int]) -> Iterator[Stack]:
    """A stack of `size` whose first ONCE run (launch.py) succeeded: the integration, its
    mapping and the site's entities are in Port (for module-scoped fixtures)."""
    with running_stack(jira=size) as stack:
        result = stack.run_once()
        assert result.returncode == 0, result.output[-3000:]
        yield stack


def jira_get(stack: Stack, path: str, **params: Any) -> Any:
    return stack.jira_rest("GET", path, params=params)


def port_api(
    stack: Stack, method: str, path: str, body: Any, *, datasource: str | None = None
) -> None:
    """One call to the Port simulator's public API, signed in as the integration is (and,
    with `datasource`, writing as a resync of it does: Port keeps the writer's User-Agent)."""
    with httpx.Client(base_url=stack.port_url, timeout=30) as port:
        token = port.post(
            "/v1/auth/access_token",
            json={"clientId": PORT_CLIENT_ID, "clientSecret": PORT_CLIENT_SECRET},
        )
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['accessToken']}"}
        if datasource is not None:
            headers["User-Agent"] = datasource
        port.request(method, path, json=body, headers=headers).raise_for_status()


def jira_issue_keys(stack: Stack, jql: str = DEFAULT_JQL) -> set[str]:
    """What Jira itself says the default JQL selects (read straight from the simulator)."""
    return {issue["key"] for issue in stack.search(jql, ["key"])}


def wait_for_admin_webhook(stack: Stack, timeout: float = 60) -> dict[str, Any]:
    """The admin webhook the integration registered in the Jira simulator."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        admin = stack.jira("GET", "/_sim/webhooks")["admin"]
        if admin:
            hook: dict[str, Any] = admin[0]
            return hook
        time.sleep(0.2)
    raise AssertionError("the integration did not register its Jira webhook")


def synced_ids(stack: Stack, blueprint: str) -> set[str]:
    """Entities with data (not the placeholders Port makes for a relation's missing target)."""
    return {key for key, entity in stack.entities(blueprint).items() if entity["properties"]}


def synced_issue_keys(stack: Stack) -> set[str]:
    """Issues in Port with data (not the placeholders Port makes for related issues)."""
    return synced_ids(stack, "jiraIssue")


def wait_for_first_resync(stack: Stack, timeout: float = 120) -> None:
    """Until the running integration's start-up resync has put issues in Port."""
    deadline = time.monotonic() + timeout
    while not synced_issue_keys(stack):
        assert time.monotonic() < deadline, stack.integration_log()[-3000:]
        time.sleep(0.5)


def rename_in_jira_and_wait(stack: Stack, key: str, summary: str, timeout: float = 60) -> None:
    """Changes an issue's summary in Jira (sending its webhook) and waits for Port's title."""
    stack.jira("PUT", f"/_sim/issues/{key}", {"summary": summary, "notify": True})
    deadline = time.monotonic() + timeout
    while stack.entities("jiraIssue")[key]["title"] != summary:
        assert time.monotonic() < deadline, stack.integration_log()[-3000:]
        time.sleep(0.2)


def assert_port_matches_jira(stack: Stack) -> None:
    """Every project, user and selected issue of the Jira simulator is in Port, and no more."""
    stack.jira("PATCH", "/_sim/config", NO_FAULTS)  # read the truth without the drill's faults
    projects = jira_get(stack, "/rest/api/3/project/search", maxResults=100)["values"]
    assert set(stack.entities("jiraProject")) == {p["key"] for p in projects}
    users = jira_get(stack, "/rest/api/3/users/search", maxResults=1000)
    assert set(stack.entities("jiraUser")) == {u["accountId"] for u in users}
    assert synced_issue_keys(stack) == jira_issue_keys(stack)


def create_integration(stack: Stack, mapping: dict[str, Any]) -> None:
    """Creates the integration in the Port simulator through Port's own API."""
    body = {"installationId": INTEGRATION_ID, "installationAppType": "jira", "config": mapping}
    port_api(stack, "POST", "/v1/integration", body)


def paged(stack: Stack, path: str, key: str = "values", **params: Any) -> list[dict[str, Any]]:
    """Every item of a PageBean (or startAt/total) endpoint, read straight from Jira."""
    items: list[dict[str, Any]] = []
    while True:
        page = jira_get(stack, path, startAt=len(items), **params)
        items += page[key]
        if not page[key] or page.get("isLast") or len(items) >= page.get("total", 1 << 30):
            return items


def wait_until_searchable(stack: Stack, summaries: dict[str, str], timeout: float = 90) -> None:
    """Wait until Jira's search shows these issues with these summaries. Its index lags
    writes by a few seconds ("Recent updates might not be immediately visible", the unkind
    simulator's search_lag_s): a run that reads by search sees a write only after that."""
    jql = f"key in ({', '.join(sorted(summaries))})"
    deadline = time.monotonic() + timeout
    while True:
        found = stack.search(jql, ["summary"])
        shown = {i["key"]: i["fields"]["summary"] for i in found}
        if all(shown.get(key) == summary for key, summary in summaries.items()):
            return
        assert time.monotonic() < deadline, f"Jira's search did not show {summaries}"
        time.sleep(0.5)


def token_paged(stack: Stack, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a GET endpoint paged by `nextPageToken` until `isLast` (the enhanced
    backlog), read straight from Jira."""
    items: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:
        page = jira_get(stack, path, **params, **token)
        items += page[key]
        if page.get("isLast", True):
            return items
        token = {"nextPageToken": page["nextPageToken"]}
