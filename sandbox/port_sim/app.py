"""HTTP layer of the Port API simulator (a Starlette app).

Routing is done on the raw (still percent-encoded) path, one segment at a time, so entity
identifiers that contain ``/`` (sent by Ocean as ``%2F``) stay one path parameter, as in Port.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.port_sim.config import SimConfig
from sandbox.port_sim.errors import PortError, bad_request, invalid, not_found
from sandbox.port_sim.faults import FaultInjector
from sandbox.port_sim.model import EntityRecord
from sandbox.port_sim.state import (
    SimState,
    UpsertOptions,
    Writer,
    datasource_from_user_agent,
)
from sandbox.serving import RequestStats, is_control, route_template, status_recorder

logger = logging.getLogger("port_sim")

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
TRUE_VALUES = {"true", "1", "yes"}
SEARCH_DEFAULT_LIMIT = 200
SEARCH_MAX_LIMIT = 1000


@dataclass
class Ctx:
    """One request as the handlers see it."""

    request: Request
    params: dict[str, str]
    sim: PortSim
    actor: str = ""
    _body: Any = field(default=None, init=False)
    _body_read: bool = field(default=False, init=False)

    async def json(self) -> Any:
        if not self._body_read:
            raw = await self.request.body()
            self._body_read = True
            if raw.strip():
                try:
                    self._body = json.loads(raw)
                except ValueError as exc:
                    raise PortError(
                        400, "invalid_json", f"Request body is not valid JSON: {exc}"
                    ) from exc
        return self._body

    async def json_object(self) -> dict[str, Any]:
        body = await self.json()
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        return body

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.request.query_params.get(name)
        if value is None:
            return default
        return value.strip().lower() in TRUE_VALUES

    @property
    def writer(self) -> Writer:
        user_agent = self.request.headers.get("user-agent")
        return Writer(actor=self.actor, datasource=datasource_from_user_agent(user_agent))

    @property
    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")


Handler = Callable[[Ctx], Awaitable[Response]]


def ok(payload: dict[str, Any] | None = None, status: int = 200) -> JSONResponse:
    return JSONResponse({"ok": True, **(payload or {})}, status_code=status)


def error_response(error: PortError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


class PortSim:
    """The running simulator: state, config, faults, stats and the route table."""

    def __init__(self, config: SimConfig, state: SimState) -> None:
        self.config = config
        self.state = state
        self.faults = FaultInjector()
        self.stats = RequestStats()
        self.token_generation = 0
        self.tokens_issued = 0
        self.ingested_logs: deque[Any] = deque(maxlen=config.ingested_log_size)
        self.ingest_counts: Counter[str] = Counter()
        self.last_metrics: dict[str, Any] = {}
        self.routes: list[Route] = []
        self._register_routes()

    # ----------------------------------------------------------------- plumbing

    def _register_routes(self) -> None:
        add = self._add
        add("POST", "/v1/auth/access_token", self.access_token, auth=False)
        add("GET", "/v1/organization", self.get_organization)
        # integrations
        add("GET", "/v1/integration/provision-enabled", self.provision_enabled)
        add("POST", "/v1/integration", self.create_integration)
        add("GET", "/v1/integration/{integration}", self.get_integration)
        add("PATCH", "/v1/integration/{integration}", self.patch_integration)
        add("DELETE", "/v1/integration/{integration}", self.delete_integration)
        add("PATCH", "/v1/integration/{integration}/config", self.patch_integration_config)
        add("PATCH", "/v1/integration/{integration}/resync-state", self.patch_resync_state)
        add("GET", "/v1/integration/{integration}/resync-request", self.get_resync_request)
        add(
            "POST",
            "/v1/integration/{integration}/kinds/{kind}/examples",
            self.post_kind_examples,
        )
        add("GET", "/v1/integration/{integration}/cursor", self.get_cursor)
        add("PUT", "/v1/integration/{integration}/cursor", self.put_cursor)
        add("POST", "/v1/integration/{integration}/cursor", self.post_cursor)
        add("PATCH", "/v1/org/{org}/integration/probe/{probe}", self.patch_probe)
        # blueprints
        add("GET", "/v1/blueprints", self.list_blueprints)
        add("POST", "/v1/blueprints", self.create_blueprint)
        add(
            "POST",
            "/v1/blueprints/entities/datasource-entities",
            self.datasource_entities,
        )
        add("GET", "/v1/blueprints/{bp}", self.get_blueprint)
        add("PATCH", "/v1/blueprints/{bp}", self.patch_blueprint)
        add("PUT", "/v1/blueprints/{bp}", self.put_blueprint)
        add("DELETE", "/v1/blueprints/{bp}", self.delete_blueprint)
        add("DELETE", "/v1/blueprints/{bp}/all-entities", self.delete_all_entities)
        add("POST", "/v1/blueprints/{bp}/scorecards", self.create_scorecard)
        add("GET", "/v1/migrations/{migration}", self.get_migration)
        # entities
        add("POST", "/v1/blueprints/{bp}/entities/bulk", self.bulk_upsert)
        add("POST", "/v1/blueprints/{bp}/entities/search", self.blueprint_search)
        add("POST", "/v1/blueprints/{bp}/bulk/entities/delete", self.bulk_delete)
        add("GET", "/v1/blueprints/{bp}/entities", self.list_entities)
        add("POST", "/v1/blueprints/{bp}/entities", self.upsert_entity)
        add("GET", "/v1/blueprints/{bp}/entities/{entity:path}", self.get_entity)
        add("PUT", "/v1/blueprints/{bp}/entities/{entity:path}", self.put_entity)
        add("PATCH", "/v1/blueprints/{bp}/entities/{entity:path}", self.patch_entity)
        add("DELETE", "/v1/blueprints/{bp}/entities/{entity:path}", self.delete_entity)
        add("POST", "/v1/entities/search", self.search_entities)
        # defaults Ocean may create besides blueprints
        add("POST", "/v1/actions", self.create_action)
        add("POST", "/v1/pages", self.create_page)
        add("DELETE", "/v1/pages/{page}", self.delete_page)
        add("POST", "/_ingest/{integration}/{kind}", self.ingest, auth=False)
        add("POST", "/_ingest/{integration}/{kind}/{rest:path}", self.ingest, auth=False)
        # simulator control and observation (no auth, not counted, no faults)
        sim = self._add
        sim("GET", "/_sim/health", self.sim_health)
        sim("GET", "/_sim/state", self.sim_state)
        sim("GET", "/_sim/stats", self.sim_stats)
        sim("POST", "/_sim/stats/reset", self.sim_stats_reset)
        sim("GET", "/_sim/faults", self.sim_get_faults)
        sim("PATCH", "/_sim/faults", self.sim_add_faults)
        sim("POST", "/_sim/faults", self.sim_add_faults)
        sim("PUT", "/_sim/faults", self.sim_replace_faults)
        sim("DELETE", "/_sim/faults", self.sim_clear_faults)
        sim("POST", "/_sim/dump", self.sim_dump)
        sim("POST", "/_sim/reset", self.sim_reset)
        sim("GET", "/_sim/entities", self.sim_list_entities)
        sim("POST", "/_sim/entities", self.sim_seed_entities)
        sim("POST", "/_sim/blueprints", self.sim_seed_blueprints)
        sim("GET", "/_sim/logs", self.sim_logs)
        sim("GET", "/_sim/ingest", self.sim_ingest)
        sim("POST", "/_sim/integrations/{integration}/resync-request", self.sim_resync_request)
        sim("POST", "/_sim/tokens/revoke", self.sim_revoke_tokens)
        sim("PATCH", "/_sim/organization", self.sim_patch_organization)

    def _add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        authenticate = auth and not is_control(template)

        async def endpoint(request: Request) -> Response:
            ctx = Ctx(request=request, params=dict(request.path_params), sim=self)
            if authenticate:
                ctx.actor = self._authenticate(request)
            return await handler(ctx)

        self.routes.append(Route(template, endpoint, methods=[method]))

    # --------------------------------------------------------------------- auth

    def issue_token(self, client_id: str) -> str:
        now = int(time.time())
        self.tokens_issued += 1
        claims = {
            "sub": client_id,
            "orgId": self.config.org_id,
            "isMachine": True,
            "iat": now,
            "exp": now + self.config.token_ttl_seconds,
            "gen": self.token_generation,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.config.jwt_secret, algorithm="HS256")

    def _authenticate(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise PortError(401, "unauthorized", "Missing or malformed Authorization header")
        try:
            claims = jwt.decode(token.strip(), self.config.jwt_secret, algorithms=["HS256"])
        except jwt.ExpiredSignatureError as exc:
            raise PortError(401, "unauthorized", "Access token expired") from exc
        except jwt.PyJWTError as exc:
            raise PortError(401, "unauthorized", "Invalid access token") from exc
        if claims.get("gen") != self.token_generation:
            raise PortError(401, "unauthorized", "Access token was revoked")
        return str(claims.get("sub", ""))

    async def access_token(self, ctx: Ctx) -> Response:
        body = await ctx.json_object()
        client_id, client_secret = body.get("clientId"), body.get("clientSecret")
        if not (
            isinstance(client_id, str)
            and isinstance(client_secret, str)
            and secrets.compare_digest(client_id, self.config.client_id)
            and secrets.compare_digest(client_secret, self.config.client_secret)
        ):
            raise PortError(401, "unauthorized", "Invalid clientId or clientSecret")
        return ok(
            {
                "accessToken": self.issue_token(client_id),
                "expiresIn": self.config.token_ttl_seconds,
                "tokenType": "Bearer",
            }
        )

    # ------------------------------------------------------------- organization

    def organization(self) -> dict[str, Any]:
        return {
            "id": self.config.org_id,
            "name": self.config.org_name,
            "featureFlags": list(self.config.feature_flags),
        }

    async def get_organization(self, ctx: Ctx) -> Response:
        return ok({"organization": self.organization()})

    # ------------------------------------------------------------- integrations

    def render_integration(self, ctx: Ctx, integration: dict[str, Any]) -> dict[str, Any]:
        out = dict(integration)
        if self.config.ingest_attributes:
            identifier = integration["identifier"]
            base = f"{ctx.base_url}/_ingest/{identifier}"
            out["logAttributes"] = {"ingestId": identifier, "ingestUrl": f"{base}/logs"}
            out["metricAttributes"] = {"ingestId": identifier, "ingestUrl": f"{base}/metrics"}
            out["ingestAttributes"] = {"ingestUrl": f"{base}/data"}
        return out

    async def provision_enabled(self, ctx: Ctx) -> Response:
        return ok({"integrations": list(self.config.provision_enabled)})

    async def create_integration(self, ctx: Ctx) -> Response:
        integration = self.state.create_integration(await ctx.json(), ctx.actor, self.config.org_id)
        return ok({"integration": self.render_integration(ctx, integration)}, status=201)

    async def get_integration(self, ctx: Ctx) -> Response:
        integration = self.state.get_integration(ctx.params["integration"])
        return ok({"integration": self.render_integration(ctx, integration)})

    async def patch_integration(self, ctx: Ctx) -> Response:
        integration = self.state.patch_integration(
            ctx.params["integration"], await ctx.json(), ctx.actor
        )
        return ok({"integration": self.render_integration(ctx, integration)})

    async def delete_integration(self, ctx: Ctx) -> Response:
        self.state.delete_integration(ctx.params["integration"])
        return ok()

    async def patch_integration_config(self, ctx: Ctx) -> Response:
        skip = ctx.request.headers.get("x-skip-resync", "").lower() in TRUE_VALUES
        integration = self.state.patch_integration_config(
            ctx.params["integration"], await ctx.json(), ctx.actor, skip_resync=skip
        )
        return ok({"integration": self.render_integration(ctx, integration)})

    async def patch_resync_state(self, ctx: Ctx) -> Response:
        integration = self.state.patch_resync_state(ctx.params["integration"], await ctx.json())
        return ok({"integration": self.render_integration(ctx, integration)})

    async def get_resync_request(self, ctx: Ctx) -> Response:
        identifier = ctx.params["integration"]
        self.state.get_integration(identifier)
        return ok({"request": self.state.resync_requests.get(identifier)})

    async def post_kind_examples(self, ctx: Ctx) -> Response:
        identifier = ctx.params["integration"]
        self.state.get_integration(identifier)
        body = await ctx.json_object()
        examples = body.get("examples")
        if not isinstance(examples, list):
            raise invalid('Body must be {"examples": [...]}')
        self.state.kind_examples.setdefault(identifier, {})[ctx.params["kind"]] = examples
        return ok()

    def _cursor_key(self, ctx: Ctx) -> str:
        identifier = ctx.params["integration"]
        self.state.get_integration(identifier)
        kind = ctx.request.query_params.get("kind", "")
        index = ctx.request.query_params.get("index", "0")
        return f"{identifier}|{kind}|{index}"

    async def get_cursor(self, ctx: Ctx) -> Response:
        return ok({"cursor": self.state.cursors.get(self._cursor_key(ctx))})

    async def put_cursor(self, ctx: Ctx) -> Response:
        key = self._cursor_key(ctx)
        if key not in self.state.cursors:
            raise not_found("Cursor not found")
        self.state.cursors[key] = await ctx.json_object()
        return ok({"cursor": self.state.cursors[key]})

    async def post_cursor(self, ctx: Ctx) -> Response:
        key = self._cursor_key(ctx)
        self.state.cursors[key] = await ctx.json_object()
        return ok({"cursor": self.state.cursors[key]}, status=201)

    async def patch_probe(self, ctx: Ctx) -> Response:
        self.state.probe_results[ctx.params["probe"]] = await ctx.json_object()
        return ok()

    # --------------------------------------------------------------- blueprints

    async def list_blueprints(self, ctx: Ctx) -> Response:
        return ok({"blueprints": list(self.state.blueprints.values())})

    async def create_blueprint(self, ctx: Ctx) -> Response:
        blueprint = self.state.create_blueprint(await ctx.json(), ctx.actor)
        return ok({"blueprint": blueprint}, status=201)

    async def get_blueprint(self, ctx: Ctx) -> Response:
        return ok({"blueprint": self.state.get_blueprint(ctx.params["bp"])})

    async def patch_blueprint(self, ctx: Ctx) -> Response:
        blueprint = self.state.update_blueprint(
            ctx.params["bp"], await ctx.json(), replace=False, actor=ctx.actor
        )
        return ok({"blueprint": blueprint})

    async def put_blueprint(self, ctx: Ctx) -> Response:
        blueprint = self.state.update_blueprint(
            ctx.params["bp"], await ctx.json(), replace=True, actor=ctx.actor
        )
        return ok({"blueprint": blueprint})

    async def delete_blueprint(self, ctx: Ctx) -> Response:
        self.state.delete_blueprint(ctx.params["bp"])
        return ok()

    async def delete_all_entities(self, ctx: Ctx) -> Response:
        migration_id = self.state.delete_all_entities(
            ctx.params["bp"], delete_blueprint=ctx.flag("delete_blueprint")
        )
        return ok({"migrationId": migration_id}, status=202)

    async def get_migration(self, ctx: Ctx) -> Response:
        migration = self.state.migrations.get(ctx.params["migration"])
        if migration is None:
            raise not_found(f'Migration "{ctx.params["migration"]}" was not found')
        return ok({"migration": migration})

    async def create_scorecard(self, ctx: Ctx) -> Response:
        blueprint_id = ctx.params["bp"]
        self.state.get_blueprint(blueprint_id)
        body = await ctx.json_object()
        identifier = body.get("identifier")
        if not isinstance(identifier, str):
            raise invalid("A scorecard needs an 'identifier'")
        self.state.scorecards.setdefault(blueprint_id, {})[identifier] = body
        return ok({"scorecard": body}, status=201)

    async def create_action(self, ctx: Ctx) -> Response:
        body = await ctx.json_object()
        identifier = body.get("identifier")
        if not isinstance(identifier, str):
            raise invalid("An action needs an 'identifier'")
        if identifier in self.state.actions:
            raise PortError(409, "identifier_taken", f'Action "{identifier}" already exists')
        self.state.actions[identifier] = body
        return ok({"action": body}, status=201)

    async def create_page(self, ctx: Ctx) -> Response:
        body = await ctx.json_object()
        identifier = body.get("identifier")
        if not isinstance(identifier, str):
            raise invalid("A page needs an 'identifier'")
        if identifier in self.state.pages:
            raise PortError(409, "identifier_taken", f'Page "{identifier}" already exists')
        self.state.pages[identifier] = body
        return ok({"page": body}, status=201)

    async def delete_page(self, ctx: Ctx) -> Response:
        if self.state.pages.pop(ctx.params["page"], None) is None:
            raise not_found(f'Page "{ctx.params["page"]}" was not found')
        return ok()

    # ----------------------------------------------------------------- entities

    def _options(self, ctx: Ctx, *, merge_default: bool = False) -> UpsertOptions:
        return UpsertOptions(
            upsert=ctx.flag("upsert"),
            merge=ctx.flag("merge", merge_default),
            create_missing_related_entities=ctx.flag("create_missing_related_entities"),
            validation_only=ctx.flag("validation_only"),
        )

    def _render(self, ctx: Ctx, record: EntityRecord) -> dict[str, Any]:
        return self.state.render_entity(
            record, calculated=not ctx.flag("exclude_calculated_properties")
        )

    async def upsert_entity(self, ctx: Ctx) -> Response:
        body = await ctx.json()
        outcome = self.state.upsert_entity(ctx.params["bp"], body, self._options(ctx), ctx.writer)
        status = 201 if outcome.created and not ctx.flag("validation_only") else 200
        return ok({"entity": self._render(ctx, outcome.record)}, status=status)

    async def put_entity(self, ctx: Ctx) -> Response:
        return await self._update_entity(ctx, merge=False)

    async def patch_entity(self, ctx: Ctx) -> Response:
        return await self._update_entity(ctx, merge=True)

    async def _update_entity(self, ctx: Ctx, *, merge: bool) -> Response:
        self.state.get_entity(ctx.params["bp"], ctx.params["entity"])
        body = dict(await ctx.json_object())
        body["identifier"] = ctx.params["entity"]
        options = UpsertOptions(
            upsert=True,
            merge=merge,
            create_missing_related_entities=ctx.flag("create_missing_related_entities"),
        )
        outcome = self.state.upsert_entity(ctx.params["bp"], body, options, ctx.writer)
        return ok({"entity": self._render(ctx, outcome.record)})

    async def bulk_upsert(self, ctx: Ctx) -> Response:
        blueprint_id = ctx.params["bp"]
        raw = await ctx.request.body()
        if len(raw) > self.config.max_bulk_bytes:
            raise PortError(
                413,
                "request_too_large",
                f"Bulk request body is {len(raw)} bytes; the limit is {self.config.max_bulk_bytes}",
            )
        body = await ctx.json_object()
        entities = body.get("entities")
        if not isinstance(entities, list) or not entities:
            raise invalid('Body must be {"entities": [...]} with at least one entity')
        if len(entities) > self.config.max_bulk_entities:
            raise PortError(
                413,
                "request_too_large",
                f"A bulk upsert accepts at most {self.config.max_bulk_entities} entities, "
                f"got {len(entities)}",
            )
        results, errors = self.state.bulk_upsert(
            blueprint_id, entities, self._options(ctx), ctx.writer
        )
        return ok({"entities": results, "errors": errors}, status=207 if errors else 200)

    async def get_entity(self, ctx: Ctx) -> Response:
        record = self.state.get_entity(ctx.params["bp"], ctx.params["entity"])
        return ok({"entity": self._render(ctx, record)})

    async def list_entities(self, ctx: Ctx) -> Response:
        blueprint_id = ctx.params["bp"]
        self.state.get_blueprint(blueprint_id)
        records = list(self.state.entities.get(blueprint_id, {}).values())
        return ok({"entities": [self._render(ctx, r) for r in records]})

    async def delete_entity(self, ctx: Ctx) -> Response:
        deleted, errors = self.state.delete_entities(
            ctx.params["bp"],
            [ctx.params["entity"]],
            delete_dependents=ctx.flag("delete_dependents"),
        )
        if errors:
            error = errors[0]
            raise PortError(error["statusCode"], error["error"], error["message"])
        return ok({"deletedEntities": deleted})

    async def bulk_delete(self, ctx: Ctx) -> Response:
        body = await ctx.json_object()
        identifiers = body.get("entities")
        if not isinstance(identifiers, list) or not all(isinstance(i, str) for i in identifiers):
            raise invalid('Body must be {"entities": [identifier, ...]}')
        if len(identifiers) > self.config.max_bulk_delete:
            raise PortError(
                413,
                "request_too_large",
                f"A bulk delete accepts at most {self.config.max_bulk_delete} identifiers, "
                f"got {len(identifiers)}",
            )
        deleted, errors = self.state.delete_entities(
            ctx.params["bp"], identifiers, delete_dependents=ctx.flag("delete_dependents")
        )
        return ok({"deletedEntities": deleted, "errors": errors})

    async def search_entities(self, ctx: Ctx) -> Response:
        query = await ctx.json()
        records = self.state.search(query)
        include = ctx.request.query_params.getlist("include") or None
        exclude = ctx.request.query_params.getlist("exclude") or None
        calculated = not ctx.flag("exclude_calculated_properties")
        entities = [
            self.state.render_entity(r, include=include, exclude=exclude, calculated=calculated)
            for r in records
        ]
        blueprints = sorted({r.blueprint for r in records})
        return ok({"matchingBlueprints": blueprints, "entities": entities})

    async def blueprint_search(self, ctx: Ctx) -> Response:
        blueprint_id = ctx.params["bp"]
        body = await ctx.json()
        body = body if isinstance(body, dict) else {}
        query = body.get("query") or {"combinator": "and", "rules": []}
        limit = body.get("limit", SEARCH_DEFAULT_LIMIT)
        if not isinstance(limit, int) or not 1 <= limit <= SEARCH_MAX_LIMIT:
            raise invalid(f"'limit' must be an integer between 1 and {SEARCH_MAX_LIMIT}")
        offset = 0
        if body.get("from") is not None:
            try:
                offset = int(str(body["from"]))
            except ValueError as exc:
                raise invalid("Invalid 'from' cursor") from exc
        records = self.state.search(query, blueprint=blueprint_id)
        page = records[offset : offset + limit]
        next_cursor = str(offset + limit) if offset + limit < len(records) else None
        include = body.get("include") if isinstance(body.get("include"), list) else None
        exclude = body.get("exclude") if isinstance(body.get("exclude"), list) else None
        entities = [self.state.render_entity(r, include=include, exclude=exclude) for r in page]
        return ok({"entities": entities, "next": next_cursor})

    async def datasource_entities(self, ctx: Ctx) -> Response:
        body = await ctx.json_object()
        limit = body.get("limit", 5000)
        if not isinstance(limit, int) or not 1 <= limit <= self.config.max_datasource_page:
            raise invalid(
                f"'limit' must be an integer between 1 and {self.config.max_datasource_page}"
            )
        prefix, suffix = body.get("datasource_prefix"), body.get("datasource_suffix")
        before, cursor = body.get("before"), body.get("from")
        for name, value in (
            ("datasource_prefix", prefix),
            ("datasource_suffix", suffix),
            ("before", before),
            ("from", cursor),
        ):
            if value is not None and not isinstance(value, str):
                raise invalid(f"'{name}' must be a string")
        if not prefix and not suffix:
            raise invalid("Give 'datasource_prefix' and/or 'datasource_suffix'")
        entities, next_cursor = self.state.datasource_entities(
            prefix=prefix, suffix=suffix, limit=limit, before=before, cursor=cursor
        )
        return ok({"entities": entities, "next": next_cursor})

    # ------------------------------------------------------------------- ingest

    async def ingest(self, ctx: Ctx) -> Response:
        """The ingestUrls named in the integration record: logs, metrics, lakehouse data."""
        kind = ctx.params["kind"]
        self.ingest_counts[kind] += 1
        try:
            body = await ctx.json()
        except PortError:
            body = None
        if kind == "logs" and isinstance(body, dict) and isinstance(body.get("logs"), list):
            self.ingested_logs.extend(body["logs"])
        elif kind == "metrics" and isinstance(body, dict):
            self.last_metrics[ctx.params.get("rest") or "/"] = body
        return ok()

    # ---------------------------------------------------------------------- sim

    async def sim_health(self, ctx: Ctx) -> Response:
        return ok({"entities": self.state.entity_count()})

    def snapshot(self) -> dict[str, Any]:
        data = self.state.to_dict()
        data["organization"] = self.organization()
        return data

    async def sim_state(self, ctx: Ctx) -> Response:
        return JSONResponse(self.snapshot())

    def stats_json(self) -> dict[str, Any]:
        return {
            **self.stats.snapshot(),
            "writes": self.state.writes,
            "noop_writes": self.state.noop_writes,
            "deletes": self.state.deletes,
            "entities": self.state.entity_count(),
            "tokens_issued": self.tokens_issued,
        }

    async def sim_stats(self, ctx: Ctx) -> Response:
        return JSONResponse(self.stats_json())

    async def sim_stats_reset(self, ctx: Ctx) -> Response:
        self.stats.reset()
        self.state.reset_counters()
        self.tokens_issued = 0
        return ok()

    async def sim_get_faults(self, ctx: Ctx) -> Response:
        return JSONResponse(self.faults.to_json())

    async def _fault_rules(self, ctx: Ctx) -> Any:
        body = await ctx.json()
        if isinstance(body, list):
            return body
        if isinstance(body, dict):
            return body.get("rules", [body] if "path_regex" in body else None)
        raise bad_request('Body must be {"rules": [...]}')

    async def sim_add_faults(self, ctx: Ctx) -> Response:
        try:
            added = self.faults.add(await self._fault_rules(ctx))
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        return ok({"added": [rule.to_json() for rule in added], **self.faults.to_json()})

    async def sim_replace_faults(self, ctx: Ctx) -> Response:
        try:
            self.faults.replace(await self._fault_rules(ctx))
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        return ok(self.faults.to_json())

    async def sim_clear_faults(self, ctx: Ctx) -> Response:
        self.faults.clear()
        return ok()

    async def sim_dump(self, ctx: Ctx) -> Response:
        body = await ctx.json()
        path = body.get("path") if isinstance(body, dict) else None
        target = path or self.config.state_file
        if not target:
            raise bad_request('No state file configured; pass {"path": ...}')
        written = self.state.dump(target)
        return ok({"path": str(written), "entities": self.state.entity_count()})

    async def sim_reset(self, ctx: Ctx) -> Response:
        """A clean slate: empty catalog (system blueprints kept), no faults, zeroed stats."""
        self.state.reset()
        self.stats.reset()
        self.faults.clear()
        self.ingested_logs.clear()
        self.ingest_counts.clear()
        self.last_metrics.clear()
        return ok()

    async def sim_list_entities(self, ctx: Ctx) -> Response:
        blueprint = ctx.request.query_params.get("blueprint")
        datasource = ctx.request.query_params.get("datasource")
        records = [
            r.to_dict()
            for r in self.state.all_entities()
            if (blueprint is None or r.blueprint == blueprint)
            and (datasource is None or datasource in (r.datasource or ""))
        ]
        return ok({"entities": records})

    async def sim_seed_entities(self, ctx: Ctx) -> Response:
        body = await ctx.json_object()
        entities = body.get("entities")
        if not isinstance(entities, list):
            raise bad_request('Body must be {"entities": [...], "datasource": ...}')
        default_source = body.get("datasource", "port-api")
        created: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for index, item in enumerate(entities):
            if not isinstance(item, dict):
                errors.append({"index": index, "message": "entity must be an object"})
                continue
            item = dict(item)
            source = item.pop("datasource", default_source)
            try:
                outcome = self.state.seed_entity(item, source)
            except PortError as error:
                errors.append({"index": index, **error.body()})
                continue
            created.append({"index": index, "identifier": outcome.record.identifier})
        return ok({"entities": created, "errors": errors}, status=207 if errors else 200)

    async def sim_seed_blueprints(self, ctx: Ctx) -> Response:
        body = await ctx.json_object()
        blueprints = body.get("blueprints")
        if not isinstance(blueprints, list):
            raise bad_request('Body must be {"blueprints": [...]}')
        created = []
        for blueprint in blueprints:
            identifier = blueprint.get("identifier") if isinstance(blueprint, dict) else None
            if isinstance(identifier, str) and identifier in self.state.blueprints:
                created.append(self.state.update_blueprint(identifier, blueprint, replace=True))
            else:
                created.append(self.state.create_blueprint(blueprint))
        return ok({"blueprints": created})

    async def sim_logs(self, ctx: Ctx) -> Response:
        limit = int(ctx.request.query_params.get("limit", "200"))
        logs = list(self.ingested_logs)[-limit:] if limit > 0 else []
        return ok({"logs": logs, "total": len(self.ingested_logs)})

    async def sim_ingest(self, ctx: Ctx) -> Response:
        return ok({"counts": dict(self.ingest_counts), "lastMetrics": self.last_metrics})

    async def sim_resync_request(self, ctx: Ctx) -> Response:
        return ok({"request": self.state.request_resync(ctx.params["integration"])})

    async def sim_revoke_tokens(self, ctx: Ctx) -> Response:
        self.token_generation += 1
        return ok({"generation": self.token_generation})

    async def sim_patch_organization(self, ctx: Ctx) -> Response:
        body = await ctx.json_object()
        flags = body.get("featureFlags")
        if flags is not None:
            if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
                raise bad_request("'featureFlags' must be an array of strings")
            self.config.feature_flags = list(flags)
        if isinstance(body.get("name"), str):
            self.config.org_name = body["name"]
        return ok({"organization": self.organization()})


class Observed:
    """Counts, and injects the configured faults into, every request outside ``/_sim``."""

    def __init__(self, app: ASGIApp, sim: PortSim) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or is_control(path):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        stats = self.sim.stats
        template = route_template(self.sim.routes, scope)
        if template is None:
            stats.unmatched[f"{method} {path}"] += 1
        stats.begin(template or f"{method} {path}")
        status = [500]
        send = status_recorder(send, status)
        try:
            rule = self.sim.faults.take(method, path)
            if rule is not None and rule.delay_ms:
                await asyncio.sleep(rule.delay_ms / 1000)
            if rule is None or rule.status is None:
                await self.app(scope, receive, send)
                return
            stats.faults[str(rule.status)] += 1
            logger.info("port-sim: injected fault %s for %s %s", rule.status, method, path)
            body = rule.response_body(method, path)
            fault = JSONResponse(body, status_code=rule.status, headers=rule.headers())
            await fault(scope, receive, send)
        finally:
            stats.end(status[0])


async def _port_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PortError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        logger.warning("port-sim: unmodelled endpoint %s", where)
        message = f"Route {where} not found (not modelled by the Port simulator)"
        return error_response(not_found(message))
    return error_response(PortError(exc.status_code, "bad_request", f"{where}: {exc.detail}"))


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("port-sim: internal error on %s %s", request.method, request.url.path)
    return error_response(PortError(500, "internal_error", f"Port simulator error: {exc!r}"))


def create_app(config: SimConfig | None = None, state: SimState | None = None) -> Starlette:
    """Build the simulator app; ``app.state.port_sim`` is the :class:`PortSim` runtime."""
    sim = PortSim(config or SimConfig(), state or SimState())
    app = Starlette(
        routes=sim.routes,
        middleware=[Middleware(Observed, sim=sim)],
        exception_handlers={
            PortError: _port_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.port_sim = sim
    return app


def get_sim(app: Starlette) -> PortSim:
    sim = app.state.port_sim
    assert isinstance(sim, PortSim)
    return sim
