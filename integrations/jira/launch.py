#!/usr/bin/env python3
"""Starts the Jira integration from any working directory, like `ocean sail`, plus two things:

- Ocean reads ./pyproject.toml and ./.port/resources from the working directory and main.py from
  the integration path; this launcher runs from the integration's own folder so all resolve.
- In ONCE mode `ocean sail` exits 0 even when the resync failed. This exits 1 instead, with the
  reason on the last line, so CI jobs fail when the sync fails. Bad configuration exits 2 with one
  line naming the setting.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--once", action="store_true", help="run one resync, then exit")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (APPLICATION__PORT wins)")
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
    )
    return parser.parse_args(argv)


def _config_errors(exc: Exception) -> list[str]:
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        text = str(exc)
        return [text if text.startswith("Configuration error") else f"Configuration error: {text}"]
    lines = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"])
        lines.append(f"Configuration error: {location}: {error['msg']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    os.chdir(HERE)
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))

    import uvicorn
    from loguru import logger
    from port_ocean.bootstrap import load_ocean_app
    from port_ocean.config.settings import ApplicationSettings
    from port_ocean.core.defaults.initialization.initialize import initialize_defaults
    from port_ocean.core.models import EventListenerType
    from port_ocean.core.utils.utils import validate_integration_runtime
    from port_ocean.log.logger_setup import setup_logger
    from port_ocean.utils.signal import init_signal_handler

    from jira.outcome import OUTCOME
    from jira.settings import ConfigurationError, JiraSettings

    application = ApplicationSettings(log_level=args.log_level, port=args.port)
    init_signal_handler()
    setup_logger(application.log_level, enable_http_handler=application.enable_http_logging)

    override = {"event_listener": {"type": "ONCE"}} if args.once else {}
    try:
        app = load_ocean_app(".", override)
        config = app.config.integration.config
        JiraSettings.from_config(config if isinstance(config, dict) else config.model_dump())
    except (ConfigurationError, ValueError) as exc:
        # Let Ocean's queued log lines out first (removing the handlers joins their writer
        # threads, even under load): the error is the last line.
        logger.complete()
        logger.remove()
        for line in _config_errors(exc):
            print(line, file=sys.stderr, flush=True)
        return 2

    asyncio.get_event_loop().run_until_complete(
        validate_integration_runtime(app.port_client, app.config.runtime)
    )
    initialize_defaults(app.integration.AppConfigHandlerClass.CONFIG_CLASS, app.config)
    uvicorn.run(app, host="0.0.0.0", port=application.port)  # noqa: S104 - serves Jira webhooks

    logger.complete()  # Ocean logs from a queue: let it drain so our verdict is the last line
    if app.config.event_listener.type == EventListenerType.ONCE:
        if not OUTCOME.succeeded:
            print(f"Jira resync failed: {OUTCOME.reason()}", file=sys.stderr, flush=True)
            return 1
        print("Jira resync completed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
