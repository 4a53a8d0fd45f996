"""Ocean's integration class: our selector models, our entity processor (on the live-events
path too), one Port HTTP client shared by the webhook workers, Ocean's comparison with Port with
its searches overlapping, the end-of-resync delete diff keeping the entities of a kind this
install cannot read (jira.unavailable), the checks before a ONCE run syncs, and a record of each
resync's outcome and counts per kind (a full resync, or an incremental run: Ocean logs a failed
incremental kind and carries on, so the kind whose cursor was not saved is recorded here, and a
ONCE run exits non-zero)."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter, defaultdict
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from jira.config_errors import warn_misspelt_settings  # noqa: E402

# Ocean imports this file before it validates its settings: misspelt variables are warned about
# now, so the hint is there even when validation fails (jira.config_errors).
warn_misspelt_settings()

from loguru import logger  # noqa: E402
from port_ocean.clients.port.types import UserAgentType  # noqa: E402
from port_ocean.context.event import EventType, event, event_context  # noqa: E402
from port_ocean.context.ocean import PortOceanContext, ocean  # noqa: E402
from port_ocean.core.handlers.entities_state_applier.port.applier import (  # noqa: E402
    HttpEntitiesStateApplier,
)
from port_ocean.core.handlers.port_app_config.api import APIPortAppConfig  # noqa: E402
from port_ocean.core.handlers.port_app_config.models import ResourceConfig  # noqa: E402
from port_ocean.core.integrations.base import BaseIntegration  # noqa: E402
from port_ocean.core.models import Entity, EventListenerType  # noqa: E402
from port_ocean.core.ocean_types import EntityDiff  # noqa: E402
from port_ocean.exceptions.context import EventContextNotFoundError  # noqa: E402

from jira import read_ahead  # noqa: E402
from jira.check import Check, failures  # noqa: E402
from jira.entity_processor import CompiledJQEntityProcessor  # noqa: E402
from jira.exits import install_configuration_exit, runs_once  # noqa: E402
from jira.factory import reset_jira_client  # noqa: E402
from jira.live_upserts import LIVE_UPSERTS, SEARCHED  # noqa: E402
from jira.live_writes import LIVE_WRITES, lane_key, plain_identifier  # noqa: E402
from jira.log_levels import LEVELS, lower_live_event_lines  # noqa: E402
from jira.ocean_defaults import apply_defaults  # noqa: E402
from jira.outcome import OUTCOME  # noqa: E402
from jira.port_diff import ConcurrentPortDiff  # noqa: E402
from jira.port_tls import share_port_tls_context  # noqa: E402
from jira.probe import run_checks  # noqa: E402
from jira.progress import PROGRESS, RelationTarget, resolve_stubs, summary_table  # noqa: E402
from jira.selectors import JiraPortAppConfig  # noqa: E402
from jira.unavailable import kept, literal_blueprint  # noqa: E402
from jira.webhooks.answers import NotTaken, answer_after_applying, applying  # noqa: E402

# Ocean loads this file first, however it is started, then validates its settings: from here a
# configuration error ends the process with one line and exit 2 (jira.exits).
install_configuration_exit()


def port_relation_target() -> RelationTarget:
    """The blueprint a relation points at, from Port's blueprint (one read per blueprint per
    summary); None when Port cannot say: the summary then leaves that relation's stubs out."""
    targets: dict[str, asyncio.Task[dict[str, str] | None]] = {}

    async def read(blueprint: str) -> dict[str, str] | None:
        try:
            schema = await ocean.port_client.get_blueprint(blueprint, should_log=False)
        except Exception as exc:  # the summary only informs: a sync never fails on it
            logger.warning(
                f"Resync summary: Port did not answer blueprint {blueprint} ({exc}); "
                "stub entities its relations made are left out of the summary"
            )
            return None
        return {name: r.target for name, r in schema.relations.items()}

    async def target(blueprint: str, relation: str) -> str | None:
        if blueprint not in targets:  # one read per blueprint, shared by concurrent askers
            targets[blueprint] = asyncio.ensure_future(read(blueprint))
        relations = await asyncio.shield(targets[blueprint])
        return relations.get(relation) if relations is not None else None

    return target


class JiraPortAppConfigHandler(APIPortAppConfig):
    CONFIG_CLASS = JiraPortAppConfig


def _event_type() -> str | None:
    """The type of Ocean's current event (None outside one)."""
    try:
        return str(event.event_type)
    except EventContextNotFoundError:
        return None


class CountingEntitiesStateApplier(HttpEntitiesStateApplier):
    """Ocean's applier; live events' writes share bulk requests (jira.live_writes); the
    entities a resync deletes are counted for their kind's summary,
    and the entities of a kind it skipped as unavailable (jira.unavailable), or that live events
    upserted while the resync's search may not show them yet (jira.live_upserts), stay: Ocean's
    comparison with Port takes them as synced, as if read unchanged, so its deletion threshold
    weighs the other kinds' deletions against the same total as before."""

    async def delete_diff(
        self,
        entities: EntityDiff,
        user_agent_type: UserAgentType,
        entity_deletion_threshold: float | None = None,
    ) -> None:
        resources = event.port_app_config.resources if event.port_app_config else []
        stay = kept(entities["before"], resources, PROGRESS)
        started = event.attributes.get("resync_start_time")
        searched = {literal_blueprint(r) for r in resources if r.kind in SEARCHED}
        stay += LIVE_UPSERTS.kept(
            entities["before"], searched, started if isinstance(started, datetime) else None
        )
        await super().delete_diff(
            {"before": entities["before"], "after": [*entities["after"], *stay]},
            user_agent_type,
            entity_deletion_threshold,
        )

    async def upsert(
        self, entities: list[Entity], user_agent_type: UserAgentType
    ) -> list[Entity]:
        if _event_type() in (EventType.RESYNC, EventType.INCREMENTAL_RESYNC, None):
            return await super().upsert(entities, user_agent_type)
        upserted = await self._upsert_live(entities, user_agent_type)
        LIVE_UPSERTS.saw(upserted)  # a live event's: jira.live_upserts
        receipt = applying()
        if receipt is not None and len(upserted) < len(entities):
            # Ocean logged Port's answer; the delivery is not applied (jira.webhooks.answers)
            missing = len(entities) - len(upserted)
            receipt.failed(NotTaken(f"Port did not take {missing} of its entities"))
        return upserted

    async def _upsert_live(
        self, entities: list[Entity], user_agent_type: UserAgentType
    ) -> list[Entity]:
        """Ocean's upsert (HttpEntitiesStateApplier.upsert), each blueprint's write shared with
        the live events writing at the same time (jira.live_writes)."""
        options = event.port_app_config.get_port_request_options()
        write = partial(
            self.context.port_client.upsert_entities_in_batches,
            request_options=options,
            user_agent_type=user_agent_type,
            should_raise=False,
        )
        by_blueprint: dict[str, list[Entity]] = defaultdict(list)
        for entity in entities:
            by_blueprint[entity.blueprint].append(entity)
        modified: list[Entity] = []
        for blueprint, group in by_blueprint.items():
            if all(plain_identifier(entity) for entity in group):
                key = lane_key(blueprint, options, user_agent_type)
                outcome = await LIVE_WRITES.upsert(key, group, write)
            else:
                outcome = await write(group)
            for upserted, entity in outcome:
                if upserted:
                    modified.append(entity)
                else:
                    event.entity_topological_sorter.register_entity(entity)
        return modified

    async def delete(self, entities: list[Entity], user_agent_type: UserAgentType) -> None:
        await super().delete(entities, user_agent_type)
        by_blueprint = Counter(entity.blueprint for entity in entities)
        resources = event.port_app_config.resources if event.port_app_config else []
        for resource in resources:
            trackers = PROGRESS.of(resource.kind)
            blueprint = literal_blueprint(resource)
            count = by_blueprint.pop(blueprint, 0) if blueprint is not None else 0
            if trackers and count:
                trackers[0].deleted += count


class JiraIntegration(ConcurrentPortDiff, BaseIntegration):
    AppConfigHandlerClass = JiraPortAppConfigHandler
    EntityProcessorClass = CompiledJQEntityProcessor
    EntitiesStateApplierClass = CountingEntitiesStateApplier

    _once_checks: asyncio.Task[list[Check]] | None = None

    async def initialize_handlers(self) -> None:
        await super().initialize_handlers()
        # A fresh Jira client per start (tests start a fresh Ocean app each time), made before
        # anything here or in the on_start hooks uses it.
        reset_jira_client()
        config = self.context.config
        if runs_once(config) and not config.integration.incremental_sync_enabled:
            # A full ONCE run's checks start as soon as the mapping can be read: they overlap
            # Ocean's start (its on_start hooks, its event listener); the resync awaits their
            # verdict. An incremental ONCE run (Ocean routes it to sync_incremental) has none.
            self._once_checks = asyncio.create_task(self._run_once_checks())

    async def _run_once_checks(self) -> list[Check]:
        async with event_context(EventType.RESYNC, trigger_type="machine"):
            app_config = await self.port_app_config_handler.get_port_app_config(use_cache=False)
        return await run_checks(app_config.resources, live_events=False, diagnose=False)

    async def _checks_pass(self) -> bool:
        """A ONCE run's fail-fast start: every check passes, or nothing is synced."""
        started, self._once_checks = self._once_checks, None
        checks = await (started or self._run_once_checks())
        failed = failures(checks)
        OUTCOME.checks_failed([check.line() for check in failed])
        return not failed

    async def process_resource(
        self, resource: ResourceConfig, index: int, user_agent_type: UserAgentType
    ) -> tuple[list[Entity], list[Exception]]:
        entities, errors = await super().process_resource(resource, index, user_agent_type)
        trackers = PROGRESS.of(resource.kind)
        if trackers:
            trackers[-1].upserted += len(entities)
            trackers[-1].failed += len(errors)
            trackers[-1].upserted_entities(entities)
        return entities, errors

    def __init__(self, context: PortOceanContext) -> None:
        super().__init__(context)
        # Ocean has just read its settings; ours fill what the user left unset.
        apply_defaults(context.config)
        # Ocean's webhook manager maps live events with handlers of its own, built from
        # HandlerMixin's class defaults (JQEntityProcessor: a forked process pool per
        # delivery), not from the integration's: it gets our processor too.
        context.app.webhook_manager.EntityProcessorClass = self.EntityProcessorClass
        # ... and our applier, which records what live events upsert (jira.live_upserts).
        context.app.webhook_manager.EntitiesStateApplierClass = self.EntitiesStateApplierClass
        # An HTTP delivery is answered once applied, not once queued (jira.webhooks.answers).
        answer_after_applying(context.app.webhook_manager)
        # Per-delivery CPU: one TLS context for Ocean's Port clients (a new one for each log
        # flush was a fifth of it), Ocean's per-delivery lines at DEBUG (a quarter).
        share_port_tls_context()
        lower_live_event_lines()

    async def start(self) -> None:
        await super().start()
        # Ocean keeps its Port HTTP client in a context variable, made on first use in the
        # task that uses it: every task started before one exists (each webhook worker and
        # each of its upsert batches) made its own client, with a new TLS context. Made
        # here, in the startup task Ocean starts the webhook workers from next, it is the
        # one client they all inherit (any attribute read makes it).
        _ = self.context.port_client.client.timeout

    async def sync_raw_all(self, *args: Any, **kwargs: Any) -> bool:
        OUTCOME.start()
        PROGRESS.start()
        LEVELS.new_resync()
        succeeded = False
        try:
            once = ocean.config.event_listener.type == EventListenerType.ONCE
            if once and not await self._checks_pass():
                return False
            succeeded = bool(await super().sync_raw_all(*args, **kwargs))
            return succeeded
        finally:
            await read_ahead.end()
            OUTCOME.finish(succeeded)
            if PROGRESS.kinds:
                await resolve_stubs(PROGRESS.kinds, port_relation_target())
                logger.info("Resync summary per kind:\n" + summary_table(PROGRESS.kinds))

    async def sync_incremental(self, *args: Any, **kwargs: Any) -> None:
        OUTCOME.start()
        PROGRESS.start()
        LEVELS.new_resync()
        finished = False
        try:
            await super().sync_incremental(*args, **kwargs)
            finished = True
        finally:
            OUTCOME.finish(finished)

    async def _sync_incremental_kind(
        self, resource: ResourceConfig, index: int, *args: Any, **kwargs: Any
    ) -> bool:
        advanced = bool(await super()._sync_incremental_kind(resource, index, *args, **kwargs))
        if not advanced:
            # The handler's own reason, when it raised one, is kept (recorded first).
            OUTCOME.kind_failed(
                resource.kind, RuntimeError("its cursor was not saved (see the log above)")
            )
        return advanced
