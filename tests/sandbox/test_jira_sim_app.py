"""The request pipeline (sandbox/jira_sim/app.py): Basic and OAuth gateway auth."""

from __future__ import annotations

import httpx

from sandbox.jira_sim import SimConfig, create_app
from tests.sandbox.support import asgi_client, jira_error, sim_state

NOT_AUTH = jira_error("Client must be authenticated to access this resource.")
CLOUD = "11111111-2222-3333-4444-555555555555"


async def test_auth_rules() -> None:
    app = create_app(SimConfig(issues=5))
    async with asgi_client(app, auth="none") as anon:
        r = await anon.get("/rest/api/3/project/search")
        assert r.status_code == 401 and r.json() == NOT_AUTH
        wrong = httpx.BasicAuth("demo@example.com", "wrong-token")
        r = await anon.get("/rest/api/3/project/search", auth=wrong)
        assert r.status_code == 401 and r.json() == NOT_AUTH
        r = await anon.get(
            "/rest/api/3/project/search", headers={"Authorization": "Bearer sandbox-oauth-token"}
        )
        assert r.status_code == 401  # the site takes Basic only
        r = await anon.get(
            f"/ex/jira/{CLOUD}/rest/api/3/project/search",
            auth=httpx.BasicAuth("demo@example.com", "sandbox-token"),
        )
        assert r.status_code == 401  # the gateway takes Bearer only
        assert (await anon.get("/_sim/stats")).status_code == 200  # control API: no auth
    async with asgi_client(app, auth="bearer", gateway=True) as oauth:
        r = await oauth.get("/rest/api/3/issue/PA-1", params={"fields": "summary"})
        assert r.status_code == 200
        assert r.json()["self"] == f"http://jira-sim.test/ex/jira/{CLOUD}/rest/api/3/issue/10000"
    stats = sim_state(oauth).stats.snapshot()
    assert stats["by_status"]["401"] == 4
    assert stats["by_endpoint"]["GET /rest/api/3/issue/{issueIdOrKey}"] == 1
