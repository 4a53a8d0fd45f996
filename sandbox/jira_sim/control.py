"""The ``/_sim`` control API: stats, runtime config, changes to the site, webhook sending.

No auth, no faults, not counted in stats. A change with ``"notify": true`` in its body (or
``?notify=true`` on a DELETE) sends the Jira event it causes to every registered webhook.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from starlette.requests import Request
from starlette.responses import Response

from .catalog import JsonDict
from .store import NotFoundError
from .web import JiraError, bool_param, ctx, read_object, respond, state
from .webhooks import EventRefs, build_event, send_event

if TYPE_CHECKING:
    from .app import SimState

_ISSUE_META: Final = frozenset({"project", "notify", "fields", "key"})
_SPRINT_EVENTS: Final = {"active": "sprint_started", "closed": "sprint_closed"}

#: What a change answers, and the event it causes (None: none) with its references.
Change = tuple[JsonDict, str | None, EventRefs]
Handler = Callable[["SimState", dict[str, str], JsonDict], Change]


def change(handler: Handler, status: int = 200) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint applying ``handler(sim, path params, body)``: store errors become 404/400,
    and the event is sent when asked."""

    async def endpoint(request: Request) -> Response:
        sim = state(request)
        body = {} if request.method == "DELETE" else await read_object(request, required=True)
        notify = bool_param(body.pop("notify", request.query_params.get("notify", False)))
        try:
            answer, event, refs = handler(sim, dict(request.path_params), body)
        except NotFoundError as exc:
            raise JiraError(404, f"Not found: {exc.args[0]}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise JiraError(400, str(exc)) from None
        if notify and event:
            await sim.webhooks.dispatch(sim.dataset, event, base_url=ctx(request).base, **refs)
        return respond(request, answer, status)

    return endpoint


def _fields_of(body: JsonDict) -> dict[str, Any]:
    return {**(body.get("fields") or {}), **{k: v for k, v in body.items() if k not in _ISSUE_META}}


def create_issue(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    rec = sim.dataset.create_issue_record(str(body["project"]), _fields_of(body))
    return rec.json(), "jira:issue_created", EventRefs(key=rec.key)


def update_issue(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    issue = sim.dataset.update_issue(params["key"], _fields_of(body))
    return issue, "jira:issue_updated", EventRefs(key=str(issue["key"]))


def delete_issue(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    issue = sim.dataset.delete_issue(params["key"])
    return issue, "jira:issue_deleted", EventRefs(key=str(issue["key"]))


def move_issue(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    """``{"project": KEY}``: Jira's Move; the update event's changelog names the old key."""
    issue = sim.dataset.move_issue(params["key"], str(body["project"]))
    return issue, "jira:issue_updated", EventRefs(key=str(issue["key"]))


def create_project(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    project = sim.dataset.create_project(str(body["key"]), str(body.get("name") or body["key"]))
    return project, "project_created", EventRefs(project_key=str(project["key"]))


def update_project(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    project = sim.dataset.update_project(params["key"], body)
    return project, "project_updated", EventRefs(project_key=str(project["key"]))


def delete_project(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    project = sim.dataset.delete_project(params["key"])
    return project, "project_deleted", EventRefs(project_key=str(project["key"]))


def create_user(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    user = sim.dataset.create_user(**body)
    return user, "user_created", EventRefs(account_id=str(user["accountId"]))


def update_user(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    user = sim.dataset.update_user(params["accountId"], body)
    return user, "user_updated", EventRefs(account_id=params["accountId"])


def create_comment(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    key = params["key"]
    comment = sim.dataset.add_comment(key, str(body.get("body", "")))
    return comment, "comment_created", EventRefs(key=key, comment_id=str(comment["id"]))


def update_comment(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    key, comment_id = params["key"], params["id"]
    comment = sim.dataset.update_comment(key, comment_id, str(body.get("body", "")))
    return comment, "comment_updated", EventRefs(key=key, comment_id=comment_id)


def delete_comment(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    key, comment_id = params["key"], params["id"]
    comment = sim.dataset.delete_comment(key, comment_id)
    return comment, "comment_deleted", EventRefs(key=key, comment_id=comment_id)


def _number(params: dict[str, str]) -> int:
    if not params["id"].isdigit():
        raise NotFoundError(params["id"])
    return int(params["id"])


def create_worklog(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    """``{"seconds": n}`` logged now by the API user (or ``author``) on the issue."""
    ds, now = sim.dataset, sim.dataset.now()
    author = str(body.get("author") or ds.current_account_id or "")
    worklog = ds.add_worklog(
        params["key"],
        seconds=int(body["seconds"]),
        started=now,
        author=author,
        comment=body.get("comment"),
        at=now,
    )
    return worklog, "worklog_created", EventRefs(worklog_id=str(worklog["id"]))


def update_worklog(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    worklog = sim.dataset.update_worklog(_number(params), int(body["seconds"]))
    return worklog, "worklog_updated", EventRefs(worklog_id=params["id"])


def delete_worklog(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    worklog = sim.dataset.delete_worklog(_number(params))
    return worklog, "worklog_deleted", EventRefs(worklog_id=params["id"])


def update_version(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    version = sim.dataset.update_version(params["id"], body)
    event = "jira:version_released" if body.get("released") else "jira:version_updated"
    return version, event, EventRefs(version_id=params["id"])


def delete_version(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    version = sim.dataset.delete_version(params["id"])
    return version, "jira:version_deleted", EventRefs(version_id=params["id"])


def update_sprint(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    sprint = sim.dataset.update_sprint(_number(params), body)
    event = _SPRINT_EVENTS.get(str(sprint["state"]), "sprint_updated")
    return sim.dataset.sprint_json(sprint), event, EventRefs(sprint_id=params["id"])


def create_sprint(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    """``{"name", "state", "boardId"}``: a new sprint on a board."""
    board_id = int(body["boardId"])
    if board_id not in sim.dataset.boards:
        raise NotFoundError(str(board_id))
    sprint = sim.dataset.add_sprint(
        str(body["name"]), state=str(body.get("state", "future")), board_id=board_id
    )
    sim.dataset._touch()
    return sim.dataset.sprint_json(sprint), "sprint_created", EventRefs(sprint_id=str(sprint["id"]))


def delete_sprint(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    sprint = sim.dataset.delete_sprint(_number(params))
    return sim.dataset.sprint_json(sprint), "sprint_deleted", EventRefs(sprint_id=params["id"])


def delete_board(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    """No event: nothing listens for board events."""
    return sim.dataset.delete_board(_number(params)), None, EventRefs()


def patch_config(sim: SimState, params: dict[str, str], body: JsonDict) -> Change:
    sim.apply_config(sim.config.merged(body))  # pydantic's ValidationError is a ValueError: 400
    return sim.config.model_dump(), None, EventRefs()


async def stats(request: Request) -> Response:
    return respond(request, state(request).stats.snapshot())


async def requests(request: Request) -> Response:
    """Every request served so far: ``[start, end, endpoint]``, epoch seconds (the benchmark
    lays them beside the integration's log)."""
    return respond(request, {"requests": state(request).stats.requests})


async def webhooks(request: Request) -> Response:
    return respond(request, state(request).webhooks.snapshot())


async def webhook_send(request: Request) -> Response:
    """Build a Jira-shaped event and POST it to ``url`` (signed when ``secret`` is given;
    ``identifier`` set again simulates Jira's retry of the same delivery)."""
    sim = state(request)
    body = await read_object(request, required=True)
    try:
        key = str(body.get("key") or "")
        payload = build_event(sim.dataset, body["event"], base_url=ctx(request).base, key=key)
        url = str(body["url"])
    except (ValueError, KeyError) as exc:
        raise JiraError(400, f"Invalid event: {exc}") from None
    delivery = await send_event(
        url, payload, secret=body.get("secret"), identifier=body.get("identifier")
    )
    sim.webhooks.deliveries.append(delivery.json())
    return respond(request, {"status": delivery.status, "error": delivery.error})
