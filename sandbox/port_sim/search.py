"""Evaluator for Port's search queries (``{"combinator": "and"|"or", "rules": [...]}``).

Supported rule properties: ``$identifier``, ``$title``, ``$blueprint``, ``$team``, ``$icon``,
``$datasource``, ``$createdAt``, ``$updatedAt``, ``$createdBy``, ``$updatedBy``, any blueprint
property (including calculation/mirror properties) and any relation identifier.

Supported operators: ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``in``, ``notIn``,
``contains``, ``doesNotContains``, ``containsAny``, ``beginsWith``, ``doesNotBeginsWith``,
``endsWith``, ``doesNotEndsWith``, ``isEmpty``, ``isNotEmpty``, ``between``, ``notBetween``
and ``relatedTo`` (one hop, ``direction`` ``upstream``/``downstream``, both when omitted).
A query the simulator does not understand is refused with a 422, never silently matched.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeGuard

from sandbox.port_sim.errors import PortError
from sandbox.port_sim.model import EntityRecord, parse_time

META_PROPERTIES = {
    "$identifier",
    "$title",
    "$blueprint",
    "$team",
    "$icon",
    "$datasource",
    "$createdAt",
    "$updatedAt",
    "$createdBy",
    "$updatedBy",
}

VALUELESS_OPERATORS = {"isEmpty", "isNotEmpty"}
OPERATORS = {
    "=",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "in",
    "notIn",
    "contains",
    "doesNotContains",
    "containsAny",
    "beginsWith",
    "doesNotBeginsWith",
    "endsWith",
    "doesNotEndsWith",
    "between",
    "notBetween",
    "relatedTo",
    *VALUELESS_OPERATORS,
}


class SearchContext(Protocol):
    """What the evaluator needs from the catalog."""

    def value_of(self, record: EntityRecord, prop: str) -> Any: ...

    def related_to(
        self,
        record: EntityRecord,
        blueprint: str,
        identifiers: set[str],
        direction: str | None,
    ) -> bool: ...


def invalid_query(message: str) -> PortError:
    return PortError(422, "invalid_search_query", message)


def validate_query(query: Any, path: str = "query") -> None:
    """Raise a 422 PortError when ``query`` is not a search query the simulator understands."""
    if not isinstance(query, dict):
        raise invalid_query(f"{path} must be an object with 'combinator' and 'rules'")
    combinator = query.get("combinator")
    if combinator not in ("and", "or"):
        raise invalid_query(f"{path}.combinator must be 'and' or 'or', got {combinator!r}")
    rules = query.get("rules")
    if not isinstance(rules, list):
        raise invalid_query(f"{path}.rules must be an array")
    for index, rule in enumerate(rules):
        rule_path = f"{path}.rules[{index}]"
        if isinstance(rule, dict) and "combinator" in rule:
            validate_query(rule, rule_path)
        else:
            validate_rule(rule, rule_path)


def validate_rule(rule: Any, path: str) -> None:
    if not isinstance(rule, dict):
        raise invalid_query(f"{path} must be an object")
    operator = rule.get("operator")
    if operator not in OPERATORS:
        raise invalid_query(f"{path}.operator {operator!r} is not a supported operator")
    if operator == "relatedTo":
        if not isinstance(rule.get("blueprint"), str):
            raise invalid_query(f"{path}: relatedTo needs a 'blueprint'")
        value = rule.get("value")
        if not (isinstance(value, str) or _is_str_list(value)):
            raise invalid_query(f"{path}: relatedTo needs a 'value' (identifier or list)")
        direction = rule.get("direction")
        if direction not in (None, "upstream", "downstream"):
            raise invalid_query(f"{path}.direction must be 'upstream' or 'downstream'")
        return
    prop = rule.get("property")
    if not isinstance(prop, str) or not prop:
        raise invalid_query(
            f"{path}.property must be a string (the simulator does not support path properties)"
        )
    if prop.startswith("$") and prop not in META_PROPERTIES:
        raise invalid_query(f"{path}.property {prop!r} is not a known meta property")
    if operator in VALUELESS_OPERATORS:
        return
    if "value" not in rule:
        raise invalid_query(f"{path}: operator {operator!r} needs a 'value'")
    value = rule["value"]
    if operator in ("in", "notIn", "containsAny") and not isinstance(value, list):
        raise invalid_query(f"{path}: operator {operator!r} needs an array value")
    if operator in ("between", "notBetween") and _date_range(value) is None:
        raise invalid_query(f"{path}: operator {operator!r} needs {{from, to}} or a preset")


def matches(query: dict[str, Any], record: EntityRecord, ctx: SearchContext) -> bool:
    rules: list[Any] = query.get("rules") or []
    results = (
        matches(rule, record, ctx) if "combinator" in rule else _rule(rule, record, ctx)
        for rule in rules
    )
    if query.get("combinator") == "or":
        return any(results)
    return all(results)


def narrow(query: dict[str, Any]) -> tuple[set[str] | None, set[str] | None]:
    """Over-approximate the blueprints and identifiers a query can match (None: any)."""
    rules: list[Any] = query.get("rules") or []
    parts: list[tuple[set[str] | None, set[str] | None]] = []
    for rule in rules:
        if "combinator" in rule:
            parts.append(narrow(rule))
        else:
            parts.append(_narrow_rule(rule))
    if query.get("combinator") == "or":
        if not parts:
            return set(), set()
        blueprints: set[str] | None = set()
        identifiers: set[str] | None = set()
        for part_bps, part_ids in parts:
            blueprints = None if blueprints is None or part_bps is None else blueprints | part_bps
            identifiers = (
                None if identifiers is None or part_ids is None else identifiers | part_ids
            )
        return blueprints, identifiers
    blueprints_and: set[str] | None = None
    identifiers_and: set[str] | None = None
    for part_bps, part_ids in parts:
        if part_bps is not None:
            blueprints_and = part_bps if blueprints_and is None else blueprints_and & part_bps
        if part_ids is not None:
            identifiers_and = part_ids if identifiers_and is None else identifiers_and & part_ids
    return blueprints_and, identifiers_and


def _narrow_rule(rule: dict[str, Any]) -> tuple[set[str] | None, set[str] | None]:
    prop, operator, value = rule.get("property"), rule.get("operator"), rule.get("value")
    values: set[str] | None = None
    if operator == "=" and isinstance(value, str):
        values = {value}
    elif operator == "in" and _is_str_list(value):
        values = set(value)
    if prop == "$blueprint":
        return values, None
    if prop == "$identifier":
        return None, values
    return None, None


def _is_str_list(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _rule(rule: dict[str, Any], record: EntityRecord, ctx: SearchContext) -> bool:
    operator = rule["operator"]
    if operator == "relatedTo":
        value: Any = rule["value"]
        identifiers = {value} if isinstance(value, str) else set(value)
        return ctx.related_to(record, rule["blueprint"], identifiers, rule.get("direction"))
    actual = ctx.value_of(record, rule["property"])
    expected: Any = rule.get("value")
    match operator:
        case "=":
            return _equal(actual, expected)
        case "!=":
            return not _equal(actual, expected)
        case ">" | ">=" | "<" | "<=":
            return _compare(actual, expected, operator)
        case "in":
            return _in(actual, expected)
        case "notIn":
            return not _in(actual, expected)
        case "contains":
            return _contains(actual, expected)
        case "doesNotContains":
            return not _contains(actual, expected)
        case "containsAny":
            return any(_contains(actual, item) for item in expected)
        case "beginsWith":
            return isinstance(actual, str) and actual.startswith(str(expected))
        case "doesNotBeginsWith":
            return not (isinstance(actual, str) and actual.startswith(str(expected)))
        case "endsWith":
            return isinstance(actual, str) and actual.endswith(str(expected))
        case "doesNotEndsWith":
            return not (isinstance(actual, str) and actual.endswith(str(expected)))
        case "isEmpty":
            return actual is None or actual == "" or actual == [] or actual == {}
        case "isNotEmpty":
            return not (actual is None or actual == "" or actual == [] or actual == {})
        case "between":
            return _between(actual, expected)
        case "notBetween":
            return not _between(actual, expected)
    raise invalid_query(f"operator {operator!r} is not supported")  # pragma: no cover


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list) and not isinstance(expected, list):
        return expected in actual
    if actual == expected:
        return True
    left, right = parse_time(actual), parse_time(expected)
    return left is not None and right is not None and left == right


def _in(actual: Any, expected: list[Any]) -> bool:
    if isinstance(actual, list):
        return any(item in expected for item in actual)
    return actual in expected


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str):
        return isinstance(expected, str) and expected in actual
    if isinstance(actual, list):
        return expected in actual
    return False


def _compare(actual: Any, expected: Any, operator: str) -> bool:
    left: Any
    right: Any
    if _is_number(actual) and _is_number(expected):
        left, right = actual, expected
    else:
        left, right = parse_time(actual), parse_time(expected)
        if left is None or right is None:
            if isinstance(actual, str) and isinstance(expected, str):
                left, right = actual, expected
            else:
                return False
    match operator:
        case ">":
            return bool(left > right)
        case ">=":
            return bool(left >= right)
        case "<":
            return bool(left < right)
        case _:
            return bool(left <= right)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _between(actual: Any, expected: Any) -> bool:
    bounds = _date_range(expected)
    moment = parse_time(actual)
    if bounds is None or moment is None:
        return False
    start, end = bounds
    return start <= moment <= end


def _date_range(value: Any) -> tuple[datetime, datetime] | None:
    if not isinstance(value, dict):
        return None
    if "preset" in value:
        now = datetime.now(UTC)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        presets = {
            "today": (today, today + timedelta(days=1)),
            "tomorrow": (today + timedelta(days=1), today + timedelta(days=2)),
            "yesterday": (today - timedelta(days=1), today),
            "lastWeek": (now - timedelta(weeks=1), now),
            "last2Weeks": (now - timedelta(weeks=2), now),
            "lastMonth": (now - timedelta(days=30), now),
            "last3Months": (now - timedelta(days=90), now),
            "last6Months": (now - timedelta(days=180), now),
            "last12Months": (now - timedelta(days=365), now),
        }
        return presets.get(str(value["preset"]))
    start, end = parse_time(value.get("from")), parse_time(value.get("to"))
    if start is None or end is None:
        return None
    return start, end
