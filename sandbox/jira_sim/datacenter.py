"""Data Center mode (`deployment="datacenter"`): the same site seen as Jira Data Center.

Only as much as the integration and its tests use:
- REST v2 only: `/rest/api/3`, `/rest/software/1.0` (Data Center serves the backlog under
  agile 1.0), the Teams gateway and the bulk fetch answer 404. Other `/rest/api/2` paths are
  served by the Cloud handlers (`DataCenterFacade` rewrites them), then reshaped.
- Its own endpoints (`ROUTES`): serverInfo (`deploymentType: Server`, version 10.3.1), the
  unpaged project list, `/user/list` (cursor), and `POST /search` with `startAt`/`maxResults`
  (at most `search_page_max`, 1000)/`total`, refusing to read past `search_window` like
  OpenSearch's max_result_window.
- A personal access token (`Authorization: Bearer <pat>`).
- Users as Data Center names them: `key` (`JIRAUSER…`) and `name`, no `accountId`; in every
  answer and webhook payload (`to_wire`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .catalog import fmt_jira_dt
from .fields import FieldSpec
from .web import (
    INVALID_PAYLOAD,
    JiraError,
    account,
    basic_authorization,
    error_body,
    json_response,
    read_object,
    respond,
    respond_issues,
    rewriting_body,
    scope_headers,
    state,
    unauthorized,
    window,
)

V2: Final = "/rest/api/2"
VERSION: Final = "10.3.1"
# Not on Data Center (v2 has no bulk fetch, no enhanced search; no Teams, no /rest/software).
ABSENT: Final = (
    "/rest/api/3/",
    "/rest/software/",
    "/gateway/",
    "/_edge/",
    f"{V2}/issue/bulkfetch",
    f"{V2}/search/jql",
)


def user_key(account_id: str) -> str:
    """A stable Data Center user key for a simulated account."""
    return "JIRAUSER" + hashlib.sha1(account_id.encode(), usedforsecurity=False).hexdigest()[:10]


def _login(user: dict[str, Any]) -> str:
    email = user.get("emailAddress")
    if isinstance(email, str) and "@" in email:
        return email.split("@", 1)[0].lower()
    return str(user.get("key", "")).lower()


def to_wire(value: Any) -> Any:
    """`value` with every Cloud user turned into a Data Center one (`key`, `name`; no
    `accountId`, `accountType`) and v3 links made v2; returns a new value."""
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    if isinstance(value, dict):
        out = {k: to_wire(v) for k, v in value.items()}
        account_id = out.get("accountId")
        if isinstance(account_id, str) and "displayName" in out:
            out.pop("accountId")
            out.pop("accountType", None)
            out["key"] = user_key(account_id)
            out["name"] = _login(out)
            if isinstance(out.get("self"), str):
                out["self"] = out["self"].split("/rest/", 1)[0] + f"{V2}/user?key={out['key']}"
        return out
    if isinstance(value, str) and "/rest/api/3/" in value:
        return value.replace("/rest/api/3/", f"{V2}/")
    return value


# Data Center's own endpoints.


async def server_info(request: Request) -> Response:
    """`GET /rest/api/{2,3}/serverInfo` in either mode (Cloud answers both versions): the
    deployment type and version the integration reads."""
    sim = state(request)
    cloud = sim.config.deployment == "cloud"
    version = "1001.0.0-SNAPSHOT" if cloud else VERSION
    deployment = "Cloud" if cloud else "Server"
    # serverTime: "The time in Jira when this request was responded to", on Jira's clock
    now = fmt_jira_dt(sim.dataset.now())
    return respond(request, {"version": version, "deploymentType": deployment, "serverTime": now})


async def project_list(request: Request) -> Response:
    """`GET /rest/api/2/project`: every live project, one unpaged array."""
    from .api_platform import live_projects

    views = live_projects(request)
    await account(request, len(views))
    return respond(request, views)


async def user_list(request: Request) -> Response:
    """`GET /rest/api/2/user/list`: `values`, `nextCursor`, `isLast`."""
    start, size = window(request.query_params, 1000, start_at="cursor", default=100)
    users = list(state(request).dataset.users.values())
    page = users[start : start + size]
    is_last = start + size >= len(users)
    body: dict[str, Any] = {"values": page, "isLast": is_last}
    if not is_last:
        body["nextCursor"] = str(start + size)
    await account(request, len(page))
    return respond(request, body)


async def search(request: Request) -> Response:
    """`POST /rest/api/2/search`: offset paging with a total, inside the result window."""
    from .api_platform import jql_context

    sim = state(request)
    body = await read_object(request)
    jql = body.get("jql") or ""
    expand = body.get("expand")
    if not isinstance(jql, str) or not (expand is None or isinstance(expand, list | str)):
        raise JiraError(400, INVALID_PAYLOAD)
    spec = FieldSpec.parse(body.get("fields"), default=["*navigable"])
    start, size = window(body, sim.config.search_page_max)
    if start + size > sim.config.search_window:
        raise JiraError(
            500,
            f"Search limit exceeded. We couldn't complete your search because it requests "
            f"{start + size:,} results which exceeded the search platform limit of "
            f"{sim.config.search_window:,}.",
        )
    issues = sim.search.evaluate(jql, jql_context(request)).issues
    if start > 0 and sim.config.search_page_shift:  # a later page: what changed meanwhile
        issues = sim.search.unkind.shifted(issues, start, sim.config.search_page_shift)
    return await respond_issues(request, issues, spec, start, size)


ROUTES: Final = {
    f"GET {V2}/project": project_list,
    f"GET {V2}/user/list": user_list,
    f"POST {V2}/search": search,
}
SERVER_INFO: Final = {
    f"GET {V2}/serverInfo": server_info,
    "GET /rest/api/3/serverInfo": server_info,
}
OWN_PATHS: Final = frozenset(route.split(" ", 1)[1] for route in {**ROUTES, **SERVER_INFO})


def routes(config: Any) -> dict[str, Any]:
    """serverInfo in both modes; Data Center's own endpoints in its mode."""
    return {**SERVER_INFO, **(ROUTES if config.deployment == "datacenter" else {})}


def as_requested(template: str) -> str:
    """A route template as the client asked for it, before `DataCenterFacade` rewrote it."""
    return template.replace("/rest/api/3/", f"{V2}/")


class DataCenterFacade:
    """Outermost in Data Center mode: 404 for what Data Center lacks, its credentials, v2
    paths onto the Cloud handlers, and Data Center user shapes in every answer."""

    def __init__(self, app: ASGIApp, sim: Any) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path.startswith("/_sim"):
            await self.app(scope, receive, send)
            return
        headers = scope_headers(scope)
        base = f"{scope.get('scheme', 'http')}://{headers.get('host') or 'localhost'}"
        if path.startswith(ABSENT):
            await json_response(error_body(f"null for uri: {base}{path}"), base, 404)(
                scope, receive, send
            )
            return
        public = path == f"{V2}/serverInfo"  # served without credentials, as Jira does
        if not public and headers.get("authorization") != f"Bearer {self.sim.config.pat}":
            await unauthorized(base)(scope, receive, send)
            return
        scope = dict(scope)
        config = self.sim.config
        cloud = basic_authorization(config.email, config.api_token)
        kept = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
        scope["headers"] = [*kept, (b"authorization", cloud.encode())]
        if path.startswith(f"{V2}/") and path not in OWN_PATHS:
            path = "/rest/api/3/" + path[len(V2) + 1 :]
        scope["path"], scope["raw_path"] = path, path.encode()
        await self.app(scope, receive, _reshaping(send))


def _reshaping(send: Send) -> Send:
    """Sends a JSON answer in Data Center's shapes."""

    def reshape(status: int, body: bytes) -> bytes:
        try:
            return json.dumps(to_wire(json.loads(body)), separators=(",", ":")).encode()
        except ValueError:
            return body  # not JSON (a truncated answer from the fault engine): as it is

    return rewriting_body(send, reshape)
