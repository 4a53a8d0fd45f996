"""Four processes of one integration starting at the same moment, again and again: how many tries
end with exactly one Jira webhook of the integration.

    python -m sandbox.registration_race --tries 20                 # 1 POLLING + 3 WEBHOOKS_ONLY
    python -m sandbox.registration_race --tries 20 --mode resync   # 4 POLLING (replicaCount: 4)

Each try removes the integration's webhook from the Jira simulator, starts the four real
processes (launch.py, live events on, all announcing the same OCEAN__BASE_URL as replicas behind
one Service do; Jira's webhook administration answering slowly, so that they do overlap),
waits until each has said what it did about the webhook, counts the webhooks
sending to that URL, and stops them. It also counts the creates Jira received, so a run where the
processes never actually raced is visible as such. The integration is installed first by one
ONCE run, as in a deployment being scaled out. `--unkind` uses the unkind Jira.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.stack import RunningIntegration, Stack, running_stack

MODES: dict[str, list[str]] = {
    "mixed": ["POLLING", "WEBHOOKS_ONLY", "WEBHOOKS_ONLY", "WEBHOOKS_ONLY"],
    "resync": ["POLLING", "POLLING", "POLLING", "POLLING"],
}
# A small site whose webhook administration answers in 1.5 s: processes starting a second or
# so apart (they do, on a loaded machine) all list the webhooks before any has created one.
SITE: dict[str, Any] = {
    "projects": 1,
    "users": 3,
    "teams": 0,
    "issues": 5,
    "extra_boards": False,
    "path_latency_ms": {"^/rest/webhooks/": 1500},
}
SECRET = "registration-race-secret-4f1d"
CREATE = "POST /rest/webhooks/1.0/webhook"
# What each process logs once it is done with the webhook (jira.webhooks.registration).
SETTLED = (
    "Live events: created Jira webhook",
    "Live events: using existing Jira webhook",
    "leaves the Jira webhook alone",
    "Live events: could not",
)


def settled(output: str) -> bool:
    """Whether a process has said what it did about the webhook."""
    return any(phrase in output for phrase in SETTLED)


def webhooks_to(stack: Stack, url: str) -> list[dict[str, Any]]:
    """The admin webhooks in the Jira simulator that send to `url`."""
    admin: list[dict[str, Any]] = stack.jira("GET", "/_sim/webhooks")["admin"]
    return [hook for hook in admin if hook["url"].rstrip("/") == url.rstrip("/")]


def remove_webhooks(stack: Stack) -> None:
    for hook in stack.jira("GET", "/_sim/webhooks")["admin"]:
        stack.jira_rest("DELETE", f"/rest/webhooks/1.0/webhook/{hook['id']}")


def wait_until_settled(running: Sequence[RunningIntegration], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not all(settled(one.output()) for one in running):
        for one in running:
            if one.process.poll() is not None:
                raise RuntimeError(f"a process exited early:\n{one.output()[-3000:]}")
        if time.monotonic() > deadline:
            late = [one.output()[-2000:] for one in running if not settled(one.output())]
            raise RuntimeError("processes did not settle:\n" + "\n---\n".join(late))
        time.sleep(0.2)


@dataclass
class Started:
    """Processes started together, once each has settled, and what Jira holds then."""

    running: list[RunningIntegration]
    webhook_url: str  # the one URL they all announce
    webhooks: list[dict[str, Any]]  # the admin webhooks sending to it
    creates: int  # creates Jira received since the processes started


@contextmanager
def started_together(stack: Stack, listeners: Sequence[str], **env: str) -> Iterator[Started]:
    """Removes the webhooks, starts one process per listener at the same moment, and yields
    them once each has said what it did about the webhook; stops them after."""
    remove_webhooks(stack)
    before = stack.jira("GET", "/_sim/stats")["by_endpoint"].get(CREATE, 0)
    with stack.integrations(listeners, live_events=True, **env) as running:
        wait_until_settled(running)
        url = f"{running[0].url}/integration/webhook"
        creates = stack.jira("GET", "/_sim/stats")["by_endpoint"].get(CREATE, 0) - before
        yield Started(running, url, webhooks_to(stack, url), creates)


def race_env() -> dict[str, str]:
    return {"OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET": SECRET}


def run(tries: int, mode: str, jira: Mapping[str, Any], workdir: Path | None = None) -> int:
    listeners = MODES[mode]
    with running_stack(jira={**SITE, **jira}, workdir=workdir) as stack:
        installed = stack.run_once()
        if installed.returncode != 0:
            print(installed.output[-3000:], file=sys.stderr)
            return 2
        results: list[tuple[int, int]] = []  # (webhooks, creates) per try
        for number in range(1, tries + 1):
            with started_together(stack, listeners, **race_env()) as started:
                results.append((len(started.webhooks), started.creates))
            print(
                f"try {number}/{tries}: {len(started.webhooks)} webhook(s) of the integration "
                f"in Jira ({started.creates} created during the try)",
                flush=True,
            )
    exactly_one = sum(webhooks == 1 for webhooks, _ in results)
    raced = sum(creates > 1 for _, creates in results)
    described = " + ".join(f"{listeners.count(t)} {t}" for t in dict.fromkeys(listeners))
    print(
        f"{exactly_one} of {tries} tries ended with exactly one Jira webhook ({described} "
        f"starting together; {raced} of the tries had more than one process create one)",
        flush=True,
    )
    return 0 if exactly_one == tries else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--mode", choices=sorted(MODES), default="mixed")
    parser.add_argument("--unkind", action="store_true", help="the unkind Jira simulator")
    parser.add_argument("--workdir", type=Path, help="keep the logs here")
    args = parser.parse_args(argv)
    return run(args.tries, args.mode, {"unkind": True} if args.unkind else {}, args.workdir)


if __name__ == "__main__":
    sys.exit(main())
