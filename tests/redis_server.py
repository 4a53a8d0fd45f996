"""A real redis-server for the tests of the Redis stream path (Debian's `redis-server`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.redis_stream import INSTALL_HINT, redis_server, running_redis


def needs_redis_server() -> None:
    """In CI a missing redis-server fails the test (.ci/run installs it); elsewhere it skips,
    saying how to install it."""
    if redis_server() is not None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"redis-server is not installed; .ci/run installs it ({INSTALL_HINT})")
    pytest.skip(f"redis-server is not installed: {INSTALL_HINT}")


def serving_redis() -> Iterator[str]:
    """A fresh redis-server's URL (in memory, on a free port), for a test's fixture."""
    needs_redis_server()
    with (
        tempfile.TemporaryDirectory(prefix="redis-") as workdir,
        running_redis(Path(workdir)) as url,
    ):
        yield url
