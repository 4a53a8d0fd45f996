"""``create_app(config, dataset)``: the Starlette app simulating a Jira Cloud site.

Request pipeline (outside ``/_sim``): OAuth-gateway prefix rewrite -> stats -> latency ->
auth (401) -> burst / fail_paths / random faults -> route handler.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any, Final

from loguru import logger
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.serving import RequestStats, is_control, route_template, status_recorder

from . import api_agile, api_platform, api_teams, api_webhooks, api_work, control
from .config import SimConfig
from .data import Dataset, generate_dataset
from .faults import FaultEngine
from .registry import WebhookRegistry
from .search import SearchEngine
from .web import NOT_AUTHENTICATED, JiraError, RequestCtx, error_body, json_response

GATEWAY_RE: Final = re.compile(r"^/ex/jira/([^/]+)(/.*)?$")


@dataclass
class SimState:
    config: SimConfig
    dataset: Dataset
    stats: RequestStats
    faults: FaultEngine
    search: SearchEngine
    webhooks: WebhookRegistry

    def apply_config(self, new: SimConfig) -> None:
        """Merge-at-runtime: faults and credentials change at once; data knobs don't regenerate."""
        self.faults.reconfigure(self.config, new)
        self.config = new

    def serve_at(self, url: str) -> None:
        """The URL the simulator listens on: links in webhook payloads point there."""
        self.dataset.public_base = url


def authenticate(headers: dict[str, str], gateway: bool, config: SimConfig) -> str | None:
    """``"basic"`` / ``"bearer"`` when the credentials fit where the request came in, else None."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    credentials = credentials.strip()
    if gateway:
        if scheme.lower() == "bearer" and credentials == config.oauth_token:
            return "bearer"
        return None
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    email, _, token = decoded.partition(":")
    if email.lower() == config.email.lower() and token == config.api_token:
        return "basic"
    return None


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


class SimMiddleware:
    """Gateway rewrite, stats, auth and faults around the router (never for ``/_sim``)."""

    def __init__(self, app: ASGIApp, sim: SimState, routes: list[BaseRoute]) -> None:
        self.app = app
        self.sim = sim
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host") or "localhost"
        base = f"{scope.get('scheme', 'http')}://{host}"
        path: str = scope["path"]
        scope_path = path
        if is_control(path):
            scope["jira_sim"] = RequestCtx(base=base, gateway=False, path=path, template=path)
            await self.app(scope, receive, send)
            return
        gateway = False
        cloud_ok = True
        match = GATEWAY_RE.match(path)
        if match:
            gateway = True
            cloud_ok = match.group(1) == self.sim.config.cloud_id
            base = f"{base}/ex/jira/{match.group(1)}"
            path = match.group(2) or "/"
            scope = dict(scope)
            scope["path"] = path
            scope["raw_path"] = path.encode("utf-8")
        template = route_template(self.routes, scope) or f"{scope['method']} (unmatched)"
        ctx = RequestCtx(
            base=base, gateway=gateway, path=path, raw_path=scope_path, template=template
        )
        scope["jira_sim"] = ctx
        stats = self.sim.stats
        stats.begin(template)
        status = [500]
        counting_send = status_recorder(send, status)

        try:
            if not cloud_ok:
                response = json_response(
                    error_body(
                        f"No Jira site found for cloud id '{match.group(1) if match else ''}'."
                    ),
                    base,
                    404,
                )
                await response(scope, receive, counting_send)
                return
            await self._pipeline(scope, receive, counting_send, ctx, headers)
        finally:
            stats.end(status[0])

    async def _pipeline(
        self, scope: Scope, receive: Receive, send: Send, ctx: RequestCtx, headers: dict[str, str]
    ) -> None:
        sim = self.sim
        config = sim.config
        await sim.faults.latency(config)
        ctx.auth = authenticate(headers, ctx.gateway, config)
        if ctx.auth is None:
            challenge = (
                'Bearer realm="api.atlassian.com"'
                if ctx.gateway
                else 'Basic realm="protected-area"'
            )
            response = json_response(
                error_body(NOT_AUTHENTICATED), ctx.base, 401, {"WWW-Authenticate": challenge}
            )
            await response(scope, receive, send)
            return
        fault = sim.faults.check(config, ctx.template, ctx.path, ctx.raw_path)
        if fault is not None:
            sim.stats.faults[fault.kind] += 1
            if fault.response is not None:
                await fault.response(scope, receive, send)
                return
            if fault.action == "timeout":
                await asyncio.sleep(config.timeout_sleep_s)
            elif fault.action == "malformed":
                await self.app(scope, receive, _truncating(send))
                return
        extra = sim.faults.burst_headers(config, ctx.template)
        await self.app(scope, receive, _adding_headers(send, extra) if extra else send)


def _adding_headers(send: Send, extra: dict[str, str]) -> Send:
    encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *encoded]}
        await send(message)

    return wrapped


def _truncating(send: Send) -> Send:
    """Cut a 200 response body in half: JSON that no parser accepts."""
    start: list[Message] = []
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.append(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        head = start[0]
        body = b"".join(chunks)
        if head["status"] == 200 and len(body) > 1:
            body = body[: len(body) // 2]
        headers = [(k, v) for k, v in head.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**head, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return wrapped


# ------------------------------------------------------------------------------- errors


async def _jira_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JiraError)
    from .web import ctx

    return json_response(exc.body(), ctx(request).base, exc.status, exc.headers or None)


async def _http_error(request: Request, exc: Exception) -> Response:
    from .web import ctx

    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        body = error_body(f"null for uri: {request.url}")
    elif exc.status_code == 405:
        body = error_body(f"Method {request.method} is not allowed for {request.url.path}.")
    else:
        body = error_body(str(exc.detail))
    return json_response(body, ctx(request).base, exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("jira-sim: unhandled error on {} {}", request.method, request.url.path)
    return json_response(error_body(f"Internal server error: {exc}"), "", 500)


def create_app(
    config: SimConfig | None = None,
    dataset: Dataset | None = None,
    **_: Any,
) -> Starlette:
    """The simulator app. ``dataset`` defaults to :func:`~.data.generate_dataset` of ``config``.

    The state is reachable as ``app.state.sim`` (:class:`SimState`).
    """
    config = config or SimConfig()
    dataset = dataset if dataset is not None else generate_dataset(config)
    sim = SimState(
        config=config,
        dataset=dataset,
        stats=RequestStats(),
        faults=FaultEngine(config),
        search=SearchEngine(dataset),
        webhooks=WebhookRegistry(),
    )
    routes: list[BaseRoute] = [
        *control.ROUTES,
        *api_work.ROUTES,
        *api_platform.ROUTES,
        *api_agile.ROUTES,
        *api_teams.ROUTES,
        *api_webhooks.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SimMiddleware, sim=sim, routes=routes)],
        exception_handlers={
            JiraError: _jira_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.sim = sim
    return app
