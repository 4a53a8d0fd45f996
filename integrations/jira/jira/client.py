"""Jira's endpoints as methods: what to call and how it pages; no retry or auth logic here."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from loguru import logger

from jira.deployment import Deployment
from jira.errors import (
    JiraApiError,
    JiraError,
    JiraIncompleteError,
    JiraMalformedResponse,
    JiraNotFoundError,
)
from jira.http import Api, Endpoint, JiraHttp
from jira.paging import (
    Page,
    array_pages,
    cursor_pages,
    offset_pages,
    query_token_pages,
    relay_pages,
    since_pages,
    token_pages,
    window_pages,
)
from jira.settings import JiraSettings

PROJECT_PAGE_SIZE = 50
USER_PAGE_SIZE = 1000
# Data Center's /user/search lists only its first 100 users from Jira 10 (JRASERVER-78660),
# its first 1000 before (JRASERVER-65089), whatever startAt asks: a list ending at one of
# these may be cut short.
USER_SEARCH_CAPS = frozenset({100, 1000})
TEAM_PAGE_SIZE = 300
MEMBER_PAGE_SIZE = 50
ISSUE_PAGE_SIZE = 100
# Data Center serves up to 1000 issues a search page (jira.search.views.default.max): the
# fewest requests offset paging allows, as it has no bulk fetch.
DC_ISSUE_PAGE_SIZE = 1000
AGILE_PAGE_SIZE = 50
VERSION_PAGE_SIZE = 50
COMPONENT_PAGE_SIZE = 50
BACKLOG_PAGE_SIZE = 50
COMMENT_PAGE_SIZE = 100
WORKLOG_PAGE_SIZE = 1000
WORKLOG_LIST_MAX = 1000
ISSUE_KEY_CHUNK = 1000
RECONCILE_MAX = 50  # issues a search can make read-after-write

IssueItem = Literal["comment", "worklog"]
# Each per-issue item's page size and the key its pages list it under.
_ISSUE_ITEM_PAGES: dict[IssueItem, tuple[int, str]] = {
    "comment": (COMMENT_PAGE_SIZE, "comments"),
    "worklog": (WORKLOG_PAGE_SIZE, "worklogs"),
}


def expand_list(expand: str | None) -> list[str]:
    """Jira's `expand` (a comma-separated string in selectors) as its parts."""
    return [part.strip() for part in (expand or "").split(",") if part.strip()]


def _csv(value: str | None) -> str | None:
    return ",".join(expand_list(value)) or None


def _objects(body: Any, key: str) -> list[dict[str, Any]]:
    """The objects listed under `key` in a JSON answer (nothing when it is not such a list)."""
    listed = body.get(key) if isinstance(body, dict) else None
    return [item for item in listed if isinstance(item, dict)] if isinstance(listed, list) else []


def _search_body(
    jql: str,
    fields: list[str],
    expand: str | None,
    max_results: int,
    reconcile_ids: Sequence[int] = (),
) -> dict[str, Any]:
    """The body of `POST /search/jql`. `reconcile_ids` makes the search read-after-write for
    those issues (at most `RECONCILE_MAX`): an issue changed a moment ago is found with its current state."""
    body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": max_results}
    if _csv(expand):
        body["expand"] = _csv(expand)
    if reconcile_ids:
        body["reconcileIssues"] = list(reconcile_ids)[:RECONCILE_MAX]
    return body


def _v2_search_body(jql: str, fields: list[str], expand: str | None) -> dict[str, Any]:
    """The body of Data Center's `POST /rest/api/2/search` (`expand` is a list there)."""
    body: dict[str, Any] = {"jql": jql, "fields": fields}
    if expand_list(expand):
        body["expand"] = expand_list(expand)
    return body


def _issue_errors(
    result: Any, wanted: Sequence[str], returned: Sequence[dict[str, Any]]
) -> dict[str, str]:
    """The requested issues a bulk fetch listed in `issueErrors` (id → Jira's message). An
    error naming no requested id (an issue asked by key) stands for every one not returned."""
    errors = _objects(result, "issueErrors")
    if not errors:
        return {}
    got = {str(i.get(name)) for i in returned for name in ("id", "key")}
    missing = [ref for ref in wanted if ref not in got]
    by_id = {str(e.get("id")): str(e.get("errorMessage") or "no error message") for e in errors}
    named = {ref: by_id[ref] for ref in missing if ref in by_id}
    if len(named) < len(by_id):  # some errors name issues by something else: all unknown
        message = "; ".join(sorted(set(by_id.values())))
        return {ref: named.get(ref, message) for ref in missing}
    return named


def _bulk_body(ids: Sequence[str], fields: list[str], expand: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"issueIdsOrKeys": list(ids), "fields": fields}
    if expand_list(expand):
        body["expand"] = expand_list(expand)  # a list here, unlike most endpoints
    return body


def _issue_id_order(issue: dict[str, Any]) -> tuple[int, str]:
    ref = str(issue.get("id", ""))
    return (int(ref), ref) if ref.isdigit() else (1 << 62, ref)


LISTED_MAX = 20


def _listed(ids: Sequence[str]) -> str:
    """`issue(s) 1, 2, 3` (at most `LISTED_MAX` named) for a one-line message."""
    shown = ", ".join(ids[:LISTED_MAX])
    more = f" and {len(ids) - LISTED_MAX} more" if len(ids) > LISTED_MAX else ""
    return f"{len(ids)} issue(s) {shown}{more}"


class JiraClient:
    def __init__(self, http: JiraHttp) -> None:
        self.http = http
        self._cloud_id: str | None = None

    @property
    def settings(self) -> JiraSettings:
        return self.http.settings

    async def deployment(self) -> Deployment:
        """Cloud or Data Center, found once; the methods below page each endpoint as it does."""
        return await self.http.deployment()

    async def _on_datacenter(self) -> bool:
        return (await self.deployment()).is_datacenter

    @property
    def concurrency(self) -> int:
        """How many requests may be in flight at once (fan-outs use the same bound)."""
        return self.http.limiter.concurrency

    # Projects
    async def projects(self, expand: str | None = None) -> AsyncIterator[Page]:
        if await self._on_datacenter():
            # Data Center: one unpaged array of the projects the user can browse.
            body = await self.http.at(Api.PLATFORM, "/project").get({"expand": _csv(expand)})
            if page := [p for p in body or [] if isinstance(p, dict)]:
                yield page
            return
        async for page in offset_pages(
            self.http.at(Api.PLATFORM, "/project/search"),
            params={"expand": _csv(expand)},
            page_size=PROJECT_PAGE_SIZE,
        ):
            yield page

    async def project(self, key: str, expand: str | None = None) -> dict[str, Any]:
        endpoint = self.http.at(Api.PLATFORM, "/project/{key}", key=key)
        result: dict[str, Any] = await endpoint.get({"expand": _csv(expand)})
        return result

    # Users
    async def users(self) -> AsyncIterator[Page]:
        if not await self._on_datacenter():
            async for page in array_pages(
                self.http.at(Api.PLATFORM, "/users/search"), page_size=USER_PAGE_SIZE
            ):
                yield page
            return
        try:
            # Data Center 10+: cursor paging over every user.
            async for page in cursor_pages(
                self.http.at(Api.PLATFORM, "/user/list"),
                params={"maxResults": USER_PAGE_SIZE},
                items_key="values",
                next_key="nextCursor",
            ):
                yield page
            return
        except JiraNotFoundError:
            pass  # before Data Center 10.3: the user search, `.` matching every username
        search = self.http.at(Api.PLATFORM, "/user/search")
        listed = 0
        async for page in array_pages(
            search, params={"username": ".", "includeInactive": "true"}, page_size=USER_PAGE_SIZE
        ):
            listed += len(page)
            yield page
        if listed in USER_SEARCH_CAPS:
            raise JiraError(
                f"Jira {self.http.url(Api.PLATFORM, '/user/search')} listed exactly {listed} "
                "users, the most it lists (it has no /rest/api/2/user/list before Data Center "
                "10.3): more may exist, so the user kind fails rather than delete the users it "
                "could not list; upgrade to Data Center 10.3 or later to sync users"
            )

    async def user(self, account_id: str) -> dict[str, Any]:
        # On Data Center a user's `accountId` is its key (jira.datacenter_shapes).
        param = "key" if await self._on_datacenter() else "accountId"
        result: dict[str, Any] = await self.http.at(Api.PLATFORM, "/user").get({param: account_id})
        return result

    # Teams (Atlassian's Teams public API, per organization; `site_id`, the site's cloud id,
    # makes it list the teams pinned to the site too)
    def teams(self, organization_id: str, site_id: str | None = None) -> AsyncIterator[Page]:
        """The organization's teams, and with `site_id` the site's own (the team kind always
        names it; whether the API answers for the organization needs no site)."""
        return cursor_pages(
            self.http.at(Api.TEAMS, "/org/{org}/teams", org=organization_id),
            params={"size": TEAM_PAGE_SIZE, "siteId": site_id},
        )

    def team_members(self, organization_id: str, team_id: str, site_id: str) -> AsyncIterator[Page]:
        return relay_pages(
            self.http.at(
                Api.TEAMS, "/org/{org}/teams/{team}/members", org=organization_id, team=team_id
            ),
            page_size=MEMBER_PAGE_SIZE,
            params={"siteId": site_id},
        )

    async def site_cloud_id(self) -> str:
        """The site's cloud id: from jiraHost on the gateway, else `/_edge/tenant_info` (read
        once). Raises when the site does not tell it."""
        if self.settings.cloud_id is not None:
            return self.settings.cloud_id
        if self._cloud_id is None:
            endpoint = self.http.at(Api.EDGE, "/tenant_info")
            answer = await endpoint.get()
            cloud_id = answer.get("cloudId") if isinstance(answer, dict) else None
            if not isinstance(cloud_id, str) or not cloud_id.strip():
                raise JiraMalformedResponse(
                    f"Jira {self.http.url(Api.EDGE, '/tenant_info')} did not give the site's "
                    "cloud id, which Atlassian's Teams API needs (siteId) to list the teams "
                    "pinned to this site"
                )
            self._cloud_id = cloud_id.strip()
        return self._cloud_id

    # Issues
    async def search_issues(
        self,
        jql: str,
        fields: list[str],
        expand: str | None = None,
        page_size: int = ISSUE_PAGE_SIZE,
    ) -> AsyncIterator[Page]:
        if await self._on_datacenter():
            pages = window_pages(  # pages of up to 1000 issues with their fields: bulk reads
                self.http.bulk_at(Api.PLATFORM, "/search"),
                jql=jql,
                body=_v2_search_body(jql, fields, expand),
                page_size=DC_ISSUE_PAGE_SIZE,
            )
        else:
            body = _search_body(jql, fields, expand, page_size)
            pages = token_pages(self.http.at(Api.PLATFORM, "/search/jql"), body=body)
        async for page in pages:
            yield page

    async def issue(
        self, key: str, fields: list[str] | None = None, expand: str | None = None
    ) -> dict[str, Any]:
        endpoint = self.http.at(Api.PLATFORM, "/issue/{key}", key=key)
        result: dict[str, Any] = await endpoint.get(
            {"fields": ",".join(fields) if fields else None, "expand": _csv(expand)}
        )
        return result

    async def find_issues(
        self,
        jql: str,
        fields: list[str],
        expand: str | None = None,
        reconcile_ids: Sequence[int] = (),
        max_results: int = 10,
    ) -> list[dict[str, Any]]:
        """Every issue of a search that matches a handful (`max_results` a page). Every page
        is read: Jira may answer fewer than asked (a heavy field set on Cloud, a site's lower
        cap on Data Center), and an issue left for a later page is not "unselected"."""
        pages: AsyncIterator[Page]
        if await self._on_datacenter():
            pages = window_pages(
                self.http.at(Api.PLATFORM, "/search"),
                jql=jql,
                body=_v2_search_body(jql, fields, expand),
                page_size=max_results,
            )
        else:
            body = _search_body(jql, fields, expand, max_results, reconcile_ids)
            pages = token_pages(self.http.at(Api.PLATFORM, "/search/jql"), body=body)
        try:
            return [issue async for page in pages for issue in page if isinstance(issue, dict)]
        except JiraNotFoundError as exc:
            raise exc.not_gone() from exc

    async def live_project(
        self, project_id: str, expand: str | None = None
    ) -> dict[str, Any] | None:
        """The project as `/project/search` lists it (live projects only), or None."""
        if await self._on_datacenter():
            project = await self.project(project_id, expand)
            return None if project.get("archived") else project
        try:
            page = await self.http.at(Api.PLATFORM, "/project/search").get(
                {"id": project_id, "expand": _csv(expand)}
            )
        except JiraNotFoundError as exc:
            raise exc.not_gone() from exc
        for value in _objects(page, "values"):
            if str(value.get("id")) == str(project_id):
                return value
        return None

    async def bulkfetch_issues(
        self, ids: Sequence[str], fields: list[str], expand: str | None = None
    ) -> list[dict[str, Any]]:
        """`POST /issue/bulkfetch` (at most 1000 ids), in ascending id order. Issues Jira
        cannot find or show (gone meanwhile) are left out by Jira. Those it lists in
        `issueErrors` ("a retriable error or payload constraint") are still there: they are
        asked again, as many times as the retry policy allows, and when Jira still does not
        return them `JiraIncompleteError` names them (the kind fails and deletes nothing)."""
        if await self._on_datacenter():
            return await self._issues_by_id(ids, fields, expand)
        return await self._bulk_completed(ids, fields, expand, None)

    async def bulkfetch_answer(
        self, ids: Sequence[str], fields: list[str], expand: str | None = None
    ) -> BulkAnswer:
        """`bulkfetch_issues`, its answer kept as Jira's bytes until its issues are taken: a
        read-ahead holds about half the memory it would as parsed issues."""
        if await self._on_datacenter():
            return BulkAnswer(
                self, ids, fields, expand, await self._issues_by_id(ids, fields, expand)
            )
        body = await self._bulk_endpoint().post_for_bytes(_bulk_body(ids, fields, expand))
        return BulkAnswer(self, ids, fields, expand, body)

    def _bulk_endpoint(self) -> Endpoint:
        return self.http.bulk_at(Api.PLATFORM, "/issue/bulkfetch")

    async def _bulk_completed(
        self, ids: Sequence[str], fields: list[str], expand: str | None, first: Any
    ) -> list[dict[str, Any]]:
        """The bulk fetch of `ids` from its first answer (`first`; None: not asked yet), the
        issues listed in `issueErrors` asked again as the retry policy allows."""
        endpoint = self._bulk_endpoint()
        found: list[dict[str, Any]] = []
        wanted, attempts = list(ids), self.http.policy.max_attempts
        for attempt in range(1, attempts + 1):
            if attempt == 1 and first is not None:
                result = first
            else:
                result = await endpoint.post(_bulk_body(wanted, fields, expand))
            issues = _objects(result, "issues")
            found += issues
            errors = _issue_errors(result, wanted, issues)
            if not errors:
                return sorted(found, key=_issue_id_order)
            wanted = list(errors)
            if attempt < attempts:
                await self.http.pause_before_retry(attempt)
        raise JiraIncompleteError(
            f"Jira {endpoint.name('POST')} did not return {_listed(wanted)} after {attempts} "
            f"attempts ({'; '.join(sorted(set(errors.values())))}); they are unknown, not gone"
        )

    async def _issues_by_id(
        self, ids: Sequence[str], fields: list[str], expand: str | None
    ) -> list[dict[str, Any]]:
        """Data Center has no bulk fetch: one search `issue in (…)`; when Jira refuses it (400:
        one of them is gone), one GET per issue, the gone ones (404) left out."""
        if not ids:
            return []
        try:
            return await self.find_issues(
                f"issue in ({', '.join(ids)})", fields, expand, max_results=len(ids)
            )
        except JiraApiError as exc:
            if exc.status != 400:
                raise

        async def one(ref: str) -> dict[str, Any] | None:
            try:
                return await self.issue(ref, fields=fields, expand=expand)
            except JiraNotFoundError:
                return None

        found = await asyncio.gather(*(one(ref) for ref in ids))
        return [issue for issue in found if issue is not None]

    async def issue_keys(self, issue_ids: Sequence[str]) -> dict[str, str]:
        """Issue id → key for these ids (bulk fetch, one small named field); gone ids are absent."""
        keys: dict[str, str] = {}
        ids = sorted(set(issue_ids), key=lambda v: (len(v), v))
        for start in range(0, len(ids), ISSUE_KEY_CHUNK):
            chunk = ids[start : start + ISSUE_KEY_CHUNK]
            for issue in await self.bulkfetch_issues(chunk, ["summary"]):
                if issue.get("id") and issue.get("key"):
                    keys[str(issue["id"])] = str(issue["key"])
        return keys

    # Project versions (releases) and components
    def project_versions(self, project_key: str) -> AsyncIterator[Page]:
        return offset_pages(
            self.http.at(Api.PLATFORM, "/project/{key}/version", key=project_key),
            page_size=VERSION_PAGE_SIZE,
        )

    async def version(self, version_id: str) -> dict[str, Any]:
        endpoint = self.http.at(Api.PLATFORM, "/version/{id}", id=version_id)
        result: dict[str, Any] = await endpoint.get()
        return result

    def project_components(
        self, project_key: str, source: str | None = None, query: str | None = None
    ) -> AsyncIterator[Page]:
        return offset_pages(
            self.http.at(Api.PLATFORM, "/project/{key}/component", key=project_key),
            params={"componentSource": source, "query": query},
            page_size=COMPONENT_PAGE_SIZE,
        )

    # Boards, sprints, epics, backlogs (Jira Software)
    def boards(
        self, board_type: str | None = None, project_key: str | None = None
    ) -> AsyncIterator[Page]:
        return offset_pages(
            self.http.at(Api.AGILE, "/board"),
            params={"type": board_type, "projectKeyOrId": project_key},
            page_size=AGILE_PAGE_SIZE,
        )

    async def board(self, board_id: int | str) -> dict[str, Any]:
        result: dict[str, Any] = await self.http.at(Api.AGILE, "/board/{id}", id=board_id).get()
        return result

    def board_projects(self, board_id: int | str) -> AsyncIterator[Page]:
        return offset_pages(
            self.http.at(Api.AGILE, "/board/{id}/project", id=board_id),
            page_size=AGILE_PAGE_SIZE,
        )

    def board_sprints(self, board_id: int | str, states: Sequence[str]) -> AsyncIterator[Page]:
        return offset_pages(
            self.http.at(Api.AGILE, "/board/{id}/sprint", id=board_id),
            params={"state": ",".join(states) or None},
            page_size=AGILE_PAGE_SIZE,
        )

    async def sprint(self, sprint_id: int | str) -> dict[str, Any]:
        result: dict[str, Any] = await self.http.at(Api.AGILE, "/sprint/{id}", id=sprint_id).get()
        return result

    def board_epics(self, board_id: int | str, done: bool | None = None) -> AsyncIterator[Page]:
        return offset_pages(
            self.http.at(Api.AGILE, "/board/{id}/epic", id=board_id),
            params={"done": None if done is None else str(done).lower()},
            page_size=AGILE_PAGE_SIZE,
        )

    async def board_backlog(
        self, board_id: int | str, jql: str | None, fields: str | None, api: Api = Api.SOFTWARE
    ) -> AsyncIterator[Page]:
        """A board's backlog from the software API, or the agile one (`api`). Cloud's
        software API (the enhanced backlog) is token paged; the agile API, which Data Center
        serves the software one under, pages by offset."""
        endpoint = self.http.at(api, "/board/{id}/backlog", id=board_id)
        params = {"jql": (jql or "").strip() or None, "fields": _csv(fields)}
        software = (await self.deployment()).paths[api] == Api.SOFTWARE.value
        pages = (
            query_token_pages(endpoint, params=params, page_size=BACKLOG_PAGE_SIZE)
            if software
            else offset_pages(
                endpoint, params=params, page_size=BACKLOG_PAGE_SIZE, values_key="issues"
            )
        )
        async for page in pages:
            yield page

    # Comments and worklogs: the items listed below an issue, by the same two endpoints
    def issue_items(
        self, item: IssueItem, key: str, params: Mapping[str, str | int] | None = None
    ) -> AsyncIterator[Page]:
        """Every `item` of issue `key` (`/issue/{key}/comment`, `/issue/{key}/worklog`)."""
        page_size, values_key = _ISSUE_ITEM_PAGES[item]
        return offset_pages(
            self.http.at(Api.PLATFORM, f"/issue/{{key}}/{item}", key=key),
            params=params,
            page_size=page_size,
            values_key=values_key,
        )

    async def issue_item(self, item: IssueItem, key: str, item_id: str) -> dict[str, Any]:
        endpoint = self.http.at(Api.PLATFORM, f"/issue/{{key}}/{item}/{{id}}", key=key, id=item_id)
        result: dict[str, Any] = await endpoint.get()
        return result

    def updated_worklogs(self, since_ms: int) -> AsyncIterator[Page]:
        """`{worklogId, updatedTime}` of worklogs changed since `since_ms`, oldest first."""
        return since_pages(self.http.at(Api.PLATFORM, "/worklog/updated"), since=since_ms)

    def deleted_worklogs(self, since_ms: int) -> AsyncIterator[Page]:
        return since_pages(self.http.at(Api.PLATFORM, "/worklog/deleted"), since=since_ms)

    async def worklogs(self, worklog_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Full worklogs by id (`POST /worklog/list`, at most 1000 ids a request)."""
        found: list[dict[str, Any]] = []
        ids = list(worklog_ids)
        for start in range(0, len(ids), WORKLOG_LIST_MAX):
            body = {"ids": ids[start : start + WORKLOG_LIST_MAX]}
            result = await self.http.at(Api.PLATFORM, "/worklog/list").post(body)
            found += [item for item in result or [] if isinstance(item, dict)]
        return found

    # The calling user (its `timeZone` is the one Jira reads absolute JQL dates in)
    async def server_info(self) -> dict[str, Any]:
        result = await self.http.at(Api.PLATFORM, "/serverInfo").get()
        return result if isinstance(result, dict) else {}

    async def myself(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.http.at(Api.PLATFORM, "/myself").get()
        return result or {}

    # Permissions
    async def my_permissions(
        self, keys: Iterable[str], project: str | None = None
    ) -> dict[str, bool]:
        """Whether the user holds each permission of `keys` (in `project`, or globally)."""
        body = await self.http.at(Api.PLATFORM, "/mypermissions").get(
            {"permissions": ",".join(keys), "projectKey": project}
        )
        entries = body.get("permissions") if isinstance(body, dict) else None
        return {
            str(key): bool(entry.get("havePermission"))
            for key, entry in (entries or {}).items()
            if isinstance(entry, dict)
        }

    async def permitted_projects(self, keys: Iterable[str]) -> list[str]:
        """The keys of every project where the user holds all of `keys` (project permissions),
        in one request whatever the number of projects (Cloud's `POST /permissions/project`)."""
        body = await self.http.request(
            "POST", Api.PLATFORM, "/permissions/project", json_body={"permissions": list(keys)}
        )
        projects = body.get("projects") if isinstance(body, dict) else None
        return [
            str(project["key"])
            for project in projects or []
            if isinstance(project, dict) and project.get("key")
        ]

    async def has_permission(self, permission: str) -> bool:
        return (await self.my_permissions([permission])).get(permission, False)

    # Admin webhooks (need the ADMINISTER permission)
    async def admin_webhooks(self) -> list[dict[str, Any]]:
        body = await self.http.at(Api.WEBHOOKS, "/webhook").get()
        return [hook for hook in body or [] if isinstance(hook, dict)]

    async def create_admin_webhook(self, webhook: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.http.request(
            "POST", Api.WEBHOOKS, "/webhook", json_body=webhook, idempotent=False
        )
        return result or {}

    async def update_admin_webhook(
        self, webhook_id: str, webhook: dict[str, Any]
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.http.request(
            "PUT",
            Api.WEBHOOKS,
            "/webhook/{id}",
            path_params={"id": webhook_id},
            json_body=webhook,
        )
        return result or {}

    async def delete_admin_webhook(self, webhook_id: str) -> None:
        """Jira answers 204; a webhook already gone raises JiraNotFoundError."""
        await self.http.request(
            "DELETE", Api.WEBHOOKS, "/webhook/{id}", path_params={"id": webhook_id}
        )

    # Dynamic webhooks (OAuth 2.0 and Connect apps only; they expire after 30 days)
    def dynamic_webhooks(self) -> AsyncIterator[Page]:
        return offset_pages(self.http.at(Api.PLATFORM, "/webhook"), page_size=100)

    async def register_dynamic_webhooks(
        self, url: str, webhooks: list[dict[str, Any]]
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.http.request(
            "POST",
            Api.PLATFORM,
            "/webhook",
            json_body={"url": url, "webhooks": webhooks},
            idempotent=False,
        )
        return result or {}

    async def delete_dynamic_webhooks(self, webhook_ids: list[int]) -> None:
        """Jira answers 202 and ignores ids that are not this app's (or already gone)."""
        await self.http.request(
            "DELETE", Api.PLATFORM, "/webhook", json_body={"webhookIds": webhook_ids}
        )

    async def refresh_dynamic_webhooks(self, webhook_ids: list[int]) -> dict[str, Any]:
        result: dict[str, Any] = await self.http.request(
            "PUT", Api.PLATFORM, "/webhook/refresh", json_body={"webhookIds": webhook_ids}
        )
        return result or {}


@dataclass
class BulkAnswer:
    """One bulk fetch's answer (`JiraClient.bulkfetch_answer`): Jira's bytes until `issues`
    parses them and completes them as `bulkfetch_issues` does (the issues it listed in
    `issueErrors` asked again). A body that is not JSON is asked again whole, with the
    client's retries, as any answer that is not JSON is."""

    client: JiraClient
    ids: Sequence[str]
    fields: list[str]
    expand: str | None
    answer: bytes | list[dict[str, Any]]

    async def issues(self) -> list[dict[str, Any]]:
        if isinstance(self.answer, list):
            return self.answer
        try:
            first = json.loads(self.answer)
        except ValueError:
            endpoint = self.client._bulk_endpoint().name("POST")
            logger.warning(
                f"Jira {endpoint}: a 200 answer whose body is not valid JSON; asking again"
            )
            return await self.client.bulkfetch_issues(self.ids, self.fields, self.expand)
        return await self.client._bulk_completed(self.ids, self.fields, self.expand, first)
