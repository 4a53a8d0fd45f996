"""A live event for a kind whose selector does not validate changes nothing in Port: the kind
does not sync until the selector is fixed (its resync fails with the same line)."""

from __future__ import annotations

import respx

from jira.webhooks.processors import LiveEventsContext
from tests.builders import resource
from tests.webhooks.payloads import sprint_event
from tests.webhooks.support import handle


@respx.mock(assert_all_called=False)
async def test_an_event_for_a_kind_with_an_invalid_selector_changes_nothing(
    live: LiveEventsContext, warnings: list[str]
) -> None:
    for name in ("sprint_updated", "sprint_deleted"):
        result = await handle("sprint", sprint_event(name), resource("sprint", sprintState="x"))
        assert result.updated_raw_results == [] and result.deleted_raw_results == []
    assert not respx.calls  # Jira is not asked either
    assert any("sprint selector: sprintState: must be a list" in w for w in warnings)
