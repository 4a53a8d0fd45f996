"""A misspelt OCEAN__INTEGRATION__CONFIG__* variable is named, with the closest valid one."""

from __future__ import annotations

from jira.setting_names import spec_setting_names, unknown_setting_warnings


def test_the_spec_names_every_setting_the_integration_reads() -> None:
    assert {"jiraHost", "atlassianUserEmail", "atlassianUserToken"} <= set(spec_setting_names())


def test_a_typo_gets_the_closest_valid_variable() -> None:
    env = {
        "OCEAN__INTEGRATION__CONFIG__JIRA_HOST": "https://example.atlassian.net",
        "OCEAN__INTEGRATION__CONFIG__ATLASIAN_USER_TOKEN": "x",
        "OCEAN__PORT__CLIENT_ID": "not ours",
    }
    assert unknown_setting_warnings(env, spec_setting_names()) == [
        "OCEAN__INTEGRATION__CONFIG__ATLASIAN_USER_TOKEN is not a setting of this integration "
        "and is ignored: did you mean OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN "
        "(atlassianUserToken)?"
    ]


def test_something_unrelated_lists_the_valid_names() -> None:
    [warning] = unknown_setting_warnings(
        {"OCEAN__INTEGRATION__CONFIG__ZZZ": "1"}, ["jiraHost", "webhookSecret"]
    )
    assert warning.endswith(
        "valid ones are OCEAN__INTEGRATION__CONFIG__JIRA_HOST, "
        "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET"
    )
