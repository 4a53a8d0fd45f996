"""The ``/_sim`` control API: stats, runtime config, dataset CRUD, webhook sending.

No auth, no faults, not counted in stats.
"""

from __future__ import annotations

from typing import Any, Final, Unpack

import pydantic
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .api_platform import jql_context
from .catalog import JsonDict
from .store import NotFoundError
from .web import JiraError, bool_param, ctx, read_object, respond, state
from .webhooks import ISSUE_EVENTS, EventRefs, build_event, send_event

_ISSUE_META: Final = frozenset({"project", "indexed", "notify", "fields", "key", "author"})


async def stats_get(request: Request) -> Response:
    return respond(request, state(request).stats.snapshot())


async def stats_reset(request: Request) -> Response:
    sim = state(request)
    sim.stats.reset()
    return respond(request, sim.stats.snapshot())


async def config_get(request: Request) -> Response:
    return respond(request, state(request).config.model_dump())


async def config_patch(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    try:
        new = sim.config.merged(body)
    except (pydantic.ValidationError, ValueError) as exc:
        raise JiraError(400, f"Invalid config: {exc}") from None
    sim.apply_config(new)
    return respond(request, new.model_dump())


async def dataset_get(request: Request) -> Response:
    return respond(request, state(request).dataset.to_fixture(base=ctx(request).base))


def _fields_of(body: JsonDict) -> dict[str, Any]:
    fields = dict(body.get("fields") or {})
    fields.update({k: v for k, v in body.items() if k not in _ISSUE_META})
    return fields


async def _notify(
    request: Request,
    event: str,
    *,
    key: str | None = None,
    account_id: str | None = None,
    project_key: str | None = None,
    **refs: Unpack[EventRefs],
) -> None:
    sim = state(request)
    await sim.webhooks.dispatch(
        sim.dataset,
        event,
        key=key,
        account_id=account_id,
        project_key=project_key,
        base_url=ctx(request).base,
        ctx=jql_context(request),
        **refs,
    )


def _guard(exc: Exception) -> JiraError:
    if isinstance(exc, NotFoundError):
        return JiraError(404, f"Not found: {exc.args[0]}")
    return JiraError(400, str(exc))


# ------------------------------------------------------------------------------- issues


async def issue_create(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    project = body.get("project")
    if isinstance(project, dict):
        project = project.get("key")
    if not project:
        raise JiraError(400, "project is required")
    try:
        rec = sim.dataset.create_issue_record(
            str(project), _fields_of(body), indexed=bool_param(body.get("indexed", True))
        )
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if bool_param(body.get("notify", False)):
        await _notify(request, "jira:issue_created", key=rec.key)
    return respond(request, rec.json(), status=201)


async def issue_get(request: Request) -> Response:
    rec = state(request).dataset.get_issue(request.path_params["key"])
    if rec is None:
        raise JiraError(404, f"Not found: {request.path_params['key']}")
    return respond(request, {**rec.json(), "indexed": rec.indexed, "changelog": rec.changelog})


async def issue_update(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    key = request.path_params["key"]
    indexed = bool_param(body["indexed"]) if "indexed" in body else None
    try:
        sim.dataset.update_issue(key, _fields_of(body), indexed=indexed, author=body.get("author"))
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    rec = sim.dataset.get_issue(key)
    assert rec is not None
    if bool_param(body.get("notify", False)):
        await _notify(request, "jira:issue_updated", key=rec.key)
    return respond(request, rec.json())


async def issue_delete(request: Request) -> Response:
    sim = state(request)
    key = request.path_params["key"]
    try:
        data = sim.dataset.delete_issue(key)
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if bool_param(request.query_params.get("notify", False)):
        await _notify(request, "jira:issue_deleted", key=str(data["key"]))
    return respond(request, sim.dataset.deleted_issues[str(data["key"])])


# ------------------------------------------------------------------------------- projects


async def project_create(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    if not body.get("key"):
        raise JiraError(400, "key is required")
    args = {k: v for k, v in body.items() if k not in ("key", "name", "notify")}
    try:
        sim.dataset.create_project(str(body["key"]), body.get("name"), **args)
    except (ValueError, KeyError, TypeError) as exc:
        raise _guard(exc) from None
    rec = sim.dataset.get_project(str(body["key"]))
    assert rec is not None
    if bool_param(body.get("notify", False)):
        await _notify(request, "project_created", project_key=rec.key)
    return respond(request, sim.dataset.project_json(rec, full=True), status=201)


async def project_update(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    notify = bool_param(body.pop("notify", False))
    try:
        sim.dataset.update_project(request.path_params["key"], body)
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    rec = sim.dataset.get_project(request.path_params["key"])
    assert rec is not None
    if notify:
        await _notify(request, "project_updated", project_key=rec.key)
    return respond(request, sim.dataset.project_json(rec, full=True))


async def project_delete(request: Request) -> Response:
    sim = state(request)
    try:
        data = sim.dataset.delete_project(request.path_params["key"])
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if bool_param(request.query_params.get("notify", False)):
        await _notify(request, "project_deleted", project_key=str(data["key"]))
    return respond(request, sim.dataset.deleted_projects[str(data["key"])])


# ------------------------------------------------------------------------------- users


async def user_create(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    notify = bool_param(body.pop("notify", False))
    try:
        user = sim.dataset.create_user(**body)
    except (ValueError, KeyError, TypeError) as exc:
        raise _guard(exc) from None
    if notify:
        await _notify(request, "user_created", account_id=str(user["accountId"]))
    return respond(request, sim.dataset.users[user["accountId"]], status=201)


async def user_update(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    notify = bool_param(body.pop("notify", False))
    account_id = request.path_params["accountId"]
    try:
        sim.dataset.update_user(account_id, body)
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if notify:
        await _notify(request, "user_updated", account_id=account_id)
    return respond(request, sim.dataset.users[account_id])


async def user_delete(request: Request) -> Response:
    sim = state(request)
    account_id = request.path_params["accountId"]
    try:
        sim.dataset.delete_user(account_id)
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if bool_param(request.query_params.get("notify", False)):
        await _notify(request, "user_deleted", account_id=account_id)
    return respond(request, sim.dataset.deleted_users[account_id])


# ------------------------------------------------------------------------------- webhooks


async def webhooks_get(request: Request) -> Response:
    return respond(request, state(request).webhooks.snapshot())


def _refs(body: JsonDict) -> dict[str, str]:
    refs = {
        "key": body.get("key") or body.get("issueKey"),
        "account_id": body.get("accountId"),
        "project_key": body.get("projectKey"),
    }
    return {k: str(v) for k, v in refs.items() if v}


_EVENT_REFS: Final = {
    "commentId": "comment_id",
    "worklogId": "worklog_id",
    "versionId": "version_id",
    "mergedTo": "merged_to",
    "sprintId": "sprint_id",
    "boardId": "board_id",
}


def _event_refs(body: JsonDict) -> EventRefs:
    refs = EventRefs()
    for name, key in _EVENT_REFS.items():
        if body.get(name):
            refs[key] = str(body[name])  # type: ignore[literal-required]
    return refs


async def webhook_send(request: Request) -> Response:
    """Build a Jira-shaped event and POST it to ``url`` (signed when ``secret`` is given)."""
    sim = state(request)
    body = await read_object(request, required=True)
    url = body.get("url")
    event = body.get("event") or body.get("webhookEvent")
    if not url or not event:
        raise JiraError(400, "url and event are required")
    try:
        refs = _refs(body)
        payload = build_event(
            sim.dataset,
            str(event),
            key=refs.get("key"),
            account_id=refs.get("account_id"),
            project_key=refs.get("project_key"),
            base_url=ctx(request).base,
            changelog=body.get("changelog"),
            actor=body.get("actor"),
            **_event_refs(body),
        )
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    delivery = await send_event(
        str(url),
        payload,
        secret=body.get("secret"),
        headers=body.get("headers"),
        identifier=body.get("identifier"),
        retry=body.get("retry"),
    )
    sim.webhooks.deliveries.append(delivery.json())
    return respond(
        request,
        {
            "status": delivery.status,
            "identifier": delivery.identifier,
            "error": delivery.error,
            "payload": payload,
        },
    )


async def webhook_dispatch(request: Request) -> Response:
    """Send an event to every registered (admin or dynamic) webhook that matches it."""
    sim = state(request)
    body = await read_object(request, required=True)
    event = str(body.get("event") or "")
    if not event:
        raise JiraError(400, "event is required")
    refs = _refs(body)
    if event in ISSUE_EVENTS and "key" not in refs:
        raise JiraError(400, "key is required for issue events")
    try:
        deliveries = await sim.webhooks.dispatch(
            sim.dataset,
            event,
            key=refs.get("key"),
            account_id=refs.get("account_id"),
            project_key=refs.get("project_key"),
            base_url=ctx(request).base,
            ctx=jql_context(request),
            **_event_refs(body),
        )
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    return respond(request, {"deliveries": [d.json() for d in deliveries]})


# ------------------------------------------------------------------------------- comments, worklogs


async def comment_create(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    key = request.path_params["key"]
    try:
        comment = sim.dataset.add_comment(key, str(body.get("body", "")), author=body.get("author"))
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if bool_param(body.get("notify", False)):
        await _notify(request, "comment_created", key=key, comment_id=str(comment["id"]))
    return respond(request, comment, status=201)


async def comment_delete(request: Request) -> Response:
    sim = state(request)
    key, comment_id = request.path_params["key"], request.path_params["id"]
    try:
        comment = sim.dataset.delete_comment(key, comment_id)
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if bool_param(request.query_params.get("notify", False)):
        await _notify(request, "comment_deleted", key=key, comment_id=comment_id)
    return respond(request, comment)


async def worklog_create(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    try:
        worklog = sim.dataset.add_worklog(
            request.path_params["key"],
            seconds=int(body.get("timeSpentSeconds", 3600)),
            author=body.get("author"),
            comment=body.get("comment"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise _guard(exc) from None
    if bool_param(body.get("notify", False)):
        await _notify(request, "worklog_created", worklog_id=str(worklog["id"]))
    return respond(request, worklog, status=201)


def _int_ref(request: Request, name: str) -> int:
    raw = str(request.path_params[name])
    if not raw.isdigit():
        raise JiraError(404, f"Not found: {raw}")
    return int(raw)


async def worklog_update(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    notify = bool_param(body.pop("notify", False))
    worklog_id = _int_ref(request, "id")
    try:
        worklog = sim.dataset.update_worklog(worklog_id, body)
    except (ValueError, KeyError, TypeError) as exc:
        raise _guard(exc) from None
    if notify:
        await _notify(request, "worklog_updated", worklog_id=str(worklog_id))
    return respond(request, worklog)


async def worklog_delete(request: Request) -> Response:
    sim = state(request)
    worklog_id = _int_ref(request, "id")
    try:
        worklog = sim.dataset.delete_worklog(worklog_id)
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if bool_param(request.query_params.get("notify", False)):
        await _notify(request, "worklog_deleted", worklog_id=str(worklog_id))
    return respond(request, worklog)


# ------------------------------------------------------------------------------- versions, sprints, boards


async def version_update(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    notify = bool_param(body.pop("notify", False))
    version_id = str(request.path_params["id"])
    found = sim.dataset.find_version(version_id)
    was_released = bool(found and found[1].get("released"))
    try:
        version = sim.dataset.update_version(version_id, body)
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if notify:
        event = "jira:version_updated"
        if bool(version.get("released")) != was_released:
            event = (
                "jira:version_released" if version.get("released") else "jira:version_unreleased"
            )
        await _notify(request, event, version_id=version_id)
    return respond(request, version)


async def version_delete(request: Request) -> Response:
    sim = state(request)
    version_id = str(request.path_params["id"])
    merge_to = request.query_params.get("mergeTo")
    if merge_to and sim.dataset.find_version(merge_to) is None:
        raise JiraError(404, f"Not found: {merge_to}")
    try:
        version = sim.dataset.delete_version(version_id)
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if bool_param(request.query_params.get("notify", False)):
        refs = EventRefs(version_id=version_id)
        if merge_to:
            refs["merged_to"] = merge_to
        await _notify(request, "jira:version_deleted", **refs)
    return respond(request, version)


_SPRINT_EVENTS: Final = {"active": "sprint_started", "closed": "sprint_closed"}


async def sprint_update(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request, required=True)
    notify = bool_param(body.pop("notify", False))
    sprint_id = _int_ref(request, "id")
    before = dict(sim.dataset.sprints.get(sprint_id) or {})
    try:
        sprint = sim.dataset.update_sprint(sprint_id, body)
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if notify:
        event = "sprint_updated"
        if sprint["state"] != before.get("state"):
            event = _SPRINT_EVENTS.get(str(sprint["state"]), event)
        await _notify(request, event, sprint_id=str(sprint_id))
    return respond(request, sim.dataset.sprint_json(sprint))


async def sprint_delete(request: Request) -> Response:
    sim = state(request)
    sprint_id = _int_ref(request, "id")
    try:
        sim.dataset.delete_sprint(sprint_id)
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if bool_param(request.query_params.get("notify", False)):
        await _notify(request, "sprint_deleted", sprint_id=str(sprint_id))
    return respond(request, sim.dataset.tombstones["sprint"][str(sprint_id)])


async def board_delete(request: Request) -> Response:
    sim = state(request)
    board_id = _int_ref(request, "id")
    try:
        sim.dataset.delete_board(board_id)
    except (ValueError, KeyError) as exc:
        raise _guard(exc) from None
    if bool_param(request.query_params.get("notify", False)):
        await _notify(request, "board_deleted", board_id=str(board_id))
    return respond(request, sim.dataset.tombstones["board"][str(board_id)])


ROUTES: Final = [
    Route("/_sim/stats", stats_get, methods=["GET"]),
    Route("/_sim/stats/reset", stats_reset, methods=["POST"]),
    Route("/_sim/config", config_get, methods=["GET"]),
    Route("/_sim/config", config_patch, methods=["PATCH"]),
    Route("/_sim/dataset", dataset_get, methods=["GET"]),
    Route("/_sim/issues", issue_create, methods=["POST"]),
    Route("/_sim/issues/{key}", issue_get, methods=["GET"]),
    Route("/_sim/issues/{key}", issue_update, methods=["PUT"]),
    Route("/_sim/issues/{key}", issue_delete, methods=["DELETE"]),
    Route("/_sim/projects", project_create, methods=["POST"]),
    Route("/_sim/projects/{key}", project_update, methods=["PUT"]),
    Route("/_sim/projects/{key}", project_delete, methods=["DELETE"]),
    Route("/_sim/users", user_create, methods=["POST"]),
    Route("/_sim/users/{accountId}", user_update, methods=["PUT"]),
    Route("/_sim/users/{accountId}", user_delete, methods=["DELETE"]),
    Route("/_sim/issues/{key}/comments", comment_create, methods=["POST"]),
    Route("/_sim/issues/{key}/comments/{id}", comment_delete, methods=["DELETE"]),
    Route("/_sim/issues/{key}/worklogs", worklog_create, methods=["POST"]),
    Route("/_sim/worklogs/{id}", worklog_update, methods=["PUT"]),
    Route("/_sim/worklogs/{id}", worklog_delete, methods=["DELETE"]),
    Route("/_sim/versions/{id}", version_update, methods=["PUT"]),
    Route("/_sim/versions/{id}", version_delete, methods=["DELETE"]),
    Route("/_sim/sprints/{id}", sprint_update, methods=["PUT"]),
    Route("/_sim/sprints/{id}", sprint_delete, methods=["DELETE"]),
    Route("/_sim/boards/{id}", board_delete, methods=["DELETE"]),
    Route("/_sim/webhooks", webhooks_get, methods=["GET"]),
    Route("/_sim/webhooks/send", webhook_send, methods=["POST"]),
    Route("/_sim/webhooks/dispatch", webhook_dispatch, methods=["POST"]),
]
