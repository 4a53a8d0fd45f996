"""Settings errors in one voice, Ocean's own settings included: every invalid or missing setting
is one line, `Configuration error: <setting> (<VARIABLE>) <what is wrong>: <what to set>, e.g.
<example>`, however the integration was started (jira.exits prints these lines as the process's
last, exit 2).

Misspelt variables (jira.setting_names) are warned about before anything validates, and when a
setting is missing or wrong while a misspelling of it is set, its line says so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from loguru import logger
from pydantic import ValidationError
from pydantic_settings import SettingsError

from jira.setting_names import (
    PREFIX,
    misspelt_settings,
    misspelt_warning,
    ocean_variables,
    spec_setting_names,
    unknown_setting_warnings,
)
from jira.settings import ConfigurationError, env_name, max_age_minutes, validated_host

# The settings models whose validation errors are configuration errors (the spec's settings are
# validated inside IntegrationConfiguration).
_SETTINGS_MODELS = frozenset({"IntegrationConfiguration", "ApplicationSettings"})
_CREDENTIALS = "your Port credentials' {} (Port: … → Credentials)"
# A settings field's name; anything else in an error's location is a union member or an index.
_SNAKE = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Setting:
    name: str  # as config.yaml or spec.yaml names it: port.clientId, jiraHost
    variable: str  # its environment variable
    expects: str = ""  # what a valid value is
    example: str = ""
    sensitive: bool = False  # its value never appears in a line


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _ocean(path: str, expects: str, example: str = "", sensitive: bool = False) -> Setting:
    name = ".".join(_camel(part) for part in path.split("."))
    variable = "OCEAN__" + path.replace(".", "__").upper()
    return Setting(name, variable, expects, example, sensitive)


OCEAN_SETTINGS: Mapping[str, Setting] = {
    s.variable: s
    for s in (
        _ocean("port.client_id", _CREDENTIALS.format("client id"), sensitive=True),
        _ocean("port.client_secret", _CREDENTIALS.format("client secret"), sensitive=True),
        _ocean(
            "port.base_url",
            "Port's API URL",
            "https://api.getport.io (https://api.us.getport.io in Port's US region)",
        ),
        _ocean(
            "event_listener",
            "a JSON object naming the listener",
            '{"type":"ONCE"} (one sync) or {"type":"POLLING"} (keep running)',
        ),
        _ocean("integration.identifier", "the integration's identifier in Port", "my-jira"),
        _ocean("integration.type", "the integration's type", "jira"),
        _ocean("scheduled_resync_interval", "minutes between full resyncs", "60"),
        _ocean("initialize_port_resources", "true or false", "true"),
        _ocean("send_raw_data_examples", "true or false", "true"),
        _ocean("base_url", "this integration's public URL", "https://jira-integration.example.com"),
        _ocean("event_workers_count", "a whole number of workers", "32"),
    )
}


@cache
def _spec_settings() -> Mapping[str, Setting]:
    """The spec's settings by their snake_case key (how Ocean's errors name them)."""
    examples = {
        "jiraHost": "https://example.atlassian.net",
        "appHost": "https://jira-integration.example.com",
        "webhookMaxAgeMinutes": "90",
    }
    return {
        # Only the values of these are shown: any other could be a secret.
        env_name(name).removeprefix(PREFIX).lower(): Setting(
            name, env_name(name), example=examples.get(name, ""), sensitive=name not in examples
        )
        for name in spec_setting_names()
    }


def _setting(location: Sequence[str]) -> Setting:
    """The setting a pydantic error location points at (its first snake_case parts)."""
    parts = [str(part) for part in location]
    if parts and parts[0] in _spec_settings():
        return _spec_settings()[parts[0]]
    path: list[str] = []
    for part in parts:
        if not _SNAKE.fullmatch(part):
            break  # a union member's name or a list index: the setting is the path so far
        path.append(part)
        if "OCEAN__" + "__".join(path).upper() in OCEAN_SETTINGS:
            break
    variable = "OCEAN__" + "__".join(path).upper()
    return OCEAN_SETTINGS.get(variable) or _ocean(".".join(path) or "?", "")


def _spec_line(setting: Setting, value: Any) -> str | None:
    """The integration's own message for a spec setting's value, where it has one."""
    text = None if value is None else str(value)
    try:
        if setting.name == "jiraHost":
            validated_host(text)
        elif setting.name == "webhookMaxAgeMinutes":
            max_age_minutes(text)
    except ConfigurationError as exc:
        return str(exc)
    return None


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:60] + "…" if len(text) > 60 else text)


def setting_line(setting: Setting, problem: str) -> str:
    """`Configuration error: <setting> (<VARIABLE>) <problem>: set it to …, e.g. …`."""
    line = f"Configuration error: {setting.name} ({setting.variable}) {problem}"
    if setting.expects:
        line += f": set it to {setting.expects}"
    if setting.example:
        line += f", e.g. {setting.example}" if setting.expects else f": e.g. {setting.example}"
    return line


def _validation_lines(exc: ValidationError, env: Mapping[str, str]) -> list[str]:
    lines: dict[str, str] = {}  # one line per setting: a union's members each add an error
    for error in exc.errors():
        location = [str(part) for part in error["loc"]]
        setting = _setting(location)
        if setting.variable in lines:
            continue
        # A union (eventListener): each member's complaint is about a listener the user did
        # not mean; the value as set says more.
        union = any(not _SNAKE.fullmatch(part) for part in location)
        value = env.get(setting.variable, error.get("input"))
        missing = error["type"] == "missing" or value in (None, "")
        line = None if setting.sensitive else _spec_line(setting, value)
        if line is None:
            why = "" if union else f" ({error['msg']})"
            if missing:
                problem = "is missing"
            elif setting.sensitive:
                problem = f"is not valid{why}"
            else:
                problem = f"is {_value(value)}, which is not valid{why}"
            line = setting_line(setting, problem)
        lines[setting.variable] = line
    return list(lines.values())


def _settings_source_lines(exc: SettingsError) -> list[str]:
    """pydantic-settings could not parse a variable (a JSON setting that is not JSON)."""
    found = re.search(r'field "([^"]+)"', str(exc))
    setting = _setting(found.group(1).split(".") if found else [])
    return [setting_line(setting, "is not valid JSON")]


def is_configuration_error(exc: BaseException) -> bool:
    if isinstance(exc, ValidationError):
        return exc.title in _SETTINGS_MODELS
    return isinstance(exc, (ConfigurationError, SettingsError))


def _variable_in(line: str) -> str | None:
    found = re.search(r"\((OCEAN__[A-Z0-9_]+)\)", line)
    return found.group(1) if found else None


def configuration_error_lines(
    exc: BaseException, env: Mapping[str, str] = os.environ, *, warn: bool = True
) -> list[str]:
    """What a configuration error prints: the misspelt variables' warnings (`warn`: unless
    warn_misspelt_settings logged them already), then one line per wrong setting (the last
    names the setting to fix). A misspelling of a setting that is missing or wrong is named on
    that setting's line."""
    if isinstance(exc, ValidationError):
        errors = _validation_lines(exc, env)
    elif isinstance(exc, SettingsError):
        errors = _settings_source_lines(exc)
    else:
        errors = [
            str(exc) if isinstance(exc, ConfigurationError) else f"Configuration error: {exc}"
        ]
    misspelt = misspelt_settings(env, spec_setting_names(), ocean_variables())
    warnings: list[str] = []
    for variable, hint in misspelt.items():
        for index, line in enumerate(errors):
            target = _variable_in(line)
            if target and target in hint:
                errors[index] = f"{line} ({variable} is set: a misspelling of {target}?)"
                break
        else:
            warnings.append(misspelt_warning(variable, hint))
    return warnings + errors if warn else errors


def warn_misspelt_settings(env: Mapping[str, str] = os.environ) -> None:
    """Logs the misspelt variables' warnings: called while Ocean loads the integration, before
    it validates its settings, so a hint is there even when validation then fails."""
    for warning in unknown_setting_warnings(env, spec_setting_names(), ocean_variables()):
        logger.warning(warning)
