"""``create_app(config, dataset)``: the Starlette app simulating a Jira Cloud site.

Request pipeline (outside ``/_sim``): OAuth-gateway prefix rewrite -> stats -> latency ->
auth (401) -> burst / fail_paths / random faults -> route handler.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Final

from loguru import logger
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.serving import RequestStats, is_control, route_table, route_template, status_recorder

from . import api_agile, api_platform, api_teams, api_webhooks, api_work, control, datacenter
from .config import SimConfig
from .data import Dataset, generate_dataset
from .faults import FaultEngine
from .fields import FieldsError
from .jql import JqlError
from .recorder import Recorder
from .registry import DeliveryRetries, WebhookRegistry
from .search import SearchEngine
from .web import (
    BASIC_REALM,
    INVALID_PAYLOAD,
    JiraError,
    RequestCtx,
    basic_authorization,
    ctx,
    error_body,
    json_response,
    rewriting_body,
    scope_headers,
    unauthorized,
)

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
        """Merge-at-runtime: faults, time and credentials change at once; data knobs don't
        regenerate."""
        self.faults.reconfigure(self.config, new)
        old, self.config = self.config, new
        self.dataset.index_lag_s = new.search_lag_s
        self.webhooks.retries = DeliveryRetries.of(new)
        if new.user_time_zone and (new.user_time_zone != old.user_time_zone or old is new):
            self.set_user_time_zone(new.user_time_zone)

    def set_user_time_zone(self, zone: str) -> None:
        """The API user's `timeZone` (a user edit through /_sim/users changes it too)."""
        caller = self.dataset.users.get(self.dataset.current_account_id or "")
        if caller is not None:
            caller["timeZone"] = zone

    def serve_at(self, url: str) -> None:
        """The URL the simulator listens on: links in webhook payloads point there."""
        self.dataset.public_base = url


def authenticate(authorization: str, gateway: bool, config: SimConfig) -> bool:
    """Whether the credentials fit where the request came in (Bearer under the gateway)."""
    if gateway:
        return authorization == f"Bearer {config.oauth_token}"
    return authorization == basic_authorization(config.email, config.api_token)


class SimMiddleware:
    """Gateway rewrite, stats, auth and faults around the router (never for ``/_sim``)."""

    def __init__(self, app: ASGIApp, sim: SimState, routes: list[Route]) -> None:
        self.app = app
        self.sim = sim
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope_headers(scope)
        host = headers.get("host") or "localhost"
        base = f"{scope.get('scheme', 'http')}://{host}"
        path: str = scope["path"]
        if is_control(path):
            scope["jira_sim"] = RequestCtx(base=base, gateway=False, path=path, template=path)
            await self.app(scope, receive, send)
            return
        match = GATEWAY_RE.match(path)
        gateway = match is not None
        if match:
            base = f"{base}/ex/jira/{match.group(1)}"
            path = match.group(2) or "/"
            scope = dict(scope)
            scope["path"] = path
            scope["raw_path"] = path.encode("utf-8")
        template = route_template(self.routes, scope) or f"{scope['method']} (unmatched)"
        if self.sim.config.deployment == "datacenter":
            template = datacenter.as_requested(template)  # the path the client asked for
        ctx = RequestCtx(base=base, gateway=gateway, path=path, template=template)
        scope["jira_sim"] = ctx
        stats = self.sim.stats
        stats.begin(template)
        started = time.time()
        status = [500]
        send = _dated(send, self.sim.dataset.now)
        try:
            await self._pipeline(scope, receive, status_recorder(send, status), ctx, headers)
        finally:
            stats.end(status[0])
            stats.served(template, started)

    async def _pipeline(
        self, scope: Scope, receive: Receive, send: Send, ctx: RequestCtx, headers: dict[str, str]
    ) -> None:
        sim = self.sim
        config = sim.config
        delay = config.latency_ms + sum(
            ms for pattern, ms in config.path_latency_ms.items() if re.search(pattern, ctx.path)
        )
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        authorized = authenticate(headers.get("authorization", ""), ctx.gateway, config)
        # serverInfo answers anonymous requests (wrong credentials are still refused), as Jira
        public = ctx.path == "/_edge/tenant_info" or (
            not headers.get("authorization") and ctx.path.endswith("/serverInfo")
        )
        refused = any(re.search(pattern, ctx.path) for pattern in config.refused_paths)
        if refused or (not authorized and not public):
            realm = 'Bearer realm="api.atlassian.com"' if ctx.gateway else BASIC_REALM
            await unauthorized(ctx.base, realm)(scope, receive, send)
            return
        fault = sim.faults.check(config, ctx.template, ctx.path, sim.dataset.now())
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
        await self.app(scope, receive, send)


def _dated(send: Send, now: Callable[[], datetime]) -> Send:
    """`send` with a `Date` header on Jira's clock (RFC 9110 §6.6.1), which can differ from
    this host's (`clock_offset_s`)."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
            date = format_datetime(now(), usegmt=True).encode("latin-1")
            message = {**message, "headers": [*kept, (b"date", date)]}
        await send(message)

    return wrapped


def _truncating(send: Send) -> Send:
    """Cut a 200 response body in half: JSON that no parser accepts."""

    def cut(status: int, body: bytes) -> bytes:
        return body[: len(body) // 2] if status == 200 and len(body) > 1 else body

    return rewriting_body(send, cut)


# ------------------------------------------------------------------------------- errors


async def _jira_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JiraError)
    return json_response(exc.body, ctx(request).base, exc.status)


async def _bad_request(request: Request, exc: Exception) -> Response:
    """A JQL Jira rejects, or a ``fields`` that is neither a list nor a string."""
    message = exc.message if isinstance(exc, JqlError) else INVALID_PAYLOAD
    return json_response(error_body(message), ctx(request).base, 400)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = f"null for uri: {request.url}" if exc.status_code == 404 else str(exc.detail)
    return json_response(error_body(message), ctx(request).base, exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("jira-sim: unhandled error on {} {}", request.method, request.url.path)
    return json_response(error_body(f"Internal server error: {exc}"), "", 500)


def create_app(config: SimConfig | None = None, dataset: Dataset | None = None) -> Starlette:
    """The simulator app. ``dataset`` defaults to :func:`~.data.generate_dataset` of ``config``.

    The state is reachable as ``app.state.sim`` (:class:`SimState`).
    """
    config = config or SimConfig()
    dataset = dataset if dataset is not None else generate_dataset(config)
    host_clock = dataset.clock
    sim = SimState(
        config=config,
        dataset=dataset,
        stats=RequestStats(),
        faults=FaultEngine(config),
        search=SearchEngine(dataset, config.effective_fault_seed),
        webhooks=WebhookRegistry(),
    )
    routes = route_table(
        {
            **datacenter.routes(config),
            "GET /_sim/stats": control.stats,
            "GET /_sim/requests": control.requests,
            "PATCH /_sim/config": control.change(control.patch_config),
            "POST /_sim/issues": control.change(control.create_issue, 201),
            "PUT /_sim/issues/{key}": control.change(control.update_issue),
            "DELETE /_sim/issues/{key}": control.change(control.delete_issue),
            "POST /_sim/issues/{key}/move": control.change(control.move_issue),
            "POST /_sim/projects": control.change(control.create_project, 201),
            "PUT /_sim/projects/{key}": control.change(control.update_project),
            "DELETE /_sim/projects/{key}": control.change(control.delete_project),
            "POST /_sim/users": control.change(control.create_user, 201),
            "PUT /_sim/users/{accountId}": control.change(control.update_user),
            "POST /_sim/issues/{key}/comments": control.change(control.create_comment, 201),
            "DELETE /_sim/issues/{key}/comments/{id}": control.change(control.delete_comment),
            "PUT /_sim/issues/{key}/comments/{id}": control.change(control.update_comment),
            "POST /_sim/issues/{key}/worklogs": control.change(control.create_worklog, 201),
            "PUT /_sim/worklogs/{id}": control.change(control.update_worklog),
            "DELETE /_sim/worklogs/{id}": control.change(control.delete_worklog),
            "PUT /_sim/versions/{id}": control.change(control.update_version),
            "DELETE /_sim/versions/{id}": control.change(control.delete_version),
            "PUT /_sim/sprints/{id}": control.change(control.update_sprint),
            "POST /_sim/sprints": control.change(control.create_sprint, 201),
            "DELETE /_sim/sprints/{id}": control.change(control.delete_sprint),
            "DELETE /_sim/boards/{id}": control.change(control.delete_board),
            "GET /_sim/webhooks": control.webhooks,
            "POST /_sim/webhooks/send": control.webhook_send,
            "GET /rest/api/3/project/{projectIdOrKey}/version": api_work.project_versions,
            "GET /rest/api/3/project/{projectIdOrKey}/component": api_work.project_components,
            "GET /rest/api/3/version/{id}": api_work.version_get,
            "GET /rest/api/3/issue/{issueIdOrKey}/comment": api_work.issue_comments,
            "GET /rest/api/3/issue/{issueIdOrKey}/comment/{id}": api_work.issue_comment,
            "GET /rest/api/3/issue/{issueIdOrKey}/worklog": api_work.issue_worklogs,
            "GET /rest/api/3/issue/{issueIdOrKey}/worklog/{id}": api_work.issue_worklog,
            "GET /rest/api/3/worklog/updated": api_work.worklogs_updated,
            "GET /rest/api/3/worklog/deleted": api_work.worklogs_deleted,
            "POST /rest/api/3/worklog/list": api_work.worklog_list,
            "GET /rest/api/3/project/search": api_platform.project_search,
            "GET /rest/api/3/project/{projectIdOrKey}": api_platform.project_get,
            "GET /rest/api/3/users/search": api_platform.users_search,
            "GET /rest/api/3/user": api_platform.user_get,
            "GET /rest/api/3/myself": api_platform.myself,
            "POST /rest/api/3/search/jql": api_platform.search_jql,
            "POST /rest/api/3/issue/bulkfetch": api_platform.bulkfetch,
            "GET /rest/api/3/issue/{issueIdOrKey}": api_platform.issue_get,
            "GET /rest/api/3/mypermissions": api_platform.my_permissions,
            "POST /rest/api/3/permissions/project": api_platform.permitted_projects,
            "POST /rest/api/3/jql/parse": api_platform.jql_parse,
            "GET /rest/agile/1.0/board": api_agile.boards_list,
            "GET /rest/agile/1.0/board/{boardId}/project": api_agile.board_projects,
            "GET /rest/agile/1.0/board/{boardId}/sprint": api_agile.board_sprints,
            "GET /rest/agile/1.0/board/{boardId}/epic": api_agile.board_epics,
            "GET /rest/agile/1.0/board/{boardId}/backlog": api_agile.agile_backlog,
            "GET /rest/software/1.0/board/{boardId}/backlog": api_agile.board_backlog,
            "GET /rest/agile/1.0/sprint/{sprintId}": api_agile.sprint_get,
            "GET /_edge/tenant_info": api_teams.tenant_info,
            "GET /gateway/api/public/teams/v1/org/{orgId}/teams": api_teams.list_teams,
            "POST /gateway/api/public/teams/v1/org/{orgId}/teams/{teamId}/members": api_teams.team_members,
            "GET /rest/webhooks/1.0/webhook": api_webhooks.admin_list,
            "POST /rest/webhooks/1.0/webhook": api_webhooks.admin_create,
            "PUT /rest/webhooks/1.0/webhook/{webhookId}": api_webhooks.admin_update,
            "DELETE /rest/webhooks/1.0/webhook/{webhookId}": api_webhooks.admin_delete,
        }
    )
    middleware = [Middleware(SimMiddleware, sim=sim, routes=routes)]
    if config.deployment == "datacenter":
        middleware.insert(0, Middleware(datacenter.DataCenterFacade, sim=sim))
        sim.webhooks.shape = datacenter.to_wire
    if config.record_path:
        middleware.insert(0, Middleware(Recorder, path=config.record_path))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            JiraError: _jira_error,
            FieldsError: _bad_request,
            JqlError: _bad_request,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    # Jira's clock runs `clock_offset_s` off this host's (read at each tick: it can change).
    dataset.clock = lambda: host_clock() + timedelta(seconds=sim.config.clock_offset_s)
    sim.apply_config(config)
    app.state.sim = sim
    return app
