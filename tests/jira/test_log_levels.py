"""Ocean's per-delivery log lines are at DEBUG during live events; the same lines in a resync,
errors and other warnings keep their level; a repeated mapping warning shows once per resync."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loguru import logger
from port_ocean.context.event import EventType, event_context
from port_ocean.core.handlers.entity_processor.jq_entity_processor import JQEntityProcessor
from port_ocean.core.integrations.mixins.live_events import LiveEventsMixin

from jira.log_levels import LiveEventLogLevels

Logged = list[tuple[str, str]]


@pytest.fixture
def levels() -> Iterator[LiveEventLogLevels]:
    """The patcher installed as the integration installs it (restored after the test)."""
    core = logger._core  # type: ignore[attr-defined]
    saved = core.patcher
    installed = LiveEventLogLevels()
    logger.configure(patcher=installed)
    yield installed
    core.patcher = saved


@pytest.fixture
def logged(levels: LiveEventLogLevels) -> Iterator[Logged]:
    """(level, message) of every line logged at INFO or above, as a handler at INFO sees them."""
    found: Logged = []
    handler = logger.add(
        lambda m: found.append((m.record["level"].name, m.record["message"])), level="INFO"
    )
    yield found
    logger.remove(handler)


async def test_a_live_events_lifecycle_lines_are_debug_a_resyncs_stay_info(logged: Logged) -> None:
    async with event_context(EventType.HTTP_REQUEST, trigger_type="request"):
        await LiveEventsMixin()._parse_raw_event_results_to_entities([])  # "Found 0 entities"
    assert logged == []
    async with event_context(EventType.RESYNC):
        pass
    assert logged == [("INFO", "Event started"), ("INFO", "Event finished")]


async def test_a_failing_live_event_still_logs_its_error(logged: Logged) -> None:
    with pytest.raises(RuntimeError):
        async with event_context(EventType.HTTP_REQUEST, trigger_type="request"):
            raise RuntimeError("Port refused the entity")
    assert logged == [("ERROR", "Event failed with error: Port refused the entity")]


def _mapping_issue(field: str, required: set[str] | None = None) -> None:
    JQEntityProcessor._notify_mapping_issues({field: ".fields.x"}, False, 0, required or set())


def test_a_repeated_mapping_warning_shows_once_per_resync(
    levels: LiveEventLogLevels, logged: Logged
) -> None:
    for _ in range(3):
        _mapping_issue("properties.resolutionDate")
    _mapping_issue("properties.creator")
    expected = "Unable to find valid data for: '{}': .fields.x (null, missing, or misconfigured)"
    resolution = ("WARNING", expected.format("properties.resolutionDate"))
    creator = ("WARNING", expected.format("properties.creator"))
    assert logged == [resolution, creator]
    levels.new_resync()
    _mapping_issue("properties.resolutionDate")
    assert logged == [resolution, creator, resolution]


def test_errors_and_other_warnings_keep_their_level(logged: Logged) -> None:
    for _ in range(2):
        _mapping_issue("identifier", required={"identifier"})  # Ocean's error: a required field
        logger.warning("Unable to find valid data for: 'x'")  # the same words, not Ocean's line
        logger.info("Event started")
    assert (
        logged
        == [
            (
                "ERROR",
                "Unable to find valid data for: 'identifier': .fields.x (null, missing, or "
                "misconfigured)",
            ),
            ("WARNING", "Unable to find valid data for: 'x'"),
            ("INFO", "Event started"),
        ]
        * 2
    )
