"""One webhook processor base driven by a kind's `LiveEvents`; one subclass per live kind.

- `authenticate`: when webhookSecret is set, re-verifies X-Hub-Signature over the original raw
  body (the HTTP gate checks it too, but events can also arrive through Ocean's Redis stream).
- `validate_payload`: the same shape rules as the gate (`events.payload_problem`).
- `handle_event`: every event, deletes included, reads the object again for the resource's
  selector (`jira.webhooks.rereads` coalesces and batches those reads): found → upsert (a
  delete event for an object Jira still has and selects becomes a refresh); gone (Jira answers
  404) or no longer selected → removed. A 403 changes nothing in Port (one warning naming the
  object and the permission). A transient Jira failure raises a `RetryableError` (Ocean
  retries the event with backoff, then logs it) and removes nothing. A delivery whose signed
  `timestamp` is older than webhookMaxAgeMinutes is ignored (a replay; Jira's own retries come
  sooner).
- Ordering: delivery is at-least-once and unordered, and several workers may run at once. A
  bounded map keeps the newest state applied per object and resource (`dedupe.Applied`): the
  order of the re-reads, which never overlap for one object, and Jira's own `updated`. An older
  state that finishes late is dropped; no host clock is involved, so a state newer than a
  removal (re-selected, re-created) is never refused for the host's clock or a read in flight.
- A deleted issue takes its comments and worklogs with it, and Jira sends no event for them
  (worklogs) or only later ones (comments): the comment and worklog processors also take
  `jira:issue_deleted` (their kinds' `gone_with_issue`), and once Jira confirms the issue gone (404) remove the ones its event
  lists (jira.deleted_issue).
- Resources: Ocean hands each delivery to every resource of the kind. Resources with the same
  selector share one re-read, but each reports its own result (its own entities).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from loguru import logger
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.handlers.webhook.abstract_webhook_processor import AbstractWebhookProcessor
from port_ocean.core.handlers.webhook.webhook_event import (
    EventHeaders,
    EventPayload,
    WebhookEvent,
    WebhookEventRawResults,
)
from port_ocean.exceptions.webhook_processor import RetryableError

from jira.client import JiraClient
from jira.deleted_issue import items_gone_with
from jira.errors import (
    JiraAuthError,
    JiraMalformedResponse,
    JiraNotFoundError,
    JiraUnavailableError,
)
from jira.factory import jira_client, settings_from_ocean
from jira.kinds import KINDS, KINDS_BY_NAME, Kind, LiveEvents
from jira.resources import warn_once
from jira.webhooks import signature
from jira.webhooks.dedupe import Applied, NewestApplied
from jira.webhooks.events import event_name, event_time_ms, payload_problem
from jira.webhooks.rereads import Outcome, Reader, ReReads


class JiraTransientError(RetryableError):
    """Jira could not answer (after our own retries); Ocean retries the event later."""


def _configured_secret() -> str | None:
    return settings_from_ocean().webhook_secret


def _configured_max_age_ms() -> int | None:
    minutes = settings_from_ocean().webhook_max_age_minutes
    return minutes * 60_000 if minutes else None


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class LiveEventsContext:
    """What processors use; tests and the sandbox replace these."""

    client: Callable[[], JiraClient] = jira_client
    secret: Callable[[], str | None] = _configured_secret
    newest: NewestApplied = field(default_factory=NewestApplied)
    rereads: ReReads = field(default_factory=ReReads)
    max_age_ms: Callable[[], int | None] = _configured_max_age_ms
    now_ms: Callable[[], int] = _now_ms


CONTEXT = LiveEventsContext()


def _fingerprint(raw: str) -> str:
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:12]


def _selector_fingerprint(resource: ResourceConfig) -> str:
    """Resources whose selectors match read the same objects: one re-read serves them all."""
    return _fingerprint(resource.selector.json(sort_keys=True))


def _resource_fingerprint(resource: ResourceConfig) -> str:
    """One resource of the mapping (selector, blueprint and mapping): it reports on its own."""
    return _fingerprint(resource.json(sort_keys=True))


def _empty() -> WebhookEventRawResults:
    return WebhookEventRawResults(updated_raw_results=[], deleted_raw_results=[])


def _too_old(payload: EventPayload) -> str | None:
    """Why the delivery is too old to act on (a replay), or None."""
    max_age, sent = CONTEXT.max_age_ms(), event_time_ms(payload)
    if not max_age or sent is None or CONTEXT.now_ms() - sent <= max_age:
        return None
    minutes = (CONTEXT.now_ms() - sent) // 60_000
    return (
        f"its signed timestamp is {minutes} minutes old, over webhookMaxAgeMinutes "
        f"({max_age // 60_000}): a replay, or a retry later than Jira's own"
    )


def _behind_the_event(live: LiveEvents, announced: dict[str, Any], read: dict[str, Any]) -> str:
    """Why the state Jira answered is older than the one the event announced (both `updated`
    in Jira's clock), or "" when it is not (or either has no `updated`)."""
    if live.updated_at is None:
        return ""
    hinted, found = live.updated_at(announced), live.updated_at(read)
    if hinted is None or found is None or found >= hinted:
        return ""
    return (
        f"Jira answered a state {hinted - found} ms older than the event's; its search index "
        "has not caught up yet, so the event is retried"
    )


class KindWebhookProcessor(AbstractWebhookProcessor):
    """Handles the live events of `kind` (set by `processor_for`)."""

    kind: ClassVar[Kind]

    @classmethod
    def _gone_with(cls, name: str | None) -> bool:
        """Whether the event deletes the issue this kind's objects belong to."""
        return name is not None and name in cls.live().gone_with_issue

    @classmethod
    def live(cls) -> LiveEvents:
        assert cls.kind.live is not None
        return cls.kind.live

    async def should_process_event(self, event: WebhookEvent) -> bool:
        name = event_name(event.payload)
        return name is not None and (name in self.live().events or self._gone_with(name))

    async def get_matching_kinds(self, event: WebhookEvent) -> list[str]:
        return [self.kind.name]

    def get_live_event_log_identifiers(
        self, payload: EventPayload, headers: EventHeaders
    ) -> dict[str, Any] | None:
        obj = self.live().object_of(payload)
        identifiers: dict[str, Any] = {"jira_event": event_name(payload)}
        if obj is not None:
            identifiers[f"jira_{self.kind.name}"] = obj.get("key") or self.live().stable_id(obj)
        delivery = signature.header_value(headers, "x-atlassian-webhook-identifier")
        if delivery:
            identifiers["jira_delivery"] = delivery
        return identifiers

    async def authenticate(self, payload: EventPayload, headers: EventHeaders) -> bool:
        secret = CONTEXT.secret()
        if not secret:
            return True
        original = getattr(self.event, "_original_request", None)
        if original is None:
            logger.warning(
                f"Rejected a Jira {self.kind.name} event: webhookSecret is set but the event "
                "carries no raw body to verify its signature"
            )
            return False
        body = await original.body()
        # A URL secret (Data Center before 10): the request's query, over HTTP and from the Redis
        # stream alike (jira.webhooks.stream.StreamRequest).
        query = getattr(original, "query_params", None) or {}
        problem = signature.problem(
            secret, body, signature.header_value(headers), query.get(signature.URL_SECRET_PARAM)
        )
        if problem:
            logger.warning(f"Rejected a Jira {self.kind.name} event: {problem}")
            return False
        return True

    async def validate_payload(self, payload: EventPayload) -> bool:
        kinds = [KINDS_BY_NAME["issue"]] if self._gone_with(event_name(payload)) else [self.kind]
        problem = payload_problem(payload, kinds)
        if problem:
            logger.warning(f"Rejected a Jira {self.kind.name} event: {problem}")
            return False
        return True

    def _resource(self, resource: ResourceConfig) -> ResourceConfig:
        """The resource as the kind's own model (its selector keys typed)."""
        if isinstance(resource.selector, self.kind.selector):
            return resource
        return self.kind.resource_config.parse_obj(resource.dict(by_alias=True))

    async def _reread(self, resource: ResourceConfig, payload: EventPayload) -> Outcome:
        """The payload's object as Jira holds it now (coalesced with concurrent deliveries),
        and whether this delivery reports it for `resource`."""
        live, client = self.live(), CONTEXT.client()
        fetch_many = live.fetch_many
        reader = Reader(
            lambda one: live.fetch_one(client, resource, one),
            (lambda many: fetch_many(client, resource, many)) if fetch_many else None,
            live.batch_size,
        )
        obj = live.object_of(payload) or {}
        group = (self.kind.name, _selector_fingerprint(resource))
        return await CONTEXT.rereads.read(
            group,
            live.stable_id(obj),
            payload,
            reader,
            reporter=_resource_fingerprint(resource),
        )

    async def handle_event(
        self, payload: EventPayload, resource: ResourceConfig
    ) -> WebhookEventRawResults:
        live = self.live()
        name = event_name(payload) or ""
        invalid = getattr(resource, "selector_error", None)
        if invalid:  # the kind does not sync until its selector is fixed: change nothing
            warn_once(f"Ignoring {name} for the {self.kind.name} kind: {invalid}")
            return _empty()
        if self._gone_with(name):
            return await self._gone_with_issue(payload, name)
        obj = live.object_of(payload)
        if obj is None:  # validate_payload ran first; this only guards direct callers
            raise ValueError(f"{name} payload is missing {live.describe()}")
        label = f"{self.kind.name} {obj.get('key') or live.stable_id(obj)}"
        if stale := _too_old(payload):
            logger.warning(f"Ignoring {name} for {label}: {stale}")
            return _empty()
        typed = self._resource(resource)
        order_key = (self.kind.name, _resource_fingerprint(typed), live.stable_id(obj))
        superseded = live.superseded(payload) if live.superseded else []

        read = await self._reread(typed, payload)
        outcome, reports = read.state, read.reports
        if isinstance(outcome, JiraAuthError) and outcome.status == 403:
            if reports:
                logger.warning(
                    f"{name}: Jira answers 403 for {label}: its user lacks {live.permission} "
                    "for it; Port keeps it unchanged (neither updated nor removed)"
                )
            return _empty()
        if isinstance(outcome, JiraUnavailableError | JiraMalformedResponse):
            raise JiraTransientError(f"{name} for {label}: {outcome}") from outcome
        if isinstance(outcome, BaseException) and not isinstance(outcome, JiraNotFoundError):
            raise outcome
        if not reports:  # a concurrent delivery of the same object reports the shared read
            return WebhookEventRawResults(updated_raw_results=[], deleted_raw_results=superseded)
        item = None if isinstance(outcome, JiraNotFoundError) else outcome
        if item is not None and (lag := _behind_the_event(live, obj, item)):
            # Jira's search index (a cluster node's, on Data Center) has not caught up with the
            # change the event announces: retry the read later rather than write an old state.
            raise JiraTransientError(f"{name} for {label}: {lag}")
        if item is None:
            gone = isinstance(outcome, JiraNotFoundError)
            logger.info(f"{name}: {label} is {'gone from Jira' if gone else 'no longer selected'}")
        changed = await self._also_changed(typed, payload, name)

        if item is None:
            # Jira's answer decides: gone (or deselected) as of its read, so an older state
            # read earlier and finishing late cannot bring it back.
            if not CONTEXT.newest.accept(order_key, Applied(read.number, None, removed=True)):
                logger.info(f"Ignoring {name} for {label}: a newer state was already applied")
                return _empty()
            return WebhookEventRawResults(
                updated_raw_results=changed, deleted_raw_results=[obj, *superseded]
            )

        if name in live.delete_events:
            logger.info(f"{name} for {label}: Jira still has it, selected; refreshing, not removing")
        updated = [item, *changed]
        version = live.updated_at(item) if live.updated_at else None
        if not CONTEXT.newest.accept(order_key, Applied(read.number, version, removed=False)):
            logger.info(f"Ignoring an older state of {label}: a newer one was already applied")
            updated = updated[1:]
        return WebhookEventRawResults(updated_raw_results=updated, deleted_raw_results=superseded)

    async def _gone_with_issue(
        self, payload: EventPayload, name: str
    ) -> WebhookEventRawResults:
        """The kind's objects the deleted issue's event lists, removed once Jira confirms the
        issue gone; nothing while Jira still has it (its own events say what changed)."""
        issue = payload["issue"]
        ref = str(issue.get("id") or issue.get("key"))
        try:
            await CONTEXT.client().issue(ref, fields=["updated"])
        except JiraNotFoundError:
            gone = items_gone_with(issue)[self.kind.name]
            if gone:
                logger.info(
                    f"{name}: issue {issue.get('key') or ref} is gone from Jira, and with it "
                    f"{len(gone)} {self.kind.name}(s) its event lists"
                )
            return WebhookEventRawResults(updated_raw_results=[], deleted_raw_results=gone)
        except (JiraUnavailableError, JiraMalformedResponse) as exc:
            raise JiraTransientError(f"{name} for issue {ref}: {exc}") from exc
        except JiraAuthError:
            return _empty()  # not readable here: Port keeps them, unchanged
        return _empty()

    async def _also_changed(
        self, resource: ResourceConfig, payload: EventPayload, name: str
    ) -> list[dict[str, Any]]:
        """Other objects of the kind the event changed (a merge's target), read again."""
        found: list[dict[str, Any]] = []
        also_changed = self.live().also_changed
        for other in also_changed(payload) if also_changed else []:
            outcome = (await self._reread(resource, dict(other))).state
            if isinstance(outcome, JiraUnavailableError | JiraMalformedResponse):
                raise JiraTransientError(f"{name}: {outcome}") from outcome
            if isinstance(outcome, dict):
                found.append(outcome)
        return found


def processor_for(kind: Kind) -> type[KindWebhookProcessor]:
    """A processor class for `kind` (which must declare live events)."""
    if kind.live is None:
        raise ValueError(f"kind {kind.name} declares no live events")
    name = f"{kind.name.title().replace('_', '')}WebhookProcessor"
    return cast(
        type[KindWebhookProcessor],
        type(name, (KindWebhookProcessor,), {"kind": kind, "__module__": __name__}),
    )


PROCESSORS: tuple[type[KindWebhookProcessor], ...] = tuple(
    processor_for(kind) for kind in KINDS if kind.live is not None
)
