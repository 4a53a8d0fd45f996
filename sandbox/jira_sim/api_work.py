"""Platform API v3 for project versions, components, issue comments and worklogs.

- ``/project/{key}/version`` and ``/project/{key}/component``: PageBeans (``isLast``, ``total``).
- ``/issue/{key}/comment`` and ``/issue/{key}/worklog``: ``{startAt, maxResults, total, …}``,
  at most 50 a page here (stricter than Jira, so paging is exercised).
- ``/worklog/updated`` and ``/worklog/deleted``: ``{values, since, until, nextPage, lastPage}``, ``worklog_feed_page`` items a page, oldest first, strictly after ``since``;
  ``until`` is the last item's time and the next page asks ``since=until``.
- ``POST /worklog/list {ids}``: at most 1000 ids; unknown ids are left out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from .catalog import JsonDict
from .store import Dataset, IssueRecord
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
Endpoint = Callable[[Request], Awaitable[Response]]


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


def _issue_items(
    key: str, missing: str, read: Callable[[Dataset, IssueRecord], list[JsonDict]]
) -> tuple[Endpoint, Endpoint]:
    """An issue's items (``read``) as a page under ``key``, and one of them by its id."""

    async def page(request: Request) -> Response:
        items = read(state(request).dataset, issue_or_404(request))
        start, size = window(request.query_params)
        found = items[start : start + size]
        await account(request, len(found))
        body = {"startAt": start, "maxResults": size, "total": len(items), key: found}
        return respond(request, body)

    async def one(request: Request) -> Response:
        wanted = str(request.path_params["id"])
        for item in read(state(request).dataset, issue_or_404(request)):
            if str(item["id"]) == wanted:
                await account(request, 1)
                return respond(request, item)
        raise JiraError(404, missing + wanted)

    return page, one


issue_comments, issue_comment = _issue_items(
    "comments", "Can not find a comment for the id: ", Dataset.issue_comments
)
issue_worklogs, issue_worklog = _issue_items(
    "worklogs", "Cannot find worklog with id: ", Dataset.issue_worklogs
)


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
    if not isinstance(ids, list):
        raise JiraError(400, INVALID_PAYLOAD)
    if len(ids) > MAX_WORKLOG_LIST:
        raise JiraError(
            400, f"The number of worklog IDs requested exceeds the limit of {MAX_WORKLOG_LIST}."
        )
    found = [ds.worklogs[i] for i in dict.fromkeys(ids) if i in ds.worklogs]
    await account(request, len(found))
    return respond(request, found)
