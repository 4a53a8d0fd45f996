"""Admin and dynamic webhooks (sandbox/jira_sim/api_webhooks.py)."""

from __future__ import annotations

import asyncio

import httpx

from tests.sandbox.support import sim_state


async def test_admin_webhooks_crud_hides_secret(jira: httpx.AsyncClient) -> None:
    url = "/rest/webhooks/1.0/webhook"
    body = {
        "name": "port",
        "url": "https://example.com/hook",
        "events": ["jira:issue_created", "jira:issue_updated"],
        "filters": {"issue-related-events-section": "project = PA"},
        "excludeBody": False,
        "enabled": True,
        "secret": "s3cr3t",
    }
    r = await jira.post(url, json=body)
    assert r.status_code == 201
    created = r.json()
    assert (
        "secret" not in created
        and created["filters"]["issue-related-events-section"] == "project = PA"
    )
    hook_id = created["self"].rsplit("/", 1)[1]
    listed = (await jira.get(url)).json()
    assert len(listed) == 1 and "secret" not in listed[0]
    r = await jira.put(
        f"{url}/{hook_id}", json={"enabled": False, "events": ["jira:issue_deleted"]}
    )
    assert r.json()["enabled"] is False and r.json()["events"] == ["jira:issue_deleted"]
    assert sim_state(jira).webhooks.admin[int(hook_id)].secret == "s3cr3t"
    assert (await jira.get(url)).json()[0]["name"] == "port"


async def test_same_webhook_created_twice_is_kept_twice_and_deleted_once(
    jira: httpx.AsyncClient,
) -> None:
    """As Jira: no dedupe of concurrent creates; DELETE answers 204, then 404 once gone."""
    url = "/rest/webhooks/1.0/webhook"
    hook = {"name": "port", "url": "https://ocean.example.com/hook", "events": ["user_created"]}
    created = await asyncio.gather(*(jira.post(url, json=hook) for _ in range(3)))
    assert [r.status_code for r in created] == [201, 201, 201]
    listed = (await jira.get(url)).json()
    assert sorted(h["self"].rsplit("/", 1)[-1] for h in listed) == ["1", "2", "3"]
    first = await jira.delete(f"{url}/2")
    again = await jira.delete(f"{url}/2")
    assert (first.status_code, first.content) == (204, b"")
    assert again.status_code == 404
    listed = (await jira.get(url)).json()
    assert sorted(h["self"].rsplit("/", 1)[-1] for h in listed) == ["1", "3"]

