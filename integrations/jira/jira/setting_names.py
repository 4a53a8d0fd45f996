"""Catches misspelt settings before anything validates them: an `OCEAN__INTEGRATION__CONFIG__*`
variable that names no setting of the spec, or an `OCEAN__*` variable close to one of Ocean's own
(`OCEAN__PORT__CLIENT_ID`, `OCEAN__EVENT_LISTENER`, …) without being one, is warned about with the
closest valid name (Ocean would silently ignore it)."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from jira.settings import env_name

PREFIX = "OCEAN__INTEGRATION__CONFIG__"
OCEAN_PREFIX = "OCEAN__"
SPEC = Path(__file__).resolve().parents[1] / ".port" / "spec.yaml"
# Ocean's own variables are many and open-ended (its models allow extra keys): one that is not
# this close to a known one is left alone rather than called a typo.
OCEAN_CUTOFF = 0.85


def spec_setting_names(spec: Path = SPEC) -> list[str]:
    """The configuration names the spec declares (jiraHost, atlassianUserEmail, …)."""
    raw = yaml.safe_load(spec.read_text(encoding="utf-8")) or {}
    return [str(item["name"]) for item in raw.get("configurations") or [] if "name" in item]


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, unions, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):
        for argument in typing.get_args(annotation):
            yield from _models(argument)


def _variables(model: type[BaseModel], prefix: str, depth: int) -> Iterator[str]:
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        variable = f"{prefix}{name.upper()}"
        yield variable
        if depth > 0:
            for nested in _models(field.annotation):
                yield from _variables(nested, f"{variable}__", depth - 1)


@cache
def ocean_variables() -> frozenset[str]:
    """Every environment variable Ocean's own settings read (OCEAN__PORT__CLIENT_ID, …)."""
    from port_ocean.config.settings import IntegrationConfiguration

    return frozenset(_variables(IntegrationConfiguration, OCEAN_PREFIX, depth=3))


def _spec_hint(variable: str, valid: Mapping[str, str]) -> str:
    # Compared without the shared prefix, which would make every name look close.
    suffixes = {v.removeprefix(PREFIX): v for v in valid}
    closest = difflib.get_close_matches(variable.removeprefix(PREFIX), list(suffixes), n=1)
    if closest:
        return f"did you mean {suffixes[closest[0]]} ({valid[suffixes[closest[0]]]})?"
    return f"valid ones are {', '.join(sorted(valid))}"


def misspelt_settings(
    env: Mapping[str, str], known: Iterable[str], ocean: Iterable[str] = ()
) -> dict[str, str]:
    """Each misspelt variable of `env` and the hint for it: any `OCEAN__INTEGRATION__CONFIG__*`
    that is not a setting of `known` (spec names), and any other `OCEAN__*` that is not one of
    `ocean`'s variables but close to one."""
    valid = {env_name(name): name for name in known}
    ocean_names = sorted(set(ocean))
    ocean_set = set(ocean_names)
    # Variables with no known keys inside (dicts, Any): any key under them is theirs.
    open_ended = tuple(
        f"{v}__" for v in ocean_set if not any(o.startswith(f"{v}__") for o in ocean_set)
    )
    found: dict[str, str] = {}
    for variable in sorted(v for v in env if v.startswith(OCEAN_PREFIX)):
        if variable.startswith(PREFIX):
            if variable not in valid:
                found[variable] = _spec_hint(variable, valid)
            continue
        if variable in ocean_set or variable.startswith(open_ended):
            continue
        closest = difflib.get_close_matches(variable, ocean_names, n=1, cutoff=OCEAN_CUTOFF)
        if closest:
            found[variable] = f"did you mean {closest[0]}?"
    return found


def unknown_setting_warnings(
    env: Mapping[str, str], known: Iterable[str], ocean: Iterable[str] = ()
) -> list[str]:
    """One warning per misspelt variable (misspelt_settings), naming the closest valid one."""
    return [misspelt_warning(v, hint) for v, hint in misspelt_settings(env, known, ocean).items()]


def misspelt_warning(variable: str, hint: str) -> str:
    return f"{variable} is not a setting of this integration and is ignored: {hint}"
