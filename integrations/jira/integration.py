"""Ocean's integration class: our selector models, our entity processor (on the live-events
path too), one Port HTTP client shared by the webhook workers, Ocean's comparison
with Port with its searches overlapping, and a record of each resync's outcome (a full resync,
or an incremental run: Ocean logs a failed incremental kind and carries on, so the kind whose
cursor was not saved is recorded here, and a ONCE run exits non-zero)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from port_ocean.context.ocean import PortOceanContext  # noqa: E402
from port_ocean.core.handlers.port_app_config.api import APIPortAppConfig  # noqa: E402
from port_ocean.core.handlers.port_app_config.models import ResourceConfig  # noqa: E402
from port_ocean.core.integrations.base import BaseIntegration  # noqa: E402

from jira.entity_processor import CompiledJQEntityProcessor  # noqa: E402
from jira.outcome import OUTCOME  # noqa: E402
from jira.port_diff import ConcurrentPortDiff  # noqa: E402
from jira.selectors import JiraPortAppConfig  # noqa: E402


class JiraPortAppConfigHandler(APIPortAppConfig):
    CONFIG_CLASS = JiraPortAppConfig


class JiraIntegration(ConcurrentPortDiff, BaseIntegration):
    AppConfigHandlerClass = JiraPortAppConfigHandler
    EntityProcessorClass = CompiledJQEntityProcessor

    def __init__(self, context: PortOceanContext) -> None:
        super().__init__(context)
        # Ocean's webhook manager maps live events with handlers of its own, built from
        # HandlerMixin's class defaults (JQEntityProcessor: a forked process pool per
        # delivery), not from the integration's: it gets our processor too.
        context.app.webhook_manager.EntityProcessorClass = self.EntityProcessorClass

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
        succeeded = False
        try:
            succeeded = bool(await super().sync_raw_all(*args, **kwargs))
            return succeeded
        finally:
            OUTCOME.finish(succeeded)

    async def sync_incremental(self, *args: Any, **kwargs: Any) -> None:
        OUTCOME.start()
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
