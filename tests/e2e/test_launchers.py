"""One behaviour however the integration is started: `launch.py`, and plain `ocean sail` from
integrations/jira (what the image's CMD and Port's port-ocean chart run, with no command and no
argument). Both must take the same burst of signed live events into Port with the same number of
event workers (the integration's own default, not the launcher's), and a failing ONCE sync must
exit 1 with the reason on the last line, after the summary table, under both."""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from jira.ocean_defaults import DEFAULT_EVENT_WORKERS
from sandbox.live_benchmark import BURST_ISSUES, SECRET, Sender, burst
from sandbox.stack import LAUNCHER, ROOT, Stack
from tests.deployment.test_dockerfile import DOCKERFILE, final_workdir, parse_dockerfile
from tests.e2e.conftest import synced_stack

INTEGRATION_DIR = ROOT / "integrations" / "jira"
OCEAN = Path(sys.executable).parent / "ocean"  # the venv's `ocean` command
LAUNCHERS: dict[str, tuple[list[str], Path | None]] = {
    "launch.py": ([sys.executable, str(LAUNCHER)], None),
    "ocean sail": ([str(OCEAN), "sail"], INTEGRATION_DIR),
}
# What Port's port-ocean chart adds for every install (reference/deployment.md); it sets no
# OCEAN__INTEGRATION__TYPE (Ocean then takes the name in ./pyproject.toml) and no command.
PORT_CHART_EXTRAS = {
    "OCEAN__INTEGRATION__TYPE": "",
    "OCEAN__PROCESS_EXECUTION_MODE": "single_process",
    "OCEAN__ALLOW_ENVIRONMENT_VARIABLES_JQ_ACCESS": "true",
    "OCEAN__LAKEHOUSE_ENABLED": "true",
    "OCEAN__PROCESSING_MODE": "dsp",
    "OCEAN__STREAMING__ENABLED": "false",
    "OCEAN__ACTIONS_PROCESSOR__ENABLED": "false",
}
SITE = {"issues": 200, "projects": 3, "users": 6, "teams": 1}
WORKERS = re.compile(r"Live events: (\d+) event workers")
FAILING_SEARCH = {"fail_paths": [r"/rest/api/3/search/jql", r"/rest/api/3/issue/bulkfetch"]}


@pytest.fixture(scope="module")
def synced() -> Iterator[Stack]:
    """A site whose first ONCE sync (launch.py) put its issues in Port."""
    yield from synced_stack(SITE)


def wait_for_webhook(stack: Stack, url: str, timeout: float = 120) -> None:
    """Until the integration at `url` registered its webhook in the Jira simulator."""
    deadline = time.monotonic() + timeout
    while f"{url}/integration/webhook" not in [
        hook["url"] for hook in stack.jira("GET", "/_sim/webhooks")["admin"]
    ]:
        assert time.monotonic() < deadline, stack.integration_log()[-3000:]
        time.sleep(0.2)


def wait_for_titles(stack: Stack, final: dict[str, str], timeout: float = 600) -> dict[str, str]:
    """Until Port holds each issue's last summary (or `timeout` s); what still differs."""
    deadline = time.monotonic() + timeout
    while True:
        port = stack.entities("jiraIssue")
        missing = {k: v for k, v in final.items() if port.get(k, {}).get("title") != v}
        if not missing or time.monotonic() > deadline:
            return missing
        time.sleep(1)


def event_workers(log: str) -> list[int]:
    return [int(count) for count in WORKERS.findall(log)]


def live_burst(stack: Stack, launcher: str, tag: str) -> tuple[dict[str, str], list[int], str]:
    """The live benchmark's burst (BURST_ISSUES issues changed once each, 5 signed deliveries
    announcing each change, one of them a retry) into the integration started by `launcher`
    in WEBHOOKS_ONLY mode with its defaults; returns what Port still lacks, the HTTP answers
    and the integration's log."""
    command, cwd = LAUNCHERS[launcher]
    keys = sorted(k for k, e in stack.entities("jiraIssue").items() if e["properties"])
    assert len(keys) >= BURST_ISSUES, "the site needs more issues"
    logs_before = set(stack.workdir.glob("integration-*.log"))
    with stack.integration(
        live_events=True,
        command=command,
        cwd=cwd,
        OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}',
        OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET=SECRET,
    ) as url:
        wait_for_webhook(stack, url)
        sender = Sender(stack, f"{url}/integration/webhook")
        started = time.monotonic()
        sent = sender.send_all(burst(sender, keys[:BURST_ISSUES], tag))
        final = {s.key: s.summary for s in sent}
        missing = wait_for_titles(stack, final)
        statuses = [s.status for s in sent]
        print(  # a figure for the reader, not an assertion
            f"\n{launcher}: {len(sent)} deliveries, {len(final) - len(missing)} of "
            f"{len(final)} changes in Port after {time.monotonic() - started:.1f} s"
        )
    (log_file,) = set(stack.workdir.glob("integration-*.log")) - logs_before
    return missing, statuses, log_file.read_text(errors="replace")


def test_a_live_burst_reaches_port_the_same_under_launch_py_and_ocean_sail(
    synced: Stack,
) -> None:
    workers: dict[str, list[int]] = {}
    for launcher in LAUNCHERS:
        missing, statuses, log = live_burst(synced, launcher, launcher.replace(" ", "-"))
        assert Counter(statuses) == {200: 5 * BURST_ISSUES}, (launcher, Counter(statuses))
        assert missing == {}, (launcher, len(missing), list(missing.items())[:5])
        workers[launcher] = event_workers(log)
    # the integration's own default, whichever way it started, and said once in each log
    assert workers == {launcher: [DEFAULT_EVENT_WORKERS] for launcher in LAUNCHERS}


def test_an_explicit_event_worker_count_wins_under_ocean_sail(synced: Stack) -> None:
    command, cwd = LAUNCHERS["ocean sail"]
    logs_before = set(synced.workdir.glob("integration-*.log"))
    with synced.integration(
        command=command,
        cwd=cwd,
        OCEAN__EVENT_LISTENER='{"type":"WEBHOOKS_ONLY"}',
        OCEAN__EVENT_WORKERS_COUNT="3",
    ):
        pass
    (log_file,) = set(synced.workdir.glob("integration-*.log")) - logs_before
    assert event_workers(log_file.read_text(errors="replace")) == [3]


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_a_failing_once_sync_exits_1_with_the_reason_last(synced: Stack, launcher: str) -> None:
    command, cwd = LAUNCHERS[launcher]
    synced.jira("PATCH", "/_sim/config", FAILING_SEARCH)
    try:
        result = synced.run_once(command=command, cwd=cwd)
    finally:
        synced.jira("PATCH", "/_sim/config", {"fail_paths": []})
    assert result.returncode == 1, result.output[-3000:]
    assert result.last_line.startswith("Jira resync failed: kind issue failed:"), result.last_line
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-2].startswith("issue (failed)"), lines[-12:]  # the summary, then the verdict


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_a_good_once_sync_exits_0_after_the_summary(synced: Stack, launcher: str) -> None:
    command, cwd = LAUNCHERS[launcher]
    result = synced.run_once(command=command, cwd=cwd)
    assert result.returncode == 0, result.output[-3000:]
    assert result.last_line == "Jira resync completed"
    assert re.search(r"^issue +\d+", result.output, re.MULTILINE), result.output[-2000:]


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_wrong_port_credentials_stop_a_once_run_before_ocean_starts(
    synced: Stack, launcher: str
) -> None:
    command, cwd = LAUNCHERS[launcher]
    result = synced.run_once(command=command, cwd=cwd, OCEAN__PORT__CLIENT_SECRET="wrong-SECRET")
    assert result.returncode == 1, result.output[-3000:]
    assert result.last_line.startswith(
        "Jira resync failed: nothing was synced: [FAIL] Port credentials: Port rejected "
        "OCEAN__PORT__CLIENT_ID/OCEAN__PORT__CLIENT_SECRET"
    ), result.last_line
    assert "wrong-SECRET" not in result.output


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_bad_configuration_exits_2_with_one_line(synced: Stack, launcher: str) -> None:
    command, cwd = LAUNCHERS[launcher]
    result = synced.run_once(command=command, cwd=cwd, OCEAN__EVENT_WORKERS_COUNT="many")
    assert result.returncode == 2, result.output[-3000:]
    assert result.last_line.startswith("Configuration error: event_workers_count:")
    assert "Traceback" not in result.output


def image_command() -> tuple[list[str], Path]:
    """The Dockerfile's CMD and final WORKDIR, with /app read as this checkout."""
    runtime = parse_dockerfile(DOCKERFILE.read_text("utf-8"))[1][-1]
    (cmd,) = [item.arguments for item in runtime.all("CMD")]
    command = json.loads(cmd)
    workdir = ROOT / final_workdir(runtime).relative_to("/app")
    return [str(Path(sys.executable).parent / command[0]), *command[1:]], workdir


def test_the_image_cmd_under_ports_chart_ends_a_once_run_like_launch_py(synced: Stack) -> None:
    """Port's chart as a CronJob: its environment, the image's own CMD, no argument."""
    command, workdir = image_command()
    good = synced.run_once(PORT_CHART_EXTRAS, command=command, cwd=workdir)
    assert good.returncode == 0, good.output[-3000:]
    assert good.last_line == "Jira resync completed"
    synced.jira("PATCH", "/_sim/config", FAILING_SEARCH)
    try:
        failed = synced.run_once(PORT_CHART_EXTRAS, command=command, cwd=workdir)
    finally:
        synced.jira("PATCH", "/_sim/config", {"fail_paths": []})
    assert failed.returncode == 1, failed.output[-3000:]
    assert failed.last_line.startswith("Jira resync failed: kind issue failed:"), failed.last_line
