"""Jira platform REST API v3: projects, users, search, bulk fetch, issues, permissions."""

from __future__ import annotations

from typing import Any, Final
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from .catalog import JsonDict, fmt_jira_dt
from .fields import MULTI_VALUED, FieldSpec, split_list
from .jql import JqlContext, JqlError, compile_query
from .jql import parse as parse_jql
from .unkind_search import RETRIABLE_MESSAGE, field_page_cap
from .web import (
    INVALID_PAYLOAD,
    JiraError,
    account,
    int_param,
    issue_or_404,
    project_or_404,
    read_object,
    respond,
    respond_page,
    state,
)

USER_NOT_FOUND: Final = "Specified user does not exist or you do not have required permissions"


def jql_context(request: Request) -> JqlContext:
    sim = state(request)
    caller = sim.dataset.users.get(sim.dataset.current_account_id or "") or {}
    zone = ZoneInfo(str(caller.get("timeZone") or "UTC"))
    return JqlContext(
        dataset=sim.dataset,
        now=sim.dataset.now(),
        zone=zone,
        later_when_ambiguous=sim.config.ambiguous_local_time == "later",
    )


# ------------------------------------------------------------------------------- projects


def with_insight(request: Request, views: list[JsonDict]) -> list[JsonDict]:
    """Project ``views``; ``expand=insight`` adds each one's issue count and last issue update."""
    if "insight" in split_list(request.query_params.get("expand")):
        stats = state(request).dataset.project_issue_stats()
        for view in views:
            count, last = stats.get(view["key"], (0, None))
            view["insight"] = {"totalIssueCount": count}
            if last is not None:
                view["insight"]["lastIssueUpdateTime"] = fmt_jira_dt(last)
    return views


def live_projects(request: Request) -> list[JsonDict]:
    """Every project but the archived ones, by key, :func:`with_insight` when asked."""
    ds = state(request).dataset
    projects = sorted(ds.projects.values(), key=lambda p: p.key)
    return with_insight(request, [ds.project_json(p) for p in projects if not p.archived])


async def project_search(request: Request) -> Response:
    ids = set(split_list(request.query_params.getlist("id")))
    views = [p for p in live_projects(request) if not ids or str(p["id"]) in ids]
    return await respond_page(request, views, cap=100)


async def project_get(request: Request) -> Response:
    rec = project_or_404(request)
    [out] = with_insight(request, [state(request).dataset.project_json(rec, full=True)])
    await account(request, 1)
    return respond(request, out)


# ------------------------------------------------------------------------------- users


async def users_search(request: Request) -> Response:
    """A bare array, paged until an empty page comes back."""
    users = list(state(request).dataset.users.values())
    return await respond_page(request, users, cap=1000, bare=True)


async def _user(request: Request, account_id: str) -> Response:
    user = state(request).dataset.users.get(account_id)
    if user is None:
        raise JiraError(404, USER_NOT_FOUND)
    await account(request, 1)
    return respond(request, {**user, "expand": "groups,applicationRoles"})


async def user_get(request: Request) -> Response:
    return await _user(request, request.query_params.get("accountId") or "")


async def myself(request: Request) -> Response:
    """The caller; incremental runs read its `timeZone` (the zone of absolute JQL dates)."""
    return await _user(request, state(request).dataset.current_account_id or "")


# ------------------------------------------------------------------------------- search


async def search_jql(request: Request) -> Response:
    """``POST /rest/api/3/search/jql``: nextPageToken paging, default fields = id;
    ``reconcileIssues`` (at most 50 ids) shows those issues as they are now, however recently
    written (``search_lag_s``)."""
    sim = state(request)
    params = await read_object(request)
    jql = params.get("jql") or ""
    if not isinstance(jql, str) or not isinstance(params.get("expand") or "", str):
        raise JiraError(400, INVALID_PAYLOAD)  # unlike Data Center's search, expand is a string
    spec = FieldSpec.parse(params.get("fields"), default=["id"])
    requested = int_param(params.get("maxResults"), "maxResults", 50)
    max_results = min(requested if requested > 0 else 50, 100 if spec.full else 5000)
    heavy_cap = field_page_cap(spec, sim.config.search_field_budget)
    max_results = min(max_results, heavy_cap or max_results)
    token = params.get("nextPageToken") or None
    reconciled = params.get("reconcileIssues") or []
    if not isinstance(reconciled, list) or not all(isinstance(i, int) for i in reconciled):
        raise JiraError(400, INVALID_PAYLOAD)
    if len(reconciled) > 50:
        raise JiraError(400, "reconcileIssues accepts at most 50 issue ids.")
    issues, next_token = sim.search.page(
        jql, jql_context(request), token, max_results, frozenset(reconciled)
    )
    out: JsonDict = {"issues": [spec.issue(rec) for rec in issues]}
    if next_token:
        out["nextPageToken"] = next_token
    out["isLast"] = next_token is None
    await account(request, len(issues), len(issues) if spec.full else 0)
    return respond(request, out)


# ------------------------------------------------------------------------------- issues


async def bulkfetch(request: Request) -> Response:
    """``POST /rest/api/3/issue/bulkfetch``: 100 issues, or 1000 for an efficient shape; with
    ``bulkfetch_retriable_rate``, some in ``issueErrors`` instead (unkind_search.py)."""
    sim = state(request)
    body = await read_object(request, required=True)
    ids = body.get("issueIdsOrKeys")
    if not isinstance(ids, list) or not ids:
        raise JiraError(400, "issueIdsOrKeys must contain at least one issue id or key.")
    spec = FieldSpec.parse(body.get("fields"), default=["*navigable"])
    efficient = spec.explicit and len(spec.include) <= 100 and not (spec.include & MULTI_VALUED)
    limit = 1000 if efficient else 100
    if len(ids) > limit:
        raise JiraError(
            400,
            f"The number of issues requested ({len(ids)}) exceeds the limit of {limit} for this "
            "request shape.",
        )
    found: dict[int, Any] = {}
    for ref in ids:  # issues it cannot find or show are left out, never listed as errors
        rec = sim.dataset.get_issue(str(ref))
        if rec is not None:
            found[rec.id] = rec
    rate = sim.config.bulkfetch_retriable_rate
    failing = sim.search.unkind.retriable_errors([str(i) for i in sorted(found)], rate)
    errors = [{"id": i, "errorMessage": RETRIABLE_MESSAGE} for i in sorted(failing, key=int)]
    issues = [spec.issue(found[i]) for i in sorted(found) if str(i) not in failing]
    out: JsonDict = {"expand": "schema,names", "issues": issues, "issueErrors": errors}
    await account(request, len(issues), len(issues) if spec.full else 0)
    return respond(request, out)


async def issue_get(request: Request) -> Response:
    rec = issue_or_404(request)
    spec = FieldSpec.parse(request.query_params.get("fields"), default=["*all"])
    await account(request, 1, 1 if spec.full else 0)
    return respond(request, spec.issue(rec))


# ------------------------------------------------------------------------------- permissions


async def my_permissions(request: Request) -> Response:
    """Every permission asked is granted, except all of them on a ``forbidden_projects`` one."""
    keys = split_list(request.query_params.get("permissions"))
    allowed = request.query_params.get("projectKey") not in state(request).config.forbidden_projects
    granted = {key: {"key": key, "havePermission": allowed} for key in keys}
    return respond(request, {"permissions": granted})


# Jira's built-in project permissions: what `POST /permissions/project` accepts (a global
# permission such as ADMINISTER or USER_PICKER answers 400, "a project permission is not found").
PROJECT_PERMISSIONS: Final = frozenset(
    {
        "ADD_COMMENTS", "ADMINISTER_PROJECTS", "ARCHIVE_ISSUES", "ASSIGNABLE_USER",
        "ASSIGN_ISSUES", "BROWSE_PROJECTS", "CLOSE_ISSUES", "CREATE_ATTACHMENTS",
        "CREATE_ISSUES", "DELETE_ALL_ATTACHMENTS", "DELETE_ALL_COMMENTS", "DELETE_ALL_WORKLOGS",
        "DELETE_ISSUES", "DELETE_OWN_ATTACHMENTS", "DELETE_OWN_COMMENTS", "DELETE_OWN_WORKLOGS",
        "EDIT_ALL_COMMENTS", "EDIT_ALL_WORKLOGS", "EDIT_ISSUES", "EDIT_OWN_COMMENTS",
        "EDIT_OWN_WORKLOGS", "LINK_ISSUES", "MANAGE_SPRINTS_PERMISSION", "MANAGE_WATCHERS",
        "MODIFY_REPORTER", "MOVE_ISSUES", "RESOLVE_ISSUES", "RESTORE_ISSUES", "SCHEDULE_ISSUES",
        "SET_ISSUE_SECURITY", "TRANSITION_ISSUES", "VIEW_DEV_TOOLS", "VIEW_READONLY_WORKFLOW",
        "VIEW_VOTERS_AND_WATCHERS", "WORK_ON_ISSUES",
    }
)  # fmt: skip


async def permitted_projects(request: Request) -> Response:
    """``POST /rest/api/3/permissions/project`` (getPermittedProjects): every project where the
    user holds all the permissions asked, as ``{"projects": [{"id": int, "key": str}]}``; none
    on a ``forbidden_projects`` one (as /mypermissions says), nor on an archived one."""
    body = await read_object(request, required=True)
    keys = body.get("permissions")
    if set(body) - {"permissions"} or not isinstance(keys, list):
        raise JiraError(400, INVALID_PAYLOAD)
    unknown = [key for key in keys if key not in PROJECT_PERMISSIONS]
    if unknown:
        raise JiraError(400, f"No project permission with key '{unknown[0]}' exists.")
    forbidden = set(state(request).config.forbidden_projects)
    projects = [
        {"id": int(view["id"]), "key": view["key"]}
        for view in live_projects(request)
        if view["key"] not in forbidden
    ]
    return respond(request, {"projects": projects})


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
