"""HTTP layer of the Port API simulator: a Starlette route table over :class:`SimState`."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.port_sim.config import SimConfig
from sandbox.port_sim.errors import PortError, bad_request, invalid, not_found
from sandbox.port_sim.faults import FaultInjector
from sandbox.port_sim.model import EntityRecord
from sandbox.port_sim.state import SimState, UpsertOptions, Writer, datasource_from_user_agent
from sandbox.serving import (
    Endpoint,
    RequestStats,
    is_control,
    route_table,
    route_template,
    status_recorder,
)

logger = logging.getLogger("port_sim")

TRUE_VALUES = {"true", "1", "yes"}


@dataclass
class Ctx:
    """One request as the handlers see it."""

    request: Request
    params: dict[str, str]
    sim: PortSim
    actor: str = ""

    async def json(self) -> Any:
        raw = await self.request.body()
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError as exc:
            raise PortError(400, "invalid_json", f"Request body is not valid JSON: {exc}") from exc

    async def json_object(self) -> dict[str, Any]:
        body = await self.json()
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        return body

    def flag(self, name: str) -> bool:
        return self.request.query_params.get(name, "").strip().lower() in TRUE_VALUES

    @property
    def writer(self) -> Writer:
        user_agent = self.request.headers.get("user-agent")
        return Writer(actor=self.actor, datasource=datasource_from_user_agent(user_agent))

    @property
    def options(self) -> UpsertOptions:
        return UpsertOptions(
            upsert=self.flag("upsert"),
            merge=self.flag("merge"),
            create_missing_related_entities=self.flag("create_missing_related_entities"),
        )


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
        self.ingested: Counter[str] = Counter()
        handlers: dict[str, Handler] = {
            "POST /v1/auth/access_token": self.access_token,
            "GET /v1/organization": self.get_organization,
            "GET /v1/integration/provision-enabled": self.provision_enabled,
            "POST /v1/integration": self.create_integration,
            "GET /v1/integration/{integration}": self.get_integration,
            "PATCH /v1/integration/{integration}": self.patch_integration,
            "PATCH /v1/integration/{integration}/config": self.patch_integration_config,
            "PATCH /v1/integration/{integration}/resync-state": self.patch_resync_state,
            "GET /v1/integration/{integration}/resync-request": self.get_resync_request,
            "POST /v1/integration/{integration}/kinds/{kind}/examples": self.kind_examples,
            "GET /v1/integration/{integration}/cursor": self.get_cursor,
            "PUT /v1/integration/{integration}/cursor": self.put_cursor,
            "POST /v1/integration/{integration}/cursor": self.post_cursor,
            "POST /v1/blueprints": self.create_blueprint,
            "POST /v1/blueprints/entities/datasource-entities": self.datasource_entities,
            "GET /v1/blueprints/{bp}": self.get_blueprint,
            "PATCH /v1/blueprints/{bp}": self.patch_blueprint,
            "DELETE /v1/blueprints/{bp}": self.delete_blueprint,
            "POST /v1/blueprints/{bp}/entities/bulk": self.bulk_upsert,
            "POST /v1/blueprints/{bp}/bulk/entities/delete": self.bulk_delete,
            "POST /v1/blueprints/{bp}/entities": self.upsert_entity,
            "GET /v1/blueprints/{bp}/entities/{entity:path}": self.get_entity,
            "DELETE /v1/blueprints/{bp}/entities/{entity:path}": self.delete_entity,
            "POST /v1/entities/search": self.search_entities,
            "POST,PUT /_ingest/{integration}/{kind}": self.ingest,
            "POST,PUT /_ingest/{integration}/{kind}/{rest:path}": self.ingest,
            "GET /_sim/state": self.sim_state,
            "GET /_sim/stats": self.sim_stats,
            "POST /_sim/stats/reset": self.sim_stats_reset,
            "PATCH /_sim/faults": self.sim_add_faults,
        }
        self.routes = route_table({key: self._endpoint(key, h) for key, h in handlers.items()})

    def _endpoint(self, key: str, handler: Handler) -> Endpoint:
        """The handler with its ``Ctx``; authenticated unless it is the token endpoint, an
        ingest URL or the ``/_sim`` control API."""
        path = key.partition(" ")[2]
        public = is_control(path) or path.startswith(("/_ingest/", "/v1/auth/"))

        async def endpoint(request: Request) -> Response:
            ctx = Ctx(request=request, params=dict(request.path_params), sim=self)
            if not public:
                ctx.actor = self._authenticate(request)
            return await handler(ctx)

        return endpoint

    # --------------------------------------------------------------------- auth

    def _authenticate(self, request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise PortError(401, "unauthorized", "Missing or malformed Authorization header")
        try:
            claims = jwt.decode(token.strip(), self.config.jwt_secret, algorithms=["HS256"])
        except jwt.ExpiredSignatureError as exc:
            raise PortError(401, "unauthorized", "Access token expired") from exc
        except jwt.PyJWTError as exc:
            raise PortError(401, "unauthorized", "Invalid access token") from exc
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
        now = int(time.time())
        claims = {
            "sub": client_id,
            "orgId": self.config.org_id,
            "iat": now,
            "exp": now + self.config.token_ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self.config.jwt_secret, algorithm="HS256")
        return ok(
            {
                "accessToken": token,
                "expiresIn": self.config.token_ttl_seconds,
                "tokenType": "Bearer",
            }
        )

    async def get_organization(self, ctx: Ctx) -> Response:
        organization = {"id": self.config.org_id, "name": "Sandbox", "featureFlags": []}
        return ok({"organization": organization})

    # ------------------------------------------------------------- integrations

    def _integration(self, ctx: Ctx, integration: dict[str, Any]) -> Response:
        """With ingest URLs pointing back here, like Port's own ingest service: without them
        Ocean logs errors when it ships logs and metrics."""
        identifier = integration["identifier"]
        base = f"{str(ctx.request.base_url).rstrip('/')}/_ingest/{identifier}"
        return ok(
            {
                "integration": {
                    **integration,
                    "logAttributes": {"ingestId": identifier, "ingestUrl": f"{base}/logs"},
                    "metricAttributes": {"ingestId": identifier, "ingestUrl": f"{base}/metrics"},
                    "ingestAttributes": {"ingestUrl": f"{base}/data"},
                }
            }
        )

    async def provision_enabled(self, ctx: Ctx) -> Response:
        return ok({"integrations": []})

    async def create_integration(self, ctx: Ctx) -> Response:
        integration = self.state.create_integration(await ctx.json(), ctx.actor)
        response = self._integration(ctx, integration)
        response.status_code = 201
        return response

    async def get_integration(self, ctx: Ctx) -> Response:
        return self._integration(ctx, self.state.get_integration(ctx.params["integration"]))

    async def patch_integration(self, ctx: Ctx) -> Response:
        identifier = ctx.params["integration"]
        patched = self.state.patch_integration(identifier, await ctx.json(), ctx.actor)
        return self._integration(ctx, patched)

    async def patch_integration_config(self, ctx: Ctx) -> Response:
        config = (await ctx.json_object()).get("config")
        if not isinstance(config, dict):
            raise invalid('Body must be {"config": {...}}')
        identifier = ctx.params["integration"]
        patched = self.state.patch_integration(identifier, {"config": config}, ctx.actor)
        return self._integration(ctx, patched)

    async def patch_resync_state(self, ctx: Ctx) -> Response:
        identifier = ctx.params["integration"]
        return self._integration(ctx, self.state.patch_resync_state(identifier, await ctx.json()))

    async def get_resync_request(self, ctx: Ctx) -> Response:
        self.state.get_integration(ctx.params["integration"])
        return ok({"request": None})

    async def kind_examples(self, ctx: Ctx) -> Response:
        identifier = ctx.params["integration"]
        self.state.get_integration(identifier)
        examples = (await ctx.json_object()).get("examples")
        if not isinstance(examples, list):
            raise invalid('Body must be {"examples": [...]}')
        self.state.kind_examples.setdefault(identifier, {})[ctx.params["kind"]] = examples
        return ok()

    def _cursors(self, ctx: Ctx) -> tuple[dict[str, dict[str, Any]], str]:
        """The integration's cursors, and the key of the one asked (`?kind=&index=`)."""
        identifier = ctx.params["integration"]
        self.state.get_integration(identifier)
        query = ctx.request.query_params
        if not query.get("kind"):
            raise invalid("Query parameters kind and index are required")
        key = f"{query['kind']}|{query.get('index', '0')}"
        return self.state.cursors.setdefault(identifier, {}), key

    async def get_cursor(self, ctx: Ctx) -> Response:
        cursors, key = self._cursors(ctx)
        return ok({"cursor": cursors.get(key)})

    async def put_cursor(self, ctx: Ctx) -> Response:
        cursors, key = self._cursors(ctx)
        if key not in cursors:
            raise not_found(f"Cursor {key} not found")
        cursors[key] = await ctx.json_object()
        return ok({"cursor": cursors[key]})

    async def post_cursor(self, ctx: Ctx) -> Response:
        cursors, key = self._cursors(ctx)
        cursors[key] = await ctx.json_object()
        return ok({"cursor": cursors[key]}, status=201)

    # --------------------------------------------------------------- blueprints

    async def create_blueprint(self, ctx: Ctx) -> Response:
        blueprint = self.state.create_blueprint(await ctx.json(), ctx.actor)
        return ok({"blueprint": blueprint}, status=201)

    async def get_blueprint(self, ctx: Ctx) -> Response:
        return ok({"blueprint": self.state.get_blueprint(ctx.params["bp"])})

    async def patch_blueprint(self, ctx: Ctx) -> Response:
        body = await ctx.json()
        return ok({"blueprint": self.state.patch_blueprint(ctx.params["bp"], body, ctx.actor)})

    async def delete_blueprint(self, ctx: Ctx) -> Response:
        self.state.delete_blueprint(ctx.params["bp"])
        return ok()

    # ----------------------------------------------------------------- entities

    async def upsert_entity(self, ctx: Ctx) -> Response:
        body = await ctx.json()
        record, created = self.state.upsert_entity(ctx.params["bp"], body, ctx.options, ctx.writer)
        return ok({"entity": record.to_api()}, status=201 if created else 200)

    async def bulk_upsert(self, ctx: Ctx) -> Response:
        raw = await ctx.request.body()
        limit = self.config.max_bulk_bytes
        if len(raw) > limit:
            message = f"Bulk request body is {len(raw)} bytes; the limit is {limit}"
            raise PortError(413, "request_too_large", message)
        entities = (await ctx.json_object()).get("entities")
        if not isinstance(entities, list) or not entities:
            raise invalid('Body must be {"entities": [...]} with at least one entity')
        if len(entities) > self.config.max_bulk_entities:
            message = (
                f"A bulk upsert accepts at most {self.config.max_bulk_entities} entities, "
                f"got {len(entities)}"
            )
            raise PortError(413, "request_too_large", message)
        results, errors = self.state.bulk_upsert(
            ctx.params["bp"], entities, ctx.options, ctx.writer
        )
        return ok({"entities": results, "errors": errors}, status=207 if errors else 200)

    async def get_entity(self, ctx: Ctx) -> Response:
        record = self.state.get_entity(ctx.params["bp"], ctx.params["entity"])
        return ok({"entity": record.to_api()})

    async def delete_entity(self, ctx: Ctx) -> Response:
        deleted, errors = self.state.delete_entities(ctx.params["bp"], [ctx.params["entity"]])
        if errors:
            raise PortError(errors[0]["statusCode"], errors[0]["error"], errors[0]["message"])
        return ok({"deletedEntities": deleted})

    async def bulk_delete(self, ctx: Ctx) -> Response:
        identifiers = (await ctx.json_object()).get("entities")
        if not isinstance(identifiers, list) or not all(isinstance(i, str) for i in identifiers):
            raise invalid('Body must be {"entities": [identifier, ...]}')
        if len(identifiers) > self.config.max_bulk_delete:
            message = (
                f"A bulk delete accepts at most {self.config.max_bulk_delete} identifiers, "
                f"got {len(identifiers)}"
            )
            raise PortError(413, "request_too_large", message)
        deleted, errors = self.state.delete_entities(ctx.params["bp"], identifiers)
        return ok({"deletedEntities": deleted, "errors": errors})

    async def search_entities(self, ctx: Ctx) -> Response:
        records = self.state.search(await ctx.json())
        include = ctx.request.query_params.getlist("include")
        entities = [_projected(record, include) for record in records]
        return ok(
            {"matchingBlueprints": sorted({r.blueprint for r in records}), "entities": entities}
        )

    async def datasource_entities(self, ctx: Ctx) -> Response:
        body = await ctx.json_object()
        limit = body.get("limit", 5000)
        if not isinstance(limit, int) or not 1 <= limit <= self.config.max_datasource_page:
            raise invalid(
                f"'limit' must be an integer between 1 and {self.config.max_datasource_page}"
            )
        prefix, suffix = body.get("datasource_prefix"), body.get("datasource_suffix")
        if not prefix and not suffix:
            raise invalid("Give 'datasource_prefix' and/or 'datasource_suffix'")
        entities, next_cursor = self.state.datasource_entities(
            prefix=prefix,
            suffix=suffix,
            limit=limit,
            before=body.get("before"),
            cursor=body.get("from"),
        )
        return ok({"entities": entities, "next": next_cursor})

    async def ingest(self, ctx: Ctx) -> Response:
        """The ingestUrls named in the integration record (logs, metrics): counted, dropped."""
        self.ingested[ctx.params["kind"]] += 1
        return ok()

    # ---------------------------------------------------------------------- sim

    async def sim_state(self, ctx: Ctx) -> Response:
        return JSONResponse(self.state.to_dict())

    async def sim_stats(self, ctx: Ctx) -> Response:
        counters = self.state.to_dict()["counters"]
        return JSONResponse({**self.stats.snapshot(), **counters, "ingested": dict(self.ingested)})

    async def sim_stats_reset(self, ctx: Ctx) -> Response:
        self.stats.reset()
        self.state.reset_counters()
        return ok()

    async def sim_add_faults(self, ctx: Ctx) -> Response:
        try:
            self.faults.add((await ctx.json_object()).get("rules"))
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        return ok()


def _projected(record: EntityRecord, include: list[str]) -> dict[str, Any]:
    """The entity with only the ``include`` keys (``properties.x`` picks one property)."""
    entity = record.to_api()
    if not include:
        return entity
    out: dict[str, Any] = {}
    for path in include:
        head, _, rest = path.partition(".")
        if not rest and head in entity:
            out[head] = entity[head]
        elif rest and rest in entity.get(head, {}):
            out.setdefault(head, {})[rest] = entity[head][rest]
    return out


class Observed:
    """Counts, delays by the configured latency and injects the configured faults into every
    request outside ``/_sim``."""

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
            if self.sim.config.latency_ms > 0:
                await asyncio.sleep(self.sim.config.latency_ms / 1000)
            rule = self.sim.faults.take(method, path)
            if rule is None:
                await self.app(scope, receive, send)
                return
            stats.faults[str(rule.status)] += 1
            logger.info("port-sim: injected fault %s for %s %s", rule.status, method, path)
            fault = PortError(rule.status, "injected_fault", f"Injected fault for {method} {path}")
            await error_response(fault)(scope, receive, send)
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
        return error_response(
            not_found(f"Route {where} not found (not modelled by the Port simulator)")
        )
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
