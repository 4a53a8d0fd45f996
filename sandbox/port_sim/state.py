"""In-memory model of one Port organization: blueprints, entities, integrations.

Everything that changes the catalog goes through ``SimState`` methods, which validate like Port
does and raise :class:`PortError` (with Port's status/error/message) when Port would refuse.
The HTTP layer (``app.py``) only translates requests and responses.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.port_sim import search
from sandbox.port_sim.errors import PortError, bad_request, conflict, invalid, not_found
from sandbox.port_sim.model import IDENTIFIER_RE, EntityRecord, iso, parse_time

PROPERTY_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}
API_DATASOURCE = "port-api"


@dataclass(frozen=True)
class UpsertOptions:
    upsert: bool = True
    merge: bool = False
    create_missing_related_entities: bool = False


@dataclass(frozen=True)
class Writer:
    """Who writes: the token's client id and the datasource taken from the User-Agent."""

    actor: str = "port-sim"
    datasource: str | None = API_DATASOURCE


def datasource_from_user_agent(user_agent: str | None) -> str:
    """Ocean writes with ``port-ocean/{type}/{version}/{identifier}/{exporter|gitops}``."""
    if user_agent and user_agent.startswith("port-ocean/"):
        return user_agent
    return API_DATASOURCE


def _is_a(kind: str, value: Any) -> bool:
    """Whether ``value`` fits a property of type ``kind`` (null fits every type)."""
    if kind == "number":
        return value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    return value is None or isinstance(value, PROPERTY_TYPES[kind])


def _team(value: Any) -> list[Any]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _as_object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(f"{what} body must be a JSON object")
    return body


class SimState:
    """The whole simulated organization. Not thread-safe; the server runs on one event loop."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.blueprints: dict[str, dict[str, Any]] = {}
        self.entities: dict[str, dict[str, EntityRecord]] = {}
        self.integrations: dict[str, dict[str, Any]] = {}
        self.resync_history: dict[str, list[dict[str, Any]]] = {}
        self.kind_examples: dict[str, dict[str, list[Any]]] = {}
        # Incremental sync cursors, per integration: "kind|index" -> {"primary": ISO time}.
        self.cursors: dict[str, dict[str, dict[str, Any]]] = {}
        self.reset_counters()

    def now(self) -> str:
        return iso(self.clock())

    def reset_counters(self) -> None:
        self.writes = 0
        self.noop_writes = 0
        self.deletes = 0

    def all_entities(self) -> Iterator[EntityRecord]:
        for by_id in self.entities.values():
            yield from by_id.values()

    def entity_count(self) -> int:
        return sum(len(by_id) for by_id in self.entities.values())

    # -------------------------------------------------------------- blueprints

    def get_blueprint(self, identifier: str) -> dict[str, Any]:
        blueprint = self.blueprints.get(identifier)
        if blueprint is None:
            raise not_found(f'Blueprint with identifier "{identifier}" was not found')
        return blueprint

    def create_blueprint(self, body: Any, actor: str = "port-sim") -> dict[str, Any]:
        identifier = _as_object(body, "Blueprint").get("identifier")
        if isinstance(identifier, str) and identifier in self.blueprints:
            raise conflict(
                "identifier_taken", f'A blueprint with identifier "{identifier}" already exists'
            )
        stamp = self.now()
        blueprint = self._validated_blueprint(body)
        blueprint.update(createdAt=stamp, updatedAt=stamp, createdBy=actor, updatedBy=actor)
        self.blueprints[blueprint["identifier"]] = blueprint
        self.entities.setdefault(blueprint["identifier"], {})
        return blueprint

    def patch_blueprint(self, identifier: str, body: Any, actor: str) -> dict[str, Any]:
        existing = self.get_blueprint(identifier)
        if _as_object(body, "Blueprint").get("identifier", identifier) != identifier:
            raise invalid(f'Blueprint identifier "{identifier}" cannot be changed')
        blueprint = self._validated_blueprint({**copy.deepcopy(existing), **copy.deepcopy(body)})
        blueprint.update(updatedAt=self.now(), updatedBy=actor)
        self.blueprints[identifier] = blueprint
        return blueprint

    def delete_blueprint(self, identifier: str) -> None:
        self.get_blueprint(identifier)
        if self.entities.get(identifier):
            raise conflict(
                "blueprint_has_entities",
                f'Blueprint "{identifier}" still has {len(self.entities[identifier])} entities; '
                "delete them first",
            )
        for other_id, other in self.blueprints.items():
            for name, relation in other["relations"].items():
                if other_id != identifier and relation["target"] == identifier:
                    raise invalid(
                        f'Blueprint "{identifier}" is the target of relation "{name}" of '
                        f'blueprint "{other_id}"; remove the relation first'
                    )
        del self.blueprints[identifier]
        self.entities.pop(identifier, None)

    def _validated_blueprint(self, body: dict[str, Any]) -> dict[str, Any]:
        blueprint = copy.deepcopy(body)
        identifier = blueprint.get("identifier")
        if not isinstance(identifier, str) or not IDENTIFIER_RE.match(identifier):
            raise invalid(f"Blueprint identifier {identifier!r} is missing or invalid")
        if not isinstance(blueprint.get("title"), str):
            raise invalid(f'Blueprint "{identifier}" must have a string "title"')
        schema = blueprint.setdefault("schema", {})
        properties = schema.setdefault("properties", {})
        schema.setdefault("required", [])
        for name, spec in properties.items():
            if not isinstance(spec, dict) or spec.get("type") not in PROPERTY_TYPES:
                raise invalid(
                    f'Blueprint "{identifier}": property "{name}" must have a "type" among '
                    f"{', '.join(PROPERTY_TYPES)}"
                )
        relations = blueprint.get("relations") or {}
        for name, relation in relations.items():
            target = relation.get("target")
            if target != identifier and target not in self.blueprints:
                raise invalid(
                    f'Blueprint "{identifier}": relation "{name}" targets blueprint "{target}", '
                    "which does not exist",
                    relation=name,
                    target=target,
                )
            relation.setdefault("required", False)
            relation.setdefault("many", False)
        blueprint["relations"] = relations
        return blueprint

    # ---------------------------------------------------------------- entities

    def get_entity(self, blueprint: str, identifier: str) -> EntityRecord:
        self.get_blueprint(blueprint)
        record = self.entities[blueprint].get(identifier)
        if record is None:
            raise not_found(
                f'Entity with identifier "{identifier}" of blueprint "{blueprint}" was not found',
                identifier=identifier,
                blueprint=blueprint,
            )
        return record

    def upsert_entity(
        self, blueprint_id: str, body: Any, options: UpsertOptions, writer: Writer
    ) -> tuple[EntityRecord, bool]:
        """Create or update one entity as ``POST /v1/blueprints/{bp}/entities`` does; returns
        the entity and whether it was created."""
        blueprint = self.get_blueprint(blueprint_id)
        body = _as_object(body, "Entity")
        identifier = body.get("identifier")
        if not isinstance(identifier, str) or not IDENTIFIER_RE.match(identifier):
            raise invalid(f"Entity identifier {identifier!r} is missing or invalid")
        existing = self.entities[blueprint_id].get(identifier)
        if existing is not None and not options.upsert:
            raise conflict(
                "identifier_taken",
                f'Entity "{identifier}" of blueprint "{blueprint_id}" already exists',
            )
        base = existing if options.merge and existing is not None else None
        properties = {**(base.properties if base else {}), **self._properties(blueprint, body)}
        relations, missing = self._relations(blueprint, body, options)
        title = body.get("title", base.title if base else None)
        if title is not None and not isinstance(title, str):
            raise invalid("Entity 'title' must be a string")
        stamp = self.now()
        candidate = EntityRecord(
            identifier=identifier,
            blueprint=blueprint_id,
            title=title,
            icon=body.get("icon", base.icon if base else None),
            team=_team(body["team"]) if "team" in body else (base.team if base else []),
            properties=properties,
            relations={**(base.relations if base else {}), **relations},
            created_at=existing.created_at if existing else stamp,
            created_by=existing.created_by if existing else writer.actor,
            updated_at=stamp,
            updated_by=writer.actor,
            datasource=writer.datasource,
        )
        for target, target_id in missing:
            self.entities[target][target_id] = EntityRecord(
                target_id,
                target,
                created_at=stamp,
                created_by=writer.actor,
                updated_at=stamp,
                updated_by=writer.actor,
                datasource=writer.datasource,
            )
            self.writes += 1
        if existing is not None and existing.content() == candidate.content():
            self.noop_writes += 1
            return existing, False
        self.entities[blueprint_id][identifier] = candidate
        self.writes += 1
        return candidate, existing is None

    def _properties(self, blueprint: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        incoming = body.get("properties") or {}
        schema: dict[str, Any] = blueprint["schema"]["properties"]
        for name, value in incoming.items():
            if name not in schema:
                raise invalid(
                    f'Property "{name}" does not exist in blueprint "{blueprint["identifier"]}"',
                    property=name,
                )
            kind = schema[name]["type"]
            if not _is_a(kind, value):
                raise invalid(
                    f'Property "{name}" of blueprint "{blueprint["identifier"]}" must be '
                    f"of type {kind}, got {value!r}"
                )
        return dict(incoming)

    def _relations(
        self, blueprint: dict[str, Any], body: dict[str, Any], options: UpsertOptions
    ) -> tuple[dict[str, Any], set[tuple[str, str]]]:
        """The relations of ``body`` and the related entities to create (when allowed)."""
        incoming = body.get("relations") or {}
        missing: set[tuple[str, str]] = set()
        for name, value in incoming.items():
            definition = blueprint["relations"].get(name)
            if definition is None:
                raise invalid(
                    f'Relation "{name}" does not exist in blueprint "{blueprint["identifier"]}"',
                    relation=name,
                )
            target = definition["target"]
            many = definition["many"]
            if not (value is None or (isinstance(value, list) if many else isinstance(value, str))):
                shape = "an array of identifiers" if many else "one identifier (string)"
                raise invalid(f'Relation "{name}" takes {shape}', relation=name)
            for target_id in value if isinstance(value, list) else [value]:
                if target_id is None or target_id in self.entities.get(target, {}):
                    continue
                if not options.create_missing_related_entities:
                    raise not_found(
                        f'Related entity "{target_id}" of blueprint "{target}" (relation '
                        f'"{name}") was not found',
                        relation=name,
                        target=target,
                        identifier=target_id,
                    )
                missing.add((target, target_id))
        return dict(incoming), missing

    def bulk_upsert(
        self, blueprint_id: str, bodies: list[Any], options: UpsertOptions, writer: Writer
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Per-entity results and errors of ``POST /v1/blueprints/{bp}/entities/bulk``."""
        self.get_blueprint(blueprint_id)
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for index, body in enumerate(bodies):
            try:
                record, created = self.upsert_entity(blueprint_id, body, options, writer)
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

    def delete_entities(
        self, blueprint_id: str, identifiers: Iterable[str]
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """Delete entities of one blueprint; relations that pointed at them are cleared.
        Returns (deleted identifiers, per-entity errors)."""
        by_id = self.entities[self.get_blueprint(blueprint_id)["identifier"]]
        deleted: list[str] = []
        errors: list[dict[str, Any]] = []
        for identifier in identifiers:
            if by_id.pop(identifier, None) is None:
                message = f'Entity "{identifier}" of blueprint "{blueprint_id}" was not found'
                errors.append(
                    {
                        "identifier": identifier,
                        "statusCode": 404,
                        "error": "not_found",
                        "message": message,
                    }
                )
                continue
            deleted.append(identifier)
            self.deletes += 1
        gone = set(deleted)
        for record in self.all_entities():
            definitions = self.blueprints[record.blueprint]["relations"]
            for name, value in list(record.relations.items()):
                if definitions.get(name, {}).get("target") != blueprint_id:
                    continue
                if isinstance(value, list):
                    record.relations[name] = [v for v in value if v not in gone]
                elif value in gone:
                    record.relations[name] = None
        return deleted, errors

    def search(self, query: Any) -> list[EntityRecord]:
        """Entities matching ``query`` (validated first)."""
        search.validate(query)
        pinned = search.identifiers(query)
        found: list[EntityRecord] = []
        for by_id in self.entities.values():
            candidates = (
                by_id.values()
                if pinned is None
                else (by_id[i] for i in sorted(pinned) if i in by_id)
            )
            found.extend(r for r in candidates if search.matches(query, r))
        return found

    def datasource_entities(
        self,
        *,
        prefix: str | None,
        suffix: str | None,
        limit: int,
        before: str | None,
        cursor: str | None,
    ) -> tuple[list[dict[str, str]], str | None]:
        """``POST /v1/blueprints/entities/datasource-entities``: what a datasource owns."""
        before_moment = parse_time(before) if before is not None else None
        if before is not None and before_moment is None:
            raise invalid(f"'before' must be an ISO 8601 date-time, got {before!r}")
        after = tuple(json.loads(cursor)) if cursor else None
        selected = sorted(
            (record.blueprint, record.identifier)
            for record in self.all_entities()
            if (record.datasource or "").startswith(prefix or "")
            and (record.datasource or "").endswith(suffix or "")
            and (
                before_moment is None
                or (parse_time(record.updated_at) or before_moment) < before_moment
            )
            and (after is None or (record.blueprint, record.identifier) > after)
        )
        page = selected[:limit]
        next_cursor = json.dumps(page[-1]) if len(selected) > limit else None
        return [{"identifier": i, "blueprint": b} for b, i in page], next_cursor

    # -------------------------------------------------------------- integrations

    def get_integration(self, identifier: str) -> dict[str, Any]:
        integration = self.integrations.get(identifier)
        if integration is None:
            raise not_found(f'Integration with identifier "{identifier}" was not found')
        return integration

    def create_integration(self, body: Any, actor: str) -> dict[str, Any]:
        identifier = _as_object(body, "Integration").get("installationId")
        if not isinstance(identifier, str) or not IDENTIFIER_RE.match(identifier):
            raise invalid(f"Integration identifier {identifier!r} is missing or invalid")
        if identifier in self.integrations:
            raise conflict(
                "identifier_taken", f'Integration with identifier "{identifier}" already exists'
            )
        stamp = self.now()
        self.integrations[identifier] = {
            "identifier": identifier,
            "installationType": "OnPrem",
            "integrationType": body.get("installationAppType"),
            "config": {},
            "changelogDestination": {},
            "resyncState": None,
            "createdBy": actor,
            "createdAt": stamp,
            **copy.deepcopy(body),
        }
        return self.patch_integration(identifier, {}, actor)

    def patch_integration(self, identifier: str, body: Any, actor: str) -> dict[str, Any]:
        integration = self.get_integration(identifier)
        integration.update(copy.deepcopy(_as_object(body, "Integration")))
        integration.update(identifier=identifier, updatedAt=self.now(), updatedBy=actor)
        return integration

    def patch_resync_state(self, identifier: str, body: Any) -> dict[str, Any]:
        integration = self.get_integration(identifier)
        state = {**(integration["resyncState"] or {}), **_as_object(body, "Resync state")}
        integration["resyncState"] = {**state, "updatedAt": self.now()}
        self.resync_history.setdefault(identifier, []).append(integration["resyncState"])
        return integration

    def to_dict(self) -> dict[str, Any]:
        """Everything, for ``GET /_sim/state``."""
        integrations = {
            identifier: {
                **integration,
                "resyncStateHistory": self.resync_history.get(identifier, []),
                "kindExamples": self.kind_examples.get(identifier, {}),
                "cursors": self.cursors.get(identifier, {}),
            }
            for identifier, integration in self.integrations.items()
        }
        return {
            "blueprints": self.blueprints,
            "entities": {
                blueprint: {i: r.to_dict() for i, r in by_id.items()}
                for blueprint, by_id in self.entities.items()
            },
            "integrations": integrations,
            "counters": {
                "writes": self.writes,
                "noopWrites": self.noop_writes,
                "deletes": self.deletes,
                "entities": self.entity_count(),
            },
        }
