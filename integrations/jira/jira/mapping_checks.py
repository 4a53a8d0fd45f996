"""The mapping's own checks: every JQ expression compiles, and where its JQL is (Jira parses it:
`jira.checks`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import jq
from port_ocean.core.handlers.port_app_config.models import IngestSearchQuery, ResourceConfig

from jira.check import Check, Status


@dataclass(frozen=True)
class MappedJql:
    kind: str
    index: int
    field: str
    jql: str

    @property
    def where(self) -> str:
        return f"kind {self.kind} (resource {self.index + 1}) selector.{self.field}"


def mapped_jql(resources: Sequence[ResourceConfig]) -> list[MappedJql]:
    found: list[MappedJql] = []
    for index, resource in enumerate(resources):
        jql = getattr(resource.selector, "jql", None)
        if isinstance(jql, str) and jql.strip():
            found.append(MappedJql(resource.kind, index, "jql", jql))
    return found


def _search_query_expressions(path: str, query: IngestSearchQuery) -> Iterator[tuple[str, str]]:
    for number, rule in enumerate(query.rules):
        if isinstance(rule, IngestSearchQuery):
            yield from _search_query_expressions(f"{path}.rules[{number}]", rule)
        else:
            yield f"{path}.rules[{number}].value", rule.value


def jq_expressions(resource: ResourceConfig) -> Iterator[tuple[str, str]]:
    """(where in the mapping, JQ expression) for every expression of a resource."""
    yield "selector.query", resource.selector.query
    if resource.port.items_to_parse:
        yield "port.itemsToParse", resource.port.items_to_parse
    mappings = resource.port.entity.mappings
    base = "port.entity.mappings"
    singles: dict[str, str | IngestSearchQuery | None] = {
        "identifier": mappings.identifier,
        "title": mappings.title,
        "icon": mappings.icon,
        "blueprint": mappings.blueprint,
        "team": mappings.team,
    }
    named: Iterable[tuple[str, str | IngestSearchQuery | None]] = [
        *singles.items(),
        *((f"properties.{k}", v) for k, v in mappings.properties.items()),
        *((f"relations.{k}", v) for k, v in mappings.relations.items()),
    ]
    for where, value in named:
        if isinstance(value, IngestSearchQuery):
            yield from _search_query_expressions(f"{base}.{where}", value)
        elif isinstance(value, str):
            yield f"{base}.{where}", value


# Where an expression that does not compile leaves the resync no entity to make: the items
# cannot be selected or split, or no entity gets an identifier or a blueprint. Anywhere else
# (title, properties, relations…) Ocean maps it to null, logs the field as misconfigured and
# upserts the entities without it: the resync goes on, so the check warns.
ENTITY_PLACES = (
    "selector.query",
    "port.itemsToParse",
    "port.entity.mappings.identifier",
    "port.entity.mappings.blueprint",
)


def _fails_every_entity(where: str) -> bool:
    return any(where == place or where.startswith(f"{place}.") for place in ENTITY_PLACES)


def jq_checks(resources: Sequence[ResourceConfig]) -> list[Check]:
    checks: list[Check] = []
    for index, resource in enumerate(resources):
        bad: list[str] = []
        status = Status.WARN
        for where, expression in jq_expressions(resource):
            try:
                jq.compile(expression)
            except ValueError as exc:
                first = str(exc).splitlines()[0] if str(exc) else "invalid"
                bad.append(f"{where} = {expression!r} does not compile ({first})")
                if _fails_every_entity(where):
                    status = Status.FAIL
        name = f"JQ of kind {resource.kind} (resource {index + 1})"
        if bad:
            consequence = (
                "" if status is Status.FAIL else " (until then Port gets those fields empty)"
            )
            checks.append(
                Check(
                    name,
                    status,
                    "; ".join(bad) + f"; fix it in the mapping{consequence}",
                    kinds=(resource.kind,),
                )
            )
        else:
            checks.append(Check(name, Status.OK, "every expression compiles", (resource.kind,)))
    return checks
