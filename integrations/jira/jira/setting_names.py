"""Catches misspelt settings: an `OCEAN__INTEGRATION__CONFIG__*` variable that names no setting of
the spec is warned about, with the closest valid name (Ocean would silently ignore it)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from jira.settings import env_name

PREFIX = "OCEAN__INTEGRATION__CONFIG__"
SPEC = Path(__file__).resolve().parents[1] / ".port" / "spec.yaml"


def spec_setting_names(spec: Path = SPEC) -> list[str]:
    """The configuration names the spec declares (jiraHost, atlassianUserEmail, …)."""
    raw = yaml.safe_load(spec.read_text(encoding="utf-8")) or {}
    return [str(item["name"]) for item in raw.get("configurations") or [] if "name" in item]


def unknown_setting_warnings(env: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """One warning per unknown variable, naming the closest valid one when there is one."""
    valid = {env_name(name): name for name in known}
    warnings: list[str] = []
    for variable in sorted(v for v in env if v.startswith(PREFIX) and v not in valid):
        # Compared without the shared prefix, which would make every name look close.
        suffixes = {v.removeprefix(PREFIX): v for v in valid}
        closest = difflib.get_close_matches(variable.removeprefix(PREFIX), list(suffixes), n=1)
        hint = (
            f"did you mean {suffixes[closest[0]]} ({valid[suffixes[closest[0]]]})?"
            if closest
            else f"valid ones are {', '.join(sorted(valid))}"
        )
        warnings.append(f"{variable} is not a setting of this integration and is ignored: {hint}")
    return warnings
