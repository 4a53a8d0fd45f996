"""The table of kinds: what the docs say of it, and the selector models Ocean parses."""

from __future__ import annotations

from pathlib import Path

import pytest

from jira.kinds import KINDS, Kind
from tests.builders import resource
from tests.jira.kinds_table import TABLE_DOCS, documented, render


@pytest.mark.parametrize("doc", TABLE_DOCS, ids=lambda doc: doc.name)
def test_the_docs_table_of_kinds_is_the_one_kinds_declares(doc: Path) -> None:
    assert documented(doc.read_text()) == render(), (
        f"{doc.name} is out of date: run .venv/bin/python -m tests.jira.kinds_table"
    )


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_a_mapping_gets_the_selector_model_its_kind_declares(kind: Kind) -> None:
    # Ocean parses a mapping with JiraPortAppConfig's union: a kind missing from it would get
    # the bare ResourceConfig and silently lose its selector keys and their defaults.
    parsed = resource(kind.name)
    assert type(parsed) is kind.resource_config
    assert type(parsed.selector) is kind.selector


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_every_selector_key_of_port_s_integration_is_one_of_ours(kind: Kind) -> None:
    # A mapping written for Port's integration keeps its selector: each of its keys must be
    # one this integration reads (the docs' table marks them from `upstream_keys`).
    ours = {field.alias for field in kind.selector.__fields__.values()}
    assert set(kind.upstream_keys) <= ours
