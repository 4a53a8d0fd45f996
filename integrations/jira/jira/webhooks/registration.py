"""Creating and checking the Jira webhooks that feed live events (separate from processing).

- API-token installs: one admin webhook (`/rest/webhooks/1.0/webhook`) named
  `{identifier}-Port-Ocean-Events-Webhook`, subscribed to every event a kind declares, signed
  with webhookSecret when set. It needs the ADMINISTER permission; without it, one warning says
  what to do. An existing webhook with our URL is checked (events, Jira-side JQL filter, enabled,
  body) and missing events are added; anything else wrong is reported, never silently changed.
- OAuth installs: a dynamic webhook (`/rest/api/3/webhook`) for the issue and comment events;
  Jira reports registration errors inside a 200, and expires the webhook after 30 days unless
  refreshed, so it is refreshed at start and then daily.
- One registration per integration however many processes start: a WEBHOOKS_ONLY replica never
  registers or changes anything; every other process, after creating, lists again and removes
  the copies that processes starting at the same moment created (jira.webhooks.copies). Only
  copies of this integration's own webhook (its name and URL; for OAuth, its URL, events and
  filter) are ever removed.

Nothing here ever fails start-up: every problem becomes a warning and the resync goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from jira.client import JiraClient
from jira.errors import JiraError, JiraNotFoundError
from jira.settings import JiraSettings
from jira.webhooks.copies import id_order, surplus
from jira.webhooks.events import declared_events, webhook_route

ADMIN_WEBHOOK_SUFFIX = "-Port-Ocean-Events-Webhook"
ISSUE_FILTER_KEY = "issue-related-events-section"
DOCS = "docs/webhooks.md"

# Dynamic webhooks deliver issue and comment events only.
DYNAMIC_WEBHOOK_EVENTS = frozenset(
    {
        "jira:issue_created",
        "jira:issue_updated",
        "jira:issue_deleted",
        "comment_created",
        "comment_updated",
        "comment_deleted",
    }
)
# Dynamic webhooks need a JQL filter in a small subset (issueKey, project, issuetype, status,
# assignee, reporter; =, !=, IN, NOT IN). It must not narrow what we see: an issue updated out
# of the user's selector must still be delivered so the processor can remove it, so the filter
# is the broadest allowed one and the processor re-applies the resource's own JQL.
DYNAMIC_JQL_FILTER = "project != null"
REFRESH_INTERVAL_SECONDS = 24 * 60 * 60


def admin_webhook_name(identifier: str) -> str:
    return f"{identifier}{ADMIN_WEBHOOK_SUFFIX}"


def admin_events() -> list[str]:
    return sorted(declared_events())


def dynamic_events() -> list[str]:
    return sorted(declared_events() & DYNAMIC_WEBHOOK_EVENTS)


def _same_url(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.rstrip("/") == b.rstrip("/")


def _admin_webhook_id(hook: dict[str, Any]) -> str | None:
    self_url = hook.get("self")
    if isinstance(self_url, str) and self_url.rstrip("/"):
        return self_url.rstrip("/").rsplit("/", 1)[-1]
    hook_id = hook.get("id")
    return str(hook_id) if hook_id is not None else None


@dataclass
class Report:
    """What registration did and found (logged as it goes; returned for tests)."""

    action: str = "none"  # created | repaired | unchanged | skipped | failed | registered
    problems: list[str] = field(default_factory=list)
    webhook_ids: list[int] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # ids of copies removed (see copies.py)

    def warn(self, message: str) -> None:
        self.problems.append(message)
        logger.warning(message)


def _manual_steps(url: str, events: Iterable[str], secret: bool) -> str:
    secret_step = (
        ", and the same value as webhookSecret in its Secret field"
        if secret
        else " (set webhookSecret and the same Secret there to have deliveries signed)"
    )
    return (
        f"In Jira: System → WebHooks → Create a WebHook, URL {url}, events "
        f"{', '.join(events)}, no JQL filter{secret_step}. See {DOCS}."
    )


async def ensure_admin_webhook(
    client: JiraClient, *, url: str, name: str, secret: str | None
) -> Report:
    report = Report()
    events = admin_events()
    try:
        is_admin = await client.has_permission("ADMINISTER")
    except JiraError as exc:
        report.action = "failed"
        report.warn(
            f"Live events: could not check whether the Jira user may create webhooks ({exc}); "
            f"no webhook was created. {_manual_steps(url, events, bool(secret))}"
        )
        return report
    if not is_admin:
        report.action = "skipped"
        report.warn(
            "Live events: the Jira user of this integration is not a Jira administrator "
            "(ADMINISTER permission), so it cannot create the webhook that sends changes to "
            f"Port. Ask a Jira admin to create it. {_manual_steps(url, events, bool(secret))} "
            "Until then only the scheduled resync updates Port."
        )
        return report

    try:
        hooks = await client.admin_webhooks()
        for hook in hooks:
            if hook.get("name") == name and not _same_url(hook.get("url"), url):
                report.warn(
                    f"Live events: Jira webhook {name!r} (id {_admin_webhook_id(hook)}) sends to "
                    f"{hook.get('url')}, not to {url}. If this integration moved, delete or edit "
                    "that webhook in Jira (System → WebHooks)."
                )
        created_id: str | None = None
        if not any(_same_url(hook.get("url"), url) for hook in hooks):
            body: dict[str, Any] = {
                "name": name,
                "url": url,
                "events": events,
                "filters": {ISSUE_FILTER_KEY: ""},
                "excludeBody": False,
            }
            if secret:
                body["secret"] = secret
            created_id = _admin_webhook_id(await client.create_admin_webhook(body))
            report.action = "created"
            # Other processes of this integration may have created theirs at the same moment.
            hooks = await client.admin_webhooks()
        ours = [hook for hook in hooks if _same_url(hook.get("url"), url)]
        copies = [hook for hook in ours if hook.get("name") == name]
        removed = await _remove_copies(client, copies, name, report)
        ours = [hook for hook in ours if _admin_webhook_id(hook) not in removed]
        if len(ours) > 1:
            ids = ", ".join(str(_admin_webhook_id(hook)) for hook in ours)
            report.warn(
                f"Live events: {len(ours)} Jira webhooks (ids {ids}) send to {url}, so every "
                "change is delivered several times; delete all but one in Jira (System → WebHooks)."
            )
        kept = next((h for h in ours if h.get("name") == name), ours[0] if ours else None)
        if kept is None or _admin_webhook_id(kept) == created_id:
            logger.info(
                f"Live events: created Jira webhook {name!r} (id {created_id}) for {url}"
                + (", signed with webhookSecret" if secret else "")
            )
            return report
        await _check_admin_webhook(client, kept, events, secret, report)
    except JiraError as exc:
        report.action = "failed"
        report.warn(
            f"Live events: could not create or check the Jira webhook for {url}: {exc}. "
            f"{_manual_steps(url, events, bool(secret))}"
        )
    return report


async def _remove_copies(
    client: JiraClient, copies: list[dict[str, Any]], name: str, report: Report
) -> set[str]:
    """Removes every copy of this integration's admin webhook but the lowest id (see
    jira.webhooks.copies); returns the ids that are gone, by this process or another."""
    gone: set[str] = set()
    for hook in surplus(copies, identity=lambda _: name, hook_id=_admin_webhook_id):
        hook_id = str(_admin_webhook_id(hook))
        try:
            await client.delete_admin_webhook(hook_id)
        except JiraNotFoundError:
            pass  # another process of this integration removed it first
        except JiraError as exc:
            report.warn(
                f"Live events: could not delete Jira webhook {name!r} (id {hook_id}), a second "
                f"copy of this integration's webhook: {exc}. Every change is delivered to it "
                "too until it is deleted in Jira (System → WebHooks)."
            )
            continue
        gone.add(hook_id)
    if gone:
        kept = min(
            (str(_admin_webhook_id(h)) for h in copies if _admin_webhook_id(h) not in gone),
            key=id_order,
        )
        report.removed.extend(sorted(gone, key=id_order))
        logger.info(
            f"Live events: Jira webhook {name!r} was registered {len(copies)} times (by "
            "processes of this integration starting together, or by an earlier version); kept "
            f"id {kept}, removed ids "
            f"{', '.join(report.removed)}"
        )
    return gone


async def _check_admin_webhook(
    client: JiraClient,
    hook: dict[str, Any],
    events: list[str],
    secret: str | None,
    report: Report,
) -> None:
    hook_id = _admin_webhook_id(hook)
    label = f"Jira webhook {hook.get('name')!r} (id {hook_id})"
    report.action = "unchanged"
    jql = ((hook.get("filters") or {}).get(ISSUE_FILTER_KEY) or "").strip()
    if jql:
        report.warn(
            f"Live events: {label} only sends issue events matching its JQL filter {jql!r}: "
            "issues outside it, or updated out of it, never reach Port live. Clear the JQL "
            "filter in Jira; the integration applies each resource's own JQL itself."
        )
    if hook.get("enabled") is False:
        report.warn(
            f"Live events: {label} is disabled in Jira, so no change reaches Port live. Enable "
            "it in Jira (System → WebHooks)."
        )
    if hook.get("excludeBody") is True:
        report.warn(
            f"Live events: {label} is set to exclude the body, and events without a body are "
            "refused. Untick 'Exclude body' in Jira (System → WebHooks)."
        )
    current = [e for e in hook.get("events") or [] if isinstance(e, str)]
    missing = sorted(set(events) - set(current))
    if missing:
        if hook_id is None:
            report.warn(f"Live events: {label} lacks events {missing} and has no id to fix it")
            return
        body: dict[str, Any] = {
            key: hook[key]
            for key in ("name", "url", "filters", "excludeBody", "enabled")
            if key in hook
        }
        body["events"] = sorted(set(current) | set(missing))
        if secret:
            body["secret"] = secret
        await client.update_admin_webhook(hook_id, body)
        report.action = "repaired"
        logger.warning(f"Live events: {label} lacked events {', '.join(missing)}; added them")
    logger.info(
        f"Live events: using existing {label} for {hook.get('url')}"
        + (
            ". Jira never shows a webhook's secret: if deliveries are refused with 401, set its "
            "Secret to the value of webhookSecret."
            if secret
            else ""
        )
    )


async def ensure_dynamic_webhook(client: JiraClient, *, url: str) -> Report:
    """Registers (once) and refreshes the OAuth dynamic webhook; never raises JiraError."""
    report = Report()
    events = dynamic_events()
    try:
        existing = await _dynamic_webhooks(client)
        ours = _dynamic_ours(existing, url)
        for hook in existing:
            if hook not in ours:
                report.warn(
                    f"Live events: this app's Jira dynamic webhook {hook.get('id')} sends to "
                    f"{hook.get('url')}, not {url}; Jira allows one URL per app, so registering "
                    "ours may be refused until that one is removed."
                )
        for hook in ours:
            jql = str(hook.get("jqlFilter") or "")
            if jql and jql != DYNAMIC_JQL_FILTER:
                report.warn(
                    f"Live events: Jira dynamic webhook {hook.get('id')} filters issues with "
                    f"{jql!r}; issues outside it never reach Port live."
                )
        missing = sorted(set(events) - _covered(ours))
        report.action = "unchanged"
        created: list[int] = []
        if missing:
            result = await client.register_dynamic_webhooks(
                url, [{"events": missing, "jqlFilter": DYNAMIC_JQL_FILTER}]
            )
            created, errors = _registration_outcome(result)
            # Other processes of this integration may have registered theirs at the same moment.
            ours = _dynamic_ours(await _dynamic_webhooks(client), url)
            if errors and set(missing) - _covered(ours):
                report.action = "failed"
                report.warn(
                    "Live events: Jira refused to register the webhook for "
                    f"{url}: {'; '.join(errors)}. Only the scheduled resync updates Port."
                )
            elif errors:
                logger.info(
                    f"Live events: Jira did not register another webhook for {url} "
                    f"({'; '.join(errors)}); a process of this integration starting at the same "
                    "moment registered it"
                )
            if created:
                report.action = "registered"
                logger.info(f"Live events: registered Jira dynamic webhook(s) {created} for {url}")
        copies = await _remove_dynamic_copies(client, ours, url, report)
        listed = [int(hook["id"]) for hook in ours if isinstance(hook.get("id"), int)]
        ids = [i for i in [*listed, *(c for c in created if c not in listed)] if i not in copies]
        report.webhook_ids = ids
        if ids:
            refreshed = await client.refresh_dynamic_webhooks(ids)
            logger.info(
                f"Live events: Jira dynamic webhook(s) {ids} refreshed; they now expire "
                f"{refreshed.get('expirationDate', 'in 30 days')}"
            )
    except JiraError as exc:
        report.action = "failed"
        report.warn(f"Live events: could not register or refresh the Jira webhook for {url}: {exc}")
    return report


async def _dynamic_webhooks(client: JiraClient) -> list[dict[str, Any]]:
    """Every dynamic webhook of this app (Jira lists only the calling app's)."""
    existing: list[dict[str, Any]] = []
    async for page in client.dynamic_webhooks():
        existing.extend(page)
    return existing


def _dynamic_ours(existing: list[dict[str, Any]], url: str) -> list[dict[str, Any]]:
    return [h for h in existing if h.get("url") is None or _same_url(h.get("url"), url)]


def _covered(hooks: list[dict[str, Any]]) -> set[str]:
    return {str(event) for hook in hooks for event in hook.get("events") or []}


async def _remove_dynamic_copies(
    client: JiraClient, ours: list[dict[str, Any]], url: str, report: Report
) -> set[int]:
    """Removes every dynamic webhook to our URL that repeats a lower id's events and filter
    (processes registering at the same moment: jira.webhooks.copies); returns their ids, which
    are not refreshed either: a copy Jira would not delete expires within 30 days."""
    copies = [h for h in ours if _same_url(h.get("url"), url) and isinstance(h.get("id"), int)]
    extra = surplus(
        copies,
        identity=lambda h: (frozenset(_covered([h])), str(h.get("jqlFilter") or "")),
        hook_id=lambda h: int(h["id"]),
    )
    ids = sorted(int(hook["id"]) for hook in extra)
    if not ids:
        return set()
    try:
        await client.delete_dynamic_webhooks(ids)
    except JiraError as exc:
        report.warn(
            f"Live events: could not delete Jira dynamic webhook(s) {ids}, copies of this "
            f"integration's webhook for {url}: {exc}. Every change is delivered to them too "
            "until they expire (30 days)."
        )
        return set(ids)
    report.removed.extend(str(i) for i in ids)
    logger.info(
        f"Live events: removed Jira dynamic webhook(s) {ids} for {url}, copies registered by "
        "processes of this integration starting together"
    )
    return set(ids)


def _registration_outcome(result: dict[str, Any]) -> tuple[list[int], list[str]]:
    created: list[int] = []
    errors: list[str] = []
    entries = result.get("webhookRegistrationResult")
    if not isinstance(entries, list):
        return created, ["Jira's answer has no webhookRegistrationResult"]
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("createdWebhookId"), int):
            created.append(entry["createdWebhookId"])
        errors.extend(str(error) for error in entry.get("errors") or [])
    if not created and not errors:
        errors.append("no webhook id in Jira's answer")
    return created, errors


class DynamicWebhookKeeper:
    """Keeps the OAuth dynamic webhook alive: checks it now, then every `interval` seconds."""

    def __init__(
        self,
        client: Callable[[], JiraClient],
        url: str,
        *,
        interval: float = REFRESH_INTERVAL_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self.url = url
        self.interval = interval
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> Report:
        return await ensure_dynamic_webhook(self._client(), url=self.url)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="jira-dynamic-webhook-refresh")

    async def _loop(self) -> None:
        while True:
            await self._sleep(self.interval)
            try:
                await self.run_once()
            except Exception as exc:  # a refresh must never kill the loop
                logger.warning(f"Live events: refreshing the Jira webhook failed: {exc}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def start_live_events(
    client: Callable[[], JiraClient],
    settings: JiraSettings,
    *,
    base_url: str | None,
    identifier: str,
    replica: bool = False,
) -> DynamicWebhookKeeper | None:
    """Creates or checks the webhook for this install; returns the refresher to stop later.
    A `replica` (Ocean's WEBHOOKS_ONLY listener) only serves deliveries: several start at
    once, and only the resync process registers, so Jira gets one webhook per integration."""
    if replica:
        logger.info(
            "Live events: this WEBHOOKS_ONLY process serves Jira's deliveries and leaves the "
            "Jira webhook alone; the resync process of this integration registers and keeps it"
        )
        return None
    if not base_url:
        logger.warning(
            "Live events are off: OCEAN__BASE_URL is not set, so Jira has no address to send "
            f"changes to and no webhook was created. Set it to this integration's public URL "
            f"(Jira then posts to {webhook_route('{OCEAN__BASE_URL}')}); see {DOCS}."
        )
        return None
    url = webhook_route(base_url)
    try:
        if not settings.is_oauth:
            deployment = await client().deployment()
            if settings.webhook_secret and not deployment.signs_webhooks:
                logger.warning(
                    f"Live events: {deployment.label} cannot sign webhooks (Data Center 10 "
                    "can), so no webhook was created. Have a Jira admin create one sending to "
                    f"{url}?secret=<webhookSecret> (events: {', '.join(admin_events())}); the "
                    "secret then sits in Jira's webhook settings and in access logs on the way, "
                    f"so serve that URL over HTTPS only. See {DOCS}."
                )
                return None
            if not settings.webhook_secret:
                logger.warning(
                    f"Live events: webhookSecret is not set, so deliveries to {url} are accepted "
                    "unsigned and anyone who can reach that URL can change the catalog. Set "
                    f"webhookSecret (and the same Secret on the Jira webhook); see {DOCS}."
                )
            await ensure_admin_webhook(
                client(),
                url=url,
                name=admin_webhook_name(identifier),
                secret=settings.webhook_secret,
            )
            return None
        if settings.webhook_secret:
            logger.warning(
                "Live events: webhookSecret is set, but Jira does not sign the webhooks of OAuth "
                "apps, so their deliveries would all be refused; no dynamic webhook was "
                "registered. Either unset webhookSecret, or have a Jira admin create an admin "
                f"webhook with that Secret. {_manual_steps(url, admin_events(), True)}"
            )
            return None
        logger.info(
            "Live events: Jira signs OAuth webhooks with the app's own secret, which this "
            "integration cannot check; every update is read again from Jira before it reaches Port."
        )
        keeper = DynamicWebhookKeeper(client, url)
        await keeper.run_once()
        keeper.start()
        return keeper
    except Exception as exc:  # never fail start-up because of webhooks
        logger.warning(f"Live events: setting up the Jira webhook failed: {exc}")
        return None
