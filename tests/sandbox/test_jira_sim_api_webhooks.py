"""Admin and dynamic webhooks (sandbox/jira_sim/api_webhooks.py)."""

from __future__ import annotations

import httpx

from sandbox.jira_sim import SimConfig, create_app
from tests.sandbox.support import asgi_client, sim_state


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
    r = await jira.post(url, json={**body, "filters": {"issue-related-events-section": "foo ="}})
    assert r.status_code == 400


async def test_dynamic_webhooks_lifecycle() -> None:
    app = create_app(SimConfig(issues=5))
    async with asgi_client(app) as basic:
        r = await basic.post("/rest/api/3/webhook", json={"url": "https://x", "webhooks": []})
        assert r.status_code == 403  # OAuth apps only
    async with asgi_client(app, auth="bearer", gateway=True) as c:
        r = await c.post(
            "/rest/api/3/webhook",
            json={
                "url": "https://example.com/dyn",
                "webhooks": [
                    {
                        "events": ["jira:issue_created", "jira:issue_updated"],
                        "jqlFilter": "project = PA",
                    },
                    {"events": ["sprint_started"], "jqlFilter": "project = PA"},
                    {"events": ["jira:issue_updated"], "jqlFilter": "project IS NOT EMPTY"},
                    {
                        "events": ["jira:issue_updated"],
                        "jqlFilter": "project in (PA, PLAT) AND status != Done",
                    },
                ],
            },
        )
        assert r.status_code == 200
        results = r.json()["webhookRegistrationResult"]
        assert "createdWebhookId" in results[0] and "createdWebhookId" in results[3]
        assert results[1]["errors"] and results[2]["errors"]
        assert "IS NOT" in results[2]["errors"][0]
        listing = (await c.get("/rest/api/3/webhook")).json()
        assert listing["isLast"] is True and len(listing["values"]) == 2
        before = listing["values"][0]["expirationDate"]
        assert before.endswith("+0000")
        ids = [results[0]["createdWebhookId"], results[3]["createdWebhookId"]]
        r = await c.put("/rest/api/3/webhook/refresh", json={"webhookIds": ids})
        assert r.status_code == 200 and r.json()["expirationDate"] >= before
