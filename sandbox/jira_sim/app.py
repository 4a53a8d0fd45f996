"""``create_app(config, dataset)``: the Starlette app simulating a Jira Cloud site.

Request pipeline (outside ``/_sim``): OAuth-gateway prefix rewrite -> stats -> latency ->
auth (401) -> burst / fail_paths / random faults -> route handler.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Final

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
from .registry import WebhookRegistry
from .search import SearchEngine
from .web import (
    NOT_AUTHENTICATED,
    JiraError,
    RequestCtx,
    basic_login,
    error_body,
    json_response,
    rewriting_body,
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
    login = basic_login(headers.get("authorization", ""))
    if login and login[0].lower() == config.email.lower() and login[1] == config.api_token:
        return "basic"
    return None


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


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
        if self.sim.config.deployment == "datacenter":
            template = datacenter.as_requested(template)  # the path the client asked for
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
        # serverInfo answers anonymous requests (wrong credentials are still refused), as Jira
        public = not headers.get("authorization") and ctx.path.endswith("/serverInfo")
        if ctx.auth is None and not public:
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

    def cut(status: int, body: bytes) -> bytes:
        return body[: len(body) // 2] if status == 200 and len(body) > 1 else body

    return rewriting_body(send, cut)


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
    routes = route_table(
        {
            **datacenter.routes(config),
            "GET /_sim/stats": control.stats,
            "PATCH /_sim/config": control.change(control.patch_config),
            "POST /_sim/issues": control.change(control.create_issue, 201),
            "PUT /_sim/issues/{key}": control.change(control.update_issue),
            "DELETE /_sim/issues/{key}": control.change(control.delete_issue),
            "PUT /_sim/projects/{key}": control.change(control.update_project),
            "DELETE /_sim/projects/{key}": control.change(control.delete_project),
            "POST /_sim/users": control.change(control.create_user, 201),
            "PUT /_sim/users/{accountId}": control.change(control.update_user),
            "POST /_sim/issues/{key}/comments": control.change(control.create_comment, 201),
            "DELETE /_sim/issues/{key}/comments/{id}": control.change(control.delete_comment),
            "DELETE /_sim/worklogs/{id}": control.change(control.delete_worklog),
            "PUT /_sim/versions/{id}": control.change(control.update_version),
            "DELETE /_sim/versions/{id}": control.change(control.delete_version),
            "PUT /_sim/sprints/{id}": control.change(control.update_sprint),
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
            "POST /rest/api/3/jql/parse": api_platform.jql_parse,
            "GET /rest/agile/1.0/board": api_agile.boards_list,
            "GET /rest/agile/1.0/board/{boardId}": api_agile.board_get,
            "GET /rest/agile/1.0/board/{boardId}/project": api_agile.board_projects,
            "GET /rest/agile/1.0/board/{boardId}/sprint": api_agile.board_sprints,
            "GET /rest/agile/1.0/board/{boardId}/epic": api_agile.board_epics,
            "GET /rest/software/1.0/board/{boardId}/backlog": api_agile.board_backlog,
            "GET /rest/agile/1.0/sprint/{sprintId}": api_agile.sprint_get,
            "GET /gateway/api/public/teams/v1/org/{orgId}/teams": api_teams.list_teams,
            "POST /gateway/api/public/teams/v1/org/{orgId}/teams/{teamId}/members": api_teams.team_members,
            "GET /rest/webhooks/1.0/webhook": api_webhooks.admin_list,
            "POST /rest/webhooks/1.0/webhook": api_webhooks.admin_create,
            "PUT /rest/webhooks/1.0/webhook/{webhookId}": api_webhooks.admin_update,
        }
    )
    middleware = [Middleware(SimMiddleware, sim=sim, routes=routes)]
    if config.deployment == "datacenter":
        middleware.insert(0, Middleware(datacenter.DataCenterFacade, sim=sim))
        sim.webhooks.shape = datacenter.to_wire
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            JiraError: _jira_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.sim = sim
    return app
