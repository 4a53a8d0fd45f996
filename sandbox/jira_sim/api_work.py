"""Platform API v3 for project versions, components, issue comments and worklogs.

- ``/project/{key}/version`` and ``/project/{key}/component``: PageBeans (``isLast``, ``total``);
  components take ``componentSource`` (``jira``; ``compass`` has none here; ``auto`` is Jira's
  since no project uses Compass) and ``query`` (name contains).
- ``/issue/{key}/comment`` and ``/issue/{key}/worklog``: ``{startAt, maxResults, total, …}``,
  at most 50 a page here (stricter than Jira, so paging is exercised).
- ``/worklog/updated`` and ``/worklog/deleted``: ``{values, since, until, self, nextPage,
  lastPage}``, ``worklog_feed_page`` items a page, oldest first, strictly after ``since``;
  ``until`` is the last item's time and the next page asks ``since=until``.
- ``POST /worklog/list {ids}``: at most 1000 ids; unknown ids are left out.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from .catalog import JsonDict
from .fields import split_list
from .store import IssueRecord, ProjectRecord
from .web import (
    INVALID_PAYLOAD,
    ISSUE_NOT_FOUND,
    JiraError,
    account,
    int_param,
    page_url,
    read_object,
    respond,
    respond_page,
    state,
)

MAX_ISSUE_ITEMS_PAGE: Final = 50
MAX_WORKLOG_LIST: Final = 1000


def _project(request: Request) -> ProjectRecord:
    ref = request.path_params["projectIdOrKey"]
    rec = state(request).dataset.get_project(ref)
    if rec is None:
        kind = "id" if str(ref).isdigit() else "key"
        raise JiraError(404, f"No project could be found with {kind} '{ref}'.")
    return rec


def _issue(request: Request) -> IssueRecord:
    rec = state(request).dataset.get_issue(request.path_params["issueIdOrKey"])
    if rec is None:
        raise JiraError(404, ISSUE_NOT_FOUND)
    return rec


# ------------------------------------------------------------------------------- versions


async def project_versions(request: Request) -> Response:
    ds = state(request).dataset
    project = _project(request)
    q = request.query_params
    versions = [ds.version_json(project, v) for v in project.versions]
    statuses = set(split_list(q.get("status")))
    if statuses:
        versions = [
            v
            for v in versions
            if ("archived" in statuses and v["archived"])
            or ("released" in statuses and v["released"] and not v["archived"])
            or ("unreleased" in statuses and not v["released"] and not v["archived"])
        ]
    text = (q.get("query") or "").lower()
    if text:
        versions = [v for v in versions if text in str(v["name"]).lower()]
    return await respond_page(request, versions)


async def version_get(request: Request) -> Response:
    ds = state(request).dataset
    version_id = str(request.path_params["id"])
    found = ds.find_version(version_id)
    if found is None:
        raise JiraError(404, f"Could not find version for id '{version_id}'")
    await account(request, 1)
    return respond(request, ds.version_json(*found))


# ------------------------------------------------------------------------------- components


async def project_components(request: Request) -> Response:
    ds = state(request).dataset
    project = _project(request)
    q = request.query_params
    source = q.get("componentSource") or "jira"
    if source not in ("jira", "compass", "auto"):
        raise JiraError(400, f"Invalid componentSource '{source}'.")
    components = (
        [] if source == "compass" else [ds.component_json(project, c) for c in project.components]
    )
    text = (q.get("query") or "").lower()
    if text:
        components = [c for c in components if text in str(c["name"]).lower()]
    return await respond_page(request, components)


# ------------------------------------------------------------------------------- comments, worklogs


def _items_page(request: Request, items: list[JsonDict], key: str) -> JsonDict:
    q = request.query_params
    start = max(0, int_param(q.get("startAt"), "startAt", 0))
    size = min(max(1, int_param(q.get("maxResults"), "maxResults", 5000)), MAX_ISSUE_ITEMS_PAGE)
    return {
        "startAt": start,
        "maxResults": size,
        "total": len(items),
        key: items[start : start + size],
    }


async def issue_comments(request: Request) -> Response:
    ds = state(request).dataset
    body = _items_page(request, ds.issue_comments(_issue(request)), "comments")
    await account(request, len(body["comments"]))
    return respond(request, body)


async def issue_comment(request: Request) -> Response:
    ds = state(request).dataset
    wanted = str(request.path_params["id"])
    for comment in ds.issue_comments(_issue(request)):
        if comment["id"] == wanted:
            await account(request, 1)
            return respond(request, comment)
    raise JiraError(404, "Can not find a comment for the id: " + wanted)


async def issue_worklogs(request: Request) -> Response:
    ds = state(request).dataset
    body = _items_page(request, ds.issue_worklogs(_issue(request)), "worklogs")
    await account(request, len(body["worklogs"]))
    return respond(request, body)


async def issue_worklog(request: Request) -> Response:
    ds = state(request).dataset
    rec = _issue(request)
    raw = str(request.path_params["id"])
    worklog = ds.worklogs.get(int(raw)) if raw.isdigit() else None
    if worklog is None or worklog["issueId"] != str(rec.id):
        raise JiraError(404, f"Cannot find worklog with id: {raw}")
    await account(request, 1)
    return respond(request, worklog)


async def _feed(request: Request, *, deleted: bool) -> Response:
    sim = state(request)
    since = int_param(request.query_params.get("since"), "since", 0)
    items = sim.dataset.worklog_feed(since, deleted=deleted)
    page = items[: sim.config.worklog_feed_page]
    last = len(page) == len(items)
    until = page[-1][0] if page else since
    body: JsonDict = {
        "values": [{"worklogId": wid, "updatedTime": ms, "properties": []} for ms, wid in page],
        "since": since,
        "until": until,
        "self": page_url(request),
        "lastPage": last,
    }
    if not last:
        body["nextPage"] = page_url(request, since=until)
    await account(request, len(page))
    return respond(request, body)


async def worklogs_updated(request: Request) -> Response:
    return await _feed(request, deleted=False)


async def worklogs_deleted(request: Request) -> Response:
    return await _feed(request, deleted=True)


async def worklog_list(request: Request) -> Response:
    ds = state(request).dataset
    body = await read_object(request, required=True)
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise JiraError(400, INVALID_PAYLOAD)
    if len(ids) > MAX_WORKLOG_LIST:
        raise JiraError(
            400, f"The number of worklog IDs requested exceeds the limit of {MAX_WORKLOG_LIST}."
        )
    found = [ds.worklogs[i] for i in dict.fromkeys(ids) if i in ds.worklogs]
    await account(request, len(found))
    return respond(request, found)
