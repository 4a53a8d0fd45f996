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

HELP_DESCRIPTION = """\
Runs the Jira (Cloud or Data Center/Server) -> Port integration with Ocean's own runner, from any
working directory. Without arguments it runs long-lived: a resync when Port asks (or every
OCEAN__SCHEDULED_RESYNC_INTERVAL minutes) plus Jira webhooks when OCEAN__BASE_URL is set.
--once runs one full sync and exits; `probe` checks the connection and the mapping, syncing
nothing. Every setting comes from environment variables (below)."""

HELP_EPILOG = """\
settings (environment variables):
  OCEAN__PORT__CLIENT_ID, OCEAN__PORT__CLIENT_SECRET   Port credentials (required)
  OCEAN__PORT__BASE_URL                 https://api.getport.io (EU) or https://api.us.getport.io
  OCEAN__INTEGRATION__IDENTIFIER        this installation's id in Port
  OCEAN__INTEGRATION__CONFIG__JIRA_HOST https://example.atlassian.net, or a Data Center URL
  OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL + ..._ATLASSIAN_USER_TOKEN
                                        Cloud: the user's email and API token;
                                        Data Center: a personal access token as
                                        ..._ATLASSIAN_USER_TOKEN (no email), or
                                        ..._USERNAME + ..._PASSWORD
  OCEAN__INTEGRATION__CONFIG__JIRA_DEPLOYMENT   auto (default), cloud or datacenter
  OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID   needed for the team kind
  OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET    Jira signs webhook deliveries with it
  OCEAN__BASE_URL                       public URL of this process: enables Jira webhooks
  OCEAN__EVENT_LISTENER                 {"type":"ONCE"} is what --once sets
  OCEAN__INITIALIZE_PORT_RESOURCES=true create the default blueprints and mapping
  JIRA_PROGRESS_INTERVAL_SECONDS        seconds between progress lines (default 5)
  The full list: integrations/jira/.port/spec.yaml and README.md "Configuration".

exit codes:
  0  the sync (--once) or the probe succeeded; a long-running process stopped cleanly
  1  the sync or a check failed; the reason is the last line
     ("Jira resync failed: ..." or "Jira probe failed")
  2  configuration error: one line naming the setting to fix

docs:
  README.md (the plain path), docs/installation.md (Helm, ArgoCD, CI, Docker),
  docs/troubleshooting.md (every error and warning line: cause and fix);
  https://docs.port.io/build-your-software-catalog/sync-data-to-catalog/project-management/jira/
"""


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=HELP_DESCRIPTION,
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="run one full sync, print the summary per kind, then exit (0 ok, 1 failed)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8000,
        help="HTTP port for webhooks and health checks (APPLICATION__PORT wins)",
    )
    parser.add_argument("--log-level", default="INFO", choices=LOG_LEVELS, help="log verbosity")
    commands = parser.add_subparsers(dest="command")
    probe = commands.add_parser(
        "probe",
        help="check the connection, the permissions and the mapping, then exit (0 ok, 1 failed)",
        description="Runs Ocean's connection probe with the integration's checks and prints "
        "one line per check; exits 1 when one fails, 2 on a configuration error.",
    )
    probe.add_argument("--log-level", default="INFO", choices=LOG_LEVELS, help="log verbosity")
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
    probe.add_argument(
        "--probe-id",
        default=os.environ.get("OCEAN__PROBE_ID"),
        help="the probe's id in Port, with --reporting-mode port (default: OCEAN__PROBE_ID)",
    )
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
