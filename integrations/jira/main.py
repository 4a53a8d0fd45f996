"""Registers the integration with Ocean: a resync handler per kind, live events per live kind."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

# `ocean sail` loads this file by path; make the `jira` package beside it importable.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from loguru import logger  # noqa: E402
from port_ocean.context.event import EventType, event  # noqa: E402
from port_ocean.context.ocean import ocean  # noqa: E402
from port_ocean.context.resource import resource  # noqa: E402
from port_ocean.core.handlers.port_app_config.models import ResourceConfig  # noqa: E402
from port_ocean.core.incremental.cursor_context import active_incremental_cursor  # noqa: E402
from port_ocean.core.models import EventListenerType  # noqa: E402
from port_ocean.core.ocean_types import ASYNC_GENERATOR_RESYNC_TYPE  # noqa: E402
from port_ocean.exceptions.core import OceanAbortException  # noqa: E402
from port_ocean.utils.signal import signal_handler  # noqa: E402

from jira import read_ahead  # noqa: E402
from jira.client import JiraClient  # noqa: E402
from jira.errors import JiraError  # noqa: E402
from jira.exits import prepare_once_run  # noqa: E402
from jira.factory import jira_client, settings_from_ocean  # noqa: E402
from jira.incremental import jira_window_start  # noqa: E402
from jira.kinds import KINDS, KINDS_BY_NAME, Kind  # noqa: E402
from jira.ocean_defaults import is_replica  # noqa: E402
from jira.outcome import OUTCOME  # noqa: E402
from jira.paging import Page  # noqa: E402
from jira.probe import on_probe, run_checks  # noqa: E402
from jira.progress import PROGRESS  # noqa: E402
from jira.resources import SelectorError  # noqa: E402
from jira.settings import ConfigurationError, JiraSettings  # noqa: E402
from jira.webhooks.events import WEBHOOK_PATH, webhook_route  # noqa: E402
from jira.webhooks.gate import WebhookGate  # noqa: E402
from jira.webhooks.processors import CONTEXT, PROCESSORS  # noqa: E402
from jira.webhooks.registration import start_live_events  # noqa: E402
from jira.webhooks.stream import install as read_the_stream_concurrently  # noqa: E402

# Bad settings stop the process here, while Ocean loads this file: one line naming the setting
# and exit 2 (jira.exits, in jira.config_errors' words), before anything is served.
settings_from_ocean()
# A ONCE run: Port's credentials are checked now (exit 1 when wrong), and the run ends with the
# summary, the verdict on the last line and exit 1 when it failed (jira.exits).
prepare_once_run(ocean.config)


def _pages(kind: Kind, config: Any, incremental: bool) -> AsyncIterator[Page]:
    if not incremental:
        return kind.fetch(jira_client(), config)
    cursor = active_incremental_cursor()
    if kind.changed is None or cursor is None:
        raise RuntimeError(f"incremental run of {kind.name} without a cursor or a reader")
    return _changed(kind.changed, config, cursor)


async def _changed(
    read: Callable[[JiraClient, Any, datetime], AsyncIterator[Page]], config: Any, cursor: datetime
) -> AsyncIterator[Page]:
    """What changed since Ocean's `cursor`, on Jira's clock."""
    client = jira_client()
    async for page in read(client, config, await jira_window_start(client, cursor)):
        yield page


def resync_handler(
    kind: Kind, incremental: bool = False
) -> Callable[[str], ASYNC_GENERATOR_RESYNC_TYPE]:
    """A full resync of the kind, or (`incremental`) a read of what changed since Ocean's
    cursor. A failure is raised, so a full resync deletes nothing and an incremental run
    keeps the kind's cursor (the next run reads the same window again)."""
    consequence = (
        "its cursor stays, the next incremental run reads the same window again"
        if incremental
        else "none of its entities will be deleted"
    )

    async def resync(kind_name: str) -> ASYNC_GENERATOR_RESYNC_TYPE:
        config = event.resource_config
        if config is None:
            raise RuntimeError(f"resync of {kind_name} called outside a resource's event")
        reads = None if incremental else read_ahead.current()
        ahead = reads.take(resource.index) if reads is not None else None
        if ahead is not None:
            tracker, pages = ahead
            PROGRESS.begin(tracker)
        else:
            tracker, pages = PROGRESS.track(kind_name), None
        try:
            invalid = getattr(config, "selector_error", None)
            if invalid:
                raise SelectorError(invalid)
            async for page in pages or _pages(kind, config, incremental):
                tracker.page_read(len(page))
                yield page
        except Exception as exc:
            tracker.error = str(exc) or type(exc).__name__
            OUTCOME.kind_failed(kind_name, exc)
            logger.error(f"Kind {kind_name} failed; {consequence}: {exc}")
            # Logged above in one line: Ocean logs any other exception with its traceback.
            raise OceanAbortException(f"Kind {kind_name} failed: {exc}") from exc
        finally:
            tracker.finish()

    resync.__qualname__ = f"{'incremental' if incremental else 'resync'}_{kind.name}"
    return resync


for _kind in KINDS:
    ocean.on_resync(_kind.name)(resync_handler(_kind))
    if _kind.changed is not None:
        # Ocean registers these only when OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED is set.
        ocean.on_incremental_resync(_kind.name)(resync_handler(_kind, incremental=True))


def _read_ahead_of(config: ResourceConfig) -> AsyncIterator[Page] | None:
    """The pages of a resource whose reads can start with the resync (a known kind with a
    valid selector); None leaves it to its handler, which reports what is wrong."""
    kind = KINDS_BY_NAME.get(config.kind)
    if kind is None or getattr(config, "selector_error", None):
        return None
    return kind.fetch(jira_client(), config)


@ocean.on_resync_start()
async def start_reading_ahead() -> None:
    """A full resync starts the Jira reads of every resource at once (jira.read_ahead)."""
    if event.event_type != EventType.RESYNC:
        return
    read_ahead.begin().start(event.port_app_config.resources, _read_ahead_of, PROGRESS.new)


# Live events: one processor per kind that declares events, all on Ocean's one webhook route,
# behind a gate that answers bad deliveries before Ocean's route (which always says 200).
for _processor in PROCESSORS:
    ocean.add_webhook_processor(WEBHOOK_PATH, _processor)

# Live events from Ocean's Redis stream (OCEAN__LIVE_EVENTS__IS_REDIS_STREAM_CONSUMER_ENABLED):
# our consumer, concurrent and acknowledging an entry only once applied (jira.webhooks.stream).
read_the_stream_concurrently(ocean.app.webhook_manager)

ocean.app.fast_api_app.add_middleware(
    WebhookGate,
    path=lambda: webhook_route(ocean.app.route_prefix or ""),
    secret=lambda: CONTEXT.secret(),
)


# Ocean's connection probe (`launch.py probe`, `ocean probe`, Port's chart probe Job).
ocean.on_probe()(on_probe)


def _live_events_on() -> bool:
    listener = ocean.app.config.event_listener
    return listener.type != EventListenerType.ONCE and listener.should_process_webhooks


async def _log_checks() -> None:
    """A long-running install logs what would fail (ONCE runs stop on it, in integration.py)."""
    try:
        app_config = await ocean.integration.port_app_config_handler.get_port_app_config()
        # A replica registers no webhook: OCEAN__BASE_URL and ADMINISTER are not its concern.
        registers = _live_events_on() and not is_replica(ocean.app.config)
        await run_checks(app_config.resources, live_events=registers)
    except Exception as exc:
        logger.warning(f"Start-up checks could not run: {exc}")


async def _start_live_events(settings: JiraSettings) -> None:
    if not _live_events_on():
        return
    keeper = await start_live_events(
        jira_client,
        settings,
        base_url=ocean.app.base_url or None,
        identifier=ocean.config.integration.identifier,
        replica=is_replica(ocean.app.config),
    )
    if keeper is not None:
        signal_handler.register(keeper.stop)


@ocean.on_start()
async def on_start() -> None:
    # (a fresh client per start: the integration class made it, jira.factory)
    settings = settings_from_ocean()
    client = jira_client()
    try:
        deployment = await client.deployment()
    except (ConfigurationError, JiraError) as exc:
        # Not a Jira, unreachable, or credentials it refuses: one line (a ONCE run's checks
        # end it with the same reason; every kind of a long-running one fails with it).
        logger.error(str(exc))
        return
    logger.info(
        f"Jira integration starting for {settings.host}: {deployment.describe()}, "
        f"authenticating with {client.http.credential.value}"
    )
    if ocean.app.config.event_listener.type != EventListenerType.ONCE:
        await _log_checks()
    await _start_live_events(settings)
