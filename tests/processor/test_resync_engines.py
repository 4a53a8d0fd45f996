"""A whole resync through Ocean's harness upserts the same entities with either engine."""

from __future__ import annotations

from typing import Any

from tests.integration.harness_setup import default_mapping, harness, integration_config
from tests.integration.site import site_routes


async def _resync(engine: str) -> tuple[list[dict[str, Any]], list[str]]:
    config = integration_config(mapping_engine=engine)
    async with harness(site_routes(), mapping=default_mapping(), config=config) as (h, _):
        result = await h.trigger_resync()
    entities = sorted(result.upserted_entities, key=lambda e: (e["blueprint"], e["identifier"]))
    return entities, [str(error) for error in result.errors]


async def test_compiled_and_ocean_engines_upsert_the_same_entities() -> None:
    compiled, compiled_errors = await _resync("compiled")
    ocean, ocean_errors = await _resync("ocean")
    assert compiled_errors == ocean_errors == []
    assert len({e["blueprint"] for e in compiled}) >= 8
    assert compiled == ocean
