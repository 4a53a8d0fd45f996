"""Registers the integration with Ocean: one resync handler per declared kind."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

# `ocean sail` loads this file by path; make the `jira` package beside it importable.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from loguru import logger  # noqa: E402
from port_ocean.context.event import event  # noqa: E402
from port_ocean.context.ocean import ocean  # noqa: E402
from port_ocean.core.ocean_types import ASYNC_GENERATOR_RESYNC_TYPE  # noqa: E402

from jira.factory import jira_client, reset_jira_client, settings_from_ocean  # noqa: E402
from jira.kinds import KINDS, Kind  # noqa: E402
from jira.outcome import OUTCOME  # noqa: E402


def resync_handler(kind: Kind) -> Callable[[str], ASYNC_GENERATOR_RESYNC_TYPE]:
    async def resync(kind_name: str) -> ASYNC_GENERATOR_RESYNC_TYPE:
        config = event.resource_config
        selector = config.selector if config is not None else kind.selector(query="true")
        try:
            async for page in kind.fetch(jira_client(), selector):
                yield page
        except Exception as exc:
            OUTCOME.kind_failed(kind_name, exc)
            logger.error(f"Kind {kind_name} failed; none of its entities will be deleted: {exc}")
            raise

    resync.__qualname__ = f"resync_{kind.name}"
    return resync


for _kind in KINDS:
    ocean.on_resync(_kind.name)(resync_handler(_kind))


@ocean.on_start()
async def on_start() -> None:
    reset_jira_client()
    settings = settings_from_ocean()
    auth = "OAuth bearer token" if settings.is_oauth else "API token (Basic)"
    logger.info(f"Jira integration starting for {settings.host} with {auth}")
