"""How the process ends, whichever way it was started (`launch.py`, `ocean sail` from
integrations/jira, the image's CMD, our chart or Port's `port-ocean` chart):

- bad configuration: exit 2, one line naming the setting (an uncaught ConfigurationError or
  Ocean's ValidationError, wherever Ocean raised it while loading);
- a ONCE run whose Port credentials fail: exit 1 as Ocean loads main.py, nothing synced;
- a ONCE run: the summary table per kind, then the verdict as the last line, and exit 1 when
  the resync failed or did not finish (`ocean sail` itself exits 0 either way).

The verdict waits for Ocean's shutdown: Ocean ends a ONCE run with SIGINT, uvicorn stops, the
interpreter exits; an `atexit` hook registered as Ocean loaded main.py prints the verdict after
all of that and turns the exit status into 1 when the resync failed.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import sys
from types import TracebackType
from typing import NoReturn

from loguru import logger
from port_ocean.config.settings import IntegrationConfiguration
from port_ocean.core.models import EventListenerType
from pydantic import ValidationError

from jira.checks import port_credentials
from jira.outcome import OUTCOME
from jira.progress import PROGRESS, summary_table
from jira.settings import ConfigurationError

CONFIGURATION_EXIT = 2
FAILED_EXIT = 1


def _drain_logs() -> None:
    """Lets Ocean's queued log lines out (it logs from a queue), so ours come last."""
    logger.complete()
    sys.stdout.flush()
    sys.stderr.flush()


def _end(code: int) -> NoReturn:
    """Exits with `code` now: the shutdown has already happened (or must not happen)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _inside_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# --- bad configuration ---------------------------------------------------------------------


def configuration_errors(exc: BaseException) -> list[str] | None:
    """One line per wrong setting, or None when `exc` is not a configuration error."""
    if isinstance(exc, ConfigurationError):
        return [str(exc)]
    if isinstance(exc, ValidationError):
        return [
            f"Configuration error: {'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
    return None


def install_configuration_exit() -> None:
    """An uncaught configuration error ends the process with exit 2 and its lines on stderr,
    not a traceback, whichever way the process was started (Ocean raises them while it loads
    the integration: `ocean sail` itself catches nothing). Not inside a running event loop
    (an app embedded in someone else's process, as in Ocean's IntegrationTestHarness)."""
    previous = sys.excepthook
    if getattr(previous, "jira_configuration_exit", False) or _inside_event_loop():
        return

    def hook(kind: type[BaseException], exc: BaseException, trace: TracebackType | None) -> None:
        lines = configuration_errors(exc)
        if lines is None:
            previous(kind, exc, trace)
            return
        _drain_logs()
        logger.remove()  # nothing Ocean still logs may come after the setting's line
        for line in lines:
            print(line, file=sys.stderr)
        _end(CONFIGURATION_EXIT)

    hook.jira_configuration_exit = True  # type: ignore[attr-defined]
    sys.excepthook = hook


# --- a ONCE run ----------------------------------------------------------------------------


def runs_once(config: IntegrationConfiguration) -> bool:
    """A ONCE run that syncs (Ocean's probe also runs as ONCE, without a resync)."""
    listener = config.event_listener
    return listener.type == EventListenerType.ONCE and bool(listener.should_resync)


def port_credentials_failure(config: IntegrationConfiguration) -> str | None:
    """The failing Port check's line, or None: one token request, no retry loop."""
    port = config.port
    # A loop of its own: asyncio.run() would leave none for Ocean's runner, which asks for one.
    loop = asyncio.new_event_loop()
    try:
        check = loop.run_until_complete(
            port_credentials(str(port.base_url), port.client_id, port.client_secret)
        )
    finally:
        loop.close()
    return check.line() if check.failed else None


def fail_fast_before_once(config: IntegrationConfiguration) -> None:
    """Before Ocean starts a ONCE run (it asks Port for the integration first and retries):
    wrong Port credentials end the run with exit 1 and the check on the last line."""
    failure = port_credentials_failure(config)
    if failure is None:
        return
    _drain_logs()
    print(f"Jira resync failed: nothing was synced: {failure}", file=sys.stderr, flush=True)
    sys.exit(FAILED_EXIT)


def print_verdict() -> int:
    """Prints the finished ONCE run's summary table and verdict line; returns its exit code."""
    _drain_logs()
    if PROGRESS.kinds:
        print(summary_table(PROGRESS.kinds), flush=True)
    if OUTCOME.succeeded:
        print("Jira resync completed", flush=True)
        return 0
    print(f"Jira resync failed: {OUTCOME.reason()}", file=sys.stderr, flush=True)
    return FAILED_EXIT


def _verdict_at_exit() -> None:
    if code := print_verdict():
        logger.remove()
        _end(code)


def prepare_once_run(config: IntegrationConfiguration) -> None:
    """As Ocean's runner loads the integration for a ONCE run: Port's credentials are checked
    (exit 1 when wrong), and at the process's exit, after Ocean's shutdown, the summary and the
    verdict are printed; a failed or unfinished resync exits 1.

    Ocean's runner (`ocean sail`, launch.py, the image) loads main.py outside any event loop;
    an app loaded inside a running loop (Ocean's IntegrationTestHarness) is embedded in a
    process that is not the integration's to end, so neither happens there."""
    if not runs_once(config) or _inside_event_loop():
        return
    fail_fast_before_once(config)
    atexit.unregister(_verdict_at_exit)
    atexit.register(_verdict_at_exit)
