"""Ocean's Redis live-events stream in the sandbox: a real `redis-server`, deliveries written as
Port's live-events gateway writes them, and integration processes consuming them.

- `running_redis()`: Debian's `redis-server` on a free port, in memory only, stopped after.
- `Gateway`: writes a Jira delivery (raw body, headers) to the stream the way the gateway does:
  `XADD {uuid}/live-events/raw/event-stream * eventId <uuid> webhookPath <path the delivery was
  posted to, with its query> payload <raw body> headers <JSON> queuedAt <epoch ns>` (the fields
  Ocean's `RedisStreamConsumer` reads).
- `consumer()`: one real integration process (WEBHOOKS_ONLY) reading that stream in its
  consumer group, with the process at hand so that a test can SIGKILL it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from redis.typing import EncodableT, FieldT

from sandbox.stack import (
    INTEGRATION_ID,
    LAUNCHER,
    Stack,
    _answers,
    _spawn,
    _stop,
    _wait_until,
    free_port,
)

REDIS_SERVER = "redis-server"
INSTALL_HINT = "apt-get install redis-server"
WEBHOOK_ROUTE = "/integration/webhook"
CONSUMER_GROUP = f"jira.{INTEGRATION_ID}"  # Ocean's: {integration type}.{identifier}


def redis_server() -> str | None:
    """The redis-server executable, when installed."""
    return shutil.which(REDIS_SERVER)


@contextmanager
def running_redis(workdir: Path) -> Iterator[str]:
    """A redis-server on a free port (no persistence); yields its redis:// URL."""
    executable = redis_server()
    if executable is None:
        raise RuntimeError(f"redis-server is not installed ({INSTALL_HINT})")
    port = free_port()
    command = [
        executable,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(workdir),
    ]  # fmt: skip
    process = _spawn(command, workdir / f"redis-{port}.log")
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)

    def ready() -> str | None:
        try:
            return url if client.ping() else None
        except redis.RedisError:
            return None

    try:
        yield _wait_until(ready, process, "redis-server", 30)
    finally:
        client.close()
        _stop([process], timeout=10)


@dataclass
class Gateway:
    """Port's live-events gateway for one integration: `base_url` is the integration's
    OCEAN__BASE_URL (`{public}/live-events/{uuid}`), the stream is named after the uuid."""

    redis_url: str
    public_url: str = "https://ingest.example.com"
    uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    client: redis.Redis = field(init=False)

    def __post_init__(self) -> None:
        self.client = redis.Redis.from_url(self.redis_url, decode_responses=True)

    @property
    def base_url(self) -> str:
        return f"{self.public_url}/live-events/{self.uuid}"

    @property
    def stream(self) -> str:
        return f"{self.uuid}/live-events/raw/event-stream"

    def entry(
        self, body: bytes | str, headers: Mapping[str, str], query: str = ""
    ) -> dict[str, str]:
        """The fields the gateway writes for a delivery POSTed to the integration's route."""
        raw = body.decode("utf-8") if isinstance(body, bytes) else body
        path = f"/live-events/{self.uuid}{WEBHOOK_ROUTE}" + (f"?{query}" if query else "")
        return {
            "eventId": str(uuid.uuid4()),
            "webhookPath": path,
            "payload": raw,
            "headers": json.dumps(dict(headers)),
            "queuedAt": str(time.time_ns()),
        }

    def write(self, fields: Mapping[str, str]) -> str:
        """XADD one entry; returns its id."""
        entry: dict[FieldT, EncodableT] = {name: value for name, value in fields.items()}
        return str(self.client.xadd(self.stream, entry))

    def pending(self, consumer: str | None = None) -> int:
        """Entries read and not acknowledged (by `consumer`, or by anyone)."""
        try:
            summary: Any = self.client.xpending(self.stream, CONSUMER_GROUP)
        except redis.ResponseError:  # no group yet
            return 0
        if consumer is None:
            return int(summary["pending"])
        for entry in summary.get("consumers") or []:
            if entry["name"] == consumer:
                return int(entry["pending"])
        return 0

    def consumers(self) -> list[str]:
        """The names of the group's consumers."""
        try:
            found: Any = self.client.xinfo_consumers(self.stream, CONSUMER_GROUP)
        except redis.ResponseError:  # no stream or group yet
            return []
        return [str(entry["name"]) for entry in found]

    def length(self) -> int:
        """Entries in the stream (acknowledged ones are deleted, as Ocean does)."""
        return int(self.client.xlen(self.stream))

    def close(self) -> None:
        self.client.close()


def consumer_env(gateway: Gateway, **settings: str) -> dict[str, str]:
    """The settings of an integration that reads the gateway's stream: the chart's live-events
    replicas' (WEBHOOKS_ONLY, the Redis consumer on), plus `settings`."""
    return {
        "OCEAN__EVENT_LISTENER": '{"type":"WEBHOOKS_ONLY"}',
        "OCEAN__BASE_URL": gateway.base_url,
        "OCEAN__LIVE_EVENTS__IS_REDIS_STREAM_CONSUMER_ENABLED": "true",
        "OCEAN__LIVE_EVENTS__REDIS__URL": gateway.redis_url,
        **settings,
    }


@dataclass
class Consumer:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def name(self) -> str:
        """Its consumer name in the group: Ocean's `{identifier}-{host}`, and the process id
        (jira.webhooks.stream: one name per process)."""
        return f"{INTEGRATION_ID}-{socket.gethostname()}-{self.process.pid}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def consumer(stack: Stack, gateway: Gateway, **settings: str) -> Iterator[Consumer]:
    """One integration process consuming the gateway's stream, once its consumer has started;
    stopped (SIGTERM, then SIGKILL) after, unless the test killed it."""
    port = free_port()
    log = stack.workdir / f"integration-{port}.log"
    env = stack.integration_env(APPLICATION__PORT=str(port), **consumer_env(gateway, **settings))
    process = _spawn([sys.executable, str(LAUNCHER)], log, env)
    running = Consumer(process, log)
    try:
        _wait_until(lambda: _answers(f"http://127.0.0.1:{port}"), process, "the integration", 60)
        _wait_until(  # a consumer joins the group with its first read
            lambda: "reading" if running.name in gateway.consumers() else None,
            process,
            "the integration's stream consumer",
            60,
        )
        yield running
    finally:
        _stop([process], timeout=20)
