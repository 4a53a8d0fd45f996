#!/usr/bin/env python3
"""Starts the Jira integration from any working directory with Ocean's own runner (what
`ocean sail` runs), plus two things:

- Ocean reads ./pyproject.toml and ./.port/resources from the working directory and main.py from
  the integration path; this launcher runs from the integration's own folder so all resolve.
- In ONCE mode `ocean sail` exits 0 even when the resync failed. This exits 1 instead, with the
  reason on the last line, so CI jobs fail when the sync fails. Bad configuration exits 2 with one
  line naming the setting.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_EVENT_WORKERS = 32


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=" ".join((__doc__ or "").split("\n\n")[0].split()))
    parser.add_argument("--once", action="store_true", help="run one resync, then exit")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (APPLICATION__PORT wins)")
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
    )
    return parser.parse_args(argv)


def _config_errors(exc: Exception) -> list[str]:
    from pydantic import ValidationError

    from jira.settings import ConfigurationError

    if isinstance(exc, ConfigurationError):
        return [str(exc)]
    if isinstance(exc, ValidationError):
        return [
            f"Configuration error: {'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
    return [f"Configuration error: {exc}"]


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    os.chdir(HERE)
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    # Live events: Ocean's workers each await one delivery's re-read, and concurrent re-reads
    # are what jira.webhooks.rereads coalesces and batches; Ocean's default is 1 worker.
    os.environ.setdefault("OCEAN__EVENT_WORKERS_COUNT", str(DEFAULT_EVENT_WORKERS))

    from loguru import logger
    from port_ocean.context.ocean import ocean
    from port_ocean.core.models import EventListenerType
    from port_ocean.run import run
    from pydantic import ValidationError

    from jira.outcome import OUTCOME
    from jira.settings import ConfigurationError

    override = {"event_listener": {"type": "ONCE"}} if args.once else {}
    try:
        # Ocean's own runner (what `ocean sail` calls); main.py validates the Jira settings
        # as Ocean loads it, before anything is served.
        run(".", args.log_level, args.port, config_override=override)
    except (ConfigurationError, ValidationError) as exc:
        # Let Ocean's queued log lines out first (removing the handlers joins their writer
        # threads, even under load): the error is the last line.
        logger.complete()
        logger.remove()
        for line in _config_errors(exc):
            print(line, file=sys.stderr, flush=True)
        return 2

    logger.complete()  # Ocean logs from a queue: let it drain so our verdict is the last line
    if ocean.config.event_listener.type == EventListenerType.ONCE:
        if not OUTCOME.succeeded:
            print(f"Jira resync failed: {OUTCOME.reason()}", file=sys.stderr, flush=True)
            return 1
        print("Jira resync completed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
