"""Port's entity search queries, as far as Ocean sends them.

A query is ``{"combinator": "and"|"or", "rules": [...]}``; a rule is a nested query or
``{"property", "operator", "value"}`` over ``$identifier``, ``$blueprint`` or ``$datasource``
with the operators ``=``, ``in`` (an array value) and ``contains``. A query the simulator does
not understand is refused with a 422, never silently matched.
"""

from __future__ import annotations

from typing import Any

from sandbox.port_sim.model import EntityRecord, PortError

PROPERTIES = ("$identifier", "$blueprint", "$datasource")
OPERATORS = ("=", "in", "contains")


def validate(query: Any, path: str = "query") -> None:
    """Raise a 422 PortError when ``query`` is not one the simulator understands."""
    if not isinstance(query, dict) or query.get("combinator") not in ("and", "or"):
        raise _invalid(f"{path} must be an object with 'combinator' 'and' or 'or'")
    rules = query.get("rules")
    if not isinstance(rules, list):
        raise _invalid(f"{path}.rules must be an array")
    for index, rule in enumerate(rules):
        where = f"{path}.rules[{index}]"
        if isinstance(rule, dict) and "combinator" in rule:
            validate(rule, where)
        elif not isinstance(rule, dict) or rule.get("property") not in PROPERTIES:
            raise _invalid(f"{where} must be an object with a 'property' among {PROPERTIES}")
        elif rule.get("operator") not in OPERATORS:
            raise _invalid(f"{where}.operator {rule.get('operator')!r} is not supported")
        elif not _strings(rule.get("value") if rule["operator"] == "in" else [rule.get("value")]):
            raise _invalid(f"{where}.value: 'in' takes an array of strings, the others a string")


def _strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(value, str) for value in values)


def _invalid(message: str) -> PortError:
    return PortError(422, "invalid_search_query", message)


def matches(query: dict[str, Any], record: EntityRecord) -> bool:
    results = (
        matches(rule, record) if "combinator" in rule else _rule(rule, record)
        for rule in query["rules"]
    )
    return any(results) if query["combinator"] == "or" else all(results)


def _rule(rule: dict[str, Any], record: EntityRecord) -> bool:
    actual = {
        "$identifier": record.identifier,
        "$blueprint": record.blueprint,
        "$datasource": record.datasource,
    }[rule["property"]]
    if rule["operator"] == "contains":
        return bool(rule["value"] in actual)
    if rule["operator"] == "in":
        return actual in rule["value"]
    return bool(actual == rule["value"])


def identifiers(query: dict[str, Any]) -> set[str] | None:
    """The identifiers an ``and`` query pins with an ``$identifier`` rule (None: any): lets a
    search by identifier skip the rest of the catalog."""
    if query["combinator"] != "and":
        return None
    for rule in query["rules"]:
        if rule.get("property") == "$identifier" and rule["operator"] != "contains":
            return set(rule["value"]) if rule["operator"] == "in" else {rule["value"]}
    return None
