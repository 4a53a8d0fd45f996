"""Port's entity search queries, as far as Ocean sends them.

A query is ``{"combinator": "and"|"or", "rules": [...]}``; a rule is a nested query or
``{"property", "operator", "value"}`` with the operators ``=``, ``!=``, ``in`` and ``contains``
over ``$identifier``, ``$title``, ``$blueprint``, ``$datasource``, a property or a relation.
A query the simulator does not understand is refused with a 422, never silently matched.
"""

from __future__ import annotations

from typing import Any

from sandbox.port_sim.errors import PortError
from sandbox.port_sim.model import EntityRecord

OPERATORS = ("=", "!=", "in", "contains")


def invalid_query(message: str) -> PortError:
    return PortError(422, "invalid_search_query", message)


def validate(query: Any, path: str = "query") -> None:
    """Raise a 422 PortError when ``query`` is not one the simulator understands."""
    if not isinstance(query, dict) or query.get("combinator") not in ("and", "or"):
        raise invalid_query(f"{path} must be an object with 'combinator' 'and' or 'or'")
    rules = query.get("rules")
    if not isinstance(rules, list):
        raise invalid_query(f"{path}.rules must be an array")
    for index, rule in enumerate(rules):
        where = f"{path}.rules[{index}]"
        if isinstance(rule, dict) and "combinator" in rule:
            validate(rule, where)
        elif not isinstance(rule, dict) or not isinstance(rule.get("property"), str):
            raise invalid_query(f"{where} must be an object with a 'property'")
        elif rule.get("operator") not in OPERATORS:
            raise invalid_query(f"{where}.operator {rule.get('operator')!r} is not supported")
        elif rule["operator"] == "in" and not isinstance(rule.get("value"), list):
            raise invalid_query(f"{where}: operator 'in' needs an array value")


def value_of(record: EntityRecord, prop: str) -> Any:
    meta = {
        "$identifier": record.identifier,
        "$title": record.title,
        "$blueprint": record.blueprint,
        "$datasource": record.datasource,
    }
    if prop in meta:
        return meta[prop]
    return record.properties.get(prop, record.relations.get(prop))


def matches(query: dict[str, Any], record: EntityRecord) -> bool:
    results = (
        matches(rule, record) if "combinator" in rule else _rule(rule, record)
        for rule in query["rules"]
    )
    return any(results) if query["combinator"] == "or" else all(results)


def _rule(rule: dict[str, Any], record: EntityRecord) -> bool:
    actual: Any = value_of(record, rule["property"])
    expected: Any = rule.get("value")
    operator = rule["operator"]
    if operator == "contains":
        return isinstance(actual, str | list) and bool(expected in actual)
    if operator == "in":
        return bool(actual in expected)
    return (actual == expected) is (operator == "=")


def identifiers(query: dict[str, Any]) -> set[str] | None:
    """The identifiers a query can only match (None: any): lets a search by identifier skip
    the rest of the catalog."""
    rule_sets = [identifiers(r) if "combinator" in r else _pinned(r) for r in query["rules"]]
    pinned = [found for found in rule_sets if found is not None]
    if query["combinator"] == "or":
        return set().union(*pinned) if pinned and len(pinned) == len(rule_sets) else None
    return pinned[0] if pinned else None


def _pinned(rule: dict[str, Any]) -> set[str] | None:
    if rule["property"] != "$identifier":
        return None
    if rule["operator"] == "=":
        return {rule["value"]}
    return set(rule["value"]) if rule["operator"] == "in" else None
