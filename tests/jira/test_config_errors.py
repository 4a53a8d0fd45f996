"""Settings errors in one voice: Ocean's own settings and the spec's alike are one line each,
`Configuration error: <setting> (<VARIABLE>) <what is wrong>: <what to set>, e.g. <example>`,
never a secret; a misspelling of the setting is named on its line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from port_ocean.config.dynamic import default_config_factory
from port_ocean.config.settings import IntegrationConfiguration
from pydantic import ValidationError
from pydantic_settings import SettingsError

from jira.config_errors import OCEAN_SETTINGS, configuration_error_lines, is_configuration_error
from jira.setting_names import SPEC
from jira.settings import ConfigurationError

BASE = {
    "OCEAN__PORT__CLIENT_ID": "port-client",
    "OCEAN__PORT__CLIENT_SECRET": "port-SECRET",
    "OCEAN__INTEGRATION__IDENTIFIER": "my-jira",
    "OCEAN__INTEGRATION__TYPE": "jira",
}
HOST = "OCEAN__INTEGRATION__CONFIG__JIRA_HOST"


@pytest.fixture
def ocean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """An environment with Ocean's required settings and nothing else of Ocean's."""
    import os

    for name in list(os.environ):
        if name.startswith("OCEAN__"):
            monkeypatch.delenv(name)
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    yield monkeypatch


def validation_error(env: dict[str, str | None], monkeypatch: pytest.MonkeyPatch) -> Exception:
    """What Ocean raises when it builds its settings from this environment (spec included)."""
    import yaml

    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    with pytest.raises((ValidationError, SettingsError)) as caught:
        # pydantic-settings reads `port` from the environment: mypy sees a required argument
        IntegrationConfiguration(  # type: ignore[call-arg]
            integration_config_model=default_config_factory(spec["configurations"])
        )
    return caught.value


def lines_for(env: dict[str, str | None], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import os

    error = validation_error(env, monkeypatch)
    assert is_configuration_error(error)
    return configuration_error_lines(error, dict(os.environ))


def test_a_missing_port_client_id_names_the_variable(ocean_env: pytest.MonkeyPatch) -> None:
    assert lines_for({"OCEAN__PORT__CLIENT_ID": None}, ocean_env) == [
        "Configuration error: port.clientId (OCEAN__PORT__CLIENT_ID) is missing: set it to your "
        "Port credentials' client id (Port: … → Credentials)"
    ]


def test_a_port_url_without_its_scheme_gets_an_example(ocean_env: pytest.MonkeyPatch) -> None:
    [line] = lines_for({"OCEAN__PORT__BASE_URL": "api.getport.io"}, ocean_env)
    assert line.startswith(
        "Configuration error: port.baseUrl (OCEAN__PORT__BASE_URL) is 'api.getport.io', which "
        "is not valid"
    )
    assert line.endswith(
        "e.g. https://api.getport.io (https://api.us.getport.io in Port's US region)"
    )


@pytest.mark.parametrize("value", ["ONCE", '{"type":"ONC"}', "{bad"])
def test_an_event_listener_is_one_line_however_many_listeners_refused_it(
    ocean_env: pytest.MonkeyPatch, value: str
) -> None:
    [line] = lines_for({"OCEAN__EVENT_LISTENER": value}, ocean_env)
    assert line.startswith("Configuration error: eventListener (OCEAN__EVENT_LISTENER) is ")
    assert line.endswith('e.g. {"type":"ONCE"} (one sync) or {"type":"POLLING"} (keep running)')
    assert "HttpEventListenerSettings" not in line


def test_a_jira_host_without_its_scheme_gets_the_integrations_own_message(
    ocean_env: pytest.MonkeyPatch,
) -> None:
    assert lines_for({HOST: "example.atlassian.net"}, ocean_env) == [
        f"Configuration error: jiraHost ({HOST}) must be a URL such as "
        "https://example.atlassian.net, got 'example.atlassian.net' "
        "(write https://example.atlassian.net)"
    ]


def test_a_misspelling_of_the_missing_setting_is_named_on_its_line(
    ocean_env: pytest.MonkeyPatch,
) -> None:
    lines = lines_for({HOST: "", f"{HOST}T": "https://example.atlassian.net"}, ocean_env)
    assert lines == [
        f"Configuration error: jiraHost ({HOST}) is missing: set it to your site, e.g. "
        f"https://example.atlassian.net ({HOST}T is set: a misspelling of {HOST}?)"
    ]


def test_an_unrelated_misspelling_is_a_warning_before_the_error(
    ocean_env: pytest.MonkeyPatch,
) -> None:
    lines = lines_for(
        {"OCEAN__PORT__CLIENT_ID": None, "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRE": "s"},
        ocean_env,
    )
    assert len(lines) == 2
    assert lines[0].startswith("OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRE is not a setting")
    assert "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET (webhookSecret)" in lines[0]
    assert lines[-1].startswith("Configuration error: port.clientId (OCEAN__PORT__CLIENT_ID)")


def test_the_integrations_own_error_keeps_its_words() -> None:
    error = ConfigurationError("atlassianUserEmail", "is not an email address")
    assert configuration_error_lines(error, {}) == [
        "Configuration error: atlassianUserEmail "
        "(OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL) is not an email address"
    ]


def test_a_variable_that_is_not_json_names_it() -> None:
    error = SettingsError('error parsing value for field "event_listener" from source "Env"')
    [line] = configuration_error_lines(error, {})
    assert line.startswith(
        "Configuration error: eventListener (OCEAN__EVENT_LISTENER) is not valid JSON"
    )


def test_a_validation_error_of_something_else_is_no_configuration_error() -> None:
    error = ValidationError.from_exception_data(
        "Entity", [{"type": "missing", "loc": ("identifier",), "input": {}}]
    )
    assert not is_configuration_error(error)


def _error_at(location: tuple[str, ...], value: Any) -> ValidationError:
    return ValidationError.from_exception_data(
        "IntegrationConfiguration",
        [{"type": "string_type", "loc": location, "input": value}],
    )


@settings(deadline=None)  # a loaded machine must not fail it
@given(
    variable=st.sampled_from(sorted(OCEAN_SETTINGS)),
    value=st.text(min_size=1, max_size=80).filter(lambda t: t.strip() != ""),
)
def test_every_ocean_setting_is_named_with_its_variable_and_a_secret_never_shown(
    variable: str, value: str
) -> None:
    setting = OCEAN_SETTINGS[variable]
    location = tuple(variable.removeprefix("OCEAN__").lower().split("__"))
    secret = f"s3cr3t-{value}"
    [line] = configuration_error_lines(_error_at(location, secret), {})
    assert line.startswith(f"Configuration error: {setting.name} ({variable}) ")
    if setting.sensitive:
        assert "s3cr3t-" not in line
    assert "\n" not in line


@settings(deadline=None)  # a loaded machine must not fail it
@given(value=st.text(max_size=60))
def test_any_rejected_jira_host_is_one_line_naming_the_setting(value: str) -> None:
    [line] = configuration_error_lines(
        ValidationError.from_exception_data(
            "IntegrationConfiguration",
            [
                {
                    "type": "url_parsing",
                    "loc": ("jira_host",),
                    "input": value,
                    "ctx": {"error": "relative URL without a base"},
                }
            ],
        ),
        {},
    )
    assert line.startswith(f"Configuration error: jiraHost ({HOST}) ")
