from __future__ import annotations

import pytest

from jira.settings import ConfigurationError, JiraSettings

GOOD = {
    "jira_host": "https://example.atlassian.net/",
    "atlassian_user_email": "me@example.com",
    "atlassian_user_token": "tok-SECRET",
}


def test_site_host_uses_basic_auth_and_drops_trailing_slash() -> None:
    settings = JiraSettings.from_config(GOOD)
    assert settings.host == "https://example.atlassian.net"
    assert not settings.is_oauth
    assert "tok-SECRET" not in repr(settings)


def test_an_oauth_token_from_ocean_needs_no_email() -> None:
    settings = JiraSettings.from_config(
        {"jira_host": "https://api.atlassian.com/ex/jira/abc-123", "atlassian_user_token": "oauth"},
        oauth=True,
    )
    assert settings.is_oauth
    assert settings.cloud_id == "abc-123"


def test_the_gateway_host_alone_is_not_oauth_a_scoped_token_needs_its_email() -> None:
    gateway = {"jira_host": "https://api.atlassian.com/ex/jira/abc-123"}
    settings = JiraSettings.from_config({**GOOD, **gateway})
    assert not settings.is_oauth and settings.cloud_id == "abc-123"
    with pytest.raises(ConfigurationError, match=r"atlassianUserEmail .* is missing"):
        JiraSettings.from_config({**GOOD, **gateway, "atlassian_user_email": None})


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"jira_host": None}, "jiraHost (OCEAN__INTEGRATION__CONFIG__JIRA_HOST) is missing"),
        (
            {"jira_host": "example.atlassian.net"},
            "jiraHost (OCEAN__INTEGRATION__CONFIG__JIRA_HOST) must be a URL",
        ),
        ({"jira_host": "https://example.atlassian.net/jira/software"}, "must be the site root"),
        (
            {"atlassian_user_token": "  "},
            "atlassianUserToken (OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN) is missing",
        ),
        (
            {"atlassian_user_email": None},
            "atlassianUserEmail (OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL) is missing",
        ),
        (
            {"atlassian_user_email": "not-an-email"},
            "atlassianUserEmail (OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL) is not an email",
        ),
        (
            {"webhook_max_age_minutes": "1.5h"},
            "webhookMaxAgeMinutes (OCEAN__INTEGRATION__CONFIG__WEBHOOK_MAX_AGE_MINUTES) must be a "
            "whole number of minutes",
        ),
    ],
)
def test_bad_configuration_names_the_setting_in_one_line(
    change: dict[str, object], names: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        JiraSettings.from_config({**GOOD, **change})
    message = str(caught.value)
    assert names in message
    assert "\n" not in message
    assert "tok-SECRET" not in message


def test_a_host_without_a_scheme_says_what_to_write() -> None:
    with pytest.raises(ConfigurationError) as error:
        JiraSettings.from_config({**GOOD, "jira_host": "example.atlassian.net"})
    assert str(error.value).endswith(
        "must be a URL such as https://example.atlassian.net, got 'example.atlassian.net' "
        "(write https://example.atlassian.net)"
    )


@pytest.mark.parametrize(("value", "minutes"), [(None, 90), ("0", 0), (45, 45), (" 120 ", 120)])
def test_the_webhook_freshness_window_defaults_to_90_minutes(value: object, minutes: int) -> None:
    settings = JiraSettings.from_config({**GOOD, "webhook_max_age_minutes": value})
    assert settings.webhook_max_age_minutes == minutes
