"""The local stack: the Jira and Port simulators as processes, and the real integration process.

Used by the demo (`python -m sandbox.demo`), the end-to-end tests and the benchmarks. Everything
listens on 127.0.0.1 on free ports; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from sandbox.jira_sim.config import SimConfig as JiraSimConfig
from sandbox.jira_sim.config import unkind_requested
from sandbox.port_sim import SimConfig

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "integrations" / "jira" / "launch.py"
_JIRA = JiraSimConfig()  # the Jira simulator's default credentials, which the stack keeps
JIRA_EMAIL = _JIRA.email
JIRA_TOKEN = _JIRA.api_token
JIRA_ORG = _JIRA.org_id
JIRA_PAT = _JIRA.pat  # its Data Center personal access token
PORT_CLIENT_ID = SimConfig.client_id  # the credentials the Port simulator accepts
PORT_CLIENT_SECRET = SimConfig.client_secret
INTEGRATION_ID = "jira-sandbox"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until(
    ready: Callable[[], str | None], process: subprocess.Popen[bytes], what: str, timeout: float
) -> str:
    """`ready()`'s first answer that is not None, while `process` runs, within `timeout` s."""
    deadline = time.monotonic() + timeout
    while (answer := ready()) is None:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} was not ready after {timeout}s")
        time.sleep(0.1)
    return answer


def _url_in(ready_file: Path) -> str | None:
    url = ready_file.read_text().strip() if ready_file.exists() else ""
    return url or None


def _answers(url: str) -> str | None:
    try:
        return url if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200 else None
    except httpx.HTTPError:
        return None


def _stop(processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
    """SIGTERM, then SIGKILL what has not exited after `timeout` s."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


def _spawn(
    command: list[str], log: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Starts `command` with its output (stdout and stderr) in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)


def _call(method: str, url: str, body: Any, **options: Any) -> Any:
    response = httpx.request(method, url, json=body, timeout=120, **options)
    response.raise_for_status()
    return response.json() if response.content else None


@dataclass
class RunResult:
    returncode: int
    output: str
    seconds: float
    peak_rss_kb: int = 0
    cpu_seconds: float = 0.0  # the process's user + system time (its own, not its children's)

    @property
    def last_line(self) -> str:
        lines = [line for line in self.output.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@dataclass
class RunningIntegration:
    """One long-running integration process of `Stack.integrations`."""

    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Stack:
    """The two simulators, running; `run_once`/`integration` run the real integration."""

    jira_url: str
    port_url: str
    workdir: Path
    # The Jira simulator runs in Data Center mode: the integration gets its PAT, no email.
    datacenter: bool = False

    # --- simulators' control APIs ---------------------------------------------------------
    def jira(self, method: str, path: str, body: Any = None) -> Any:
        return _call(method, f"{self.jira_url}{path}", body)

    def port(self, method: str, path: str, body: Any = None) -> Any:
        return _call(method, f"{self.port_url}{path}", body)

    def port_state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.port("GET", "/_sim/state")
        return state

    def ever_deleted(self, blueprint: str) -> set[str]:
        """Identifiers of `blueprint` the Port simulator deleted at some point (its write
        history records a delete as None)."""
        history: dict[str, list[str | None]] = self.port(
            "GET", f"/_sim/history?blueprint={blueprint}"
        )
        return {identifier for identifier, titles in history.items() if None in titles}

    def shipped_logs(self) -> list[dict[str, Any]]:
        """The log lines the integration shipped to Port (`message`, `level`, ...), oldest first."""
        logs: list[dict[str, Any]] = self.port("GET", "/_sim/logs")["logs"]
        return logs

    def entities(self, blueprint: str) -> dict[str, dict[str, Any]]:
        """Entities of one blueprint in the Port simulator, by identifier."""
        return dict(self.port_state()["entities"].get(blueprint, {}))

    def jira_rest(
        self, method: str, path: str, body: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        """A call to the Jira simulator's REST API, as the integration's user."""
        url = f"{self.jira_url}{path}"
        return _call(method, url, body, params=params, auth=(JIRA_EMAIL, JIRA_TOKEN))

    def search(self, jql: str, fields: list[str]) -> list[dict[str, Any]]:
        """Every issue `jql` selects, with `fields`, in Jira's order."""
        issues: list[dict[str, Any]] = []
        body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": 5000}
        while True:
            page = self.jira_rest("POST", "/rest/api/3/search/jql", body)
            issues += page["issues"]
            if not page.get("nextPageToken"):
                return issues
            body["nextPageToken"] = page["nextPageToken"]

    def issue_summaries(self, keys: Iterable[str]) -> dict[str, str]:
        """Jira's current summary of each of these issues (those that exist), by key."""
        found: dict[str, str] = {}
        for chunk in itertools.batched(sorted(keys), 100):
            for issue in self.search(f"key in ({', '.join(chunk)})", ["summary"]):
                found[issue["key"]] = issue["fields"]["summary"]
        return found

    # --- the integration --------------------------------------------------------------------
    def integration_env(self, **overrides: str) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("OCEAN__", "APPLICATION__"))
        }
        env.update(
            {
                "OCEAN__PORT__BASE_URL": self.port_url,
                "OCEAN__PORT__CLIENT_ID": PORT_CLIENT_ID,
                "OCEAN__PORT__CLIENT_SECRET": PORT_CLIENT_SECRET,
                "OCEAN__INTEGRATION__IDENTIFIER": INTEGRATION_ID,
                "OCEAN__INTEGRATION__TYPE": "jira",
                "OCEAN__INTEGRATION__CONFIG__JIRA_HOST": self.jira_url,
                "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL": JIRA_EMAIL,
                "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN": JIRA_TOKEN,
                "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID": JIRA_ORG,
                "OCEAN__INITIALIZE_PORT_RESOURCES": "true",
                "OCEAN__SEND_RAW_DATA_EXAMPLES": "true",
                "OCEAN__EVENT_LISTENER": '{"type":"ONCE"}',
                "APPLICATION__PORT": str(free_port()),
                "APPLICATION__ENABLE_HTTP_LOGGING": "false",
                "HOME": str(self.workdir),
                "PYTHONUNBUFFERED": "1",
                # fail fast on the simulators' permanent faults
                "JIRA_HTTP_MAX_ATTEMPTS": "4",
                "JIRA_HTTP_RETRY_BASE_SECONDS": "0.2",
            }
        )
        if self.datacenter:
            env["OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL"] = ""
            env["OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN"] = JIRA_PAT
        env.update(overrides)
        return env

    def run_once(
        self,
        extra_env: Mapping[str, str] | None = None,
        *,
        timeout: float = 600,
        command: list[str] | None = None,
        cwd: Path | None = None,
        **env: str,
    ) -> RunResult:
        """Runs the integration in ONCE mode to completion (killed after `timeout` s); returns
        its exit code and output. `command`/`cwd` replace the launcher (e.g. an installed copy,
        as the image runs it)."""
        log = self.workdir / f"once-{time.monotonic_ns()}.log"
        started = time.monotonic()
        environment = self.integration_env(**{**(extra_env or {}), **env})
        process = _spawn(command or [sys.executable, str(LAUNCHER)], log, environment, cwd)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        # wait4, not wait: it also reports the child's CPU time and peak RSS (KiB on Linux)
        _, status, usage = os.wait4(process.pid, 0)
        killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        return RunResult(
            process.returncode,
            log.read_text(errors="replace"),
            time.monotonic() - started,
            usage.ru_maxrss,
            usage.ru_utime + usage.ru_stime,
        )

    @contextmanager
    def integration(
        self,
        *,
        live_events: bool = False,
        command: list[str] | None = None,
        cwd: Path | None = None,
        **env: str,
    ) -> Iterator[str]:
        """Starts a long-running integration (POLLING by default); yields its base URL.

        `live_events=True` sets OCEAN__BASE_URL to that URL, so the integration registers its
        webhook in the Jira simulator and receives the simulator's events. A WEBHOOKS_ONLY
        process never registers (a deployment's resync process does): run alone, the stack
        registers for it with `register_webhook`, as its resync process would. `command`/`cwd`
        replace the launcher (e.g. `ocean sail` from the integration's folder)."""
        started = self.integration_process(live_events=live_events, command=command, cwd=cwd, **env)
        with started as (url, _):
            yield url

    @contextmanager
    def integration_process(
        self,
        *,
        live_events: bool = False,
        command: list[str] | None = None,
        cwd: Path | None = None,
        **env: str,
    ) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
        """`integration`, also yielding the process (a test may kill it)."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        merged = {"OCEAN__EVENT_LISTENER": '{"type":"POLLING"}', "APPLICATION__PORT": str(port)}
        if live_events:
            merged["OCEAN__BASE_URL"] = url
        log = self.workdir / f"integration-{port}.log"
        environment = self.integration_env(**{**merged, **env})
        process = _spawn(command or [sys.executable, str(LAUNCHER)], log, environment, cwd)
        try:
            answering = _wait_until(lambda: _answers(url), process, "the integration", 60)
            listener = json.loads(environment["OCEAN__EVENT_LISTENER"]).get("type")
            if listener == "WEBHOOKS_ONLY" and environment.get("OCEAN__BASE_URL"):
                register_webhook(environment)
            yield answering, process
        finally:
            _stop([process], timeout=20)

    @contextmanager
    def integrations(
        self, listeners: Sequence[str], *, live_events: bool = True, **env: str
    ) -> Iterator[list[RunningIntegration]]:
        """Starts one long-running integration per Ocean event listener type in `listeners`
        (e.g. POLLING, WEBHOOKS_ONLY), all at the same moment, as a Deployment's replicas
        start; yields them once every one answers. With `live_events`, they all announce the
        first one's URL as OCEAN__BASE_URL, as replicas behind one Service announce its URL."""
        ports = [free_port() for _ in listeners]
        started: list[RunningIntegration] = []
        for port, listener in zip(ports, listeners, strict=True):
            merged = {"OCEAN__EVENT_LISTENER": json.dumps({"type": listener})}
            merged["APPLICATION__PORT"] = str(port)
            if live_events:
                merged["OCEAN__BASE_URL"] = f"http://127.0.0.1:{ports[0]}"
            log = self.workdir / f"integration-{port}.log"
            command = [sys.executable, str(LAUNCHER)]
            process = _spawn(command, log, self.integration_env(**{**merged, **env}))
            started.append(RunningIntegration(f"http://127.0.0.1:{port}", log, process))
        try:
            for one in started:
                _wait_until(partial(_answers, one.url), one.process, "an integration", 120)
            yield started
        finally:
            _stop([one.process for one in started], timeout=20)

    def integration_log(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.workdir.glob("integration-*.log"))
        )


def register_webhook(environment: Mapping[str, str]) -> None:
    """What the resync process of a deployment does for its WEBHOOKS_ONLY replicas, which
    never register: the integration's own webhook set-up (jira.webhooks.registration), with
    the settings of `environment` (an integration process's)."""
    if str(LAUNCHER.parent) not in sys.path:  # `python -m sandbox.…` runs from the root
        sys.path.insert(0, str(LAUNCHER.parent))
    from jira.client import JiraClient
    from jira.http import JiraHttp
    from jira.settings import JiraSettings
    from jira.webhooks.registration import start_live_events

    prefix = "OCEAN__INTEGRATION__CONFIG__"
    config = {
        name.removeprefix(prefix).lower(): value
        for name, value in environment.items()
        if name.startswith(prefix)
    }
    settings = JiraSettings.from_config(config)

    async def register() -> None:
        http = JiraHttp(settings, httpx.AsyncClient(timeout=60))
        client = JiraClient(http)
        try:
            keeper = await start_live_events(
                lambda: client,
                settings,
                base_url=environment["OCEAN__BASE_URL"],
                identifier=environment["OCEAN__INTEGRATION__IDENTIFIER"],
            )
            if keeper is not None:
                await keeper.stop()
        finally:
            await http.aclose()

    asyncio.run(register())


def _start(module: str, args: list[str], work: Path, name: str) -> subprocess.Popen[bytes]:
    """`python -m module` (a simulator) on a free port; it writes its URL to `{name}.ready`."""
    command = [sys.executable, "-m", module, "--ready-file", str(work / f"{name}.ready"), *args]
    return _spawn(command, work / f"{name}-sim.log", cwd=ROOT)


@contextmanager
def running_stack(
    jira: Mapping[str, Any] | None = None,
    workdir: Path | None = None,
    port_latency_ms: float = 0.0,
) -> Iterator[Stack]:
    """Starts the Jira simulator (with `jira` knobs; the unkind Jira when SANDBOX_JIRA_UNKIND=1)
    and the Port simulator (every API request delayed by `port_latency_ms`); stops both after."""
    with tempfile.TemporaryDirectory(prefix="jira-sandbox-") as scratch:
        work = workdir or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        jira = {"unkind": True, **(jira or {})} if unkind_requested() else (jira or {})
        jira_process = _start("sandbox.jira_sim", ["--config-json", json.dumps(jira)], work, "jira")
        port_args = ["--latency-ms", str(port_latency_ms)]
        port_process = _start("sandbox.port_sim", port_args, work, "port")
        try:
            # generating a big site takes a while (about 3 s per 10,000 issues)
            ready_in = 30 + 0.002 * float(jira.get("issues", 0))
            jira_url = _wait_until(
                lambda: _url_in(work / "jira.ready"), jira_process, "the Jira simulator", ready_in
            )
            port_url = _wait_until(
                lambda: _url_in(work / "port.ready"), port_process, "the Port simulator", 30
            )
            datacenter = jira.get("deployment") == "datacenter"
            yield Stack(jira_url, port_url, work, datacenter=datacenter)
        finally:
            _stop([jira_process, port_process], timeout=10)
