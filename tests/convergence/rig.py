"""The whole sync in one process: the real integration in Ocean's test harness, the unkind
Jira simulator as an ASGI app behind the integration's HTTP client, a stateful Port, and
Jira's webhook deliveries posted to the integration's real webhook route.

One rig serves every history of a test run (booting Ocean costs far more than a history):
`reset` gives the next history a fresh site, an empty Port and fresh live-event state.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from unittest.mock import patch

import httpx
from loguru import logger
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.queue import LocalQueue
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent
from port_ocean.helpers.monitor.monitor import PerformanceMonitor
from port_ocean.integration_testing import IntegrationTestHarness, ResyncResult

from jira.factory import reset_jira_client
from jira.webhooks.dedupe import NewestApplied
from jira.webhooks.events import WEBHOOK_PATH, webhook_route
from jira.webhooks.processors import CONTEXT
from jira.webhooks.rereads import ReReads
from sandbox.jira_sim.app import SimState, create_app
from sandbox.jira_sim.webhooks import delivery_headers
from tests.convergence.port_state import OnDelete, StatefulPort
from tests.convergence.site import MAPPING, SITE_CONFIG
from tests.integration.harness_setup import INTEGRATION, integration_config

JIRA = "http://jira.sim"
SECRET = "convergence-secret"
# Fast retries: the unkind Jira's transient faults are retried, not waited out.
ENVIRONMENT = {"JIRA_HTTP_RETRY_BASE_SECONDS": "0.001", "JIRA_HTTP_MAX_ATTEMPTS": "8"}
REPLAY_AGE_MS = 3 * 24 * 3600 * 1000  # a delivery replayed days later


class SwappableASGI(httpx.AsyncBaseTransport):
    """The integration's Jira transport: the simulator app of the current history."""

    def __init__(self) -> None:
        self._asgi: httpx.ASGITransport | None = None

    def serve(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self._asgi is not None, "no simulator app"
        return await self._asgi.handle_async_request(request)


@dataclass(frozen=True)
class Delivery:
    """One delivery of one Jira event: the signed body as Jira sends it."""

    body: bytes
    headers: dict[str, str]

    @classmethod
    def of(cls, payload: dict[str, Any], identifier: str, replay: bool = False) -> Delivery:
        if replay:  # the same delivery, days later: its signed timestamp is days old now
            payload = {**payload, "timestamp": int(payload["timestamp"]) - REPLAY_AGE_MS}
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(body, delivery_headers(body, identifier, SECRET))


def new_identifier() -> str:
    return str(uuid.uuid4())


async def _no_metrics(*args: Any, **kwargs: Any) -> None:
    return None


class Rig:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.transport = SwappableASGI()
        self._on_delete: OnDelete = lambda blueprint, identifier: None
        self.port = StatefulPort(MAPPING, self._deleted)
        self.harness: IntegrationTestHarness | None = None
        self.http: httpx.AsyncClient | None = None
        self.sim: SimState | None = None
        self._saved_env: dict[str, str | None] = {}
        self._patches: list[Any] = []
        self._saved_context = (CONTEXT.newest, CONTEXT.rereads)

    def run[T](self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def _deleted(self, blueprint: str, identifier: str) -> None:
        self._on_delete(blueprint, identifier)

    def start(self) -> None:
        # Ocean's resource monitor walks /proc for the process tree at every kind of every
        # resync (half an in-process resync); it only feeds debug statistics.
        for method, answer in (
            ("_init_cpu_baseline", None),
            ("_collect_process_tree", None),
            ("_get_total_memory_rss", 0),
        ):
            self._patches.append(patch.object(PerformanceMonitor, method, return_value=answer))
        for started in self._patches:
            started.start()
        self._saved_env = {name: os.environ.get(name) for name in ENVIRONMENT}
        self._saved_context = (CONTEXT.newest, CONTEXT.rereads)
        os.environ.update(ENVIRONMENT)
        reset_jira_client()
        config = integration_config(
            jira_host=JIRA,
            atlassian_user_email=SITE_CONFIG.email,
            atlassian_user_token=SITE_CONFIG.api_token,
            atlassian_organization_id=None,
            webhook_secret=SECRET,
        )
        config["integration"]["incremental_sync_enabled"] = True
        harness = IntegrationTestHarness(
            integration_path=str(INTEGRATION),
            port_mapping_config=MAPPING,
            third_party_transport=self.transport,  # type: ignore[arg-type]
            config_overrides=config,
        )
        harness.port_mock = self.port
        self.harness = harness
        self.run(self._boot(harness))

    async def _boot(self, harness: IntegrationTestHarness) -> None:
        logger.disable("")  # thousands of lines a history; a failure prints its steps
        await harness.start()
        await ocean.app.webhook_manager.initialize_handlers()  # the event listener's job
        # Ocean's sync metrics (a Prometheus text export and parse per kind, growing with
        # every resync of the session) cost most of an in-process resync and change nothing
        # that is synced: not reported here.
        ocean.app.metrics.report_sync_metrics = _no_metrics  # type: ignore[method-assign]
        ocean.app.metrics.report_kind_sync_metrics = _no_metrics  # type: ignore[method-assign]
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=ocean.app), base_url="http://ocean"
        )

    def stop(self) -> None:
        if self.harness is not None:
            self.run(self._shutdown(self.harness))
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for started in self._patches:
            started.stop()
        CONTEXT.newest, CONTEXT.rereads = self._saved_context
        reset_jira_client()
        logger.enable("")
        self.loop.close()

    async def _shutdown(self, harness: IntegrationTestHarness) -> None:
        if self.http is not None:
            await self.http.aclose()
        await harness.shutdown()

    def reset(self, on_delete: OnDelete) -> SimState:
        """A fresh site, an empty Port, and live-event state as after a restart."""
        app = create_app(SITE_CONFIG.model_copy())
        self.sim = app.state.sim
        assert self.sim is not None
        self.sim.serve_at(JIRA)
        self.transport.serve(app)
        self.port.reset()
        self._on_delete = on_delete
        reset_jira_client()
        CONTEXT.newest = NewestApplied()
        CONTEXT.rereads = ReReads(window=0.001)
        return self.sim

    # --- the integration's three ways in
    def full_resync(self) -> ResyncResult:
        assert self.harness is not None
        return self.run(self.harness.trigger_resync())

    def incremental_resync(self) -> None:
        self.run(ocean.app.integration.sync_incremental(interval_seconds=15 * 60))

    def deliver(self, deliveries: list[Delivery], concurrently: bool) -> list[int]:
        """Posts each delivery to the webhook route, then lets Ocean's workers process what
        was queued (all at once, or one after another); the HTTP statuses, in order (each is
        answered once its delivery is applied)."""
        return self.run(self._deliver(deliveries, concurrently))

    async def _deliver(self, deliveries: list[Delivery], concurrently: bool) -> list[int]:
        assert self.http is not None
        route = webhook_route()
        queue = ocean.app.webhook_manager._event_queues[WEBHOOK_PATH]
        assert isinstance(queue, LocalQueue)
        posts: list[asyncio.Task[httpx.Response]] = []
        posted: set[str] = set()
        for delivery in deliveries:
            queued = await queue.size()
            post = asyncio.create_task(
                self.http.post(route, content=delivery.body, headers=delivery.headers)
            )
            posts.append(post)
            identifier = delivery.headers["X-Atlassian-Webhook-Identifier"]
            if identifier in posted:
                continue  # Jira's retry of one in this batch: answered as that one will be
            posted.add(identifier)
            while await queue.size() == queued:  # in Ocean's queue (or answered), in order
                answered, _ = await asyncio.wait({post}, timeout=0.005)
                if answered:
                    break
        events: list[WebhookEvent] = []
        while await queue.size():
            events.append(await queue.get())
            await queue.commit()
        process = ocean.app.webhook_manager._process_webhook_event
        if concurrently:
            await asyncio.gather(*(process(WEBHOOK_PATH, n, e) for n, e in enumerate(events)))
        else:
            for event in events:
                await process(WEBHOOK_PATH, 0, event)
        return [(await post).status_code for post in posts]
