"""Live-event fixtures: a fresh processor context wired to the respx-backed Jira client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jira.client import JiraClient
from jira.webhooks.dedupe import NewestApplied
from jira.webhooks.processors import CONTEXT, LiveEventsContext


@pytest.fixture
def live(client: JiraClient) -> Iterator[LiveEventsContext]:
    saved = (CONTEXT.client, CONTEXT.secret, CONTEXT.newest)
    CONTEXT.client = lambda: client
    CONTEXT.secret = lambda: None
    CONTEXT.newest = NewestApplied()
    yield CONTEXT
    CONTEXT.client, CONTEXT.secret, CONTEXT.newest = saved
