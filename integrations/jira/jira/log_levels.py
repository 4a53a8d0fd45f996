"""The level of Ocean's log lines that repeat for every live event.

Ocean 0.56.2 logs about ten INFO lines for each webhook delivery it takes (its request and event
lifecycle, the processors it found, "Parsing 1 raw results", "Upserting 1 entities", "Found 0
entities to remove"), repeats each mapping warning ("Unable to find valid data for: …", a field
that is null on that issue) and its DSP-mode warning for every delivery. Each line is formatted,
written and shipped to Port: about a quarter of the integration's CPU per delivery, and a log in
which the applied changes are hard to find.

A loguru patcher (the one hook loguru gives over lines Ocean logs with its own handlers) lowers
them to DEBUG, where `--log-level DEBUG` still shows them:

- Ocean's "Request to … started/ended" around every request it serves, and during a live event
  (Ocean's `http_request` event) the other lifecycle lines above and "Found 0 entities to …"
  (the same lines in a resync keep their level); "Found N entities to upsert/remove <blueprint>/<id>, …" stays at INFO: one
  line per applied change;
- a warning in `REPEATED_WARNINGS` is logged at WARNING the first time for each message since
  the last resync began (`new_resync`), then at DEBUG: each resync's log, and the live events
  between two resyncs, show it once (the same field of the same mapping, the same missing
  feature flags).

Errors, and every other warning, keep their level. Nothing else changes: what a line says, where
it goes, Ocean's own patcher (run first).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loguru import logger
from port_ocean.context.event import EventType
from port_ocean.log.logger_setup import _combined_patcher as ocean_patcher

if TYPE_CHECKING:
    from loguru import Record

DEBUG_NO = 10
MAX_WARNED = 1000  # distinct repeated warnings remembered (a mapping has far fewer fields)


@dataclass(frozen=True)
class OceanLine:
    """A line Ocean logs: its module, function, and the message's start."""

    module: str
    function: str
    starts: str
    live_only: bool = True  # only inside a live event (the same line in a resync stays)

    def matches(self, record: Record) -> bool:
        return (
            record["name"] == self.module
            and record["function"] == self.function
            and record["message"].startswith(self.starts)
        )


_WEBHOOKS = "port_ocean.core.handlers.webhook.processor_manager"
_LIVE_EVENTS = "port_ocean.core.integrations.mixins.live_events"
_JQ = "port_ocean.core.handlers.entity_processor.jq_entity_processor"

# Logged for every delivery, at INFO, inside a live event.
PER_DELIVERY: tuple[OceanLine, ...] = (
    OceanLine("port_ocean.context.event", "event_context", "Event started"),
    OceanLine("port_ocean.context.event", "event_context", "Event finished"),
    # Ocean's request middleware logs these around its live event, for every request
    OceanLine("port_ocean.middlewares", "request_handler", "Request to ", live_only=False),
    OceanLine(_WEBHOOKS, "_extract_matching_processors", "Found matching processors"),
    OceanLine(_WEBHOOKS, "_process_webhook_event", "Successfully processed webhook events"),
    OceanLine(_JQ, "_parse_items", "Parsing "),
    OceanLine(
        "port_ocean.core.handlers.entities_state_applier.port.applier", "upsert", "Upserting "
    ),
    OceanLine(_LIVE_EVENTS, "_parse_raw_event_results_to_entities", "Found 0 entities to "),
)

# Warnings Ocean repeats unchanged for every delivery (and every resync batch).
REPEATED_WARNINGS: tuple[OceanLine, ...] = (
    OceanLine(_JQ, "_notify_mapping_issues", "Unable to find valid data for: "),
    OceanLine(
        "port_ocean.core.integrations.mixins.utils",
        "is_dsp_mode_enabled",
        "DSP mode requested but required feature flags are missing",
    ),
)


class LiveEventLogLevels:
    """The patcher: `__call__` runs Ocean's, then lowers the lines above to DEBUG."""

    def __init__(self, first: Callable[[Record], None] = ocean_patcher) -> None:
        self.first = first
        self.warned: set[str] = set()
        self._lock = threading.Lock()  # loguru calls patchers from any thread

    def __call__(self, record: Record) -> None:
        self.first(record)
        if self.lowered(record):
            level = record["level"]
            record["level"] = type(level)("DEBUG", DEBUG_NO, level.icon)  # type: ignore[call-arg]

    def lowered(self, record: Record) -> bool:
        level = record["level"].name
        if level == "INFO":
            live = record["extra"].get("event_kind") == EventType.HTTP_REQUEST
            return any(
                (live or not line.live_only) and line.matches(record) for line in PER_DELIVERY
            )
        if level == "WARNING" and any(line.matches(record) for line in REPEATED_WARNINGS):
            with self._lock:
                if record["message"] in self.warned:
                    return True
                if len(self.warned) >= MAX_WARNED:
                    self.warned.clear()
                self.warned.add(record["message"])
        return False

    def new_resync(self) -> None:
        """A resync begins: its log shows each repeated warning once again."""
        with self._lock:
            self.warned.clear()


LEVELS = LiveEventLogLevels()


def lower_live_event_lines() -> None:
    """Installs the patcher (after Ocean's logger setup, which sets its own)."""
    logger.configure(patcher=LEVELS)
