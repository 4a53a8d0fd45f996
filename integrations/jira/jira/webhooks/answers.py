"""Applying one live-event delivery, and what it came to (a `Receipt`): over HTTP, the delivery
is answered only once it is applied; from the Redis stream, the entry is acknowledged or left
pending by the same answer.

Ocean's route answers 200 as soon as a delivery is in its in-memory queue: a process killed then
loses every delivery it had accepted, and Jira never sends an answered delivery again. Here the
HTTP gate (jira.webhooks.gate) holds Ocean's answer until the delivery's processing ends:

- every processor that matches it applied it (wrote to Port, or decided it needs nothing: a 403,
  a replay, a kind the mapping does not sync) → Ocean's `200 {"status": "ok"}`;
- any of them failed (Jira or Port unavailable after the retries, an entity Port did not take,
  the integration stopping) → `503`, which Jira retries (408, 409, 425, 429, 5xx and timeouts,
  up to 5 times, 5-15 minutes apart);
- not finished within `ANSWER_WITHIN_SECONDS` → `503` as well, and applying goes on: Jira's
  retry of it comes minutes later and is applied again (a re-read: idempotent).

The gate puts a `Receipt` in the request's ASGI scope (`scope["state"]`, which Ocean keeps with
the event as its original request); `AnsweringProcessorManager`, the class of Ocean's webhook
manager in this integration, fills it while it processes the event: the failures of each
processor, of the write to Port and of what Ocean only logs. Deliveries are processed by Ocean's
event workers as before, many at once, so their re-reads still coalesce
(jira.webhooks.rereads); a delivery waiting for its answer holds an HTTP connection, not a
worker.

A delivery from Ocean's Redis stream (jira.webhooks.stream) is applied the same way: `applier`
runs the manager's own processing of it with a receipt of its own, and the consumer reads the
same failures: those that may pass (`Failure.may_pass`) leave the entry pending, the others are
acknowledged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.handlers.webhook.abstract_webhook_processor import AbstractWebhookProcessor
from port_ocean.core.handlers.webhook.processor_manager import LiveEventsProcessorManager
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent, WebhookEventRawResults
from port_ocean.exceptions.webhook_processor import RetryableError

ANSWER_WITHIN_SECONDS = 10.0
"""How long a delivery's answer waits for it to be applied. Jira retries a delivery that timed
out, but does not document after how long it gives up waiting (third-party guides quote 20 s):
answering 503 first keeps the retry ours to ask for."""
RECEIPT_KEY = "jira_delivery_receipt"
NOT_FINISHED = "its processing ended without writing to Port (Ocean logged why above)"


class Unfinished(Exception):
    """Applying stopped outside the processors (the write to Port failed, Ocean's processing
    ended early, the integration stopped): applying it again may succeed."""


class NotTaken(Exception):
    """Port answered, and did not take some of the delivery's entities (Ocean logged Port's
    answer): applying the same again is taken the same way."""


@dataclass(frozen=True)
class Failure:
    """One reason a delivery was not applied: what was raised, and where (a processor and its
    kind) when a processor raised it."""

    error: BaseException
    where: str | None = None

    def __str__(self) -> str:
        what = str(self.error) or type(self.error).__name__
        return f"{self.where}: {what}" if self.where else what

    @property
    def may_pass(self) -> bool:
        """Whether applying again may succeed: Jira was unavailable (the processors raise a
        RetryableError after their own retries), processing timed out, or it stopped outside
        the processors."""
        return isinstance(self.error, RetryableError | TimeoutError | Unfinished)


class Receipt:
    """What applying one delivery came to: nothing went wrong (`failures` empty), or why not."""

    def __init__(self) -> None:
        self.failures: list[Failure] = []
        self.applied = False  # the write to Port (or the decision that none is needed) ended
        self._settled: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()

    def failed(self, error: BaseException, where: str | None = None) -> None:
        self.failures.append(Failure(error, where))

    @property
    def problems(self) -> list[str]:
        """The failures, one line each (the reason of a 503)."""
        return [str(failure) for failure in self.failures]

    def settle(self) -> None:
        """Processing ended: the answer can go."""
        if not self.applied and not self.failures:
            self.failed(Unfinished(NOT_FINISHED))
        if not self._settled.done():
            self._settled.set_result(self.problems)

    async def outcome(self, within: float) -> list[str] | None:
        """Why the delivery was not applied ([] when it was); None when processing has not
        ended within `within` seconds."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._settled), within)
        except TimeoutError:
            return None


_APPLYING: ContextVar[Receipt | None] = ContextVar("jira_delivery_applying", default=None)


def applying() -> Receipt | None:
    """The receipt of the delivery being processed in this task (None outside one)."""
    return _APPLYING.get()


def attach(scope: MutableMapping[str, Any]) -> Receipt:
    """A new receipt for the delivery of this HTTP request, kept in its scope."""
    receipt = Receipt()
    scope.setdefault("state", {})[RECEIPT_KEY] = receipt
    return receipt


def receipt_of(event: WebhookEvent) -> Receipt | None:
    request = getattr(event, "_original_request", None)
    scope = getattr(request, "scope", None)
    state = scope.get("state") if isinstance(scope, dict) else None
    receipt = state.get(RECEIPT_KEY) if isinstance(state, dict) else None
    return receipt if isinstance(receipt, Receipt) else None


class AnsweringProcessorManager(LiveEventsProcessorManager):
    """Ocean's webhook manager, which also tells each delivery's receipt (an HTTP request's, or
    the one `applier` processes it with) how applying it went (Ocean only logs failures)."""

    async def _process_webhook_event(self, path: str, worker_id: int, event: WebhookEvent) -> None:
        receipt = receipt_of(event) or applying()
        if receipt is None:
            await super()._process_webhook_event(path, worker_id, event)
            return
        token = _APPLYING.set(receipt)
        try:
            await super()._process_webhook_event(path, worker_id, event)
        except asyncio.CancelledError:
            receipt.failed(Unfinished("the integration stopped before applying it"))
            raise
        finally:
            _APPLYING.reset(token)
            receipt.settle()

    async def _process_single_event(
        self,
        processor: AbstractWebhookProcessor,
        path: str,
        resource: ResourceConfig | None,
        resource_index: int | None = None,
    ) -> WebhookEventRawResults:
        try:
            return await super()._process_single_event(processor, path, resource, resource_index)
        except Exception as exc:
            if receipt := applying():
                kind = f" for the {resource.kind} kind" if resource is not None else ""
                receipt.failed(exc, f"{type(processor).__name__}{kind}")
            raise

    async def sync_raw_results(
        self, webhook_events_raw_result: list[WebhookEventRawResults]
    ) -> None:
        receipt = applying()
        try:
            await super().sync_raw_results(webhook_events_raw_result)
        except Exception as exc:
            if receipt:
                receipt.failed(Unfinished(f"writing it to Port failed: {exc}"))
            raise
        if receipt:
            receipt.applied = True


def answer_after_applying(manager: LiveEventsProcessorManager) -> None:
    """Makes Ocean's webhook manager (created by Ocean, before the integration) fill receipts."""
    if not isinstance(manager, AnsweringProcessorManager):
        manager.__class__ = AnsweringProcessorManager


Apply = Callable[[str, WebhookEvent], Awaitable[list[Failure]]]
"""Applies one delivery (on the processors' path); what went wrong, nothing when it was
applied."""


def applier(manager: LiveEventsProcessorManager) -> Apply:
    """Applying a delivery that did not come over HTTP (Ocean's Redis stream): the manager's
    own processing of it, as its event workers run it, with a receipt of its own."""
    answer_after_applying(manager)

    async def apply(path: str, event: WebhookEvent) -> list[Failure]:
        receipt = Receipt()
        token = _APPLYING.set(receipt)
        try:
            await manager._process_webhook_event(path, 0, event)
        finally:
            _APPLYING.reset(token)
        return receipt.failures

    return apply
