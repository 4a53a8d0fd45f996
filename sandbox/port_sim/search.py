"""Port's entity search queries, as far as Ocean sends them.

A query is ``{"combinator": "and"|"or", "rules": [...]}``; a rule is a nested query or
``{"property", "operator", "value"}`` over ``$identifier``, ``$blueprint`` or ``$datasource``
with the operators ``=``, ``in`` (an array value) and ``contains``. A query the simulator does
not understand is refused with a 422, never silently matched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.port_sim.model import EntityRecord, PortError

Matcher = Callable[[EntityRecord], bool]
FIELDS: dict[str, Callable[[EntityRecord], str]] = {
    "$identifier": lambda record: record.identifier,
    "$blueprint": lambda record: record.blueprint,
    "$datasource": lambda record: record.datasource,
}
OPERATORS: dict[str, Callable[[str, Any], bool]] = {
    "=": lambda actual, value: bool(actual == value),
    "in": lambda actual, value: actual in value,
    "contains": lambda actual, value: value in actual,
}


def matcher(query: Any, path: str = "query") -> Matcher:
    """Whether an entity matches ``query``; a 422 PortError when ``query`` is not one the
    simulator understands."""
    if not isinstance(query, dict) or query.get("combinator") not in ("and", "or"):
        raise _invalid(f"{path} must be an object with 'combinator' 'and' or 'or'")
    if not isinstance(query.get("rules"), list):
        raise _invalid(f"{path}.rules must be an array")
    tests = [_rule(rule, f"{path}.rules[{index}]") for index, rule in enumerate(query["rules"])]
    combine = any if query["combinator"] == "or" else all
    return lambda record: combine(test(record) for test in tests)


def _rule(rule: Any, where: str) -> Matcher:
    if isinstance(rule, dict) and "combinator" in rule:
        return matcher(rule, where)
    if not isinstance(rule, dict) or rule.get("property") not in FIELDS:
        raise _invalid(f"{where} must be an object with a 'property' among {tuple(FIELDS)}")
    if rule.get("operator") not in OPERATORS:
        raise _invalid(f"{where}.operator {rule.get('operator')!r} is not supported")
    value = rule.get("value")
    if not _strings(value if rule["operator"] == "in" else [value]):
        raise _invalid(f"{where}.value: 'in' takes an array of strings, the others a string")
    field, operator = FIELDS[rule["property"]], OPERATORS[rule["operator"]]
    return lambda record: operator(field(record), value)


def _strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(value, str) for value in values)


def _invalid(message: str) -> PortError:
    return PortError(422, "invalid_search_query", message)


def identifiers(query: dict[str, Any]) -> set[str] | None:
    """The identifiers an ``and`` query pins with an ``$identifier`` rule (None: any): lets a
    search by identifier skip the rest of the catalog."""
    if query["combinator"] != "and":
        return None
    for rule in query["rules"]:
        if rule.get("property") == "$identifier" and rule["operator"] != "contains":
            return set(rule["value"]) if rule["operator"] == "in" else {rule["value"]}
    return None
