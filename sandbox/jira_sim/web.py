"""HTTP plumbing shared by the route modules: per-request context, Jira errors, JSON I/O."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Scope, Send

from .catalog import SENTINEL, JsonDict
from .fields import FieldSpec
from .store import IssueRecord, ProjectRecord

if TYPE_CHECKING:
    from .app import SimState

INVALID_PAYLOAD: Final = (
    "Invalid request payload. Refer to the REST API documentation and try again."
)
NOT_AUTHENTICATED: Final = "Client must be authenticated to access this resource."
ISSUE_NOT_FOUND: Final = "Issue does not exist or you do not have permission to see it."
BASIC_REALM: Final = 'Basic realm="protected-area"'


@dataclass
class RequestCtx:
    """What the middleware learnt about a request before routing it."""

    base: str  # scheme://host[/ex/jira/{cloudId}], no trailing slash
    gateway: bool  # came in under the OAuth gateway prefix
    path: str = ""  # the path after the gateway prefix
    template: str = ""


class JiraError(Exception):
    """Raised by handlers; rendered as ``{"errorMessages": [...], "errors": {...}}``."""

    def __init__(self, status: int, *messages: str) -> None:
        super().__init__(f"{status}: {'; '.join(messages)}")
        self.status = status
        self.body = error_body(*messages)


def error_body(*messages: str) -> JsonDict:
    return {"errorMessages": list(messages), "errors": {}}


def json_response(
    payload: Any, base: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``payload`` as JSON, its sentinel base URL swapped for the request's base URL."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).replace(SENTINEL, base)
    return Response(text, status_code=status, headers=headers, media_type="application/json")


def ctx(request: Request) -> RequestCtx:
    """What the pipeline learnt about the request (it sets this on every request)."""
    value: RequestCtx = request.scope["jira_sim"]
    return value


def state(request: Request) -> SimState:
    return request.app.state.sim  # type: ignore[no-any-return]


def project_or_404(request: Request) -> ProjectRecord:
    ref = request.path_params["projectIdOrKey"]
    rec = state(request).dataset.get_project(ref)
    if rec is None:
        kind = "id" if str(ref).isdigit() else "key"
        raise JiraError(404, f"No project could be found with {kind} '{ref}'.")
    return rec


def issue_or_404(request: Request) -> IssueRecord:
    rec = state(request).dataset.get_issue(request.path_params["issueIdOrKey"])
    if rec is None:
        raise JiraError(404, ISSUE_NOT_FOUND)
    return rec


def respond(request: Request, payload: Any, status: int = 200) -> Response:
    return json_response(payload, ctx(request).base, status)


async def read_object(request: Request, *, required: bool = False) -> JsonDict:
    """The JSON object in the body (``{}`` for none, unless ``required``)."""
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() or required else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise JiraError(400, INVALID_PAYLOAD)
    return body


def int_param(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(str(value))
    except ValueError:
        raise JiraError(
            400, f"The value '{value}' is invalid for the parameter '{name}'."
        ) from None


def bool_param(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes")


def page_url(request: Request, **overrides: Any) -> str:
    """The request URL (with its real base) with some query parameters replaced."""
    query = urlencode({**request.query_params, **{k: str(v) for k, v in overrides.items()}})
    return f"{ctx(request).base}{ctx(request).path}?{query}"


def window(
    params: Mapping[str, Any], cap: int = 50, *, start_at: str = "startAt", default: int = 50
) -> tuple[int, int]:
    """The offset (``startAt``) and ``maxResults`` (``default`` when absent, at most ``cap``)
    in query parameters or a JSON body."""
    start = max(0, int_param(params.get(start_at), start_at, 0))
    return start, min(max(1, int_param(params.get("maxResults"), "maxResults", default)), cap)


async def account(request: Request, items: int, full: int = 0) -> None:
    """Count returned items (and full issues) in the stats and apply ``per_item_ms``."""
    sim = state(request)
    sim.stats.tallies.update(items_returned=items, issues_returned=full)
    if sim.config.per_item_ms > 0 and full > 0:
        await asyncio.sleep(sim.config.per_item_ms * full / 1000)


async def respond_page(
    request: Request, items: list[Any], *, cap: int = 50, total: bool = True, bare: bool = False
) -> Response:
    """One page of ``items`` as a Jira PageBean (``isLast``; ``total`` unless told otherwise),
    or as a ``bare`` array (``/users/search``), counted in the stats."""
    start, size = window(request.query_params, cap)
    page = items[start : start + size]
    await account(request, len(page))
    if bare:
        return respond(request, page)
    body: JsonDict = {"maxResults": size, "startAt": start, "isLast": start + size >= len(items)}
    if total:
        body["total"] = len(items)
    return respond(request, {**body, "values": page})


async def respond_issues(
    request: Request, issues: list[IssueRecord], spec: FieldSpec, start: int, size: int
) -> Response:
    """One ``{startAt, maxResults, total, issues}`` page of ``issues`` (the backlog, Data
    Center's search), counted in the stats."""
    page = [spec.issue(rec) for rec in issues[start : start + size]]
    await account(request, len(page), len(page) if spec.full else 0)
    body = {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(issues)}
    return respond(request, {**body, "issues": page})


def rewriting_body(send: Send, change: Callable[[int, bytes], bytes]) -> Send:
    """`send` with the whole response body replaced by `change(status, body)` (buffered;
    Content-Length follows)."""
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
        body = change(int(head["status"]), b"".join(chunks))
        headers = [(k, v) for k, v in head.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**head, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return wrapped


def scope_headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def unauthorized(base: str, challenge: str = BASIC_REALM) -> Response:
    return json_response(error_body(NOT_AUTHENTICATED), base, 401, {"WWW-Authenticate": challenge})


def basic_authorization(user: str, secret: str) -> str:
    """The ``Authorization`` header value of HTTP Basic ``user:secret``."""
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
