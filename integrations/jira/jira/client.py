"""Jira's endpoints as methods: what to call and how it pages; no retry or auth logic here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from jira.http import Api, JiraHttp
from jira.paging import Page, array_pages, cursor_pages, offset_pages, relay_pages, token_pages
from jira.settings import JiraSettings

PROJECT_PAGE_SIZE = 50
USER_PAGE_SIZE = 1000
TEAM_PAGE_SIZE = 300
MEMBER_PAGE_SIZE = 50
ISSUE_PAGE_SIZE = 100


def _csv(value: str | None) -> str | None:
    return value.strip() or None if value else None


class JiraClient:
    def __init__(self, http: JiraHttp) -> None:
        self.http = http

    @property
    def settings(self) -> JiraSettings:
        return self.http.settings

    # Projects
    def projects(self, expand: str | None = None) -> AsyncIterator[Page]:
        return offset_pages(
            self.http,
            Api.PLATFORM,
            "/project/search",
            params={"expand": _csv(expand)},
            page_size=PROJECT_PAGE_SIZE,
        )

    async def project(self, key: str, expand: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self.http.request(
            "GET",
            Api.PLATFORM,
            "/project/{key}",
            path_params={"key": key},
            params={"expand": _csv(expand)},
        )
        return result

    # Users
    def users(self) -> AsyncIterator[Page]:
        return array_pages(self.http, Api.PLATFORM, "/users/search", page_size=USER_PAGE_SIZE)

    async def user(self, account_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.http.request(
            "GET", Api.PLATFORM, "/user", params={"accountId": account_id}
        )
        return result

    # Teams (Atlassian's Teams public API, per organization)
    def teams(self, organization_id: str) -> AsyncIterator[Page]:
        return cursor_pages(
            self.http,
            Api.TEAMS,
            "/org/{org}/teams",
            path_params={"org": organization_id},
            params={"size": TEAM_PAGE_SIZE},
        )

    def team_members(self, organization_id: str, team_id: str) -> AsyncIterator[Page]:
        return relay_pages(
            self.http,
            Api.TEAMS,
            "/org/{org}/teams/{team}/members",
            path_params={"org": organization_id, "team": team_id},
            page_size=MEMBER_PAGE_SIZE,
        )

    # Issues
    def search_issues(
        self,
        jql: str,
        fields: list[str],
        expand: str | None = None,
        page_size: int = ISSUE_PAGE_SIZE,
        reconcile_ids: list[int] | None = None,
    ) -> AsyncIterator[Page]:
        body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": page_size}
        if _csv(expand):
            body["expand"] = _csv(expand)
        if reconcile_ids:
            body["reconcileIssues"] = reconcile_ids[:50]
        return token_pages(self.http, Api.PLATFORM, "/search/jql", body=body)

    async def issue(
        self, key: str, fields: list[str] | None = None, expand: str | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.http.request(
            "GET",
            Api.PLATFORM,
            "/issue/{key}",
            path_params={"key": key},
            params={"fields": ",".join(fields) if fields else None, "expand": _csv(expand)},
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
        """One page of `POST /search/jql`: for lookups that match a handful of issues.

        `reconcile_ids` makes the search read-after-write for those issues (at most 50), so an
        issue created or changed a moment ago is found with its current state.
        """
        body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": max_results}
        if _csv(expand):
            body["expand"] = _csv(expand)
        if reconcile_ids:
            body["reconcileIssues"] = list(reconcile_ids)[:50]
        page = await self.http.request("POST", Api.PLATFORM, "/search/jql", json_body=body)
        issues = page.get("issues") if isinstance(page, dict) else None
        return [issue for issue in issues or [] if isinstance(issue, dict)]

    async def live_project(
        self, project_id: str, expand: str | None = None
    ) -> dict[str, Any] | None:
        """The project as `/project/search` lists it (live projects only), or None."""
        page = await self.http.request(
            "GET",
            Api.PLATFORM,
            "/project/search",
            params={"id": project_id, "expand": _csv(expand)},
        )
        values = page.get("values") if isinstance(page, dict) else None
        for value in values or []:
            if isinstance(value, dict) and str(value.get("id")) == str(project_id):
                return value
        return None

    # Permissions
    async def has_permission(self, permission: str) -> bool:
        body = await self.http.request(
            "GET", Api.PLATFORM, "/mypermissions", params={"permissions": permission}
        )
        entry = ((body or {}).get("permissions") or {}).get(permission) or {}
        return bool(entry.get("havePermission"))

    # Admin webhooks (need the ADMINISTER permission)
    async def admin_webhooks(self) -> list[dict[str, Any]]:
        body = await self.http.request("GET", Api.WEBHOOKS, "/webhook")
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

    # Dynamic webhooks (OAuth 2.0 and Connect apps only; they expire after 30 days)
    def dynamic_webhooks(self) -> AsyncIterator[Page]:
        return offset_pages(self.http, Api.PLATFORM, "/webhook", page_size=100)

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

    async def refresh_dynamic_webhooks(self, webhook_ids: list[int]) -> dict[str, Any]:
        result: dict[str, Any] = await self.http.request(
            "PUT", Api.PLATFORM, "/webhook/refresh", json_body={"webhookIds": webhook_ids}
        )
        return result or {}
