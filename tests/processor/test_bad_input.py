"""Bad mappings and bad items: Ocean's reports, for the resource or item concerned only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.entity_processor import jq_entity_processor

from jira.entity_processor import CompiledJQEntityProcessor, mapping_engine
from jira.settings import ConfigurationError
from tests import builders
from tests.processor.support import both, ocean_app, outcome, resource

GOOD: dict[str, Any] = {
    "identifier": ".key",
    "title": ".fields.summary",
    "blueprint": '"jiraIssue"',
    "properties": {"status": ".fields.status.name", "labels": ".fields.labels"},
    "relations": {"project": ".fields.project.key"},
}


class Forked(Exception):
    """Ocean's per-field path started its process pool."""


class _NoFork:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise Forked


@pytest.fixture
def no_fork(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fails the test if Ocean's per-field path forks its process pool."""
    monkeypatch.setattr(jq_entity_processor, "ProcessPoolExecutor", _NoFork)
    yield


def _issues(n: int = 4) -> list[dict[str, Any]]:
    return [builders.issue(i) for i in range(1, n + 1)]


async def test_the_default_engine_never_forks_for_a_plain_mapping(no_fork: None) -> None:
    with ocean_app():
        result = await outcome(CompiledJQEntityProcessor(ocean), resource(GOOD), _issues())
    assert [e["identifier"] for e in result.passed] == ["P1-1", "P1-2", "P1-3", "P1-4"]
    assert result.passed[0]["properties"] == {"status": "To Do", "labels": ["infra"]}


async def test_an_expression_jq_cannot_compile_is_reported_as_ocean_does() -> None:
    broken = {**GOOD, "properties": {**GOOD["properties"], "points": ".fields.points +"}}
    with ocean_app():
        expected, actual = await both(resource(broken), _issues())
    assert actual == expected
    assert actual.misconfigurations["properties.points"] == ".fields.points +"
    assert [e["properties"]["status"] for e in actual.passed] == ["To Do"] * 4


async def test_a_broken_resource_leaves_the_others_compiled(no_fork: None) -> None:
    broken = {**GOOD, "relations": {"project": "| .fields"}}
    with ocean_app():
        ours = CompiledJQEntityProcessor(ocean)
        bad = await outcome(ours, resource(broken), _issues())
        good = await outcome(ours, resource(GOOD), _issues())
    assert bad.misconfigurations == {"relations.project": "| .fields"}
    assert [e["relations"] for e in good.passed] == [{"project": "P1"}] * 4
    assert good.misconfigurations == {}


async def test_a_runtime_error_on_one_item_is_that_items_alone() -> None:
    items = _issues()
    items[1]["fields"]["summary"] = None
    selector = '.fields.summary | test("Issue")'
    with ocean_app():
        expected, actual = await both(resource(GOOD, query=selector), items)
    assert actual == expected
    assert [e["identifier"] for e in actual.passed] == ["P1-1", "P1-3", "P1-4"]
    assert actual.errors and all("cannot be matched" in error for error in actual.errors)


async def test_a_field_error_on_one_item_is_reported_as_ocean_does() -> None:
    items = _issues()
    items[2]["fields"]["labels"] = "not-a-list"
    mapping = {**GOOD, "properties": {"first": ".fields.labels[0]"}}
    with ocean_app():
        expected, actual = await both(resource(mapping), items)
    assert actual == expected
    assert [e["properties"]["first"] for e in actual.passed] == ["infra", "infra", None, "infra"]
    assert actual.misconfigurations == {"properties.first": ".fields.labels[0]"}


async def test_a_selector_that_is_not_boolean_fails_its_items_as_ocean_does() -> None:
    with ocean_app():
        expected, actual = await both(resource(GOOD, query=".key"), _issues(2))
    assert actual == expected
    assert not actual.passed
    assert actual.errors and "Expected boolean value" in actual.errors[0]


async def test_items_that_are_not_plain_json_map_as_ocean_maps_them() -> None:
    items: list[dict[str, Any]] = _issues(3)
    items[1]["fields"]["created"] = date(2024, 5, 6)
    mapping = {**GOOD, "properties": {"created": ".fields.created"}}
    with ocean_app():
        expected, actual = await both(resource(mapping), items)
    assert actual == expected
    assert actual.passed[1]["properties"]["created"] == "2024-05-06"


@pytest.mark.parametrize("allow_env", [False, True])
async def test_env_reads_as_ocean_reads_it(
    allow_env: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_TEST_TEAM", "platform")
    mapping = {**GOOD, "properties": {"team": "$ENV.JIRA_TEST_TEAM", "env": "env | type"}}
    with ocean_app(allow_env=allow_env):
        expected, actual = await both(resource(mapping), _issues(2))
    assert actual == expected
    assert actual.passed[0]["properties"]["team"] == ("platform" if allow_env else None)


async def test_mapping_engine_ocean_runs_oceans_own_path(monkeypatch: pytest.MonkeyPatch) -> None:
    with ocean_app(mapping_engine="ocean"):
        ours = CompiledJQEntityProcessor(ocean)
        monkeypatch.setattr(jq_entity_processor, "ProcessPoolExecutor", _NoFork)
        with pytest.raises(Forked):
            await ours.parse_items(resource(GOOD), _issues(1))


@pytest.mark.parametrize(
    ("value", "engine"), [(None, "compiled"), ("", "compiled"), (" ocean ", "ocean")]
)
def test_mapping_engine_setting(value: str | None, engine: str) -> None:
    assert mapping_engine({"mapping_engine": value}) == engine


def test_an_unknown_mapping_engine_names_the_setting() -> None:
    with pytest.raises(ConfigurationError) as raised:
        mapping_engine({"mapping_engine": "fast"})
    message = str(raised.value)
    assert "mappingEngine" in message and "OCEAN__INTEGRATION__CONFIG__MAPPING_ENGINE" in message
    assert "compiled, ocean" in message and "\n" not in message


@pytest.mark.parametrize("comment", ["# C:\\", "# two \\\\\\", "#\\"])
async def test_an_expression_ending_in_a_comment_that_ends_in_a_backslash_maps_as_ocean_does(
    comment: str,
) -> None:
    # jq continues a comment onto the next line after an odd number of backslashes: such a
    # comment must not swallow what the shared program puts after the expression.
    mapping = {**GOOD, "title": f".fields.summary {comment}"}
    with ocean_app():
        expected, actual = await both(resource(mapping), _issues(3))
    assert actual == expected
    assert [e["title"] for e in actual.passed] == ["Issue 1", "Issue 2", "Issue 3"]
