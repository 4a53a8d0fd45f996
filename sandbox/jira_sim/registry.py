"""Registered admin webhooks (``/rest/webhooks/1.0``) and the deliveries made to them."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Unpack

from .catalog import SENTINEL, JsonDict
from .config import SimConfig
from .store import Dataset
from .webhooks import Delivery, EventRefs, build_event, send_event

DELIVERY_LOG = 10_000  # deliveries kept for /_sim/webhooks (a burst test counts them all)
JQL_FILTER_KEY: Final = "issue-related-events-section"


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

    def json(self) -> JsonDict:
        """As Jira returns it: the secret is never included."""
        return {
            "name": self.name,
            "url": self.url,
            "excludeBody": self.exclude_body,
            "filters": {JQL_FILTER_KEY: self.jql},
            "events": self.events,
            "enabled": self.enabled,
            "self": f"{SENTINEL}/rest/webhooks/1.0/webhook/{self.id}",
        }


@dataclass(frozen=True)
class DeliveryRetries:
    """How Jira sends a delivery again (SimConfig's webhook_* knobs)."""

    times: int = 5
    min_s: float = 300.0
    max_s: float = 900.0
    timeout_s: float = 10.0

    @classmethod
    def of(cls, config: SimConfig) -> DeliveryRetries:
        return cls(
            config.webhook_retries,
            config.webhook_retry_min_s,
            config.webhook_retry_max_s,
            config.webhook_timeout_s,
        )


class WebhookRegistry:
    def __init__(self) -> None:
        # How a payload goes on the wire (Data Center mode reshapes its users).
        self.shape: Callable[[JsonDict], JsonDict] = lambda payload: payload
        self.admin: dict[int, AdminWebhook] = {}
        self.deliveries: list[JsonDict] = []
        self.retries = DeliveryRetries()
        self._next_admin = 1
        self._retrying: set[asyncio.Task[None]] = set()
        self._random = random.Random(1)

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

    async def dispatch(
        self,
        dataset: Dataset,
        event: str,
        *,
        base_url: str,
        **refs: Unpack[EventRefs],
    ) -> list[Delivery]:
        """Send ``event`` to every enabled webhook that subscribes to it, signed with the
        webhook's secret (the integration registers no JQL filter: none is applied). A delivery
        Jira retries (:attr:`Delivery.retryable`) is sent again later, in the background."""
        payload = self.shape(build_event(dataset, event, base_url=base_url, **refs))
        deliveries: list[Delivery] = []
        for hook in list(self.admin.values()):
            if not hook.enabled or event not in hook.events:
                continue
            body = {} if hook.exclude_body else {**payload, "matchedWebhookIds": [hook.id]}
            delivery = await send_event(
                hook.url, body, secret=hook.secret, answer_within_s=self.retries.timeout_s
            )
            delivery.event = event
            delivery.webhook_id = hook.id
            deliveries.append(delivery)
            if delivery.retryable and self.retries.times:
                task = asyncio.get_running_loop().create_task(self._retry(hook, body, delivery))
                self._retrying.add(task)
                task.add_done_callback(self._retrying.discard)
        self.deliveries.extend(d.json() for d in deliveries)
        return deliveries

    async def _retry(self, hook: AdminWebhook, body: JsonDict, first: Delivery) -> None:
        """Jira's retries of `first`: the same body and identifier, each after a random wait,
        until one is answered with a status Jira does not retry (or `times` were sent)."""
        for retry in range(1, self.retries.times + 1):
            await asyncio.sleep(self._random.uniform(self.retries.min_s, self.retries.max_s))
            delivery = await send_event(
                hook.url,
                body,
                secret=hook.secret,
                identifier=first.identifier,
                retry=retry,
                answer_within_s=self.retries.timeout_s,
            )
            delivery.event, delivery.webhook_id = first.event, hook.id
            self.deliveries.append(delivery.json())
            if not delivery.retryable:
                return

    def snapshot(self) -> JsonDict:
        return {
            "admin": [{**h.json(), "id": h.id, "secret": h.secret} for h in self.admin.values()],
            "deliveries": self.deliveries[-DELIVERY_LOG:],
        }
