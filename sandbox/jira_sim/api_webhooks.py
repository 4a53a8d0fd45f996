"""Admin webhooks (``/rest/webhooks/1.0/webhook``): what the integration registers on a site it
reaches with an API token (every live-events user does)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .registry import AdminWebhook
from .web import (
    JiraError,
    read_object,
    respond,
    state,
)


def _admin_hook(request: Request) -> AdminWebhook:
    try:
        wid = int(request.path_params["webhookId"])
    except ValueError:
        wid = -1
    hook = state(request).webhooks.admin.get(wid)
    if hook is None:
        raise JiraError(404, f"Webhook with id {request.path_params['webhookId']} not found.")
    return hook


async def admin_list(request: Request) -> Response:
    return respond(request, [h.json() for h in state(request).webhooks.admin.values()])


async def admin_create(request: Request) -> Response:
    hook = state(request).webhooks.create_admin(await read_object(request, required=True))
    return respond(request, hook.json(), status=201)


async def admin_delete(request: Request) -> Response:
    """Jira answers 204 with no body, and 404 for a webhook that is not (or no longer) there:
    concurrent creates are never merged, so several processes removing the same duplicate
    see one 204 and then 404s."""
    state(request).webhooks.admin.pop(_admin_hook(request).id)
    return Response(status_code=204)


async def admin_update(request: Request) -> Response:
    hook = _admin_hook(request)
    state(request).webhooks.update_admin(hook, await read_object(request, required=True))
    return respond(request, hook.json())
