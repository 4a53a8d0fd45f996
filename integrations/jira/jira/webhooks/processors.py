"""One webhook processor base driven by a kind's `LiveEvents`; one subclass per live kind.

- `authenticate`: when webhookSecret is set, re-verifies X-Hub-Signature over the original raw
  body (the HTTP gate checks it too, but events can also arrive through Ocean's Redis stream).
- `validate_payload`: the same shape rules as the gate (`events.payload_problem`).
- `handle_event`: a delete event removes the payload's object without looking it up. An upsert
  event reads the object again for the resource's selector: found → upsert; gone (Jira answers
  404: decided here, for every kind) or no longer selected → removed. A transient Jira failure raises a `RetryableError` (Ocean retries the
  event) and removes nothing.
- Ordering: delivery is at-least-once and unordered, and several workers may run at once. A
  bounded map keeps the newest version applied per object and selector; an older state that
  finishes late is dropped (the newer event already brought the current one).
"""

from __future__ import annotations

import hashlib
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
from jira.errors import JiraMalformedResponse, JiraNotFoundError, JiraUnavailableError
from jira.factory import jira_client, settings_from_ocean
from jira.kinds import KINDS, Kind, LiveEvents
from jira.webhooks import signature
from jira.webhooks.dedupe import NewestApplied
from jira.webhooks.events import event_name, event_time_ms, payload_problem


class JiraTransientError(RetryableError):
    """Jira could not answer (after our own retries); Ocean retries the event later."""


def _configured_secret() -> str | None:
    return settings_from_ocean().webhook_secret


@dataclass
class LiveEventsContext:
    """What processors use; tests and the sandbox replace these."""

    client: Callable[[], JiraClient] = jira_client
    secret: Callable[[], str | None] = _configured_secret
    newest: NewestApplied = field(default_factory=NewestApplied)


CONTEXT = LiveEventsContext()


def _selector_fingerprint(resource: ResourceConfig) -> str:
    raw = resource.selector.json(sort_keys=True)
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:12]


def _empty() -> WebhookEventRawResults:
    return WebhookEventRawResults(updated_raw_results=[], deleted_raw_results=[])


class KindWebhookProcessor(AbstractWebhookProcessor):
    """Handles the live events of `kind` (set by `processor_for`)."""

    kind: ClassVar[Kind]

    @classmethod
    def live(cls) -> LiveEvents:
        assert cls.kind.live is not None
        return cls.kind.live

    async def should_process_event(self, event: WebhookEvent) -> bool:
        name = event_name(event.payload)
        return name is not None and name in self.live().events

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
        # A URL secret (Data Center before 10) is only known on the HTTP path, not via Redis.
        query = getattr(original, "query_params", None) or {}
        problem = signature.problem(
            secret, body, signature.header_value(headers), query.get(signature.URL_SECRET_PARAM)
        )
        if problem:
            logger.warning(f"Rejected a Jira {self.kind.name} event: {problem}")
            return False
        return True

    async def validate_payload(self, payload: EventPayload) -> bool:
        problem = payload_problem(payload, [self.kind])
        if problem:
            logger.warning(f"Rejected a Jira {self.kind.name} event: {problem}")
            return False
        return True

    def _resource(self, resource: ResourceConfig) -> ResourceConfig:
        """The resource as the kind's own model (its selector keys typed)."""
        if isinstance(resource.selector, self.kind.selector):
            return resource
        return self.kind.resource_config.parse_obj(resource.dict(by_alias=True))

    async def handle_event(
        self, payload: EventPayload, resource: ResourceConfig
    ) -> WebhookEventRawResults:
        live = self.live()
        name = event_name(payload) or ""
        obj = live.object_of(payload)
        if obj is None:  # validate_payload ran first; this only guards direct callers
            raise ValueError(f"{name} payload is missing {live.describe()}")
        label = f"{self.kind.name} {obj.get('key') or live.stable_id(obj)}"
        order_key = (self.kind.name, _selector_fingerprint(resource), live.stable_id(obj))

        if name in live.delete_events:
            if not CONTEXT.newest.accept(order_key, event_time_ms(payload)):
                logger.info(f"Ignoring {name} for {label}: a newer state was already applied")
                return _empty()
            logger.info(f"{name}: removing {label}")
            return WebhookEventRawResults(updated_raw_results=[], deleted_raw_results=[obj])

        try:
            item = await live.fetch_one(CONTEXT.client(), self._resource(resource), payload)
        except JiraNotFoundError:
            logger.info(f"{name}: {label} is gone from Jira; removing it")
            item = None
        except (JiraUnavailableError, JiraMalformedResponse) as exc:
            raise JiraTransientError(f"{name} for {label}: {exc}") from exc
        superseded = live.superseded(payload) if live.superseded else []

        if item is None:
            version = (live.updated_at(obj) if live.updated_at else None) or event_time_ms(payload)
            if not CONTEXT.newest.accept(order_key, version):
                logger.info(f"Ignoring {name} for {label}: a newer state was already applied")
                return _empty()
            return WebhookEventRawResults(
                updated_raw_results=[], deleted_raw_results=[obj, *superseded]
            )

        version = (live.updated_at(item) if live.updated_at else None) or event_time_ms(payload)
        if not CONTEXT.newest.accept(order_key, version):
            logger.info(f"Ignoring an older state of {label}: a newer one was already applied")
            return _empty()
        return WebhookEventRawResults(updated_raw_results=[item], deleted_raw_results=superseded)


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
