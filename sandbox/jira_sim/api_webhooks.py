"""Admin webhooks (``/rest/webhooks/1.0/webhook``)."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from .catalog import JsonDict
from .jql import JqlError, parse
from .registry import JQL_FILTER_KEY, AdminWebhook
from .web import (
    JiraError,
    read_object,
    respond,
    state,
)

NO_ADMIN: Final = "You do not have the permission to manage webhooks (Jira administrator required)."


def _require_admin(request: Request) -> None:
    if not state(request).config.has_admin_permission:
        raise JiraError(403, NO_ADMIN)


def _admin_hook(request: Request) -> AdminWebhook:
    try:
        wid = int(request.path_params["webhookId"])
    except ValueError:
        wid = -1
    hook = state(request).webhooks.admin.get(wid)
    if hook is None:
        raise JiraError(404, f"Webhook with id {request.path_params['webhookId']} not found.")
    return hook


def _validate_admin(body: JsonDict, *, creating: bool) -> None:
    errors: dict[str, str] = {}
    if creating and not str(body.get("name") or "").strip():
        errors["name"] = "The webhook name is required."
    if creating or "url" in body:
        url = str(body.get("url") or "")
        if not url.startswith(("http://", "https://")):
            errors["url"] = "The webhook URL must be a valid http(s) URL."
    if "events" in body and not isinstance(body["events"], list):
        errors["events"] = "events must be a list."
    filters = body.get("filters")
    if filters is not None and not isinstance(filters, dict):
        errors["filters"] = "filters must be an object."
    jql = (filters or {}).get(JQL_FILTER_KEY) if isinstance(filters, dict) else None
    if jql:
        try:
            parse(str(jql))
        except JqlError as exc:
            errors["filters"] = exc.message
    if errors:
        raise JiraError(400, errors=errors)


async def admin_list(request: Request) -> Response:
    _require_admin(request)
    return respond(request, [h.json() for h in state(request).webhooks.admin.values()])


async def admin_create(request: Request) -> Response:
    _require_admin(request)
    sim = state(request)
    body = await read_object(request, required=True)
    _validate_admin(body, creating=True)
    hook = sim.webhooks.create_admin(body)
    return respond(request, hook.json(), status=201)


async def admin_update(request: Request) -> Response:
    _require_admin(request)
    sim = state(request)
    hook = _admin_hook(request)
    body = await read_object(request, required=True)
    _validate_admin(body, creating=False)
    sim.webhooks.update_admin(hook, body)
    return respond(request, hook.json())
