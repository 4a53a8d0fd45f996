"""Port as the convergence test sees it: Ocean's harness mock of Port's API, made stateful.

The harness's `PortMockResponder` records upserts and deletes but answers every search with a
fixed list, so a resync's delete phase and a live event's existence check could not see what
earlier steps wrote. This one keeps the entities (by blueprint and identifier), answers Ocean's
searches from them (the rule shapes Ocean sends: `$identifier`/`$blueprint` with `=` or `in`,
nested `and`/`or`, and the datasource listing of the delete phase), keeps incremental cursors,
and calls `on_delete` before it removes anything, so a test can judge each delete against
Jira's state at that moment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

import httpx
from port_ocean.integration_testing.port_mock import PortMockResponder

Entity = dict[str, Any]
EntityKey = tuple[str, str]  # blueprint, identifier
OnDelete = Callable[[str, str], None]


def _blueprint_in(path: str) -> str:
    """`/v1/blueprints/{blueprint}/...` → blueprint."""
    parts = [p for p in path.split("/") if p]
    return unquote_plus(parts[2])


def _matches(entity: Entity, query: dict[str, Any]) -> bool:
    results = []
    for rule in query.get("rules") or []:
        if "combinator" in rule:
            results.append(_matches(entity, rule))
            continue
        prop, operator, value = rule.get("property"), rule.get("operator"), rule.get("value")
        if prop == "$datasource":
            results.append(True)  # every entity here is this integration's
            continue
        have = {"$identifier": entity["identifier"], "$blueprint": entity["blueprint"]}.get(
            str(prop)
        )
        if operator == "=":
            results.append(have == value)
        elif operator == "in":
            results.append(have in (value or []))
        else:
            raise AssertionError(f"the convergence Port mock cannot answer rule {rule}")
    return any(results) if query.get("combinator") == "or" else all(results)


class StatefulPort(PortMockResponder):
    def __init__(self, mapping_config: dict[str, Any], on_delete: OnDelete) -> None:
        self.entities: dict[EntityKey, Entity] = {}
        self.cursors: dict[tuple[str, str], str] = {}
        self.on_delete = on_delete
        super().__init__(mapping_config=mapping_config)

    def _setup_routes(self) -> None:
        # Routes match in order: the cursor's before the mock's catch-all "/v1/integration/".
        self.transport.add_route(None, "/cursor", self._handle_cursor)
        super()._setup_routes()

    def reset(self) -> None:
        self.entities.clear()
        self.cursors.clear()
        self.upserted_entities.clear()
        self.deleted_entities.clear()
        self.deleted_entity_ids.clear()

    def by_blueprint(self) -> dict[str, dict[str, Entity]]:
        out: dict[str, dict[str, Entity]] = {}
        for (blueprint, identifier), entity in self.entities.items():
            out.setdefault(blueprint, {})[identifier] = entity
        return out

    # --- writes
    def _store(self, blueprint: str, entity: Entity) -> None:
        stored = {**entity, "blueprint": blueprint}
        self.entities[(blueprint, str(entity["identifier"]))] = stored
        self.upserted_entities.append(stored)

    def _remove(self, blueprint: str, identifier: str) -> None:
        self.on_delete(blueprint, identifier)
        self.entities.pop((blueprint, identifier), None)
        self.deleted_entity_ids.append(identifier)
        self.deleted_entities.append({"identifier": identifier, "blueprint": blueprint})

    def _handle_bulk_upsert(self, request: httpx.Request) -> dict[str, Any]:
        blueprint = _blueprint_in(request.url.path)
        entities = json.loads(request.content)["entities"]
        for entity in entities:
            self._store(blueprint, entity)
        answers = [
            {"index": i, "status": "SUCCESS", "identifier": e["identifier"]}
            for i, e in enumerate(entities)
        ]
        return {"json": {"entities": answers, "errors": []}}

    def _handle_single_upsert(self, request: httpx.Request) -> dict[str, Any]:
        entity = json.loads(request.content)
        self._store(_blueprint_in(request.url.path), entity)
        return {"json": {"ok": True, "entity": entity}}

    def _handle_delete_entity(self, request: httpx.Request) -> dict[str, Any]:
        parts = [p for p in request.url.path.split("/") if p]
        self._remove(unquote_plus(parts[2]), unquote_plus(parts[4]))
        return {"json": {"ok": True}}

    def _handle_bulk_delete(self, request: httpx.Request) -> dict[str, Any]:
        blueprint = _blueprint_in(request.url.path)
        identifiers = [str(i) for i in json.loads(request.content)["entities"]]
        for identifier in identifiers:
            self._remove(blueprint, identifier)
        return {"json": {"ok": True, "deletedEntities": identifiers}}

    # --- reads
    def _handle_search_entities(self, request: httpx.Request) -> dict[str, Any]:
        query = json.loads(request.content)
        found = [e for e in self.entities.values() if _matches(e, query)]
        return {"json": {"ok": True, "entities": found}}

    def _handle_datasource_entities(self, request: httpx.Request) -> dict[str, Any]:
        listed = [{"identifier": i, "blueprint": b} for b, i in self.entities]
        return {"json": {"ok": True, "entities": listed, "next": None}}

    def _handle_cursor(self, request: httpx.Request) -> dict[str, Any]:
        key = (request.url.params["kind"], request.url.params["index"])
        if request.method == "GET":
            primary = self.cursors.get(key)
            return {"json": {"cursor": {"primary": primary} if primary else None}}
        self.cursors[key] = json.loads(request.content)["primary"]
        return {"json": {"ok": True}}
