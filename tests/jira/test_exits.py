"""The integration's own start-up defaults and exit codes (jira.ocean_defaults, jira.exits), the
same whichever way the process starts; the real process runs in tests/e2e/test_launchers.py."""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from loguru import logger
from port_ocean.config.settings import IntegrationConfiguration, PortSettings
from pydantic import ValidationError

import jira.exits
from jira.exits import configuration_errors, prepare_once_run, print_verdict, runs_once
from jira.ocean_defaults import DEFAULT_EVENT_WORKERS, apply_defaults
from jira.outcome import OUTCOME
from jira.settings import ConfigurationError

PORT = PortSettings(client_id="id", client_secret="secret")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No OCEAN__ variable, .env or config.yaml of the machine leaks into the settings; Ocean
    reads the integration's name from ./pyproject.toml."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "jira"\nversion = "0.1.0"\n')
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("OCEAN__")]:
        monkeypatch.delenv(name)
    yield
    OUTCOME.start()


def config(**values: Any) -> IntegrationConfiguration:
    return IntegrationConfiguration(port=PORT, **values)


def test_event_workers_default_to_the_integrations_own_count() -> None:
    settings = config()
    apply_defaults(settings)
    assert settings.event_workers_count == DEFAULT_EVENT_WORKERS


@given(st.integers(min_value=1, max_value=500))
def test_an_explicit_event_worker_count_wins_from_the_environment(count: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OCEAN__EVENT_WORKERS_COUNT", str(count))
        settings = config()
    apply_defaults(settings)
    assert settings.event_workers_count == count


def test_an_explicit_event_worker_count_wins_from_a_dot_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("OCEAN__EVENT_WORKERS_COUNT=1\n")
    settings = config()
    apply_defaults(settings)
    assert settings.event_workers_count == 1


@given(
    listener=st.sampled_from(["POLLING", "ONCE", "KAFKA", "WEBHOOKS_ONLY"]),
    asked=st.sampled_from(["true", "false", None]),
)
def test_only_a_webhooks_only_replica_is_kept_off_port_resources(
    listener: str, asked: str | None
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        if asked is not None:
            patch.setenv("OCEAN__INITIALIZE_PORT_RESOURCES", asked)
        settings = config(event_listener={"type": listener})
    found: list[str] = []
    handler = logger.add(lambda m: found.append(m.record["message"]), level="INFO")
    try:
        apply_defaults(settings)
    finally:
        logger.remove(handler)
    replica = listener == "WEBHOOKS_ONLY"
    assert settings.initialize_port_resources is (not replica and asked != "false")
    said = [line for line in found if line.startswith("Port resources:")]
    # one line when the user asked a replica for it; none when it was only Ocean's default
    assert len(said) == (1 if replica and asked == "true" else 0)
    assert all("WEBHOOKS_ONLY" in line and "resync process" in line for line in said)


def test_only_a_syncing_once_run_is_once() -> None:
    assert runs_once(config(event_listener={"type": "ONCE"}))
    assert not runs_once(config(event_listener={"type": "ONCE", "should_resync": False}))  # probe
    assert not runs_once(config(event_listener={"type": "POLLING"}))
    assert not runs_once(config())


def verdict(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """print_verdict's exit code and the line it printed last (stdout or stderr)."""
    code = print_verdict()
    out, err = capsys.readouterr()
    return code, (err if code else out).splitlines()[-1]


def test_the_verdict_of_a_once_run(capsys: pytest.CaptureFixture[str]) -> None:
    OUTCOME.start()
    assert verdict(capsys) == (
        1,
        "Jira resync failed: the resync did not finish (see the log above)",
    )
    OUTCOME.kind_failed("issue", RuntimeError("Jira answered 500"))
    OUTCOME.finish(True)
    assert verdict(capsys) == (1, "Jira resync failed: kind issue failed: Jira answered 500")
    OUTCOME.start()
    OUTCOME.finish(True)
    assert verdict(capsys) == (0, "Jira resync completed")


def test_configuration_errors_are_one_line_per_setting() -> None:
    with pytest.raises(ValidationError) as invalid:
        config(event_workers_count="many")
    # in one voice (jira.config_errors): the setting, its variable, what is wrong, an example
    assert configuration_errors(invalid.value) == [
        "Configuration error: eventWorkersCount (OCEAN__EVENT_WORKERS_COUNT) is 'many', which is "
        "not valid (Input should be a valid integer, unable to parse string as an integer): set "
        "it to a whole number of workers, e.g. 32"
    ]
    wrong = ConfigurationError("jiraHost", "is not a URL")
    assert configuration_errors(wrong) == [
        "Configuration error: jiraHost (OCEAN__INTEGRATION__CONFIG__JIRA_HOST) is not a URL"
    ]
    assert configuration_errors(RuntimeError("not about settings")) is None


class Recorder:
    """Stands in for atexit and the Port check: what prepare_once_run asked for."""

    def __init__(self, failure: str | None) -> None:
        self.failure = failure
        self.checked = 0
        self.registered: list[object] = []

    def check(self, _: IntegrationConfiguration) -> str | None:
        self.checked += 1
        return self.failure

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Recorder:
        monkeypatch.setattr(jira.exits, "port_credentials_failure", self.check)
        monkeypatch.setattr(atexit, "register", self.registered.append)
        monkeypatch.setattr(atexit, "unregister", lambda _: None)
        return self


def test_a_once_run_checks_port_then_ends_with_the_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(None).install(monkeypatch)
    prepare_once_run(config(event_listener={"type": "ONCE"}))
    assert recorder.checked == 1
    assert len(recorder.registered) == 1  # the verdict at exit


def test_wrong_port_credentials_end_a_once_run_with_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder("[FAIL] Port credentials: Port rejected them").install(monkeypatch)
    with pytest.raises(SystemExit) as exited:
        prepare_once_run(config(event_listener={"type": "ONCE"}))
    assert exited.value.code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "Jira resync failed: nothing was synced: [FAIL] Port credentials: Port rejected them"
    )
    assert recorder.registered == []


def test_a_long_running_install_neither_checks_nor_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder("[FAIL] not asked").install(monkeypatch)
    prepare_once_run(config(event_listener={"type": "POLLING"}))
    assert (recorder.checked, recorder.registered) == (0, [])


async def test_an_app_embedded_in_a_running_loop_is_not_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ocean's test harness loads main.py inside its event loop: not the integration's process."""
    recorder = Recorder("[FAIL] not asked").install(monkeypatch)
    prepare_once_run(config(event_listener={"type": "ONCE"}))
    assert (recorder.checked, recorder.registered) == (0, [])
