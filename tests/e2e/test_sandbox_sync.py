"""The real integration process (launch.py, ONCE mode) against the Jira and Port simulators."""

from __future__ import annotations

from typing import Any

from sandbox.stack import INTEGRATION_ID, Stack
from tests.e2e.conftest import jira_get, jira_issue_keys


def test_fresh_install_creates_blueprints_mapping_and_every_entity(stack: Stack) -> None:
    result = stack.run_once()
    assert result.returncode == 0, result.output[-3000:]
    assert result.last_line == "Jira resync completed"

    state = stack.port_state()
    assert {
        "jiraProject",
        "jiraUser",
        "jiraTeam",
        "jiraIssue",
        "jiraRelease",
        "jiraComponent",
        "jiraBoard",
        "jiraSprint",
        "jiraEpic",
        "jiraBacklogItem",
        "jiraWorklog",
        "jiraComment",
    } <= set(state["blueprints"])
    assert "handlingDuration" in state["blueprints"]["jiraIssue"]["calculationProperties"]
    assert state["blueprints"]["jiraSprint"]["relations"]["board"]["target"] == "jiraBoard"
    mapping = state["integrations"][INTEGRATION_ID]["config"]
    # the cheap kinds only: backlogs, worklogs and comments are documented, not defaults
    assert [r["kind"] for r in mapping["resources"]] == [
        "user",
        "team",
        "project",
        "release",
        "component",
        "board",
        "sprint",
        "epic",
        "issue",
    ]
    assert {
        bp: len(stack.entities(bp)) > 0 for bp in ("jiraRelease", "jiraBoard", "jiraSprint")
    } == {
        "jiraRelease": True,
        "jiraBoard": True,
        "jiraSprint": True,
    }

    projects = jira_get(stack, "/rest/api/3/project/search", expand="insight", maxResults=100)[
        "values"
    ]
    port_projects = stack.entities("jiraProject")
    assert set(port_projects) == {p["key"] for p in projects}
    for project in projects:
        entity = port_projects[project["key"]]
        assert entity["title"] == project["name"]
        assert entity["properties"]["url"] == f"{stack.jira_url}/projects/{project['key']}"
        assert entity["properties"]["totalIssues"] == project["insight"]["totalIssueCount"]

    users = jira_get(stack, "/rest/api/3/users/search", maxResults=1000)
    assert set(stack.entities("jiraUser")) == {u["accountId"] for u in users}

    teams = stack.entities("jiraTeam")
    assert len(teams) == 2
    assert all(team["relations"]["members"] for team in teams.values())

    issues = stack.entities("jiraIssue")
    expected = jira_issue_keys(stack)
    synced = {key for key, entity in issues.items() if entity["properties"]}
    assert synced == expected
    # the rest are placeholders Port made for parents/subtasks outside the JQL
    # (createMissingRelatedEntities: true in the default mapping)
    referenced = {
        target
        for entity in issues.values()
        for name in ("parentIssue", "subtasks")
        for target in (entity["relations"].get(name) or [])
        if isinstance(entity["relations"].get(name), list)
    } | {e["relations"].get("parentIssue") for e in issues.values()}
    assert set(issues) - synced <= referenced
    assert 0 < len(expected) < 80  # the default JQL leaves old Done issues out
    sample_key = sorted(expected)[0]
    jira_issue = jira_get(stack, f"/rest/api/3/issue/{sample_key}")
    entity = issues[sample_key]
    assert entity["title"] == jira_issue["fields"]["summary"]
    assert entity["properties"]["status"] == jira_issue["fields"]["status"]["name"]
    assert entity["properties"]["url"] == f"{stack.jira_url}/browse/{sample_key}"
    assert entity["relations"]["project"] == jira_issue["fields"]["project"]["key"]
    assignee = jira_issue["fields"].get("assignee")
    assert entity["relations"]["jira_user_assignee"] == (
        assignee["accountId"] if assignee else None
    )


def entities_snapshot(stack: Stack) -> dict[str, dict[str, Any]]:
    return {bp: stack.entities(bp) for bp in ("jiraProject", "jiraUser", "jiraTeam", "jiraIssue")}


def test_second_run_rewrites_nothing_and_jira_deletes_reach_port(stack: Stack) -> None:
    assert stack.run_once().returncode == 0
    writes_before = stack.port_state()["counters"]["writes"]

    second = stack.run_once()
    assert second.returncode == 0, second.output[-3000:]
    assert stack.port_state()["counters"]["writes"] == writes_before

    before = entities_snapshot(stack)
    synced = sorted(k for k, e in before["jiraIssue"].items() if e["properties"])
    gone_issue = synced[0]
    stack.jira("DELETE", f"/_sim/issues/{gone_issue}")
    gone_project = sorted(before["jiraProject"])[-1]
    project_issues = {
        k for k, e in before["jiraIssue"].items() if e["relations"].get("project") == gone_project
    }
    stack.jira("DELETE", f"/_sim/projects/{gone_project}")

    third = stack.run_once()
    assert third.returncode == 0, third.output[-3000:]
    after = entities_snapshot(stack)
    assert gone_issue not in after["jiraIssue"]
    assert gone_project not in after["jiraProject"]
    # nothing else went away
    assert set(after["jiraUser"]) == set(before["jiraUser"])
    assert set(after["jiraTeam"]) == set(before["jiraTeam"])
    assert set(after["jiraProject"]) == set(before["jiraProject"]) - {gone_project}
    remaining = set(synced) - {gone_issue} - project_issues
    assert remaining <= set(after["jiraIssue"])


def test_a_failing_kind_exits_non_zero_and_deletes_nothing(stack: Stack) -> None:
    assert stack.run_once().returncode == 0
    before = entities_snapshot(stack)
    stack.jira(
        "PATCH",
        "/_sim/config",
        {"fail_paths": [r"/rest/api/3/search/jql", r"/rest/api/3/issue/bulkfetch"]},
    )
    new_user = stack.jira("POST", "/_sim/users", {"displayName": "Late Joiner"})
    stack.jira(
        "DELETE",
        f"/_sim/issues/{min(k for k, e in before['jiraIssue'].items() if e['properties'])}",
    )

    result = stack.run_once(OCEAN__INTEGRATION__CONFIG__JIRA_HOST=stack.jira_url)
    assert result.returncode == 1, result.output[-3000:]
    assert result.last_line.startswith("Jira resync failed: kind issue failed:")
    after = entities_snapshot(stack)
    assert after["jiraIssue"].keys() == before["jiraIssue"].keys()  # not one issue deleted
    assert new_user["accountId"] in after["jiraUser"]  # the other kinds still synced


def test_bad_configuration_refuses_to_start_with_one_line(stack: Stack) -> None:
    result = stack.run_once(OCEAN__INTEGRATION__CONFIG__JIRA_HOST="not a url")
    assert result.returncode == 2
    assert "jira_host" in result.last_line or "jiraHost" in result.last_line
    # Without an email the token is taken for a Data Center personal access token: the site
    # says it is Cloud, and one line says which credential Cloud expects.
    result = stack.run_once(OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL="")
    assert result.returncode == 1
    assert "Jira Cloud" in result.last_line and "atlassianUserEmail" in result.last_line


def test_wrong_token_fails_with_a_clear_message_and_no_secret(stack: Stack) -> None:
    assert stack.run_once().returncode == 0
    before = entities_snapshot(stack)
    result = stack.run_once(OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN="wrong-token-XYZ")
    assert result.returncode == 1
    assert "refused the credentials" in result.last_line
    assert "wrong-token-XYZ" not in result.output
    assert entities_snapshot(stack).keys() == before.keys()
    assert {bp: set(v) for bp, v in entities_snapshot(stack).items()} == {
        bp: set(v) for bp, v in before.items()
    }
