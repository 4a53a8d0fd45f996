"""Parses each resource of the mapping by its kind, so one bad resource never hides in another.

Ocean parses the mapping's resources as a union of the kinds' models; left alone, a resource
whose selector does not validate for its kind would fail the whole mapping (or, with a
catch-all model, run with no selector at all). Here each resource is parsed by its own kind's
model instead:
- a selector that does not validate gives one line naming the kind, the key and the reason
  (`sprint selector: sprintState: 'bogus' is not one of active, closed, future`); the resource
  keeps only its `query` and carries that line, and the kind's resync fails with it, so the
  other kinds still sync and nothing of this one is deleted;
- a selector key the kind does not read (one of Port's integration that this one cannot
  honour, or a typo) is accepted with one warning saying it is ignored;
- an unknown kind is left out of the resync with one warning naming the kinds there are.
Anything else wrong with a resource (its `port` mapping) is left to Ocean's own error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from loguru import logger
from port_ocean.core.handlers.port_app_config.models import Selector
from pydantic.v1 import ValidationError

if TYPE_CHECKING:
    from jira.selectors import JiraResourceConfig

_warned: set[str] = set()


class SelectorError(ValueError):
    """A resource's selector does not validate for its kind (the message is one line)."""


def warn_once(message: str) -> None:
    """The mapping is parsed again on every resync and live event: say each thing once."""
    if message not in _warned:
        _warned.add(message)
        logger.warning(message)


def _kind_of(model: type[JiraResourceConfig]) -> str:
    kind: str = model.__fields__["kind"].type_.__args__[0]
    return kind


def _value_at(selector: Mapping[str, Any], path: Sequence[str | int]) -> Any:
    value: Any = selector
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _reason(error: Mapping[str, Any], value: Any) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "value_error.const":
        allowed = ", ".join(str(v) for v in ctx.get("permitted", ()))
        return f"{ctx.get('given')!r} is not one of {allowed}"
    expected = {
        "type_error.list": "a list (e.g. [a, b])",
        "type_error.str": "a string",
        "type_error.bool": "true or false",
        "value_error.strictbool": "true or false",
        "type_error.integer": "an integer",
        "type_error.dict": "an object",
    }.get(kind)
    if expected:
        return f"must be {expected}, got {value!r}"
    return str(error.get("msg", "is not valid"))


def selector_error(kind: str, error: ValidationError, selector: Mapping[str, Any]) -> str | None:
    """One line for the selector's errors, or None when something besides it is wrong."""
    parts: list[str] = []
    for found in error.errors():
        loc = found["loc"]
        if not loc or loc[0] != "selector":
            return None
        path = list(loc[1:])
        where = ".".join(str(step) for step in path if not isinstance(step, int))
        line = f"{where}: {_reason(found, _value_at(selector, path))}" if where else "is invalid"
        if line not in parts:
            parts.append(line)
    return f"{kind} selector: " + "; ".join(parts)


def _warn_unknown_keys(kind: str, model: type[JiraResourceConfig], selector: Any) -> None:
    if not isinstance(selector, Mapping):
        return
    fields = model.__fields__["selector"].type_.__fields__.values()
    known = {field.alias for field in fields} | {field.name for field in fields}
    for key in selector:
        if key not in known:
            keys = ", ".join(sorted(f.alias for f in fields if f.name not in Selector.__fields__))
            warn_once(
                f"{kind} selector: key {key!r} is not one this integration reads; it is "
                f"ignored (the {kind} selector's keys: {keys or 'query only'})"
            )


def _parse(model: type[JiraResourceConfig], raw: Mapping[str, Any]) -> Any:
    kind = _kind_of(model)
    selector = raw.get("selector")
    _warn_unknown_keys(kind, model, selector)
    try:
        return model.parse_obj(raw)
    except ValidationError as error:
        message = selector_error(kind, error, selector if isinstance(selector, Mapping) else {})
        if message is None:
            return raw  # Ocean reports the rest of the mapping's errors itself
        query = selector.get("query") if isinstance(selector, Mapping) else None
        try:
            bare = model.parse_obj({**raw, "selector": {"query": query or "false"}})
        except ValidationError:
            return raw
        warn_once(f"Kind {kind} will not sync until its selector is fixed: {message}")
        return bare.failed_selector(message)


def by_kind(resources: object, models: Sequence[type[JiraResourceConfig]]) -> object:
    """The mapping's resources, each parsed by its kind's model (see the module's doc)."""
    if not isinstance(resources, list):
        return resources
    by_name = {_kind_of(model): model for model in models}
    parsed: list[Any] = []
    for raw in resources:
        if not isinstance(raw, Mapping):
            parsed.append(raw)
            continue
        model = by_name.get(str(raw.get("kind")))
        if model is None:
            warn_once(
                f"Mapping: kind {raw.get('kind')!r} is not one this integration has; that "
                f"resource is ignored (kinds: {', '.join(by_name)})"
            )
            continue
        parsed.append(_parse(model, raw))
    return parsed
