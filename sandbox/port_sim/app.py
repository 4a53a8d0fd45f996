"""HTTP layer of the Port API simulator: a Starlette route table over :class:`SimState`."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.port_sim.faults import FaultInjector
from sandbox.port_sim.model import EntityRecord, PortError, invalid, not_found
from sandbox.port_sim.state import SimState
from sandbox.serving import (
    Endpoint,
    RequestStats,
    is_control,
    route_table,
    route_template,
    status_recorder,
)

logger = logging.getLogger("port_sim")

TOKEN_TTL_SECONDS = 3 * 60 * 60  # Port's access tokens last three hours
# Port's limits on a bulk upsert: 20 entities, and 1 MiB (Ocean's own
# ``upsert_entities_batch_max_size_in_bytes``).
MAX_BULK_ENTITIES = 20
MAX_BULK_BYTES = 1024 * 1024
ORGANIZATION = {"id": "org_sandbox", "name": "Sandbox", "featureFlags": []}


@dataclass
class SimConfig:
    """The credentials the simulator accepts, and its latency."""

    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    # Every API request (not /_sim) waits this long before it is served: the round trip to
    # Port's cloud, so benchmarks show which of Ocean's requests overlap (standard: 100).
    latency_ms: float = 0.0


def ok(payload: dict[str, Any] | None = None, status: int = 200) -> JSONResponse:
    return JSONResponse({"ok": True, **(payload or {})}, status_code=status)


def answer(payload: dict[str, Any] | None = None) -> Endpoint:
    """An endpoint that always answers ``payload``: what Ocean sends there (raw-data examples,
    logs and metrics to the ingest URLs) is counted and dropped, as nothing reads it back."""

    async def endpoint(request: Request) -> Response:
        return ok(payload)

    return endpoint


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PortError(400, "bad_request", "Request body must be a JSON object")
    return body


class PortSim:
    """The running simulator: state, config, faults, stats and the route table."""

    def __init__(self, config: SimConfig, state: SimState) -> None:
        self.config = config
        self.state = state
        self.faults = FaultInjector()
        self.stats = RequestStats()
        self.token = secrets.token_urlsafe(32)
        api: dict[str, Endpoint] = {
            "GET /v1/organization": answer({"organization": ORGANIZATION}),
            "GET /v1/integration/provision-enabled": answer({"integrations": []}),
            "POST /v1/integration": self.create_integration,
            "GET /v1/integration/{integration}": self.get_integration,
            "PATCH /v1/integration/{integration}": self.patch_integration,
            "PATCH /v1/integration/{integration}/resync-state": self.patch_resync_state,
            "GET /v1/integration/{integration}/resync-request": answer({"request": None}),
            "POST /v1/integration/{integration}/kinds/{kind}/examples": answer(),
            "GET /v1/integration/{integration}/cursor": self.get_cursor,
            "PUT,POST /v1/integration/{integration}/cursor": self.save_cursor,
            "POST /v1/blueprints": self.create_blueprint,
            "POST /v1/blueprints/entities/datasource-entities": self.datasource_entities,
            "GET /v1/blueprints/{bp}": self.get_blueprint,
            "PATCH /v1/blueprints/{bp}": self.patch_blueprint,
            "POST /v1/blueprints/{bp}/entities/bulk": self.bulk_upsert,
            "POST /v1/blueprints/{bp}/bulk/entities/delete": self.bulk_delete,
            "POST /v1/entities/search": self.search_entities,
        }
        public: dict[str, Endpoint] = {
            "POST /v1/auth/access_token": self.access_token,
            "POST,PUT /_ingest/{integration}/{kind}/{rest:path}": answer(),
            # Ocean posts its logs to the log ingest URL itself, with nothing after it
            "POST /_ingest/{integration}/logs": self.ship_logs,
            "GET /_sim/logs": self.sim_logs,
            "GET /_sim/state": self.sim_state,
            "GET /_sim/stats": self.sim_stats,
            "GET /_sim/history": self.sim_history,
            "PATCH /_sim/faults": self.sim_add_faults,
        }
        authenticated = {key: self._authenticated(handler) for key, handler in api.items()}
        self.routes = route_table({**authenticated, **public})

    def _authenticated(self, handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or token.strip() != self.token:
                raise PortError(401, "unauthorized", "Missing or invalid access token")
            return await handler(request)

        return endpoint

    async def access_token(self, request: Request) -> Response:
        body = await _body(request)
        credentials = (body.get("clientId"), body.get("clientSecret"))
        if credentials != (self.config.client_id, self.config.client_secret):
            raise PortError(401, "unauthorized", "Invalid clientId or clientSecret")
        token = {"accessToken": self.token, "expiresIn": TOKEN_TTL_SECONDS, "tokenType": "Bearer"}
        return ok(token)

    # ------------------------------------------------------------- integrations

    def _integration(
        self, request: Request, integration: dict[str, Any], status: int = 200
    ) -> Response:
        """With ingest URLs pointing back here, like Port's own ingest service: without them
        Ocean logs errors when it ships logs and metrics."""
        identifier = integration["identifier"]
        base = f"{str(request.base_url).rstrip('/')}/_ingest/{identifier}"
        ingest = {
            "logAttributes": {"ingestId": identifier, "ingestUrl": f"{base}/logs"},
            "metricAttributes": {"ingestId": identifier, "ingestUrl": f"{base}/metrics"},
            "ingestAttributes": {"ingestUrl": f"{base}/data"},
        }
        return ok({"integration": {**integration, **ingest}}, status=status)

    async def create_integration(self, request: Request) -> Response:
        integration = self.state.create_integration(await _body(request))
        return self._integration(request, integration, status=201)

    async def get_integration(self, request: Request) -> Response:
        identifier = request.path_params["integration"]
        return self._integration(request, self.state.get_integration(identifier))

    async def patch_integration(self, request: Request) -> Response:
        identifier = request.path_params["integration"]
        patched = self.state.patch_integration(identifier, await _body(request))
        return self._integration(request, patched)

    async def patch_resync_state(self, request: Request) -> Response:
        identifier = request.path_params["integration"]
        patched = self.state.patch_resync_state(identifier, await _body(request))
        return self._integration(request, patched)

    def _cursors(self, request: Request) -> tuple[dict[str, dict[str, Any]], str]:
        """The integration's cursors, and the key of the one asked (`?kind=&index=`)."""
        identifier = request.path_params["integration"]
        self.state.get_integration(identifier)
        key = f"{request.query_params['kind']}|{request.query_params['index']}"
        return self.state.cursors.setdefault(identifier, {}), key

    async def get_cursor(self, request: Request) -> Response:
        cursors, key = self._cursors(request)
        return ok({"cursor": cursors.get(key)})

    async def save_cursor(self, request: Request) -> Response:
        """POST creates a cursor; PUT replaces one, and answers 404 when there is none."""
        cursors, key = self._cursors(request)
        if request.method == "PUT" and key not in cursors:
            raise not_found(f"Cursor {key} not found")
        cursors[key] = await _body(request)
        return ok({"cursor": cursors[key]}, status=201 if request.method == "POST" else 200)

    # --------------------------------------------------------------- blueprints

    async def create_blueprint(self, request: Request) -> Response:
        blueprint = self.state.create_blueprint(await _body(request))
        return ok({"blueprint": blueprint}, status=201)

    async def get_blueprint(self, request: Request) -> Response:
        return ok({"blueprint": self.state.get_blueprint(request.path_params["bp"])})

    async def patch_blueprint(self, request: Request) -> Response:
        body = await _body(request)
        return ok({"blueprint": self.state.patch_blueprint(request.path_params["bp"], body)})

    # ----------------------------------------------------------------- entities

    async def bulk_upsert(self, request: Request) -> Response:
        size = len(await request.body())
        entities = (await _body(request)).get("entities")
        if not isinstance(entities, list) or not entities:
            raise invalid('Body must be {"entities": [...]} with at least one entity')
        if len(entities) > MAX_BULK_ENTITIES or size > MAX_BULK_BYTES:
            message = (
                f"A bulk upsert takes at most {MAX_BULK_ENTITIES} entities and {MAX_BULK_BYTES}"
                f" bytes, got {len(entities)} entities and {size} bytes"
            )
            raise PortError(413, "request_too_large", message)
        bp = request.path_params["bp"]
        # the datasource is the writer's User-Agent: Ocean's is
        # port-ocean/{type}/{version}/{identifier}/{exporter|gitops}
        datasource = request.headers.get("user-agent", "")
        results, errors = self.state.bulk_upsert(bp, entities, datasource)
        return ok({"entities": results, "errors": errors}, status=207 if errors else 200)

    async def bulk_delete(self, request: Request) -> Response:
        identifiers = (await _body(request))["entities"]  # Ocean's: a list of identifiers
        deleted = self.state.delete_entities(request.path_params["bp"], identifiers)
        return ok({"deletedEntities": deleted})

    async def search_entities(self, request: Request) -> Response:
        records = self.state.search(await _body(request))
        include = request.query_params.getlist("include")
        return ok({"entities": [_projected(record, include) for record in records]})

    async def datasource_entities(self, request: Request) -> Response:
        entities, next_cursor = self.state.datasource_entities(await _body(request))
        return ok({"entities": entities, "next": next_cursor})

    # ---------------------------------------------------------------------- sim

    async def sim_state(self, request: Request) -> Response:
        return JSONResponse(self.state.to_dict())

    async def ship_logs(self, request: Request) -> Response:
        self.state.ship_logs(await _body(request))
        return ok()

    async def sim_logs(self, request: Request) -> Response:
        """The log lines shipped to Port (``GET /_sim/logs``), oldest first."""
        return JSONResponse({"logs": list(self.state.shipped_logs)})

    async def sim_stats(self, request: Request) -> Response:
        return JSONResponse({**self.stats.snapshot(), **self.state.counters()})

    async def sim_history(self, request: Request) -> Response:
        return JSONResponse(self.state.titles(request.query_params.get("blueprint", "")))

    async def sim_add_faults(self, request: Request) -> Response:
        self.faults.add((await _body(request)).get("rules"))
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
        stats.begin(route_template(self.sim.routes, scope) or f"{method} (unmatched)")
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
            await JSONResponse(fault.body(), status_code=fault.status)(scope, receive, send)
        finally:
            stats.end(status[0])


async def _error(request: Request, exc: Exception) -> Response:
    """Every error as Port answers it: a PortError as it is, Starlette's 404 and 405 named as
    routes the simulator does not model, anything else a 500."""
    where = f"{request.method} {request.url.path}"
    if isinstance(exc, HTTPException):
        logger.warning("port-sim: unmodelled endpoint %s", where)
        message = f"Route {where} not found (not modelled by the Port simulator)"
        error = "not_found" if exc.status_code == 404 else "method_not_allowed"
        exc = PortError(exc.status_code, error, message)
    elif not isinstance(exc, PortError):
        logger.exception("port-sim: internal error on %s", where)
        exc = PortError(500, "internal_error", f"Port simulator error: {exc!r}")
    return JSONResponse(exc.body(), status_code=exc.status)


def create_app(config: SimConfig | None = None, state: SimState | None = None) -> Starlette:
    """Build the simulator app; ``app.state.port_sim`` is the :class:`PortSim` runtime."""
    sim = PortSim(config or SimConfig(), state or SimState())
    handlers: dict[Any, Callable[[Request, Exception], Any]] = {
        kind: _error for kind in (PortError, HTTPException, Exception)
    }
    app = Starlette(
        routes=sim.routes, middleware=[Middleware(Observed, sim=sim)], exception_handlers=handlers
    )
    app.state.port_sim = sim
    return app


def get_sim(app: Starlette) -> PortSim:
    sim = app.state.port_sim
    assert isinstance(sim, PortSim)
    return sim
