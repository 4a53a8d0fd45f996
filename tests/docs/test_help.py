"""`launch.py --help` is what a user reads first: it names the settings, the exit codes and
where the docs are, and everything it names exists."""

from __future__ import annotations

import re

import launch
import pytest

from tests.deployment.support import REPO_ROOT, known_env_names


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        launch._parse(argv)
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_help_names_settings_exit_codes_and_docs(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(["--help"], capsys)
    description = text.split("positional arguments:")[0]
    assert description.rstrip().endswith("."), "the description ends mid-sentence"
    for code, meaning in (("0", "succeeded"), ("1", "failed"), ("2", "configuration error")):
        assert re.search(rf"^  {code}  .*{meaning}", text, re.MULTILINE), (code, meaning)
    for setting in ("OCEAN__PORT__CLIENT_ID", "OCEAN__INTEGRATION__CONFIG__JIRA_HOST"):
        assert setting in text
    assert "https://docs.port.io/" in text


def test_every_variable_and_file_the_help_names_exists(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = _help(["--help"], capsys)
    named = set(re.findall(r"\b(?:OCEAN|APPLICATION)__[A-Z0-9_]*[A-Z0-9]\b", text))
    assert named and not named - known_env_names(), named - known_env_names()
    suffixes = set(re.findall(r"\.\.\._([A-Z_]+)", text))
    config = {name.removeprefix("OCEAN__INTEGRATION__CONFIG__") for name in known_env_names()}
    assert suffixes and suffixes <= config, suffixes - config
    for path in re.findall(r"\b[\w./-]+\.(?:md|yaml)\b", text):
        assert (REPO_ROOT / path).exists(), path
    source = (REPO_ROOT / "integrations" / "jira" / "jira" / "progress.py").read_text("utf-8")
    for jira_variable in re.findall(r"\bJIRA_[A-Z_]+\b", text):
        assert f'"{jira_variable}"' in source or jira_variable in known_env_names()


def test_probe_help_says_what_it_checks(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_help(["probe", "--help"], capsys).split())
    assert "one line per check" in text
    assert "exits 1 when one fails" in text
