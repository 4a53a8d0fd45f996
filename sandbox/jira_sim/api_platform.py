"""Jira platform REST API v3: projects, users, search, bulk fetch, issues, permissions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .catalog import JsonDict, field_list, fmt_jira_dt
from .fields import (
    EXPENSIVE_EXPANDS,
    MULTI_VALUED,
    FieldsError,
    FieldSpec,
    Projection,
    parse_expand,
    schema_for,
    split_list,
)
from .jql import JqlContext, JqlError, compile_query
from .jql import parse as parse_jql
from .search import TokenError
from .web import (
    INVALID_PAYLOAD,
    ISSUE_NOT_FOUND,
    JiraError,
    ctx,
    int_param,
    page_url,
    read_object,
    respond,
    state,
)

SEARCH_REMOVED: Final = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
USER_NOT_FOUND: Final = "Specified user does not exist or you do not have required permissions"
MAX_RECONCILE: Final = 50
MAX_PROPERTIES: Final = 5


def jql_context(request: Request) -> JqlContext:
    sim = state(request)
    return JqlContext(
        dataset=sim.dataset,
        now=datetime.now(UTC),
        current_account_id=sim.dataset.current_account_id,
    )


async def account(request: Request, items: int, full: int) -> None:
    """Count returned items in the stats and apply ``per_item_ms``."""
    sim = state(request)
    sim.stats.add_items(items, full)
    await sim.faults.item_delay(sim.config, full)


# ------------------------------------------------------------------------------- projects


async def project_search(request: Request) -> Response:
    sim = state(request)
    q = request.query_params
    start = max(0, int_param(q.get("startAt"), "startAt", 0))
    max_results = min(max(1, int_param(q.get("maxResults"), "maxResults", 50)), 100)
    expand = parse_expand(q.get("expand"))
    status = set(split_list(q.getlist("status"))) or {"live"}
    projects = [
        p for p in sim.dataset.projects.values() if ("archived" if p.archived else "live") in status
    ]
    text = (q.get("query") or "").lower()
    if text:
        projects = [p for p in projects if text in p.key.lower() or text in p.name.lower()]
    keys = {k.upper() for k in split_list(q.getlist("keys"))}
    if keys:
        projects = [p for p in projects if p.key in keys]
    ids = set(split_list(q.getlist("id")))
    if ids:
        projects = [p for p in projects if str(p.id) in ids]
    type_keys = set(split_list(q.getlist("typeKey")))
    if type_keys:
        projects = [p for p in projects if p.project_type in type_keys]
    order = q.get("orderBy") or "key"
    desc = order.startswith("-")
    attr = order.lstrip("+-").lower()
    sorters: dict[str, Any] = {
        "key": lambda p: p.key,
        "name": lambda p: p.name.lower(),
        "id": lambda p: p.id,
    }
    projects.sort(key=sorters.get(attr, sorters["key"]), reverse=desc)
    page = projects[start : start + max_results]
    values = [_project_view(request, p, expand) for p in page]
    is_last = start + max_results >= len(projects)
    body: JsonDict = {"self": page_url(request)}
    if not is_last:
        body["nextPage"] = page_url(request, startAt=start + max_results, maxResults=max_results)
    body.update(
        {
            "maxResults": max_results,
            "startAt": start,
            "total": len(projects),
            "isLast": is_last,
            "values": values,
        }
    )
    await account(request, len(values), 0)
    return respond(request, body)


def _project_view(request: Request, rec: Any, expand: frozenset[str]) -> JsonDict:
    sim = state(request)
    out = sim.dataset.project_json(rec)
    if "description" in expand:
        out["description"] = rec.description
    if "lead" in expand:
        full = sim.dataset.project_json(rec, full=True)
        if "lead" in full:
            out["lead"] = full["lead"]
    if "issuetypes" in expand:
        out["issueTypes"] = sim.dataset.project_json(rec, full=True)["issueTypes"]
    if "url" in expand:
        out["url"] = ""
    if "projectkeys" in expand:
        out["projectKeys"] = [rec.key]
    if "insight" in expand:
        count, last = sim.dataset.project_issue_stats(rec.key)
        insight: JsonDict = {"totalIssueCount": count}
        if last is not None:
            insight["lastIssueUpdateTime"] = fmt_jira_dt(last)
        out["insight"] = insight
    return out


async def project_get(request: Request) -> Response:
    sim = state(request)
    ref = request.path_params["projectIdOrKey"]
    rec = sim.dataset.get_project(ref)
    if rec is None:
        kind = "id" if str(ref).isdigit() else "key"
        raise JiraError(404, f"No project could be found with {kind} '{ref}'.")
    out = sim.dataset.project_json(rec, full=True)
    expand = parse_expand(request.query_params.get("expand"))
    if "insight" in expand:
        out.update({k: v for k, v in _project_view(request, rec, expand).items() if k == "insight"})
    await account(request, 1, 0)
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
    await account(request, len(page), 0)
    return respond(request, page)


async def user_get(request: Request) -> Response:
    sim = state(request)
    account_id = request.query_params.get("accountId")
    if not account_id:
        raise JiraError(400, "The query parameter 'accountId' is required.")
    user = sim.dataset.get_user(account_id)
    if user is None:
        raise JiraError(404, USER_NOT_FOUND)
    out = dict(user)
    expand = parse_expand(request.query_params.get("expand"))
    if "groups" in expand:
        out["groups"] = {"size": 1, "items": []}
    if "applicationroles" in expand:
        out["applicationRoles"] = {"size": 1, "items": []}
    out["expand"] = "groups,applicationRoles"
    await account(request, 1, 0)
    return respond(request, out)


async def myself(request: Request) -> Response:
    sim = state(request)
    user = sim.dataset.get_user(sim.dataset.current_account_id or "")
    if user is None:
        raise JiraError(404, USER_NOT_FOUND)
    return respond(
        request,
        {
            **user,
            "groups": {"size": 1, "items": []},
            "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles",
        },
    )


async def server_info(request: Request) -> Response:
    now = datetime.now(UTC)
    return respond(
        request,
        {
            "baseUrl": ctx(request).base,
            "displayUrl": ctx(request).base,
            "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0],
            "deploymentType": "Cloud",
            "buildNumber": 100282,
            "buildDate": "2025-01-01T00:00:00.000+0000",
            "serverTime": fmt_jira_dt(now),
            "scmInfo": "sandbox",
            "serverTitle": "Jira (simulator)",
        },
    )


async def fields_list(request: Request) -> Response:
    return respond(request, field_list(state(request).dataset.sprint_field))


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
    if request.method == "POST":
        body = await read_object(request)
        if "expand" in body and body["expand"] is not None and not isinstance(body["expand"], str):
            raise JiraError(400, INVALID_PAYLOAD)
        if (
            "fields" in body
            and body["fields"] is not None
            and not isinstance(body["fields"], (list, str))
        ):
            raise JiraError(400, INVALID_PAYLOAD)
        params: JsonDict = body
    else:
        q = request.query_params
        params = {
            "jql": q.get("jql"),
            "nextPageToken": q.get("nextPageToken"),
            "maxResults": q.get("maxResults"),
            "fields": ",".join(q.getlist("fields")) or None,
            "expand": q.get("expand"),
            "properties": ",".join(q.getlist("properties")) or None,
            "reconcileIssues": ",".join(q.getlist("reconcileIssues")) or None,
        }
    jql = params.get("jql") or ""
    if not isinstance(jql, str):
        raise JiraError(400, INVALID_PAYLOAD)
    try:
        spec = FieldSpec.parse(params.get("fields"), default=["id"])
        properties = split_list(params.get("properties"))
    except FieldsError:
        raise JiraError(400, INVALID_PAYLOAD) from None
    if len(properties) > MAX_PROPERTIES:
        raise JiraError(
            400, f"The number of properties requested exceeds the limit of {MAX_PROPERTIES}."
        )
    reconcile = _as_int_list(params.get("reconcileIssues"))
    if len(reconcile) > MAX_RECONCILE:
        raise JiraError(
            400, f"The number of issues to reconcile exceeds the limit of {MAX_RECONCILE}."
        )
    requested = int_param(params.get("maxResults"), "maxResults", 50)
    if requested <= 0:
        requested = 50
    projection = Projection(
        spec, parse_expand(params.get("expand")), tuple(properties), sim.dataset.sprint_field
    )
    cap = 100 if projection.full else 5000
    max_results = min(requested, cap)
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
    names: dict[str, str] = {}
    out: JsonDict = {"issues": [projection.issue(rec, names) for rec in issues]}
    if next_token:
        out["nextPageToken"] = next_token
    out["isLast"] = next_token is None
    if projection.has("names"):
        out["names"] = names
    if projection.has("schema"):
        out["schema"] = schema_for(names)
    await account(request, len(issues), len(issues) if projection.full else 0)
    return respond(request, out)


async def approximate_count(request: Request) -> Response:
    sim = state(request)
    body = await read_object(request)
    jql = body.get("jql") or ""
    try:
        evaluated = sim.search.evaluate(str(jql), jql_context(request))
    except JqlError as exc:
        raise JiraError(400, exc.message, warnings=[]) from None
    return respond(request, {"count": len(evaluated.issues)})


async def search_removed(request: Request) -> Response:
    raise JiraError(410, SEARCH_REMOVED)


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
        expand = parse_expand(body.get("expand"))
        properties = split_list(body.get("properties"))
    except FieldsError:
        raise JiraError(400, INVALID_PAYLOAD) from None
    efficient = (
        spec.explicit
        and len(spec.include) <= 100
        and not (spec.include & MULTI_VALUED)
        and not (expand & EXPENSIVE_EXPANDS)
        and not properties
    )
    limit = 1000 if efficient else 100
    if len(ids) > limit:
        raise JiraError(
            400,
            f"The number of issues requested ({len(ids)}) exceeds the limit of {limit} for this "
            "request shape.",
        )
    projection = Projection(spec, expand, tuple(properties), sim.dataset.sprint_field)
    found: dict[int, Any] = {}
    errors: list[JsonDict] = []
    for ref in ids:
        rec = sim.dataset.get_issue(str(ref))
        if rec is None:
            errors.append({"id": str(ref), "errorMessage": ISSUE_NOT_FOUND})
        else:
            found[rec.id] = rec
    names: dict[str, str] = {}
    issues = [projection.issue(found[i], names) for i in sorted(found)]
    out: JsonDict = {"expand": "schema,names", "issues": issues, "issueErrors": errors}
    if projection.has("names"):
        out["names"] = names
    if projection.has("schema"):
        out["schema"] = schema_for(names)
    await account(request, len(issues), len(issues) if projection.full else 0)
    return respond(request, out)


async def issue_get(request: Request) -> Response:
    sim = state(request)
    rec = sim.dataset.get_issue(request.path_params["issueIdOrKey"])
    if rec is None:
        raise JiraError(404, ISSUE_NOT_FOUND)
    q = request.query_params
    spec = FieldSpec.parse(",".join(q.getlist("fields")) or None, default=["*all"])
    properties = split_list(",".join(q.getlist("properties")))
    projection = Projection(
        spec, parse_expand(q.get("expand")), tuple(properties), sim.dataset.sprint_field
    )
    names: dict[str, str] = {}
    out = projection.issue(rec, names)
    if projection.has("names"):
        out["names"] = names
    if projection.has("schema"):
        out["schema"] = schema_for(names)
    await account(request, 1, 1 if projection.full else 0)
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


async def jql_parse(request: Request) -> Response:
    """``POST /rest/api/3/jql/parse``: each query with the errors a search would answer."""
    body = await read_object(request, required=True)
    queries = body.get("queries")
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        raise JiraError(400, INVALID_PAYLOAD)
    ctx = jql_context(request)
    parsed: list[JsonDict] = []
    for query in queries:
        try:
            compile_query(parse_jql(query), ctx)
            parsed.append({"query": query, "structure": {}})
        except JqlError as exc:
            parsed.append({"query": query, "errors": [exc.message]})
    return respond(request, {"queries": parsed})


ROUTES: Final = [
    Route("/rest/api/3/project/search", project_search, methods=["GET"]),
    Route("/rest/api/3/project/{projectIdOrKey}", project_get, methods=["GET"]),
    Route("/rest/api/3/users/search", users_search, methods=["GET"]),
    Route("/rest/api/3/users", users_search, methods=["GET"]),
    Route("/rest/api/3/user", user_get, methods=["GET"]),
    Route("/rest/api/3/myself", myself, methods=["GET"]),
    Route("/rest/api/3/serverInfo", server_info, methods=["GET"]),
    Route("/rest/api/2/serverInfo", server_info, methods=["GET"]),
    Route("/rest/api/3/jql/parse", jql_parse, methods=["POST"]),
    Route("/rest/api/3/field", fields_list, methods=["GET"]),
    Route("/rest/api/3/search/jql", search_jql, methods=["GET", "POST"]),
    Route("/rest/api/3/search/approximate-count", approximate_count, methods=["POST"]),
    Route("/rest/api/3/search", search_removed, methods=["GET", "POST"]),
    Route("/rest/api/3/issue/bulkfetch", bulkfetch, methods=["POST"]),
    Route("/rest/api/3/issue/{issueIdOrKey}", issue_get, methods=["GET"]),
    Route("/rest/api/3/mypermissions", my_permissions, methods=["GET"]),
]
