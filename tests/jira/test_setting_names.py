"""A misspelt OCEAN__INTEGRATION__CONFIG__* variable, or one close to Ocean's own, is named with
the closest valid one."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jira.setting_names import (
    misspelt_settings,
    ocean_variables,
    spec_setting_names,
    unknown_setting_warnings,
)
from jira.settings import env_name


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


# Ocean's own variables, and the hints before anything validates them.

OCEAN = ocean_variables()
SPEC_VARIABLES = sorted(env_name(name) for name in spec_setting_names())


def test_oceans_own_misspellings_get_the_variable_they_misspell() -> None:
    env = {
        "OCEAN__PORT__CLIENTID": "x",
        "OCEAN__EVENT_LISTNER": '{"type":"ONCE"}',
        "OCEAN__PORT__CLIENT_SECRET": "s",  # valid
        "OCEAN__EVENT_LISTENER__TYPE": "ONCE",  # a key inside a valid one
        "OCEAN__SOMETHING_ELSE_ENTIRELY": "1",  # not close to anything: not ours to judge
    }
    assert misspelt_settings(env, spec_setting_names(), OCEAN) == {
        "OCEAN__EVENT_LISTNER": "did you mean OCEAN__EVENT_LISTENER?",
        "OCEAN__PORT__CLIENTID": "did you mean OCEAN__PORT__CLIENT_ID?",
    }


@settings(deadline=None)  # a loaded machine must not fail it
@given(st.sets(st.sampled_from(sorted(OCEAN) + SPEC_VARIABLES)))
def test_valid_variables_are_never_called_misspelt(variables: set[str]) -> None:
    assert misspelt_settings(dict.fromkeys(variables, "x"), spec_setting_names(), OCEAN) == {}


def _one_typo(draw: st.DrawFn, valid: list[str], prefix: str) -> str:
    """A valid variable with one character of its own part dropped, doubled or replaced."""
    variable = draw(st.sampled_from(valid))
    name = variable.removeprefix(prefix)
    at = draw(st.integers(0, len(name) - 1))
    letter = draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ_"))
    typo = draw(
        st.sampled_from(
            [
                name[:at] + name[at + 1 :],
                name[:at] + name[at] + name[at:],
                name[:at] + letter + name[at + 1 :],
            ]
        )
    )
    return prefix + typo


@st.composite
def spec_typos(draw: st.DrawFn) -> str:
    return _one_typo(draw, SPEC_VARIABLES, "OCEAN__INTEGRATION__CONFIG__")


@st.composite
def ocean_typos(draw: st.DrawFn) -> str:
    top_level = sorted(v for v in OCEAN if v.count("__") == 1 and len(v) > 16)
    return _one_typo(draw, top_level, "OCEAN__")


@settings(deadline=None)  # a loaded machine must not fail it
@given(spec_typos())
def test_any_typo_of_a_spec_setting_is_hinted_with_a_valid_one(variable: str) -> None:
    assume(variable not in SPEC_VARIABLES)
    hints = misspelt_settings({variable: "x"}, spec_setting_names(), OCEAN)
    assert set(hints) == {variable}
    assert any(valid in hints[variable] for valid in SPEC_VARIABLES)


@settings(deadline=None)  # a loaded machine must not fail it
@given(ocean_typos())
def test_any_typo_of_an_ocean_setting_is_hinted_with_a_valid_one(variable: str) -> None:
    assume(variable not in OCEAN and not any(variable.startswith(f"{v}__") for v in OCEAN))
    hints = misspelt_settings({variable: "x"}, spec_setting_names(), OCEAN)
    assert set(hints) == {variable}
    assert hints[variable].removeprefix("did you mean ").removesuffix("?") in OCEAN
