"""Live events of users (jira.users)."""

from __future__ import annotations

import respx

from jira.webhooks.processors import LiveEventsContext
from tests.builders import SITE, json_response, user
from tests.webhooks.payloads import user_event
from tests.webhooks.support import handle, user_resource


@respx.mock
async def test_user_update_is_read_by_account_id(live: LiveEventsContext) -> None:
    current = user(3)
    route = respx.get(f"{SITE}/rest/api/3/user").mock(return_value=json_response(current))
    result = await handle("user", user_event("user_updated", 3), user_resource())
    assert result.updated_raw_results == [current]
    assert route.calls.last.request.url.params["accountId"] == "acc-3"


@respx.mock
async def test_user_gone_on_update_is_removed(live: LiveEventsContext) -> None:
    respx.get(f"{SITE}/rest/api/3/user").mock(return_value=json_response({}, status=404))
    payload = user_event("user_created", 4)
    result = await handle("user", payload, user_resource())
    assert result.deleted_raw_results == [payload["user"]]


@respx.mock
async def test_user_deleted_is_removed_once_jira_answers_404(live: LiveEventsContext) -> None:
    route = respx.get(f"{SITE}/rest/api/3/user").mock(return_value=json_response({}, status=404))
    payload = user_event("user_deleted", 4)
    result = await handle("user", payload, user_resource())
    assert result.deleted_raw_results == [payload["user"]]
    assert route.calls.last.request.url.params["accountId"] == "acc-4"
