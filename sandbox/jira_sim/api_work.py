"""Platform API v3 for project versions, components, issue comments and worklogs.

- ``/project/{key}/version`` and ``/project/{key}/component``: PageBeans (``isLast``, ``total``).
- ``/issue/{key}/comment`` and ``/issue/{key}/worklog``: ``{startAt, maxResults, total, …}``,
  at most 50 a page here (stricter than Jira, so paging is exercised).
- ``/worklog/updated`` and ``/worklog/deleted``: ``{values, since, until, nextPage, lastPage}``, ``worklog_feed_page`` items a page, oldest first, strictly after ``since``;
  ``until`` is the last item's time and the next page asks ``since=until``.
- ``POST /worklog/list {ids}``: at most 1000 ids; unknown ids are left out.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from .catalog import JsonDict
from .web import (
    INVALID_PAYLOAD,
    JiraError,
    account,
    int_param,
    issue_or_404,
    page_url,
    project_or_404,
    read_object,
    respond,
    respond_page,
    state,
    window,
)

MAX_WORKLOG_LIST: Final = 1000


async def project_versions(request: Request) -> Response:
    ds = state(request).dataset
    project = project_or_404(request)
    return await respond_page(request, [ds.version_json(project, v) for v in project.versions])


async def version_get(request: Request) -> Response:
    ds = state(request).dataset
    version_id = str(request.path_params["id"])
    found = ds.find_version(version_id)
    if found is None:
        raise JiraError(404, f"Could not find version for id '{version_id}'")
    await account(request, 1)
    return respond(request, ds.version_json(*found))


async def project_components(request: Request) -> Response:
    ds = state(request).dataset
    project = project_or_404(request)
    return await respond_page(request, [ds.component_json(project, c) for c in project.components])


# ------------------------------------------------------------------------------- comments, worklogs


async def _items_page(request: Request, items: list[JsonDict], key: str) -> Response:
    start, size = window(request)
    page = items[start : start + size]
    await account(request, len(page))
    return respond(request, {"startAt": start, "maxResults": size, "total": len(items), key: page})


async def _item(request: Request, items: list[JsonDict], missing: str) -> Response:
    wanted = str(request.path_params["id"])
    for item in items:
        if str(item["id"]) == wanted:
            await account(request, 1)
            return respond(request, item)
    raise JiraError(404, missing + wanted)


async def issue_comments(request: Request) -> Response:
    ds = state(request).dataset
    return await _items_page(request, ds.issue_comments(issue_or_404(request)), "comments")


async def issue_comment(request: Request) -> Response:
    ds = state(request).dataset
    comments = ds.issue_comments(issue_or_404(request))
    return await _item(request, comments, "Can not find a comment for the id: ")


async def issue_worklogs(request: Request) -> Response:
    ds = state(request).dataset
    return await _items_page(request, ds.issue_worklogs(issue_or_404(request)), "worklogs")


async def issue_worklog(request: Request) -> Response:
    ds = state(request).dataset
    worklogs = ds.issue_worklogs(issue_or_404(request))
    return await _item(request, worklogs, "Cannot find worklog with id: ")


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
