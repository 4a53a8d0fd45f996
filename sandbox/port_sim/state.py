"""In-memory model of one Port organization: blueprints, entities, integrations.

Everything that changes the catalog goes through ``SimState`` methods, which validate like Port
does and raise :class:`PortError` (with Port's status/error/message) when Port would refuse.
The HTTP layer (``app.py``) only translates requests and responses. Entities are written the
way Ocean always asks: upserted, merged into what is there, and related entities that do not
exist yet are created (``upsert``, ``merge`` and ``create_missing_related_entities`` true).
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sandbox.port_sim import search
from sandbox.port_sim.model import (
    IDENTIFIER_RE,
    EntityRecord,
    PortError,
    invalid,
    iso,
    not_found,
    parse_time,
)

HISTORY_SIZE = 200_000
MAX_SHIPPED_LOGS = 10_000
PROPERTY_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}


def _is_a(kind: str, value: Any) -> bool:
    """Whether ``value`` fits a property of type ``kind`` (null fits every type)."""
    if kind == "number":
        return value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    return value is None or isinstance(value, PROPERTY_TYPES[kind])


def _identifier(body: Any, key: str, what: str) -> str:
    identifier = body.get(key) if isinstance(body, dict) else None
    if not isinstance(identifier, str) or not IDENTIFIER_RE.match(identifier):
        raise invalid(f"{what} identifier {identifier!r} is missing or invalid")
    return identifier


def _existing(table: dict[str, dict[str, Any]], identifier: str, what: str) -> dict[str, Any]:
    if identifier not in table:
        raise not_found(f'{what} with identifier "{identifier}" was not found')
    return table[identifier]


class SimState:
    """The whole simulated organization. Not thread-safe; the server runs on one event loop."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.blueprints: dict[str, dict[str, Any]] = {}
        self.entities: dict[str, dict[str, EntityRecord]] = {}
        self.integrations: dict[str, dict[str, Any]] = {}
        # Incremental sync cursors, per integration: "kind|index" -> {"primary": ISO time}.
        self.cursors: dict[str, dict[str, dict[str, Any]]] = {}
        self.writes = 0
        self.deletes = 0
        # Each entity's titles in the order they were written, None for a delete (the newest
        # HISTORY_SIZE): what tests read to check that an object's states never went back.
        self.history: deque[tuple[str, str, str | None]] = deque(maxlen=HISTORY_SIZE)
        # The log lines integrations shipped to the log ingest URL, the newest MAX_SHIPPED_LOGS.
        self.shipped_logs: deque[dict[str, Any]] = deque(maxlen=MAX_SHIPPED_LOGS)

    # -------------------------------------------------------------- blueprints

    def get_blueprint(self, identifier: str) -> dict[str, Any]:
        return _existing(self.blueprints, identifier, "Blueprint")

    def create_blueprint(self, body: dict[str, Any]) -> dict[str, Any]:
        blueprint = self._validated_blueprint(body)
        self.blueprints[blueprint["identifier"]] = blueprint
        self.entities.setdefault(blueprint["identifier"], {})
        return blueprint

    def patch_blueprint(self, identifier: str, body: dict[str, Any]) -> dict[str, Any]:
        existing = self.get_blueprint(identifier)
        blueprint = self._validated_blueprint({**existing, **body, "identifier": identifier})
        self.blueprints[identifier] = blueprint
        return blueprint

    def _validated_blueprint(self, body: dict[str, Any]) -> dict[str, Any]:
        blueprint = copy.deepcopy(body)
        identifier = _identifier(blueprint, "identifier", "Blueprint")
        schema = blueprint.setdefault("schema", {})
        schema.setdefault("required", [])
        for name, spec in schema.setdefault("properties", {}).items():
            if not isinstance(spec, dict) or spec.get("type") not in PROPERTY_TYPES:
                raise invalid(
                    f'Blueprint "{identifier}": property "{name}" must have a "type" among '
                    f"{', '.join(PROPERTY_TYPES)}"
                )
        blueprint["relations"] = blueprint.get("relations") or {}
        for name, relation in blueprint["relations"].items():
            target = relation.get("target")
            if target != identifier and target not in self.blueprints:
                raise invalid(
                    f'Blueprint "{identifier}": relation "{name}" targets blueprint "{target}", '
                    "which does not exist"
                )
            relation.setdefault("required", False)
            relation.setdefault("many", False)
        return blueprint

    # ---------------------------------------------------------------- entities

    def upsert_entity(
        self, blueprint_id: str, body: Any, datasource: str
    ) -> tuple[EntityRecord, bool]:
        """Create one entity or merge into it; returns the entity and whether it was created."""
        blueprint = self.get_blueprint(blueprint_id)
        identifier = _identifier(body, "identifier", "Entity")
        existing = self.entities[blueprint_id].get(identifier)
        properties = self._properties(blueprint, body)
        relations, missing = self._relations(blueprint, body)
        stamp = self.clock()
        for target, target_id in missing:
            self.entities[target][target_id] = EntityRecord(target_id, target, stamp, datasource)
            self.writes += 1
        candidate = EntityRecord(
            identifier,
            blueprint_id,
            stamp,
            datasource,
            title=body.get("title", existing.title if existing else None),
            properties={**(existing.properties if existing else {}), **properties},
            relations={**(existing.relations if existing else {}), **relations},
        )
        if existing is not None and existing.content() == candidate.content():
            return existing, False
        self.entities[blueprint_id][identifier] = candidate
        self.writes += 1
        if existing is None or existing.title != candidate.title:
            self.history.append((blueprint_id, identifier, candidate.title))
        return candidate, existing is None

    def _properties(self, blueprint: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        incoming: dict[str, Any] = body.get("properties") or {}
        schema: dict[str, Any] = blueprint["schema"]["properties"]
        for name, value in incoming.items():
            where = f'Property "{name}" of blueprint "{blueprint["identifier"]}"'
            if name not in schema:
                raise invalid(f"{where} does not exist")
            if not _is_a(schema[name]["type"], value):
                raise invalid(f"{where} must be of type {schema[name]['type']}, got {value!r}")
        return dict(incoming)

    def _relations(
        self, blueprint: dict[str, Any], body: dict[str, Any]
    ) -> tuple[dict[str, Any], set[tuple[str, str]]]:
        """The relations of ``body`` and the related entities to create."""
        incoming: dict[str, Any] = body.get("relations") or {}
        missing: set[tuple[str, str]] = set()
        for name, value in incoming.items():
            definition = blueprint["relations"].get(name)
            if definition is None:
                where = f'blueprint "{blueprint["identifier"]}"'
                raise invalid(f'Relation "{name}" does not exist in {where}')
            many = definition["many"]
            if not (value is None or (isinstance(value, list) if many else isinstance(value, str))):
                shape = "an array of identifiers" if many else "one identifier (string)"
                raise invalid(f'Relation "{name}" takes {shape}')
            target = definition["target"]
            for target_id in value if isinstance(value, list) else [value]:
                if target_id is not None and target_id not in self.entities[target]:
                    missing.add((target, target_id))
        return dict(incoming), missing

    def bulk_upsert(
        self, blueprint_id: str, bodies: list[Any], datasource: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Per-entity results and errors of ``POST /v1/blueprints/{bp}/entities/bulk``."""
        self.get_blueprint(blueprint_id)
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for index, body in enumerate(bodies):
            try:
                record, created = self.upsert_entity(blueprint_id, body, datasource)
            except PortError as error:
                identifier = body.get("identifier") if isinstance(body, dict) else None
                errors.append(
                    {
                        "index": index,
                        "identifier": identifier if isinstance(identifier, str) else "unknown",
                        "statusCode": error.status,
                        "error": error.error,
                        "message": error.message,
                    }
                )
                continue
            results.append({"index": index, "identifier": record.identifier, "created": created})
        return results, errors

    def delete_entities(self, blueprint_id: str, identifiers: Iterable[str]) -> list[str]:
        """Delete entities of one blueprint (those there are); returns the identifiers deleted.
        Relations that pointed at them stay as they were: nothing reads them after a delete."""
        self.get_blueprint(blueprint_id)
        by_id = self.entities[blueprint_id]
        deleted = [identifier for identifier in identifiers if by_id.pop(identifier, None)]
        self.deletes += len(deleted)
        self.history.extend((blueprint_id, identifier, None) for identifier in deleted)
        return deleted

    def search(self, query: Any) -> list[EntityRecord]:
        """Entities matching ``query`` (validated first)."""
        matches = search.matcher(query)
        pinned = search.identifiers(query)
        found: list[EntityRecord] = []
        for by_id in self.entities.values():
            candidates = (
                by_id.values()
                if pinned is None
                else (by_id[i] for i in sorted(pinned) if i in by_id)
            )
            found.extend(r for r in candidates if matches(r))
        return found

    def datasource_entities(self, body: dict[str, Any]) -> tuple[list[dict[str, str]], str | None]:
        """``POST /v1/blueprints/entities/datasource-entities``: what a datasource owns (its
        ``datasource_prefix`` and ``datasource_suffix``), written ``before`` a time, by pages
        of ``limit`` from the cursor ``from``."""
        limit, before = body["limit"], body.get("before")  # as Ocean sends them
        before_moment = parse_time(before) if before is not None else None
        after = tuple(json.loads(body["from"])) if body.get("from") else None
        selected = sorted(
            (record.blueprint, record.identifier)
            for by_id in self.entities.values()
            for record in by_id.values()
            if record.datasource.startswith(body.get("datasource_prefix") or "")
            and record.datasource.endswith(body.get("datasource_suffix") or "")
            and (before_moment is None or record.updated_at < before_moment)
            and (after is None or (record.blueprint, record.identifier) > after)
        )
        page = selected[:limit]
        next_cursor = json.dumps(page[-1]) if len(selected) > limit else None
        return [{"identifier": i, "blueprint": b} for b, i in page], next_cursor

    # -------------------------------------------------------------- integrations

    def get_integration(self, identifier: str) -> dict[str, Any]:
        return _existing(self.integrations, identifier, "Integration")

    def create_integration(self, body: dict[str, Any]) -> dict[str, Any]:
        identifier = _identifier(body, "installationId", "Integration")
        self.integrations[identifier] = {"config": {}, "resyncState": None}
        return self.patch_integration(identifier, body)

    def patch_integration(self, identifier: str, body: dict[str, Any]) -> dict[str, Any]:
        integration = self.get_integration(identifier)
        integration.update(copy.deepcopy(body), identifier=identifier)
        return integration

    def patch_resync_state(self, identifier: str, body: dict[str, Any]) -> dict[str, Any]:
        integration = self.get_integration(identifier)
        state = integration["resyncState"] or {}
        integration["resyncState"] = {**state, **body, "updatedAt": iso(self.clock())}
        return integration

    def titles(self, blueprint_id: str) -> dict[str, list[str | None]]:
        """``GET /_sim/history?blueprint=``: each entity's titles in write order (None: deleted)."""
        found: dict[str, list[str | None]] = {}
        for blueprint, identifier, title in self.history:
            if blueprint == blueprint_id:
                found.setdefault(identifier, []).append(title)
        return found

    def ship_logs(self, body: dict[str, Any]) -> None:
        """Ocean's log shipping: ``{"logs": [{"message", "level", "timestamp", "extra"}, ...]}``."""
        logs = body.get("logs")
        if not isinstance(logs, list):
            raise invalid("logs must be a list")
        self.shipped_logs.extend(log for log in logs if isinstance(log, dict))

    def counters(self) -> dict[str, int]:
        return {"writes": self.writes, "deletes": self.deletes}

    def to_dict(self) -> dict[str, Any]:
        """Everything, for ``GET /_sim/state``: each entity with the datasource that wrote it."""
        return {
            "blueprints": self.blueprints,
            "entities": {
                blueprint: {i: {**r.to_api(), "datasource": r.datasource} for i, r in by_id.items()}
                for blueprint, by_id in self.entities.items()
            },
            "integrations": {
                identifier: {**integration, "cursors": self.cursors.get(identifier, {})}
                for identifier, integration in self.integrations.items()
            },
            "counters": self.counters(),
        }
