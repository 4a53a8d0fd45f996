"""Admin webhooks (``/rest/webhooks/1.0/webhook``) and dynamic webhooks (``/rest/api/3/webhook``)."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from .api_platform import jql_context
from .catalog import JsonDict
from .jql import JqlError, parse
from .registry import JQL_FILTER_KEY, AdminWebhook, jira_ms_date
from .web import (
    JiraError,
    ctx,
    read_object,
    respond,
    respond_page,
    state,
)

OAUTH_ONLY: Final = "Only Connect apps and OAuth 2.0 apps can use dynamic webhooks."


def _admin_hook(request: Request) -> AdminWebhook:
    try:
        wid = int(request.path_params["webhookId"])
    except ValueError:
        wid = -1
    hook = state(request).webhooks.admin.get(wid)
    if hook is None:
        raise JiraError(404, f"Webhook with id {request.path_params['webhookId']} not found.")
    return hook


async def _admin_body(request: Request) -> JsonDict:
    """The webhook in the request; Jira refuses one whose JQL filter does not parse."""
    body = await read_object(request, required=True)
    jql = (body.get("filters") or {}).get(JQL_FILTER_KEY)
    if jql:
        try:
            parse(str(jql))
        except JqlError as exc:
            raise JiraError(400, errors={"filters": exc.message}) from None
    return body


async def admin_list(request: Request) -> Response:
    return respond(request, [h.json() for h in state(request).webhooks.admin.values()])


async def admin_create(request: Request) -> Response:
    hook = state(request).webhooks.create_admin(await _admin_body(request))
    return respond(request, hook.json(), status=201)


async def admin_update(request: Request) -> Response:
    hook = _admin_hook(request)
    state(request).webhooks.update_admin(hook, await _admin_body(request))
    return respond(request, hook.json())


# ------------------------------------------------------------------------------- dynamic


def _require_oauth(request: Request) -> None:
    if ctx(request).auth != "bearer":
        raise JiraError(403, OAUTH_ONLY)


def _ids(body: JsonDict) -> list[int]:
    ids = body.get("webhookIds")
    if not isinstance(ids, list) or not ids:
        raise JiraError(400, "webhookIds must contain at least one id.")
    try:
        return [int(i) for i in ids]
    except (TypeError, ValueError):
        raise JiraError(400, "webhookIds must be integers.") from None


async def dynamic_register(request: Request) -> Response:
    _require_oauth(request)
    sim = state(request)
    body = await read_object(request, required=True)
    url = body.get("url")
    entries = body.get("webhooks")
    if not isinstance(url, str) or not url or not isinstance(entries, list) or not entries:
        raise JiraError(400, "The request must contain a url and at least one webhook.")
    results = sim.webhooks.register_dynamic(url, entries, jql_context(request))
    return respond(request, {"webhookRegistrationResult": results})


async def dynamic_list(request: Request) -> Response:
    _require_oauth(request)
    hooks = [h.json() for h in state(request).webhooks.dynamic.values()]
    return await respond_page(request, hooks, default=100, cap=100)


async def dynamic_refresh(request: Request) -> Response:
    _require_oauth(request)
    sim = state(request)
    expiration = sim.webhooks.refresh(_ids(await read_object(request, required=True)))
    return respond(request, {"expirationDate": jira_ms_date(expiration)})
