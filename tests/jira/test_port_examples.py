"""The raw samples Port's mapping editor shows (.port/examples/<kind>/*.json): one per kind at
least, each shaped as the kind yields it (with the keys it adds), so the default and documented
mappings fill every relation that reads an added key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jq
import pytest

from jira.kinds import KINDS, Kind
from tests.integration.harness_setup import INTEGRATION, every_kind_mapping

EXAMPLES = INTEGRATION / ".port" / "examples"
MAPPINGS = {resource["kind"]: resource for resource in every_kind_mapping()["resources"]}


def examples_of(kind: Kind) -> list[dict[str, Any]]:
    files = sorted((EXAMPLES / kind.name).glob("*.json"))
    return [json.loads(Path(f).read_text()) for f in files]


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_every_kind_has_a_sample_carrying_the_keys_it_adds(kind: Kind) -> None:
    samples = examples_of(kind)
    assert samples, f"no .port/examples/{kind.name}/*.json"
    for sample in samples:
        assert {added.key for added in kind.adds} <= set(sample)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_the_mapping_fills_every_relation_reading_an_added_key_from_the_sample(kind: Kind) -> None:
    mappings = MAPPINGS[kind.name]["port"]["entity"]["mappings"]
    added = {name: e for name, e in mappings.get("relations", {}).items() if "__" in e}
    for sample in examples_of(kind):
        assert jq.compile(mappings["identifier"]).input(sample).first() not in (None, "")
        for name, expression in added.items():
            value = jq.compile(expression).input(sample).first()
            assert value not in (None, [], "", "null"), f"{kind.name}: relation {name} is empty"
