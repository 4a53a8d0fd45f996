"""Jira platform REST API v3: projects, users, search, bulk fetch, issues, permissions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from .catalog import JsonDict, fmt_jira_dt
from .fields import MULTI_VALUED, FieldsError, FieldSpec, split_list
from .jql import JqlContext, JqlError, compile_query
from .jql import parse as parse_jql
from .search import TokenError
from .web import (
    INVALID_PAYLOAD,
    ISSUE_NOT_FOUND,
    JiraError,
    account,
    int_param,
    read_object,
    respond,
    respond_page,
    state,
)

USER_NOT_FOUND: Final = "Specified user does not exist or you do not have required permissions"
MAX_RECONCILE: Final = 50


def jql_context(request: Request) -> JqlContext:
    sim = state(request)
    caller = sim.dataset.get_user(sim.dataset.current_account_id or "") or {}
    zone = ZoneInfo(str(caller.get("timeZone") or "UTC"))
    return JqlContext(dataset=sim.dataset, now=datetime.now(UTC), zone=zone)


# ------------------------------------------------------------------------------- projects


async def project_search(request: Request) -> Response:
    sim = state(request)
    q = request.query_params
    insight = "insight" in split_list(q.get("expand"))
    projects = sorted(
        (p for p in sim.dataset.projects.values() if not p.archived), key=lambda p: p.key
    )
    ids = set(split_list(q.getlist("id")))
    views = [
        _project_view(request, p, insight=insight) for p in projects if not ids or str(p.id) in ids
    ]
    return await respond_page(request, views, cap=100)


def _project_view(request: Request, rec: Any, *, insight: bool, full: bool = False) -> JsonDict:
    """A project; ``expand=insight`` adds its issue count and last issue update."""
    dataset = state(request).dataset
    out = dataset.project_json(rec, full=full)
    if insight:
        count, last = dataset.project_issue_stats(rec.key)
        out["insight"] = {"totalIssueCount": count}
        if last is not None:
            out["insight"]["lastIssueUpdateTime"] = fmt_jira_dt(last)
    return out


async def project_get(request: Request) -> Response:
    sim = state(request)
    ref = request.path_params["projectIdOrKey"]
    rec = sim.dataset.get_project(ref)
    if rec is None:
        kind = "id" if str(ref).isdigit() else "key"
        raise JiraError(404, f"No project could be found with {kind} '{ref}'.")
    insight = "insight" in split_list(request.query_params.get("expand"))
    out = _project_view(request, rec, insight=insight, full=True)
    await account(request, 1)
    return respond(request, out)


# ------------------------------------------------------------------------------- users


async def users_search(request: Request) -> Response:
    sim = state(request)
    q = request.query_params
    start = max(0, int_param(q.get("startAt"), "startAt", 0))
    max_results = min(max(0, int_param(q.get("maxResults"), "maxResults", 50)), 1000)
    users = list(sim.dataset.users.values())
    wanted = set(split_list(q.getlist("accountId")))
    if wanted:
        users = [u for u in users if u["accountId"] in wanted]
    page = users[start : start + max_results]
    await account(request, len(page))
    return respond(request, page)


async def user_get(request: Request) -> Response:
    sim = state(request)
    account_id = request.query_params.get("accountId")
    if not account_id:
        raise JiraError(400, "The query parameter 'accountId' is required.")
    user = sim.dataset.get_user(account_id)
    if user is None:
        raise JiraError(404, USER_NOT_FOUND)
    await account(request, 1)
    return respond(request, {**user, "expand": "groups,applicationRoles"})


async def myself(request: Request) -> Response:
    """The caller; incremental runs read its `timeZone` (the zone of absolute JQL dates)."""
    sim = state(request)
    user = sim.dataset.get_user(sim.dataset.current_account_id or "")
    if user is None:
        raise JiraError(404, USER_NOT_FOUND)
    await account(request, 1)
    return respond(request, {**user, "expand": "groups,applicationRoles"})


# ------------------------------------------------------------------------------- search


def _as_int_list(value: Any) -> list[int]:
    items = split_list(value) if isinstance(value, str) else value
    if items is None:
        return []
    if not isinstance(items, list):
        raise JiraError(400, INVALID_PAYLOAD)
    out: list[int] = []
    for item in items:
        try:
            out.append(int(item))
        except (TypeError, ValueError):
            raise JiraError(400, INVALID_PAYLOAD) from None
    return out


async def search_jql(request: Request) -> Response:
    """``GET|POST /rest/api/3/search/jql``: nextPageToken paging, default fields = id."""
    sim = state(request)
    params = await read_object(request)
    if params.get("expand") is not None and not isinstance(params["expand"], str):
        raise JiraError(400, INVALID_PAYLOAD)
    jql = params.get("jql") or ""
    if not isinstance(jql, str):
        raise JiraError(400, INVALID_PAYLOAD)
    try:
        spec = FieldSpec.parse(params.get("fields"), default=["id"])
    except FieldsError:
        raise JiraError(400, INVALID_PAYLOAD) from None
    reconcile = _as_int_list(params.get("reconcileIssues"))
    if len(reconcile) > MAX_RECONCILE:
        raise JiraError(
            400, f"The number of issues to reconcile exceeds the limit of {MAX_RECONCILE}."
        )
    requested = int_param(params.get("maxResults"), "maxResults", 50)
    max_results = min(requested if requested > 0 else 50, 100 if spec.full else 5000)
    token = params.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        raise JiraError(400, INVALID_PAYLOAD)
    try:
        issues, next_token = sim.search.page(
            jql,
            jql_context(request),
            token=token or None,
            max_results=max_results,
            reconcile=frozenset(reconcile),
        )
    except JqlError as exc:
        raise JiraError(400, exc.message, warnings=[]) from None
    except TokenError as exc:
        raise JiraError(400, str(exc)) from None
    out: JsonDict = {"issues": [spec.issue(rec) for rec in issues]}
    if next_token:
        out["nextPageToken"] = next_token
    out["isLast"] = next_token is None
    await account(request, len(issues), len(issues) if spec.full else 0)
    return respond(request, out)


# ------------------------------------------------------------------------------- issues


async def bulkfetch(request: Request) -> Response:
    """``POST /rest/api/3/issue/bulkfetch``: 100 issues, or 1000 for an efficient shape."""
    sim = state(request)
    body = await read_object(request, required=True)
    ids = body.get("issueIdsOrKeys")
    if not isinstance(ids, list) or not ids:
        raise JiraError(400, "issueIdsOrKeys must contain at least one issue id or key.")
    try:
        spec = FieldSpec.parse(body.get("fields"), default=["*navigable"])
    except FieldsError:
        raise JiraError(400, INVALID_PAYLOAD) from None
    efficient = spec.explicit and len(spec.include) <= 100 and not (spec.include & MULTI_VALUED)
    limit = 1000 if efficient else 100
    if len(ids) > limit:
        raise JiraError(
            400,
            f"The number of issues requested ({len(ids)}) exceeds the limit of {limit} for this "
            "request shape.",
        )
    found: dict[int, Any] = {}
    errors: list[JsonDict] = []
    for ref in ids:
        rec = sim.dataset.get_issue(str(ref))
        if rec is None:
            errors.append({"id": str(ref), "errorMessage": ISSUE_NOT_FOUND})
        else:
            found[rec.id] = rec
    issues = [spec.issue(found[i]) for i in sorted(found)]
    out: JsonDict = {"expand": "schema,names", "issues": issues, "issueErrors": errors}
    await account(request, len(issues), len(issues) if spec.full else 0)
    return respond(request, out)


async def issue_get(request: Request) -> Response:
    sim = state(request)
    rec = sim.dataset.get_issue(request.path_params["issueIdOrKey"])
    if rec is None:
        raise JiraError(404, ISSUE_NOT_FOUND)
    q = request.query_params
    spec = FieldSpec.parse(",".join(q.getlist("fields")) or None, default=["*all"])
    out = spec.issue(rec)
    await account(request, 1, 1 if spec.full else 0)
    return respond(request, out)


# ------------------------------------------------------------------------------- permissions

_PERMISSIONS: Final[dict[str, tuple[str, str, str]]] = {
    "ADMINISTER": ("0", "Administer Jira", "GLOBAL"),
    "SYSTEM_ADMIN": ("44", "Jira System Administrators", "GLOBAL"),
    "BROWSE_PROJECTS": ("10", "Browse Projects", "PROJECT"),
    "USER_PICKER": ("27", "Browse users and groups", "GLOBAL"),
    "ADMINISTER_PROJECTS": ("23", "Administer Projects", "PROJECT"),
}


async def my_permissions(request: Request) -> Response:
    sim = state(request)
    keys = split_list(request.query_params.get("permissions"))
    if not keys:
        raise JiraError(400, "The 'permissions' query parameter is required.")
    project = request.query_params.get("projectKey")
    forbidden = set(sim.config.forbidden_projects)
    out: JsonDict = {}
    for key in keys:
        pid, name, ptype = _PERMISSIONS.get(key.upper(), ("0", key, "GLOBAL"))
        admin_only = key.upper() in ("ADMINISTER", "SYSTEM_ADMIN")
        allowed = sim.config.has_admin_permission if admin_only else project not in forbidden
        out[key] = {
            "id": pid,
            "key": key.upper(),
            "name": name,
            "type": ptype,
            "description": name,
            "havePermission": allowed,
        }
    return respond(request, {"permissions": out})


# ------------------------------------------------------------------------------- checks
# What the integration's start-up checks and probe read besides /myself and serverInfo (in
# datacenter.py, for both modes): does JQL parse.


async def jql_parse(request: Request) -> Response:
    """``POST /rest/api/3/jql/parse``: each query with the errors a search would answer."""
    body = await read_object(request, required=True)
    queries = body.get("queries")
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        raise JiraError(400, INVALID_PAYLOAD)
    context = jql_context(request)
    parsed: list[JsonDict] = []
    for query in queries:
        try:
            compile_query(parse_jql(query), context)
            parsed.append({"query": query, "structure": {}})
        except JqlError as exc:
            parsed.append({"query": query, "errors": [exc.message]})
    return respond(request, {"queries": parsed})
