"""Live-event fixtures: a fresh processor context wired to the respx-backed Jira client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jira.client import JiraClient
from jira.webhooks.dedupe import NewestApplied
from jira.webhooks.processors import CONTEXT, LiveEventsContext
from jira.webhooks.rereads import ReReads


@pytest.fixture
def live(client: JiraClient) -> Iterator[LiveEventsContext]:
    saved = dict(vars(CONTEXT))
    CONTEXT.client = lambda: client
    CONTEXT.secret = lambda: None
    CONTEXT.newest = NewestApplied()
    CONTEXT.rereads = ReReads(window=0)
    CONTEXT.max_age_ms = lambda: None  # the payloads' timestamps are fixed; tests opt in
    yield CONTEXT
    vars(CONTEXT).update(saved)
