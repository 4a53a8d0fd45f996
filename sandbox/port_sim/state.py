"""In-memory model of one Port organization: blueprints, entities, integrations.

Everything that changes the catalog goes through ``SimState`` methods, which validate like Port
does and raise :class:`PortError` (with Port's status/error/message) when Port would refuse.
The HTTP layer (``app.py``) only translates requests and responses.
"""

from __future__ import annotations

import base64
import copy
import importlib
import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.port_sim import search
from sandbox.port_sim.errors import PortError, bad_request, conflict, invalid, not_found
from sandbox.port_sim.model import (
    EMAIL_RE,
    IDENTIFIER_RE,
    EntityRecord,
    canonical,
    iso,
    parse_time,
)

STATE_FORMAT_VERSION = 1
_Reverse = dict[tuple[str, str], list[tuple[tuple[str, str], str, bool]]]
PROPERTY_TYPES = ("string", "number", "boolean", "array", "object")
SYSTEM_BLUEPRINT_IDS = ("_user", "_team")
SEED_ACTOR = "port-sim"
API_DATASOURCE = "port-api"


def system_blueprints() -> dict[str, dict[str, Any]]:
    """Port's built-in ``_user`` and ``_team`` blueprints (users & teams as blueprints)."""
    user = {
        "identifier": "_user",
        "title": "User",
        "icon": "User",
        "description": "A Port user (identifier: the user's email)",
        "schema": {
            "properties": {
                "port_type": {
                    "type": "string",
                    "title": "Port Type",
                    "enum": ["Standard", "Service Account"],
                },
                "port_role": {
                    "type": "string",
                    "title": "Port Role",
                    "enum": ["Admin", "Member", "Moderator"],
                },
                "status": {
                    "type": "string",
                    "title": "Status",
                    "enum": ["Active", "Invited", "Disabled"],
                    "default": "Disabled",
                },
                "moderated_blueprints": {
                    "type": "array",
                    "title": "Moderated Blueprints",
                    "items": {"type": "string"},
                },
            },
            "required": [],
        },
        "relations": {
            "teams": {"title": "Teams", "target": "_team", "required": False, "many": True}
        },
        "calculationProperties": {},
        "mirrorProperties": {},
        "aggregationProperties": {},
    }
    team = {
        "identifier": "_team",
        "title": "Team",
        "icon": "Team",
        "description": "A Port team",
        "schema": {
            "properties": {
                "description": {"type": "string", "title": "Description"},
                "size": {"type": "number", "title": "Size"},
            },
            "required": [],
        },
        "relations": {},
        "calculationProperties": {},
        "mirrorProperties": {},
        "aggregationProperties": {},
    }
    return {"_team": team, "_user": user}


@dataclass(frozen=True)
class UpsertOptions:
    upsert: bool = True
    merge: bool = False
    create_missing_related_entities: bool = False
    validation_only: bool = False


@dataclass(frozen=True)
class Writer:
    """Who writes: the token's client id and the datasource taken from the User-Agent."""

    actor: str = SEED_ACTOR
    datasource: str | None = API_DATASOURCE


@dataclass
class UpsertOutcome:
    record: EntityRecord
    created: bool
    changed: bool


def datasource_from_user_agent(user_agent: str | None) -> str:
    """Ocean writes with ``port-ocean/{type}/{version}/{identifier}/{exporter|gitops}``."""
    if user_agent and user_agent.startswith("port-ocean/"):
        return user_agent
    return API_DATASOURCE


class SimState:
    """The whole simulated organization. Not thread-safe; the server runs on one event loop."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self._clear()

    def _clear(self) -> None:
        self.blueprints: dict[str, dict[str, Any]] = {}
        self.entities: dict[str, dict[str, EntityRecord]] = {}
        self.integrations: dict[str, dict[str, Any]] = {}
        self.resync_history: dict[str, list[dict[str, Any]]] = {}
        self.kind_examples: dict[str, dict[str, list[Any]]] = {}
        self.resync_requests: dict[str, dict[str, Any]] = {}
        self.cursors: dict[str, dict[str, Any]] = {}
        self.actions: dict[str, dict[str, Any]] = {}
        self.scorecards: dict[str, dict[str, dict[str, Any]]] = {}
        self.pages: dict[str, dict[str, Any]] = {}
        self.migrations: dict[str, dict[str, Any]] = {}
        self.probe_results: dict[str, dict[str, Any]] = {}
        # Counters (reset with POST /_sim/stats/reset; not persisted).
        self.writes = 0
        self.noop_writes = 0
        self.deletes = 0
        self._jq_cache: dict[str, Any] = {}
        self._install_system_blueprints()

    # ------------------------------------------------------------------ basics

    def now(self) -> str:
        return iso(self.clock())

    def reset(self) -> None:
        """Empty catalog and integrations; the system blueprints come back."""
        self._clear()

    def reset_counters(self) -> None:
        self.writes = 0
        self.noop_writes = 0
        self.deletes = 0

    def _install_system_blueprints(self) -> None:
        stamp = self.now()
        for identifier, blueprint in system_blueprints().items():
            if identifier not in self.blueprints:
                blueprint.update(
                    createdAt=stamp, updatedAt=stamp, createdBy=SEED_ACTOR, updatedBy=SEED_ACTOR
                )
                self.blueprints[identifier] = blueprint
                self.entities.setdefault(identifier, {})

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

    def create_blueprint(self, body: Any, actor: str = SEED_ACTOR) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("Blueprint body must be a JSON object")
        identifier = body.get("identifier")
        if isinstance(identifier, str) and identifier in self.blueprints:
            raise conflict(
                "identifier_taken", f'A blueprint with identifier "{identifier}" already exists'
            )
        blueprint = self._normalize_blueprint(body)
        self._validate_blueprint(blueprint)
        stamp = self.now()
        blueprint.update(createdAt=stamp, updatedAt=stamp, createdBy=actor, updatedBy=actor)
        self.blueprints[blueprint["identifier"]] = blueprint
        self.entities.setdefault(blueprint["identifier"], {})
        return blueprint

    def update_blueprint(
        self, identifier: str, body: Any, *, replace: bool, actor: str = SEED_ACTOR
    ) -> dict[str, Any]:
        existing = self.get_blueprint(identifier)
        if not isinstance(body, dict):
            raise bad_request("Blueprint body must be a JSON object")
        if body.get("identifier", identifier) != identifier:
            raise invalid(
                f'Blueprint identifier cannot be changed ("{identifier}" -> '
                f'"{body.get("identifier")}")'
            )
        if replace:
            merged = copy.deepcopy(body)
        else:
            merged = copy.deepcopy(existing)
            for key in ("createdAt", "updatedAt", "createdBy", "updatedBy"):
                merged.pop(key, None)
            merged.update(copy.deepcopy(body))
        merged["identifier"] = identifier
        blueprint = self._normalize_blueprint(merged)
        self._validate_blueprint(blueprint)
        blueprint.update(
            createdAt=existing.get("createdAt", self.now()),
            createdBy=existing.get("createdBy", actor),
            updatedAt=self.now(),
            updatedBy=actor,
        )
        self.blueprints[identifier] = blueprint
        return blueprint

    def delete_blueprint(self, identifier: str) -> None:
        self.get_blueprint(identifier)
        if identifier in SYSTEM_BLUEPRINT_IDS:
            raise invalid(f'The system blueprint "{identifier}" cannot be deleted')
        if self.entities.get(identifier):
            raise conflict(
                "blueprint_has_entities",
                f'Blueprint "{identifier}" still has {len(self.entities[identifier])} entities; '
                "delete them first",
            )
        self._refuse_if_targeted(identifier)
        del self.blueprints[identifier]
        self.entities.pop(identifier, None)
        self.scorecards.pop(identifier, None)

    def delete_all_entities(self, identifier: str, *, delete_blueprint: bool) -> str:
        """``DELETE /v1/blueprints/{id}/all-entities``: done at once; returns a migration id."""
        self.get_blueprint(identifier)
        if delete_blueprint:
            if identifier in SYSTEM_BLUEPRINT_IDS:
                raise invalid(f'The system blueprint "{identifier}" cannot be deleted')
            self._refuse_if_targeted(identifier)
        keys = {(identifier, entity_id) for entity_id in self.entities.get(identifier, {})}
        self._remove_entities(keys)
        if delete_blueprint:
            del self.blueprints[identifier]
            self.entities.pop(identifier, None)
            self.scorecards.pop(identifier, None)
        migration_id = f"migration_{uuid.uuid4().hex[:16]}"
        self.migrations[migration_id] = {
            "id": migration_id,
            "status": "COMPLETED",
            "actor": SEED_ACTOR,
            "sourceBlueprint": identifier,
            "mapping": {},
            "createdAt": self.now(),
        }
        return migration_id

    def _refuse_if_targeted(self, identifier: str) -> None:
        for other_id, other in self.blueprints.items():
            if other_id == identifier:
                continue
            for name, relation in (other.get("relations") or {}).items():
                if relation.get("target") == identifier:
                    raise invalid(
                        f'Blueprint "{identifier}" is the target of relation "{name}" of '
                        f'blueprint "{other_id}"; remove the relation first'
                    )

    @staticmethod
    def _normalize_blueprint(body: dict[str, Any]) -> dict[str, Any]:
        blueprint = copy.deepcopy(body)
        schema = blueprint.get("schema")
        if schema is None:
            schema = {}
        if not isinstance(schema, dict):
            raise invalid("Blueprint 'schema' must be an object")
        schema.setdefault("properties", {})
        schema.setdefault("required", [])
        blueprint["schema"] = schema
        relations = blueprint.get("relations")
        if relations is None:
            relations = {}
        if not isinstance(relations, dict):
            raise invalid("Blueprint 'relations' must be an object")
        for name, relation in relations.items():
            if not isinstance(relation, dict):
                raise invalid(f'Relation "{name}" must be an object')
            relation.setdefault("required", False)
            relation.setdefault("many", False)
        blueprint["relations"] = relations
        for key in ("calculationProperties", "mirrorProperties", "aggregationProperties"):
            value = blueprint.get(key)
            if value is None:
                value = {}
            if not isinstance(value, dict):
                raise invalid(f"Blueprint '{key}' must be an object")
            blueprint[key] = value
        return blueprint

    def _validate_blueprint(self, blueprint: dict[str, Any]) -> None:
        identifier = blueprint.get("identifier")
        if not isinstance(identifier, str) or not IDENTIFIER_RE.match(identifier):
            raise invalid(f"Blueprint identifier {identifier!r} is missing or invalid")
        if not isinstance(blueprint.get("title"), str):
            raise invalid(f'Blueprint "{identifier}" must have a string "title"')
        properties = blueprint["schema"]["properties"]
        if not isinstance(properties, dict):
            raise invalid(f'Blueprint "{identifier}": schema.properties must be an object')
        for name, spec in properties.items():
            if not isinstance(spec, dict) or spec.get("type") not in PROPERTY_TYPES:
                raise invalid(
                    f'Blueprint "{identifier}": property "{name}" must have a "type" among '
                    f"{', '.join(PROPERTY_TYPES)}"
                )
        required = blueprint["schema"]["required"]
        if not isinstance(required, list) or any(name not in properties for name in required):
            raise invalid(
                f'Blueprint "{identifier}": schema.required must list existing properties'
            )
        for name, relation in blueprint["relations"].items():
            target = relation.get("target")
            if not isinstance(target, str):
                raise invalid(f'Blueprint "{identifier}": relation "{name}" needs a "target"')
            if target != identifier and target not in self.blueprints:
                raise invalid(
                    f'Blueprint "{identifier}": relation "{name}" targets blueprint "{target}", '
                    "which does not exist",
                    relation=name,
                    target=target,
                )
            if not isinstance(relation["many"], bool) or not isinstance(relation["required"], bool):
                raise invalid(
                    f'Blueprint "{identifier}": relation "{name}" many/required must be booleans'
                )
        for name, spec in blueprint["calculationProperties"].items():
            if not isinstance(spec, dict) or not isinstance(spec.get("calculation"), str):
                raise invalid(
                    f'Blueprint "{identifier}": calculation property "{name}" needs a '
                    '"calculation" (jq)'
                )
        for name, spec in blueprint["mirrorProperties"].items():
            if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
                raise invalid(f'Blueprint "{identifier}": mirror property "{name}" needs a "path"')

    # ---------------------------------------------------------------- entities

    def get_entity(self, blueprint: str, identifier: str) -> EntityRecord:
        self.get_blueprint(blueprint)
        record = self.entities.get(blueprint, {}).get(identifier)
        if record is None:
            raise not_found(
                f'Entity with identifier "{identifier}" of blueprint "{blueprint}" was not found',
                identifier=identifier,
                blueprint=blueprint,
            )
        return record

    def upsert_entity(
        self,
        blueprint_id: str,
        body: Any,
        options: UpsertOptions = UpsertOptions(),
        writer: Writer = Writer(),
    ) -> UpsertOutcome:
        """Create or update one entity the way ``POST /v1/blueprints/{bp}/entities`` does."""
        blueprint = self.get_blueprint(blueprint_id)
        if not isinstance(body, dict):
            raise bad_request("Entity body must be a JSON object")
        body_blueprint = body.get("blueprint")
        if body_blueprint is not None and body_blueprint != blueprint_id:
            raise invalid(
                f'Entity blueprint "{body_blueprint}" does not match the URL blueprint '
                f'"{blueprint_id}"'
            )
        existing, identifier = self._resolve_identifier(blueprint_id, body.get("identifier"))
        if existing is not None and not options.upsert:
            raise conflict(
                "identifier_taken",
                f'Entity "{identifier}" of blueprint "{blueprint_id}" already exists',
            )
        use_existing = existing if options.merge else None

        properties = self._validated_properties(blueprint, body, use_existing, existing is None)
        relations, missing_targets = self._validated_relations(
            blueprint, body, use_existing, options.create_missing_related_entities
        )
        team = self._team_value(body, use_existing)
        title = self._scalar_field(body, "title", use_existing)
        icon = self._scalar_field(body, "icon", use_existing)

        stamp = self.now()
        candidate = EntityRecord(
            identifier=identifier,
            blueprint=blueprint_id,
            title=title,
            icon=icon,
            team=team,
            properties=properties,
            relations=relations,
            created_at=existing.created_at if existing else stamp,
            created_by=existing.created_by if existing else writer.actor,
            updated_at=stamp,
            updated_by=writer.actor,
            datasource=writer.datasource,
        )
        if options.validation_only:
            return UpsertOutcome(candidate, created=existing is None, changed=False)

        for target_blueprint, target_id in missing_targets:
            if target_id not in self.entities.setdefault(target_blueprint, {}):
                self.entities[target_blueprint][target_id] = EntityRecord(
                    identifier=target_id,
                    blueprint=target_blueprint,
                    created_at=stamp,
                    created_by=writer.actor,
                    updated_at=stamp,
                    updated_by=writer.actor,
                    datasource=writer.datasource,
                )
                self.writes += 1

        if existing is not None and existing.content_fingerprint() == (
            candidate.content_fingerprint()
        ):
            self.noop_writes += 1
            return UpsertOutcome(existing, created=False, changed=False)
        self.entities[blueprint_id][identifier] = candidate
        self.writes += 1
        return UpsertOutcome(candidate, created=existing is None, changed=True)

    def bulk_upsert(
        self,
        blueprint_id: str,
        bodies: list[Any],
        options: UpsertOptions = UpsertOptions(),
        writer: Writer = Writer(),
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Per-entity results and errors of ``POST /v1/blueprints/{bp}/entities/bulk``."""
        self.get_blueprint(blueprint_id)
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for index, body in enumerate(bodies):
            try:
                outcome = self.upsert_entity(blueprint_id, body, options, writer)
            except PortError as error:
                raw_identifier = body.get("identifier") if isinstance(body, dict) else None
                errors.append(
                    {
                        "index": index,
                        "identifier": (
                            raw_identifier if isinstance(raw_identifier, str) else "unknown"
                        ),
                        "statusCode": error.status,
                        "error": error.error,
                        "message": error.message,
                    }
                )
                continue
            results.append(
                {
                    "index": index,
                    "identifier": outcome.record.identifier,
                    "created": outcome.created,
                    "changed": outcome.changed,
                }
            )
        return results, errors

    def seed_entity(self, body: dict[str, Any], datasource: str | None) -> UpsertOutcome:
        """Write an entity directly (``POST /_sim/entities``), with relation checks relaxed."""
        blueprint_id = body.get("blueprint")
        if not isinstance(blueprint_id, str):
            raise invalid("A seeded entity needs a 'blueprint'")
        return self.upsert_entity(
            blueprint_id,
            body,
            UpsertOptions(create_missing_related_entities=True),
            Writer(actor=SEED_ACTOR, datasource=datasource),
        )

    def _resolve_identifier(self, blueprint_id: str, raw: Any) -> tuple[EntityRecord | None, str]:
        by_id = self.entities.setdefault(blueprint_id, {})
        if isinstance(raw, dict):
            search.validate_query(raw, "identifier")
            found = self._search_in_blueprint(blueprint_id, raw)
            if not found:
                raise not_found(
                    f'No entity of blueprint "{blueprint_id}" matches the search identifier'
                )
            if len(found) > 1:
                raise invalid(
                    f"The search identifier matched {len(found)} entities of blueprint "
                    f'"{blueprint_id}"; it must match exactly one'
                )
            return found[0], found[0].identifier
        if raw is None:
            identifier = f"e_{uuid.uuid4().hex[:16]}"
            return None, identifier
        if not isinstance(raw, str) or not IDENTIFIER_RE.match(raw):
            raise invalid(
                f"Entity identifier {raw!r} is invalid: it must be a string matching "
                f"{IDENTIFIER_RE.pattern}"
            )
        if blueprint_id == "_user" and not EMAIL_RE.match(raw):
            raise invalid(f'A "_user" entity identifier must be an email, got "{raw}"')
        return by_id.get(raw), raw

    def _validated_properties(
        self,
        blueprint: dict[str, Any],
        body: dict[str, Any],
        merge_into: EntityRecord | None,
        creating: bool,
    ) -> dict[str, Any]:
        blueprint_id = blueprint["identifier"]
        incoming = body.get("properties")
        if incoming is None:
            incoming = {}
        if not isinstance(incoming, dict):
            raise invalid("Entity 'properties' must be an object")
        schema_properties: dict[str, Any] = blueprint["schema"]["properties"]
        for name, value in incoming.items():
            spec = schema_properties.get(name)
            if spec is None:
                raise invalid(
                    f'Property "{name}" does not exist in blueprint "{blueprint_id}"',
                    property=name,
                )
            problem = _property_type_problem(spec, value)
            if problem:
                raise invalid(f'Property "{name}" of blueprint "{blueprint_id}" {problem}')
        merged = dict(merge_into.properties) if merge_into else {}
        merged.update(incoming)
        if creating:
            for name, spec in schema_properties.items():
                if name not in merged and "default" in spec:
                    merged[name] = copy.deepcopy(spec["default"])
        for name in blueprint["schema"]["required"]:
            if merged.get(name) is None:
                raise invalid(
                    f'Required property "{name}" of blueprint "{blueprint_id}" is missing',
                    property=name,
                )
        return merged

    def _validated_relations(
        self,
        blueprint: dict[str, Any],
        body: dict[str, Any],
        merge_into: EntityRecord | None,
        create_missing: bool,
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        blueprint_id = blueprint["identifier"]
        incoming = body.get("relations")
        if incoming is None:
            incoming = {}
        if not isinstance(incoming, dict):
            raise invalid("Entity 'relations' must be an object")
        definitions: dict[str, Any] = blueprint["relations"]
        resolved: dict[str, Any] = {}
        missing: list[tuple[str, str]] = []
        for name, value in incoming.items():
            definition = definitions.get(name)
            if definition is None:
                raise invalid(
                    f'Relation "{name}" does not exist in blueprint "{blueprint_id}"',
                    relation=name,
                )
            target = definition["target"]
            many = bool(definition.get("many"))
            resolved[name] = self._resolve_relation_value(blueprint_id, name, target, many, value)
            targets = resolved[name] if isinstance(resolved[name], list) else [resolved[name]]
            for target_id in targets:
                if target_id is None or target_id in self.entities.get(target, {}):
                    continue
                if not create_missing:
                    raise not_found(
                        f'Related entity "{target_id}" of blueprint "{target}" (relation '
                        f'"{name}") was not found',
                        relation=name,
                        target=target,
                        identifier=target_id,
                    )
                if not IDENTIFIER_RE.match(target_id) or (
                    target == "_user" and not EMAIL_RE.match(target_id)
                ):
                    raise invalid(
                        f'Cannot create missing related entity "{target_id}" of blueprint '
                        f'"{target}": invalid identifier'
                    )
                missing.append((target, target_id))
        merged = dict(merge_into.relations) if merge_into else {}
        merged.update(resolved)
        for name, definition in definitions.items():
            if definition.get("required") and merged.get(name) in (None, []):
                raise invalid(
                    f'Required relation "{name}" of blueprint "{blueprint_id}" is missing',
                    relation=name,
                )
        return merged, missing

    def _resolve_relation_value(
        self, blueprint_id: str, name: str, target: str, many: bool, value: Any
    ) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            search.validate_query(value, f"relations.{name}")
            found = [record.identifier for record in self._search_in_blueprint(target, value)]
            if many:
                return found
            if len(found) > 1:
                raise invalid(
                    f'Search relation "{name}" of blueprint "{blueprint_id}" matched '
                    f'{len(found)} entities of "{target}"; a single relation needs at most one',
                    relation=name,
                )
            return found[0] if found else None
        if many:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise invalid(
                    f'Relation "{name}" of blueprint "{blueprint_id}" is "many": its value must '
                    "be an array of identifiers",
                    relation=name,
                )
            return list(value)
        if not isinstance(value, str):
            raise invalid(
                f'Relation "{name}" of blueprint "{blueprint_id}" takes one identifier (string)'
                f", got {type(value).__name__}",
                relation=name,
            )
        return value

    def _team_value(self, body: dict[str, Any], merge_into: EntityRecord | None) -> list[Any]:
        if "team" not in body:
            return list(merge_into.team) if merge_into else []
        team = body["team"]
        if team is None:
            return []
        if isinstance(team, str):
            return [team]
        if isinstance(team, dict):
            search.validate_query(team, "team")
            return [record.identifier for record in self._search_in_blueprint("_team", team)]
        if isinstance(team, list) and all(isinstance(item, str) for item in team):
            return list(team)
        raise invalid("Entity 'team' must be a string, an array of strings or a search query")

    @staticmethod
    def _scalar_field(body: dict[str, Any], name: str, merge_into: EntityRecord | None) -> Any:
        if name not in body:
            return getattr(merge_into, name) if merge_into else None
        value = body[name]
        if value is not None and not isinstance(value, str):
            raise invalid(f"Entity '{name}' must be a string")
        return value

    # ---------------------------------------------------------------- deletion

    def delete_entities(
        self, blueprint_id: str, identifiers: Iterable[str], *, delete_dependents: bool
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """Delete entities of one blueprint; returns (deleted identifiers, per-entity errors).

        An entity that other entities point at through a *required* relation is only deleted
        with ``delete_dependents`` (and those dependents go with it, recursively); optional
        relations that pointed at a deleted entity are cleared.
        """
        self.get_blueprint(blueprint_id)
        reverse_by_target: dict[str, _Reverse] = {}

        def dependents(key: tuple[str, str]) -> list[tuple[tuple[str, str], str, bool]]:
            if key[0] not in reverse_by_target:
                reverse_by_target[key[0]] = self._reverse_relations(key[0])
            return reverse_by_target[key[0]].get(key, [])

        removed: set[tuple[str, str]] = set()
        deleted: list[str] = []
        errors: list[dict[str, Any]] = []

        def exists(key: tuple[str, str]) -> bool:
            return key not in removed and key[1] in self.entities.get(key[0], {})

        for identifier in identifiers:
            key = (blueprint_id, identifier)
            if not exists(key):
                errors.append(
                    {
                        "identifier": identifier,
                        "statusCode": 404,
                        "error": "not_found",
                        "message": f'Entity "{identifier}" of blueprint "{blueprint_id}" '
                        "was not found",
                    }
                )
                continue
            closure = {key}
            frontier = [key]
            blocked: list[tuple[str, str]] = []
            while frontier:
                current = frontier.pop()
                for source, _relation, required in dependents(current):
                    if not required or source in closure or not exists(source):
                        continue
                    if not delete_dependents:
                        blocked.append(source)
                        continue
                    closure.add(source)
                    frontier.append(source)
            if blocked:
                names = ", ".join(f"{bp}/{eid}" for bp, eid in blocked[:5])
                errors.append(
                    {
                        "identifier": identifier,
                        "statusCode": 422,
                        "error": "has_dependents",
                        "message": f'Entity "{identifier}" of blueprint "{blueprint_id}" has '
                        f"dependent entities with a required relation to it ({names}); "
                        "use delete_dependents=true",
                    }
                )
                continue
            removed |= closure
            deleted.append(identifier)
        self._remove_entities(removed)
        return deleted, errors

    def _referencing_blueprints(self, targets: set[str]) -> dict[str, dict[str, Any]]:
        """Blueprint id -> its relations that target one of ``targets``."""
        found: dict[str, dict[str, Any]] = {}
        for blueprint_id, blueprint in self.blueprints.items():
            relations = {
                name: definition
                for name, definition in (blueprint.get("relations") or {}).items()
                if definition.get("target") in targets
            }
            if relations:
                found[blueprint_id] = relations
        return found

    def _reverse_relations(self, target_blueprint: str) -> _Reverse:
        """(target blueprint, id) -> [(source key, relation, required)] for one target."""
        reverse: _Reverse = {}
        for blueprint_id, relations in self._referencing_blueprints({target_blueprint}).items():
            for record in self.entities.get(blueprint_id, {}).values():
                for name, definition in relations.items():
                    value = record.relations.get(name)
                    targets = value if isinstance(value, list) else [value]
                    for target_id in targets:
                        if isinstance(target_id, str):
                            reverse.setdefault((target_blueprint, target_id), []).append(
                                (record.key, name, bool(definition.get("required")))
                            )
        return reverse

    def _remove_entities(self, keys: set[tuple[str, str]]) -> None:
        if not keys:
            return
        for blueprint_id, identifier in keys:
            if self.entities.get(blueprint_id, {}).pop(identifier, None) is not None:
                self.deletes += 1
        # Clear optional relations that pointed at what is gone.
        referencing = self._referencing_blueprints({blueprint_id for blueprint_id, _ in keys})
        for blueprint_id, relations in referencing.items():
            for record in self.entities.get(blueprint_id, {}).values():
                for name, definition in relations.items():
                    value = record.relations.get(name)
                    target = definition["target"]
                    if isinstance(value, list):
                        kept = [v for v in value if (target, v) not in keys]
                        if len(kept) != len(value):
                            record.relations[name] = kept
                    elif isinstance(value, str) and (target, value) in keys:
                        record.relations[name] = None

    # ------------------------------------------------------------------ search

    def value_of(self, record: EntityRecord, prop: str) -> Any:
        meta = {
            "$identifier": record.identifier,
            "$title": record.title,
            "$blueprint": record.blueprint,
            "$team": record.team,
            "$icon": record.icon,
            "$datasource": record.datasource,
            "$createdAt": record.created_at,
            "$updatedAt": record.updated_at,
            "$createdBy": record.created_by,
            "$updatedBy": record.updated_by,
        }
        if prop in meta:
            return meta[prop]
        if prop in record.properties:
            return record.properties[prop]
        if prop in record.relations:
            return record.relations[prop]
        blueprint = self.blueprints.get(record.blueprint, {})
        if prop in blueprint.get("calculationProperties", {}) or prop in blueprint.get(
            "mirrorProperties", {}
        ):
            return self.computed_properties(record).get(prop)
        return None

    def related_to(
        self,
        record: EntityRecord,
        blueprint: str,
        identifiers: set[str],
        direction: str | None,
    ) -> bool:
        definitions = self.blueprints.get(record.blueprint, {}).get("relations", {})
        if direction in (None, "downstream"):
            for name, value in record.relations.items():
                definition = definitions.get(name)
                if definition is None or definition["target"] != blueprint:
                    continue
                values = value if isinstance(value, list) else [value]
                if any(v in identifiers for v in values):
                    return True
        if direction in (None, "upstream"):
            other_definitions = self.blueprints.get(blueprint, {}).get("relations", {})
            for identifier in identifiers:
                other = self.entities.get(blueprint, {}).get(identifier)
                if other is None:
                    continue
                for name, value in other.relations.items():
                    definition = other_definitions.get(name)
                    if definition is None or definition["target"] != record.blueprint:
                        continue
                    values = value if isinstance(value, list) else [value]
                    if record.identifier in values:
                        return True
        return False

    def search(self, query: Any, blueprint: str | None = None) -> list[EntityRecord]:
        """Entities matching ``query`` (validated first), optionally within one blueprint."""
        search.validate_query(query)
        if blueprint is not None:
            self.get_blueprint(blueprint)
            return self._search_in_blueprint(blueprint, query)
        return self._search(query, None)

    def _search_in_blueprint(self, blueprint: str, query: dict[str, Any]) -> list[EntityRecord]:
        return self._search(query, {blueprint})

    def _search(self, query: dict[str, Any], only: set[str] | None) -> list[EntityRecord]:
        blueprints, identifiers = search.narrow(query)
        if only is not None:
            blueprints = only if blueprints is None else blueprints & only
        candidate_bps = list(self.entities) if blueprints is None else sorted(blueprints)
        found: list[EntityRecord] = []
        for blueprint_id in candidate_bps:
            by_id = self.entities.get(blueprint_id, {})
            if identifiers is None:
                candidates: Iterable[EntityRecord] = list(by_id.values())
            else:
                candidates = [by_id[i] for i in sorted(identifiers) if i in by_id]
            found.extend(r for r in candidates if search.matches(query, r, self))
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
        before_moment = None
        if before is not None:
            before_moment = parse_time(before)
            if before_moment is None:
                raise invalid(f"'before' must be an ISO 8601 date-time, got {before!r}")
        after_key: tuple[str, str] | None = None
        if cursor:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
                after_key = (str(decoded[0]), str(decoded[1]))
            except (ValueError, IndexError, TypeError) as exc:
                raise invalid(f"Invalid 'from' cursor {cursor!r}") from exc
        selected: list[tuple[str, str]] = []
        for record in self.all_entities():
            source = record.datasource or ""
            if prefix and not source.startswith(prefix):
                continue
            if suffix and not source.endswith(suffix):
                continue
            if before_moment is not None:
                updated = parse_time(record.updated_at)
                if updated is None or updated >= before_moment:
                    continue
            if after_key is not None and record.key <= after_key:
                continue
            selected.append(record.key)
        selected.sort()
        page = selected[:limit]
        next_cursor = None
        if len(selected) > limit and page:
            next_cursor = base64.urlsafe_b64encode(json.dumps(list(page[-1])).encode()).decode()
        return [{"identifier": i, "blueprint": b} for b, i in page], next_cursor

    # --------------------------------------------------------------- rendering

    def computed_properties(self, record: EntityRecord) -> dict[str, Any]:
        """Best-effort values of calculation (jq) and mirror (one hop) properties."""
        blueprint = self.blueprints.get(record.blueprint, {})
        values: dict[str, Any] = {}
        calculations: dict[str, Any] = blueprint.get("calculationProperties", {})
        if calculations:
            document = record.to_api()
            for name, spec in calculations.items():
                values[name] = self._jq_first(spec.get("calculation", "null"), document)
        for name, spec in blueprint.get("mirrorProperties", {}).items():
            values[name] = self._mirror(record, blueprint, str(spec.get("path", "")))
        return values

    def _jq_first(self, expression: str, document: dict[str, Any]) -> Any:
        try:
            program = self._jq_cache.get(expression)
            if program is None:
                program = importlib.import_module("jq").compile(expression)
                self._jq_cache[expression] = program
            return program.input_value(document).first()
        except Exception:
            return None

    def _mirror(self, record: EntityRecord, blueprint: dict[str, Any], path: str) -> Any:
        relation, _, field_name = path.partition(".")
        definition = blueprint.get("relations", {}).get(relation)
        if definition is None or not field_name:
            return None
        value = record.relations.get(relation)
        targets = value if isinstance(value, list) else [value]
        found: list[Any] = []
        for target_id in targets:
            target = self.entities.get(definition["target"], {}).get(target_id or "")
            if target is None:
                continue
            if field_name.startswith("$"):
                found.append(self.value_of(target, field_name))
            else:
                found.append(target.properties.get(field_name))
        if isinstance(value, list):
            return found
        return found[0] if found else None

    def render_entity(
        self,
        record: EntityRecord,
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        calculated: bool = True,
    ) -> dict[str, Any]:
        out = record.to_api()
        if calculated:
            out["properties"].update(self.computed_properties(record))
        if include:
            out = _project(out, include)
        for path in exclude or []:
            _drop(out, path)
        return out

    # -------------------------------------------------------------- integrations

    def get_integration(self, identifier: str) -> dict[str, Any]:
        integration = self.integrations.get(identifier)
        if integration is None:
            raise not_found(f'Integration with identifier "{identifier}" was not found')
        return integration

    def create_integration(self, body: Any, actor: str, org_id: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("Integration body must be a JSON object")
        identifier = body.get("installationId") or body.get("identifier")
        if not isinstance(identifier, str) or not IDENTIFIER_RE.match(identifier):
            raise invalid(f"Integration identifier {identifier!r} is missing or invalid")
        if identifier in self.integrations:
            raise conflict(
                "identifier_taken", f'Integration with identifier "{identifier}" already exists'
            )
        stamp = self.now()
        integration: dict[str, Any] = {
            "identifier": identifier,
            "installationId": identifier,
            "installationAppType": body.get("installationAppType"),
            "integrationType": body.get("installationAppType"),
            "version": body.get("version"),
            "installationType": "OnPrem",
            "changelogDestination": body.get("changelogDestination") or {},
            "config": body.get("config") or {},
            "resyncState": None,
            "_orgId": org_id,
            "_id": f"integration_{uuid.uuid4().hex[:16]}",
            "clientId": actor,
            "createdBy": actor,
            "updatedBy": actor,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        for key, value in body.items():
            if key not in ("installationId", "identifier", "config", "changelogDestination"):
                integration[key] = copy.deepcopy(value)
        self.integrations[identifier] = integration
        self.resync_history.setdefault(identifier, [])
        return integration

    def patch_integration(self, identifier: str, body: Any, actor: str) -> dict[str, Any]:
        integration = self.get_integration(identifier)
        if not isinstance(body, dict):
            raise bad_request("Integration body must be a JSON object")
        for key, value in body.items():
            if key in ("identifier", "installationId", "_id", "_orgId", "createdAt"):
                continue
            integration[key] = copy.deepcopy(value)
        if "installationAppType" in body:
            integration["integrationType"] = body["installationAppType"]
        integration["updatedAt"] = self.now()
        integration["updatedBy"] = actor
        return integration

    def patch_integration_config(
        self, identifier: str, body: Any, actor: str, *, skip_resync: bool
    ) -> dict[str, Any]:
        integration = self.get_integration(identifier)
        if not isinstance(body, dict) or not isinstance(body.get("config"), dict):
            raise invalid('Body must be {"config": {...}}')
        integration["config"] = copy.deepcopy(body["config"])
        integration["updatedAt"] = self.now()
        integration["updatedBy"] = actor
        # Port may start a resync after a mapping change; the simulator only records the
        # change (trigger one with POST /_sim/integrations/{id}/resync-request).
        del skip_resync
        return integration

    def patch_resync_state(self, identifier: str, body: Any) -> dict[str, Any]:
        integration = self.get_integration(identifier)
        if not isinstance(body, dict):
            raise bad_request("Resync state body must be a JSON object")
        state = dict(integration.get("resyncState") or {})
        state.update(copy.deepcopy(body))
        state["updatedAt"] = self.now()
        integration["resyncState"] = state
        self.resync_history.setdefault(identifier, []).append(dict(state))
        return integration

    def request_resync(self, identifier: str) -> dict[str, Any]:
        self.get_integration(identifier)
        request = {
            "id": f"resync_{uuid.uuid4().hex[:12]}",
            "reason": "sim",
            "updatedAt": self.now(),
        }
        self.resync_requests[identifier] = request
        return request

    def delete_integration(self, identifier: str) -> None:
        self.get_integration(identifier)
        del self.integrations[identifier]
        for store in (self.resync_history, self.kind_examples, self.resync_requests):
            store.pop(identifier, None)

    # ------------------------------------------------------------- persistence

    def to_dict(self) -> dict[str, Any]:
        integrations: dict[str, Any] = {}
        for identifier, integration in self.integrations.items():
            item = copy.deepcopy(integration)
            item["resyncStateHistory"] = copy.deepcopy(self.resync_history.get(identifier, []))
            item["kindExamples"] = copy.deepcopy(self.kind_examples.get(identifier, {}))
            item["resyncRequest"] = copy.deepcopy(self.resync_requests.get(identifier))
            integrations[identifier] = item
        return {
            "version": STATE_FORMAT_VERSION,
            "blueprints": copy.deepcopy(self.blueprints),
            "entities": {
                blueprint_id: {i: r.to_dict() for i, r in by_id.items()}
                for blueprint_id, by_id in self.entities.items()
            },
            "integrations": integrations,
            "cursors": copy.deepcopy(self.cursors),
            "actions": copy.deepcopy(self.actions),
            "scorecards": copy.deepcopy(self.scorecards),
            "pages": copy.deepcopy(self.pages),
            "migrations": copy.deepcopy(self.migrations),
            "counters": {
                "writes": self.writes,
                "noopWrites": self.noop_writes,
                "deletes": self.deletes,
                "entities": self.entity_count(),
            },
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], clock: Callable[[], datetime] | None = None
    ) -> SimState:
        if data.get("version") != STATE_FORMAT_VERSION:
            raise ValueError(f"Unsupported port-sim state version: {data.get('version')!r}")
        state = cls(clock=clock)
        state.blueprints.update(copy.deepcopy(data.get("blueprints") or {}))
        for blueprint_id, by_id in (data.get("entities") or {}).items():
            state.entities[blueprint_id] = {
                identifier: EntityRecord.from_dict(item) for identifier, item in by_id.items()
            }
        for blueprint_id in state.blueprints:
            state.entities.setdefault(blueprint_id, {})
        for identifier, item in (data.get("integrations") or {}).items():
            integration = copy.deepcopy(item)
            state.resync_history[identifier] = integration.pop("resyncStateHistory", []) or []
            state.kind_examples[identifier] = integration.pop("kindExamples", {}) or {}
            request = integration.pop("resyncRequest", None)
            if request:
                state.resync_requests[identifier] = request
            state.integrations[identifier] = integration
        state.cursors = copy.deepcopy(data.get("cursors") or {})
        state.actions = copy.deepcopy(data.get("actions") or {})
        state.scorecards = copy.deepcopy(data.get("scorecards") or {})
        state.pages = copy.deepcopy(data.get("pages") or {})
        state.migrations = copy.deepcopy(data.get("migrations") or {})
        state._install_system_blueprints()
        return state

    def dump(self, path: Path | str) -> Path:
        """Write the state as JSON, atomically."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True))
        os.replace(temporary, target)
        return target

    @classmethod
    def load(cls, path: Path | str, clock: Callable[[], datetime] | None = None) -> SimState:
        return cls.from_dict(json.loads(Path(path).read_text()), clock=clock)

    def fingerprint(self) -> str:
        """A stable digest of the catalog (blueprints + entities), handy in tests."""
        data = self.to_dict()
        return canonical({"blueprints": data["blueprints"], "entities": data["entities"]})


def _property_type_problem(spec: dict[str, Any], value: Any) -> str | None:
    if value is None:
        return None
    kind = spec.get("type")
    if kind == "string":
        if not isinstance(value, str):
            return f"must be a string, got {_json_type(value)}"
    elif kind == "number":
        if not _is_number(value):
            return f"must be a number, got {_json_type(value)}"
    elif kind == "boolean":
        if not isinstance(value, bool):
            return f"must be a boolean, got {_json_type(value)}"
    elif kind == "object":
        if not isinstance(value, dict):
            return f"must be an object, got {_json_type(value)}"
    elif kind == "array":
        if not isinstance(value, list):
            return f"must be an array, got {_json_type(value)}"
        items = spec.get("items")
        if isinstance(items, dict) and items.get("type") in PROPERTY_TYPES:
            for position, item in enumerate(value):
                problem = _property_type_problem(items, item)
                if problem:
                    return f"item {position} {problem}"
        return None
    enum = spec.get("enum")
    if isinstance(enum, list) and value not in enum:
        return f"must be one of {enum}, got {value!r}"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _project(entity: dict[str, Any], include: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in include:
        head, _, rest = path.partition(".")
        if head not in entity:
            continue
        if not rest:
            out[head] = copy.deepcopy(entity[head])
            continue
        container = entity[head]
        if isinstance(container, dict) and rest in container:
            out.setdefault(head, {})[rest] = copy.deepcopy(container[rest])
        elif isinstance(container, dict):
            out.setdefault(head, {})
    return out


def _drop(entity: dict[str, Any], path: str) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        entity.pop(head, None)
    elif isinstance(entity.get(head), dict):
        entity[head].pop(rest, None)
