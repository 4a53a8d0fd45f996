"""The last line of a ONCE run, however it was started: `Jira resync failed: <why>` naming the
setting to fix, or nothing more when it succeeded. `launch.py` prints it after Ocean's runner
returns; under plain `ocean sail` (which prints nothing of its own) it is printed as the process
exits. Port's credentials are checked with one token request before Ocean asks Port for
anything (Ocean would retry a refused secret for minutes): a refused one is the verdict.
"""

from __future__ import annotations

import asyncio
import atexit
import sys

from loguru import logger

from jira.outcome import OUTCOME

FAILED = "Jira resync failed"
PORT_FAILED_EXIT_CODE = 1

_reported = False


def reported() -> None:
    """The process's last line is printed (a verdict, or a configuration error's lines)."""
    global _reported
    _reported = True


def print_verdict(reason: str) -> None:
    """Prints `Jira resync failed: <reason>` as the process's last line."""
    reported()
    logger.complete()  # Ocean logs from a queue: let it drain so the verdict is the last line
    sys.stdout.flush()
    print(f"{FAILED}: {reason}", file=sys.stderr, flush=True)


def _is_once() -> bool:
    from port_ocean.context.ocean import ocean
    from port_ocean.core.models import EventListenerType

    try:
        return ocean.config.event_listener.type == EventListenerType.ONCE
    except Exception:  # Ocean's app was never built (a configuration error ended the start)
        return False


def _inside_a_running_loop() -> bool:
    """Ocean's runner loads main.py before any loop runs; an app loaded inside one (Ocean's
    test harness) talks to the Port its caller provides, and is not a start to check."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def check_port_credentials() -> None:
    """A ONCE run's first Port request: one token request, no retry loop. Refused (or Port
    unreachable), the run ends here with the verdict naming the Port settings."""
    from port_ocean.context.ocean import ocean

    from jira.checks import port_credentials

    if not _is_once() or _inside_a_running_loop():
        return
    port = ocean.config.port
    # A loop of its own: asyncio.run() would leave none for Ocean's runner, which asks for one.
    loop = asyncio.new_event_loop()
    try:
        check = loop.run_until_complete(
            port_credentials(str(port.base_url), port.client_id, port.client_secret)
        )
    finally:
        loop.close()
    if check.failed:
        print_verdict(f"nothing was synced: {check.line()}")
        raise SystemExit(PORT_FAILED_EXIT_CODE)


def _at_exit() -> None:
    """Under `ocean sail`: a failed ONCE run's verdict after Ocean's shutdown lines."""
    if not _reported and _is_once() and not OUTCOME.succeeded:
        print_verdict(OUTCOME.reason())


def print_at_exit() -> None:
    atexit.register(_at_exit)
