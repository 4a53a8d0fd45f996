#!/usr/bin/env python3
"""Starts the Jira integration from any working directory with Ocean's own runner: the same
code path as `ocean sail` from integrations/jira, the image's CMD and either Helm chart.

Everything the integration needs happens in the integration itself, whichever way it starts:
its defaults for Ocean's settings (32 event workers unless OCEAN__EVENT_WORKERS_COUNT says
otherwise), bad configuration exiting 2 with one line naming the setting, a ONCE run checking
Port's credentials before Ocean starts, printing the summary table per kind and exiting 1 with
the reason on the last line when the sync failed (jira.exits, jira.ocean_defaults). This launcher
only adds conveniences:

- it runs from the integration's own folder, so Ocean finds ./pyproject.toml, ./.port/resources
  and main.py from any working directory;
- `--once` sets the ONCE event listener, like `ocean sail -O`;
- `launch.py probe` runs Ocean's connection probe with the Jira checks and prints one line per
  check; it exits 1 when one fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=" ".join((__doc__ or "").split("\n\n")[0].split()))
    parser.add_argument("--once", action="store_true", help="run one resync, then exit")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (APPLICATION__PORT wins)")
    parser.add_argument("--log-level", default="INFO", choices=LOG_LEVELS)
    commands = parser.add_subparsers(dest="command")
    probe = commands.add_parser("probe", help="check the connection and the mapping, then exit")
    probe.add_argument("--log-level", default="INFO", choices=LOG_LEVELS)
    probe.add_argument("--kinds", help="comma-separated kinds to probe (default: every kind)")
    probe.add_argument(
        "--mapping", type=Path, help="a mapping (YAML) to check instead of the default mapping"
    )
    probe.add_argument(
        "--reporting-mode",
        default=os.environ.get("OCEAN__PROBE_REPORTING_MODE", "log"),
        choices=["log", "file", "port"],
        help="where Ocean writes the probe report (port needs --probe-id)",
    )
    probe.add_argument("--probe-id", default=os.environ.get("OCEAN__PROBE_ID"))
    return parser.parse_args(argv)


def _probe(args: argparse.Namespace) -> int:
    """Ocean's probe (what `ocean probe` runs), with one line per check on stdout."""
    import asyncio

    from loguru import logger
    from port_ocean.bootstrap import load_ocean_app
    from port_ocean.core.probe import ProbeConfig, ProbeMode, ProbeReportingMode, ProbeStatus
    from port_ocean.log.logger_setup import setup_logger
    from port_ocean.run import _PROBE_CONFIG_OVERRIDE
    from port_ocean.utils.signal import init_signal_handler

    from jira.probe import LAST_PROBE, MAPPING_ENV

    if args.mapping is not None:
        os.environ[MAPPING_ENV] = str(args.mapping.resolve())
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()] if args.kinds else None
    init_signal_handler()
    setup_logger(args.log_level, enable_http_handler=False)
    app = load_ocean_app(".", config_override=_PROBE_CONFIG_OVERRIDE)
    config = ProbeConfig(
        path=HERE,
        kinds=kinds,
        mode=ProbeMode.SHALLOW,
        reporting_mode=ProbeReportingMode(args.reporting_mode),
    )
    context = asyncio.run(app.integration.run_probe(args.probe_id, config))
    logger.complete()
    print(f"Jira probe of mapping {LAST_PROBE.mapping}:", flush=True)
    for check in LAST_PROBE.checks:
        print(f"  {check.line()}", flush=True)
    failed = context.status != ProbeStatus.COMPLETED or any(c.failed for c in LAST_PROBE.checks)
    print("Jira probe failed" if failed else "Jira probe passed", flush=True)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    os.chdir(HERE)
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))

    from port_ocean.run import run

    from jira.exits import install_configuration_exit

    install_configuration_exit()  # before Ocean reads its settings (integration.py does it too)
    if args.command == "probe":
        return _probe(args)
    # Ocean's own runner: what `ocean sail` calls, with what `ocean sail -O` overrides.
    override: dict[str, Any] = {"event_listener": {"type": "ONCE"}} if args.once else {}
    run(".", args.log_level, args.port, config_override=override)
    return 0


if __name__ == "__main__":
    sys.exit(main())
