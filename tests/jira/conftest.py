"""Fixtures for the client and kind tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loguru import logger


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    """The warnings logged during the test."""
    found: list[str] = []
    handler = logger.add(lambda m: found.append(m.record["message"]), level="WARNING")
    yield found
    logger.remove(handler)
