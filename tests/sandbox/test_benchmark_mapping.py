"""`python -m sandbox.benchmark --kinds`: the default mapping cut to the kinds asked for."""

from __future__ import annotations

import pytest

from sandbox.benchmark import default_mapping


def test_only_the_kinds_asked_for_are_kept_in_the_default_mappings_order() -> None:
    mapping = default_mapping(["issue", "project", "user", "team"])

    assert [resource["kind"] for resource in mapping["resources"]] == [
        "user",
        "team",
        "project",
        "issue",
    ]
    assert mapping["deleteDependentEntities"] is True


def test_a_kind_the_default_mapping_lacks_is_named() -> None:
    with pytest.raises(SystemExit, match="not in the default mapping: sprnt"):
        default_mapping(["issue", "sprnt"])
