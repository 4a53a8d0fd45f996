"""The real process against the simulator in Data Center mode: a full resync with the default
mapping (and the next one, keeping the team entities in Port), live events with Data Center
payloads, and the one-line refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.stack import JIRA_PAT, Stack, running_stack
from tests.e2e.conftest import (
    DEFAULT_JQL,
    port_api,
    rename_in_jira_and_wait,
    synced_issue_keys,
    wait_for_first_resync,
)

PAT = {"Authorization": f"Bearer {JIRA_PAT}"}


@pytest.fixture
def dc_stack() -> Iterator[Stack]:
    knobs = {"projects": 3, "users": 12, "teams": 2, "issues": 80, "deployment": "datacenter"}
    with running_stack(jira=knobs) as running:
        yield running


def dc_get(stack: Stack, path: str, **params: Any) -> Any:
    response = httpx.get(f"{stack.jira_url}{path}", params=params, headers=PAT, timeout=30)
    response.raise_for_status()
    return response.json()


def dc_issue_keys(stack: Stack) -> set[str]:
    """What the default JQL selects, read in one page (the window and page cap lifted)."""
    stack.jira("PATCH", "/_sim/config", {"search_window": 1_000_000, "search_page_max": 100_000})
    response = httpx.post(
        f"{stack.jira_url}/rest/api/2/search",
        json={"jql": DEFAULT_JQL, "fields": ["key"], "maxResults": 100_000},
        headers=PAT,
        timeout=30,
    )
    response.raise_for_status()
    return {issue["key"] for issue in response.json()["issues"]}


def search_requests(issues: int, page: int) -> int:
    """The fewest searches that read `issues` at `page` a page when each page after the first
    starts at the last issue of the one before (which proves nothing shifted in between)."""
    return 1 if issues <= page else 1 + -(-(issues - page) // (page - 1))


def test_a_full_resync_with_the_default_mapping_on_data_center(dc_stack: Stack) -> None:
    result = dc_stack.run_once()
    assert result.returncode == 0, result.output[-3000:]
    served = dc_stack.jira("GET", "/_sim/stats")["by_endpoint"]
    site = dc_stack.jira("PATCH", "/_sim/config", {})  # the site's page cap and its shifting
    floor = search_requests(len(dc_issue_keys(dc_stack)), min(site["search_page_max"], 1000))
    if site["search_page_shift"]:  # pages shifted by changes are read again by key
        assert served["POST /rest/api/2/search"] >= floor
    else:  # 80 issues: one page, unless the site caps pages lower
        assert served["POST /rest/api/2/search"] == floor
    dc_stack.jira("PATCH", "/_sim/config", {"search_page_max": site["search_page_max"]})
    assert not [e for e in served if "bulkfetch" in e or "search/jql" in e]
    assert "Jira Data Center/Server 10.3.1 (found by serverInfo" in result.output
    assert "Skipping kind team" in result.output

    projects = dc_get(dc_stack, "/rest/api/2/project")
    assert set(dc_stack.entities("jiraProject")) == {p["key"] for p in projects}
    users = dc_get(dc_stack, "/rest/api/2/user/list", maxResults=1000)["values"]
    assert set(dc_stack.entities("jiraUser")) == {u["key"] for u in users}
    assert synced_issue_keys(dc_stack) == dc_issue_keys(dc_stack)
    issues = [e for e in dc_stack.entities("jiraIssue").values() if e["properties"]]
    assignees = {e["relations"]["jira_user_assignee"] for e in issues} - {None}
    assert assignees and assignees <= set(dc_stack.entities("jiraUser"))
    assert dc_stack.entities("jiraSprint") and dc_stack.entities("jiraRelease")

    # The next resync, with team entities in Port (written while the install was on Cloud) and
    # an issue Jira no longer has: the teams stay, the issue goes.
    datasource = next(iter(dc_stack.entities("jiraProject").values()))["datasource"]
    for blueprint, identifiers in (("jiraTeam", ["team-1", "team-2"]), ("jiraIssue", ["GONE-1"])):
        path = f"/v1/blueprints/{blueprint}/entities/bulk"
        body = {"entities": [{"identifier": identifier} for identifier in identifiers]}
        port_api(dc_stack, "POST", path, body, datasource=datasource)
    again = dc_stack.run_once()
    assert again.returncode == 0, again.output[-3000:]
    assert "Its entities in Port (blueprint jiraTeam) are kept, not deleted" in again.output
    assert set(dc_stack.entities("jiraTeam")) == {"team-1", "team-2"}
    assert "GONE-1" not in dc_stack.entities("jiraIssue")
    assert synced_issue_keys(dc_stack) == dc_issue_keys(dc_stack)


def test_past_the_result_window_issues_are_read_by_key_and_none_is_missed() -> None:
    knobs = {
        "projects": 4,
        "users": 12,
        "issues": 150,
        "deployment": "datacenter",
        "search_window": 30,
        "search_page_max": 10,
    }
    with running_stack(jira=knobs) as stack:
        result = stack.run_once(JIRA_SEARCH_WINDOW="30")  # the site's max_result_window
        assert result.returncode == 0, result.output[-3000:]
        searches = stack.jira("GET", "/_sim/stats")["by_endpoint"]["POST /rest/api/2/search"]
        selected = dc_issue_keys(stack)
        assert synced_issue_keys(stack) == selected
        # ten a page, and the floor: one request per page (+1 per window: the last page of
        # each window may be short)
        assert len(selected) / 10 <= searches <= len(selected) / 10 + len(selected) / 30 + 1


def test_a_cloud_api_token_refused_by_data_center_is_one_line(dc_stack: Stack) -> None:
    result = dc_stack.run_once(
        OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL="demo@example.com",
        OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN="sandbox-token",
    )
    assert result.returncode == 1
    assert "Data Center" in result.last_line and "personal access token" in result.last_line
    assert "sandbox-token" not in result.output


def test_a_host_that_is_no_jira_refuses_naming_it(dc_stack: Stack) -> None:
    result = dc_stack.run_once(OCEAN__INTEGRATION__CONFIG__JIRA_HOST=dc_stack.port_url)
    assert result.returncode == 1
    assert dc_stack.port_url in result.last_line and "jiraHost" in result.last_line


def test_live_events_from_data_center_reach_port(dc_stack: Stack) -> None:
    secret = "dc-webhook-secret"
    with dc_stack.integration(live_events=True, OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET=secret):
        wait_for_first_resync(dc_stack)
        hooks = dc_stack.jira("GET", "/_sim/webhooks")["admin"]
        assert len(hooks) == 1

        key = sorted(synced_issue_keys(dc_stack))[0]
        rename_in_jira_and_wait(dc_stack, key, "Changed on Data Center")
