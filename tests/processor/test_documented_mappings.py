"""Ours and Ocean's processor give the same entities, misconfigurations and selector outcomes
for every mapping we ship or document: the default mapping, docs/kinds.md, Port's recipes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from port_ocean.core.handlers.port_app_config.models import ResourceConfig

from tests import builders
from tests.integration.harness_setup import default_mapping, documented_resources
from tests.processor.support import both, ocean_app

PORT_DOCS = Path("/work/shared/reference/port-jira-integration-docs.mdx")
_YAML_BLOCK = re.compile(r"^```yaml[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _issues() -> list[dict[str, Any]]:
    parent = builders.issue(7, parent={"key": "P1-1"}, subtasks=[{"key": "P1-8"}])
    done = builders.issue(
        9,
        status={"name": "Done", "statusCategory": {"key": "done", "name": "Done"}},
        resolutiondate="2024-02-01T10:00:00.000+0000",
        assignee=None,
        labels=[],
    )
    enriched = {**builders.issue(3), "__projectKey": "P1", "__board": 4, "__sprint": 2}
    return [builders.issue(1), parent, done, enriched, builders.fixture("docs_issue_PA-1.json")]


def _release(n: int) -> dict[str, Any]:
    return {**builders.version(n), "__project": "P1"}


def _team(n: int) -> dict[str, Any]:
    return {**builders.team(n), "__members": [{"accountId": f"acc-{n}"}]}


ITEMS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "project": lambda: [builders.project(1), builders.fixture("docs_project_PA.json")],
    "user": lambda: [builders.user(1), builders.user(2)],
    "team": lambda: [_team(1), builders.team(2)],
    "issue": _issues,
    "release": lambda: [_release(1), builders.version(2, released=True)],
    "component": lambda: [builders.component(1), builders.component(2, lead=3)],
    "board": lambda: [builders.board(1), builders.board(2, board_type="kanban")],
    "sprint": lambda: [builders.sprint(1), builders.sprint(2, state="closed")],
    "epic": lambda: [builders.epic(1), builders.epic(2, done=True)],
    "backlog": lambda: [{**item, "__board": "1"} for item in _issues()],
    "worklog": lambda: [builders.worklog(1), builders.worklog(2, seconds=60)],
    "comment": lambda: [builders.comment(1), builders.comment(2, text="hello")],
}


def _port_recipes() -> list[dict[str, Any]]:
    """Every resource of every YAML recipe on Port's Jira docs page."""
    if not PORT_DOCS.exists():
        return []
    found: list[dict[str, Any]] = []
    for block in _YAML_BLOCK.findall(PORT_DOCS.read_text()):
        try:
            loaded = yaml.safe_load(block)
        except yaml.YAMLError:
            continue
        resources = loaded.get("resources") if isinstance(loaded, dict) else loaded
        if isinstance(resources, list):
            found += [
                r for r in resources if isinstance(r, dict) and isinstance(r.get("port"), dict)
            ]
    return found


def _cases() -> list[Any]:
    cases = [pytest.param(r, id=f"default-{r['kind']}") for r in default_mapping()["resources"]]
    cases += [pytest.param(r, id=f"kinds.md-{kind}") for kind, r in documented_resources().items()]
    cases += [
        pytest.param(r, id=f"port-docs-{i}-{r['kind']}") for i, r in enumerate(_port_recipes())
    ]
    return cases


def _generic(raw: dict[str, Any]) -> ResourceConfig:
    """The resource as Ocean's processor sees it (kind-specific selector keys dropped)."""
    selector = {"query": raw.get("selector", {}).get("query", "true")}
    return ResourceConfig.parse_obj({**raw, "selector": selector})


def test_port_docs_recipes_are_read() -> None:
    if not PORT_DOCS.exists():
        pytest.skip(f"{PORT_DOCS} is not on this machine")
    recipes = _port_recipes()
    assert {"project", "issue", "user"} <= {r["kind"] for r in recipes}
    # The search-relation recipe (assignee/reporter by rules) is among them.
    assert any("rules" in str(r["port"]["entity"]["mappings"]) for r in recipes)


@pytest.mark.parametrize("raw", _cases())
@pytest.mark.parametrize("parse_all", [False, True], ids=["selected", "parse_all"])
async def test_same_outcome_as_ocean(raw: dict[str, Any], parse_all: bool) -> None:
    with ocean_app():
        expected, actual = await both(_generic(raw), ITEMS[raw["kind"]](), parse_all)
    assert actual == expected
    assert expected.passed, "the mapping produced no entity: the comparison proves nothing"
