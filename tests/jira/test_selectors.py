"""Selectors as Port's own Jira integration has them: keys, shapes, defaults, titled for Port's
selector forms, and every wrong value rejected with one line naming the kind and the key."""

from __future__ import annotations

from typing import Any

import pytest
from port_ocean.core.handlers.port_app_config.validators import validate_and_get_config_schema

from jira.kinds import KINDS
from jira.selectors import JiraPortAppConfig, JiraResourceConfig
from tests.builders import MAPPING, resource


def error_of(kind: str, **selector: Any) -> str | None:
    parsed = resource(kind, **selector)
    assert isinstance(parsed, JiraResourceConfig)
    return parsed.selector_error


def test_port_can_render_a_selector_form_for_every_kind() -> None:
    # Ocean's own check for form mapping: a literal kind per model, and a title and a
    # description on every field of every selector.
    schema = validate_and_get_config_schema(JiraPortAppConfig)
    assert sorted(schema["kinds"]) == sorted(kind.name for kind in KINDS)
    sprint = schema["kinds"]["sprint"]["selectors"]["properties"]["sprintState"]
    assert sprint["title"] == "Sprint State" and sprint["default"] == ["active"]


@pytest.mark.parametrize(
    ("kind", "defaults"),
    [
        ("sprint", {"sprint_state": ["active"]}),
        ("epic", {"status": ["incomplete"]}),
        (
            "backlog",
            {
                "jql": "updated >= -1w OR statusCategory != Done",
                "fields": None,
                "use_software_api": True,
            },
        ),
        ("worklog", {"jql": "updated >= -1w", "api_query_params": None, "since": None}),
        ("board", {"board_type": None, "project_key": None}),
        ("team", {"include_members": False}),
        ("project", {"expand": "insight"}),
        (
            "issue",
            {
                "jql": "(statusCategory != Done) OR (created >= -1w) OR (updated >= -1w)",
                "fields": "*all",
                "expand": None,
            },
        ),
    ],
)
def test_defaults_are_port_integration_s(kind: str, defaults: dict[str, Any]) -> None:
    selector = resource(kind).selector
    assert {name: getattr(selector, name) for name in defaults} == defaults


def selector(kind: str, **keys: Any) -> Any:
    return resource(kind, **keys).selector


def test_null_means_every_state_or_status() -> None:
    assert selector("sprint", sprintState=None).states == ["active", "closed", "future"]
    assert selector("epic", status=None).done is None
    assert selector("epic", status=["complete"]).done is True
    assert selector("epic", status=["incomplete", "complete"]).done is None
    assert selector("backlog", jql=None).jql is None


def test_worklog_api_query_params_are_read_as_upstream_names_them() -> None:
    params = {"startedAfter": 1, "startedBefore": 2, "expand": "properties"}
    assert selector("worklog", apiQueryParams=params).worklog_params == {
        "startedAfter": 1,
        "startedBefore": 2,
        "expand": "properties",
    }


@pytest.mark.parametrize(
    ("kind", "selector", "line"),
    [
        (
            "sprint",
            {"sprintState": ["bogus"]},
            "sprintState: 'bogus' is not one of active, closed, future",
        ),
        (
            "sprint",
            {"sprintState": "active"},
            "sprintState: must be a list (e.g. [a, b]), got 'active'",
        ),
        ("sprint", {"sprintState": []}, "sprintState: must not be empty"),
        ("sprint", {"sprintState": ["active", "active"]}, "sprintState: must not repeat a value"),
        ("epic", {"status": "complete"}, "status: must be a list (e.g. [a, b]), got 'complete'"),
        ("epic", {"status": ["done"]}, "status: 'done' is not one of incomplete, complete"),
        ("issue", {"fields": 3}, "fields: must be a string, got 3"),
        ("issue", {"jql": ["a"]}, "jql: must be a string, got ['a']"),
        ("backlog", {"fields": 3}, "fields: must be a list (e.g. [a, b]), got 3"),
        ("backlog", {"fields": "summary"}, "fields: must be a list (e.g. [a, b]), got 'summary'"),
        ("backlog", {"useSoftwareApi": "yes"}, "useSoftwareApi: must be true or false, got 'yes'"),
        (
            "worklog",
            {"apiQueryParams": {"startedAfter": "x"}},
            "apiQueryParams.startedAfter: must be an integer, got 'x'",
        ),
        ("worklog", {"since": "yesterday"}, "since: must be epoch milliseconds or a period"),
        ("board", {"boardType": "agile"}, "boardType: 'agile' is not one of scrum, kanban, simple"),
        ("board", {"projectKey": " "}, "projectKey: must not be empty"),
        ("team", {"includeMembers": "yes"}, "includeMembers: must be true or false, got 'yes'"),
        ("project", {"expand": 5}, "expand: must be a string, got 5"),
        (
            "component",
            {"componentSource": "github"},
            "componentSource: 'github' is not one of jira, compass, auto",
        ),
    ],
)
def test_a_wrong_selector_value_is_one_line_naming_kind_and_key(
    kind: str, selector: dict[str, Any], line: str
) -> None:
    error = error_of(kind, **selector)
    assert error is not None
    assert error.startswith(f"{kind} selector: {line}")
    assert "\n" not in error


def test_an_unknown_key_and_an_unknown_kind_are_one_warning_each(warnings: list[str]) -> None:
    config = {
        "resources": [
            {
                "kind": "sprint",
                "selector": {"query": "true", "sprintStates": ["x"]},
                "port": MAPPING,
            },
            {
                "kind": "sprint",
                "selector": {"query": "true", "sprintStates": ["x"]},
                "port": MAPPING,
            },
            {"kind": "sprintz", "selector": {"query": "true"}, "port": MAPPING},
        ]
    }
    for _ in range(3):  # the mapping is parsed again on every resync and event
        parsed = JiraPortAppConfig.parse_obj(config)
    assert [r.kind for r in parsed.resources] == ["sprint", "sprint"]
    assert all(isinstance(r, JiraResourceConfig) and not r.selector_error for r in parsed.resources)
    assert len(warnings) == 2
    assert "sprint selector: key 'sprintStates' is not one this integration reads" in warnings[0]
    assert "kind 'sprintz' is not one this integration has" in warnings[1]
