"""Drop-in for Port's own Jira integration: a mapping written for it (tests/fixtures/
upstream_mapping.yaml: its selector keys and shapes, and the keys it adds) syncs unchanged
through Ocean's harness, with every relation that reads one of those keys filled; and a
selector that does not validate fails its kind alone, with one line, deleting nothing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import yaml
from port_ocean.integration_testing import IntegrationTestHarness, InterceptTransport
from port_ocean.integration_testing.transport import RequestLog

from jira.factory import reset_jira_client
from jira.selectors import DEFAULT_ISSUE_JQL
from sandbox.jira_sim.app import create_app
from sandbox.jira_sim.config import SimConfig
from tests.builders import project, worklog
from tests.integration.harness_setup import INTEGRATION, by_blueprint, harness, integration_config
from tests.integration.site import (
    BOARD_PROJECTS,
    COMPONENTS,
    VERSIONS,
    backlog,
    per_path,
    site_routes,
)

SIM_SITE = "http://jira-sim.test"  # any host: the simulator answers in memory
UPSTREAM_MAPPING = Path(__file__).resolve().parents[1] / "fixtures" / "upstream_mapping.yaml"
WORKLOGS = {"P1-1": [worklog(1), worklog(2)], "P1-3": [worklog(3, issue_id="20003")]}


def upstream_mapping() -> dict[str, Any]:
    mapping: dict[str, Any] = yaml.safe_load(UPSTREAM_MAPPING.read_text())
    return mapping


def routes() -> list[Any]:
    return [
        *site_routes(),
        ("GET", r"/rest/software/1\.0/board/\d+/backlog", backlog),
        (
            "GET",
            r"/issue/[^/]+/worklog",
            per_path(
                r"/issue/([^/]+)/worklog", dict(WORKLOGS), values_key="worklogs", is_last=False
            ),
        ),
    ]


def relation(entities: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    return {identifier: e["relations"][name] for identifier, e in entities.items()}


async def test_a_mapping_written_for_port_s_integration_fills_every_relation() -> None:
    async with harness(routes(), mapping=upstream_mapping()) as (h, transport):
        result = await h.trigger_resync()

    assert result.errors == []
    entities = by_blueprint(result.upserted_entities)
    # Every relation of every entity reads one of upstream's keys (or Jira's own fields): none
    # is left empty.
    for blueprint, items in entities.items():
        for identifier, entity in items.items():
            for name, value in entity.get("relations", {}).items():
                assert value is not None, f"{blueprint} {identifier}: relation {name} is empty"

    # team: __members, a list of member objects
    assert relation(entities["jiraTeam"], "members")["team-1"] == ["acc-1", "acc-2", "acc-3"]
    assert all(len(members) == 3 for members in relation(entities["jiraTeam"], "members").values())
    # release: __projectKey
    assert relation(entities["jiraRelease"], "project") == {
        v["id"]: key for key, versions in VERSIONS.items() for v in versions or []
    }
    # component: __project, the whole project object
    assert relation(entities["jiraComponent"], "project") == {
        c["id"]: "P1" for c in COMPONENTS["P1"] or []
    }
    assert {e["properties"]["projectName"] for e in entities["jiraComponent"].values()} == {
        project(1)["name"]
    }
    # board: __projectKeys, a list ([] when none)
    assert relation(entities["jiraBoard"], "projects") == {
        str(board_id): [p["key"] for p in projects or []]
        for board_id, projects in BOARD_PROJECTS.items()
    }
    # epic and backlog: __boardId, an integer
    assert relation(entities["jiraEpic"], "board") == {"P1-5": "1", "P1-6": "1"}
    assert relation(entities["jiraBacklogItem"], "board") == {"P1-4": "1", "P1-7": "1"}
    # worklog: __issueKey
    assert relation(entities["jiraWorklog"], "issue") == {
        "50001": "P1-1",
        "50002": "P1-1",
        "50003": "P1-3",
    }
    # user: upstream's extra properties
    assert entities["jiraUser"]["acc-1"]["properties"]["timeZone"] == "Europe/London"

    # the selectors' keys reached Jira as upstream's do
    sprint_states = {c.request.url.params["state"] for c in transport.calls_for("/sprint")}
    assert sprint_states == {"active,closed,future"}
    assert all("done" not in c.request.url.params for c in transport.calls_for("/epic"))
    backlog_params = transport.calls_for("/rest/software/1.0/board/1/backlog")[0].request.url.params
    assert backlog_params["jql"] == "statusCategory != Done"
    assert backlog_params["fields"] == "summary,status,project"
    worklog_params = transport.calls_for("/issue/P1-1/worklog")[0].request.url.params
    assert worklog_params["startedAfter"] == "1700000000000"
    assert worklog_params["expand"] == "properties"


def with_selector(mapping: dict[str, Any], kind: str, **selector: Any) -> dict[str, Any]:
    mapping = copy.deepcopy(mapping)
    for resource in mapping["resources"]:
        if resource["kind"] == kind:
            resource["selector"].update(selector)
    return mapping


async def test_invalid_selectors_fail_their_kind_alone_with_one_line_and_delete_nothing() -> None:
    mapping = upstream_mapping()
    mapping = with_selector(mapping, "sprint", sprintState=["bogus"])
    mapping = with_selector(mapping, "epic", status="complete")
    mapping = with_selector(mapping, "backlog", fields=3)
    mapping = with_selector(mapping, "team", includeMembers="yes")
    mapping = with_selector(mapping, "board", boardType="agile")
    mapping["resources"].append({**mapping["resources"][0], "kind": "sprints"})  # a typo
    async with harness(routes(), mapping=mapping) as (h, transport):
        h.port_mock.search_entities_response = [
            {"identifier": "1", "blueprint": "jiraSprint"},
            {"identifier": "OLD-1", "blueprint": "jiraIssue"},
        ]
        result = await h.trigger_resync()

    messages = sorted(str(error) for error in result.errors)
    expected = [
        "backlog selector: fields: must be a list (e.g. [a, b]), got 3",
        "board selector: boardType: 'agile' is not one of scrum, kanban, simple",
        "epic selector: status: must be a list (e.g. [a, b]), got 'complete'",
        "sprint selector: sprintState: 'bogus' is not one of active, closed, future",
        "team selector: includeMembers: must be true or false, got 'yes'",
    ]
    assert len(messages) == len(expected)
    for message, line in zip(messages, expected, strict=True):
        assert line in message
    # the failed kinds asked Jira nothing, the others synced in full
    assert not transport.calls_for("/sprint") and not transport.calls_for("/epic")
    assert not transport.calls_for("/backlog") and not transport.calls_for("/teams/")
    entities = by_blueprint(result.upserted_entities)
    assert set(entities) == {
        "jiraProject",
        "jiraUser",
        "jiraIssue",
        "jiraRelease",
        "jiraComponent",
        "jiraWorklog",
    }
    assert len(entities["jiraIssue"]) == 5 and len(entities["jiraWorklog"]) == 3
    assert result.deleted_entities == []


class SimulatorTransport(InterceptTransport):
    """Ocean's harness transport, answered by the sandbox's Jira simulator (in memory)."""

    def __init__(self, app: Any) -> None:
        super().__init__(strict=True)
        self._app = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._app.handle_async_request(request)
        await response.aread()
        self._call_log.append(RequestLog(request=request, response=response))
        return response


async def test_the_same_mapping_against_the_jira_simulator_fills_every_relation() -> None:
    sim = SimConfig()
    mapping = with_selector(upstream_mapping(), "worklog", jql=DEFAULT_ISSUE_JQL)
    config = integration_config(
        jira_host=SIM_SITE,
        atlassian_user_email=sim.email,
        atlassian_user_token=sim.api_token,
        atlassian_organization_id=sim.org_id,
    )
    reset_jira_client()
    h = IntegrationTestHarness(
        integration_path=str(INTEGRATION),
        port_mapping_config=mapping,
        third_party_transport=SimulatorTransport(create_app(sim)),
        config_overrides=config,
    )
    await h.start()
    try:
        result = await h.trigger_resync()
    finally:
        await h.shutdown()
        reset_jira_client()

    assert result.errors == []
    entities = by_blueprint(result.upserted_entities)
    kinds_with_relations = {
        "jiraTeam": "members",
        "jiraRelease": "project",
        "jiraComponent": "project",
        "jiraBoard": "projects",
        "jiraEpic": "board",
        "jiraBacklogItem": "board",
        "jiraWorklog": "issue",
    }
    for blueprint, name in kinds_with_relations.items():
        assert entities.get(blueprint), f"the simulator gave no {blueprint}"
        for identifier, entity in entities[blueprint].items():
            value = entity["relations"][name]
            assert value not in (None, [], ""), f"{blueprint} {identifier}: {name} is empty"
    projects = set(entities["jiraProject"])
    assert {e["relations"]["project"] for e in entities["jiraRelease"].values()} <= projects
    assert all(set(e["relations"]["projects"]) <= projects for e in entities["jiraBoard"].values())
    boards = set(entities["jiraBoard"])
    assert {e["relations"]["board"] for e in entities["jiraEpic"].values()} <= boards
