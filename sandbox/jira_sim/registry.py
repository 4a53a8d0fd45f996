"""Registered webhooks: admin webhooks (``/rest/webhooks/1.0``) and dynamic (OAuth) webhooks."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Final, Unpack

import httpx

from .catalog import SENTINEL, JsonDict
from .jql import FIELDS, Clause, JqlContext, JqlError, matches, parse, unknown_field_message
from .store import Dataset, IssueRecord
from .webhooks import ISSUE_EVENTS, Delivery, EventRefs, build_event, send_event

DELIVERY_LOG = 10_000  # deliveries kept for /_sim/webhooks (a burst test counts them all)

DYNAMIC_EVENTS: Final = frozenset(
    {
        "jira:issue_created",
        "jira:issue_updated",
        "jira:issue_deleted",
        "comment_created",
        "comment_updated",
        "comment_deleted",
        "issue_property_set",
        "issue_property_deleted",
    }
)
DYNAMIC_JQL_FIELDS: Final = frozenset({"issuekey", "key", "project", "issuetype", "status"})
DYNAMIC_JQL_OPS: Final = frozenset({"=", "!=", "IN", "NOT IN"})
DYNAMIC_TTL_MS: Final = 30 * 24 * 3600 * 1000
DYNAMIC_LIMIT: Final = 5
JQL_FILTER_KEY: Final = "issue-related-events-section"


def jira_ms_date(ms: int) -> str:
    from datetime import UTC, datetime

    from .catalog import fmt_jira_dt

    return fmt_jira_dt(datetime.fromtimestamp(ms / 1000, UTC))


@dataclass
class AdminWebhook:
    id: int
    name: str
    url: str
    events: list[str]
    jql: str = ""
    exclude_body: bool = False
    enabled: bool = True
    secret: str | None = None
    last_updated: int = 0

    def json(self) -> JsonDict:
        """As Jira returns it: the secret is never included."""
        out: JsonDict = {
            "name": self.name,
            "url": self.url,
            "excludeBody": self.exclude_body,
            "filters": {JQL_FILTER_KEY: self.jql},
            "events": self.events,
            "enabled": self.enabled,
            "self": f"{SENTINEL}/rest/webhooks/1.0/webhook/{self.id}",
            "lastUpdated": self.last_updated,
        }
        return out


@dataclass
class DynamicWebhook:
    id: int
    url: str
    events: list[str]
    jql_filter: str
    expiration_ms: int
    field_ids_filter: list[str] = field(default_factory=list)

    def json(self) -> JsonDict:
        out: JsonDict = {
            "id": self.id,
            "jqlFilter": self.jql_filter,
            "events": self.events,
            "expirationDate": jira_ms_date(self.expiration_ms),
        }
        if self.field_ids_filter:
            out["fieldIdsFilter"] = self.field_ids_filter
        return out


class WebhookRegistry:
    def __init__(self) -> None:
        self.admin: dict[int, AdminWebhook] = {}
        self.dynamic: dict[int, DynamicWebhook] = {}
        self.deliveries: list[JsonDict] = []
        self._next_admin = 1
        self._next_dynamic = 10000

    # -------------------------------------------------------------- admin
    def create_admin(self, body: JsonDict) -> AdminWebhook:
        hook = AdminWebhook(id=self._next_admin, name="", url="", events=[])
        self._next_admin += 1
        self.update_admin(hook, body)
        self.admin[hook.id] = hook
        return hook

    @staticmethod
    def update_admin(hook: AdminWebhook, body: JsonDict) -> None:
        hook.name = str(body.get("name", hook.name))
        hook.url = str(body.get("url", hook.url))
        hook.events = [str(e) for e in body.get("events", hook.events) or []]
        if "filters" in body:
            hook.jql = str((body.get("filters") or {}).get(JQL_FILTER_KEY) or "")
        hook.exclude_body = bool(body.get("excludeBody", hook.exclude_body))
        hook.enabled = bool(body.get("enabled", hook.enabled))
        if "secret" in body:
            hook.secret = str(body["secret"]) if body["secret"] else None
        hook.last_updated = int(time.time() * 1000)

    # -------------------------------------------------------------- dynamic
    def register_dynamic(self, url: str, entries: list[Any], ctx: JqlContext) -> list[JsonDict]:
        """``POST /rest/api/3/webhook``: one result per entry (errors come back in a 200)."""
        results: list[JsonDict] = []
        existing_url = next((h.url for h in self.dynamic.values()), None)
        for entry in entries:
            errors = self.validate_dynamic(entry, ctx)
            if not errors and existing_url not in (None, url):
                errors = ["Only a single URL per app is allowed to be registered."]
            if not errors and len(self.dynamic) >= DYNAMIC_LIMIT:
                errors = [f"Webhook limit of {DYNAMIC_LIMIT} per app per user has been reached."]
            if errors:
                results.append({"errors": errors})
                continue
            hook = DynamicWebhook(
                id=self._next_dynamic,
                url=url,
                events=list(entry["events"]),
                jql_filter=str(entry["jqlFilter"]),
                expiration_ms=int(time.time() * 1000) + DYNAMIC_TTL_MS,
                field_ids_filter=list(entry.get("fieldIdsFilter") or []),
            )
            self._next_dynamic += 1
            self.dynamic[hook.id] = hook
            existing_url = url
            results.append({"createdWebhookId": hook.id})
        return results

    @staticmethod
    def validate_dynamic(entry: Any, ctx: JqlContext) -> list[str]:
        if not isinstance(entry, dict):
            return ["Invalid webhook details."]
        events = entry.get("events")
        if not isinstance(events, list) or not events:
            return ["The webhook must have at least one event."]
        bad = [e for e in events if e not in DYNAMIC_EVENTS]
        if bad:
            return [f"Event '{e}' is not supported for dynamic webhooks." for e in bad]
        jql = entry.get("jqlFilter")
        if not isinstance(jql, str) or not jql.strip():
            return ["The JQL filter is required."]
        try:
            query = parse(jql)
        except JqlError as exc:
            return [f"Invalid JQL filter: {exc.message}"]
        if query.order_by or query.where is None:
            return ["The JQL filter must not be empty or contain ORDER BY."]
        errors: list[str] = []
        for clause in query.clauses():
            errors.extend(_dynamic_clause_errors(clause))
        return errors

    def refresh(self, ids: list[int]) -> int:
        expiration = int(time.time() * 1000) + DYNAMIC_TTL_MS
        for wid in ids:
            if wid in self.dynamic:
                self.dynamic[wid].expiration_ms = expiration
        return expiration

    # -------------------------------------------------------------- delivery
    async def dispatch(
        self,
        dataset: Dataset,
        event: str,
        *,
        base_url: str,
        ctx: JqlContext,
        client: httpx.AsyncClient | None = None,
        **refs: Unpack[EventRefs],
    ) -> list[Delivery]:
        """Send ``event`` to every registered webhook that subscribes to it and whose JQL
        filter matches the issue (admin webhooks signed with their secret)."""
        payload = build_event(dataset, event, base_url=base_url, **refs)
        issue = _issue_from_payload(payload) if event in ISSUE_EVENTS else None
        deliveries: list[Delivery] = []
        now_ms = int(time.time() * 1000)
        for hook in list(self.admin.values()):
            if not hook.enabled or event not in hook.events:
                continue
            if issue is not None and hook.jql.strip() and not _safe_match(hook.jql, issue, ctx):
                continue
            body = {**payload, "matchedWebhookIds": [hook.id]}
            if hook.exclude_body:
                body = {}
            delivery = await send_event(hook.url, body, secret=hook.secret, client=client)
            delivery.event = event
            delivery.webhook_id = hook.id
            deliveries.append(delivery)
        for dyn in list(self.dynamic.values()):
            if dyn.expiration_ms < now_ms or event not in dyn.events:
                continue
            if issue is not None and not _safe_match(dyn.jql_filter, issue, ctx):
                continue
            body = {**payload, "matchedWebhookIds": [dyn.id]}
            delivery = await send_event(dyn.url, body, client=client)
            delivery.webhook_id = dyn.id
            deliveries.append(delivery)
        self.deliveries.extend(d.json() for d in deliveries)
        return deliveries

    def snapshot(self) -> JsonDict:
        return {
            "admin": [{**h.json(), "id": h.id, "secret": h.secret} for h in self.admin.values()],
            "dynamic": [{**h.json(), "url": h.url} for h in self.dynamic.values()],
            "deliveries": self.deliveries[-DELIVERY_LOG:],
        }


def _dynamic_clause_errors(clause: Clause) -> list[str]:
    name = clause.field.lower()
    if name not in DYNAMIC_JQL_FIELDS:
        if name not in FIELDS:
            return [unknown_field_message(clause.field)]
        return [f"The field '{clause.field}' is not supported in webhook JQL filters."]
    if clause.op not in DYNAMIC_JQL_OPS:
        return [f"The operator '{clause.op}' is not supported in webhook JQL filters."]
    return []


def _issue_from_payload(payload: JsonDict) -> IssueRecord | None:
    issue = payload.get("issue")
    if not isinstance(issue, dict):
        return None
    key = str(issue["key"])
    project_key, _, number = key.rpartition("-")
    return IssueRecord(
        id=int(issue["id"]),
        key=key,
        project_key=project_key,
        number=int(number),
        fields=dict(issue.get("fields") or {}),
    )


def _safe_match(jql: str, issue: IssueRecord, ctx: JqlContext) -> bool:
    try:
        return matches(jql, issue, ctx)
    except JqlError:
        return False
