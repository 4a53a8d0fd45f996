"""The simulator over real HTTP: in-process server and the CLI as a subprocess."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from sandbox.jira_sim import SimConfig, running_jira_sim

ROOT = Path(__file__).resolve().parents[2]


async def test_running_jira_sim_over_real_http() -> None:
    async with running_jira_sim(SimConfig(issues=25)) as sim:
        assert sim.base_url.startswith("http://127.0.0.1:")
        config = sim.state.config
        auth = (config.email, config.api_token)
        async with httpx.AsyncClient(base_url=sim.base_url, auth=auth) as c:
            projects = (await c.get("/rest/api/3/project/search")).json()
            assert projects["total"] == 3
            assert projects["values"][0]["self"].startswith(sim.base_url + "/rest/api/3/project/")

            dataset = sim.state.dataset
            created = dataset.public(dataset.create_issue_record("PA", {"summary": "x"}).json())
            assert created["self"].startswith(sim.base_url)
            r = await c.post(
                "/rest/api/3/search/jql",
                json={"jql": f"key = {created['key']}", "fields": ["summary"]},
            )
            assert [i["key"] for i in r.json()["issues"]] == [created["key"]]
            ids = [str(i) for i in range(10000, 10010)]
            bulk = (
                await c.post("/rest/api/3/issue/bulkfetch", json={"issueIdsOrKeys": ids})
            ).json()
            assert len(bulk["issues"]) == 10

            # parallel requests overlap on the server
            sim.state.apply_config(config.merged({"latency_ms": 50}))
            await asyncio.gather(*(c.get("/rest/api/3/users/search") for _ in range(5)))
            assert sim.state.stats.snapshot()["max_in_flight"] >= 2

            timeouts = {"rate_timeout": 1.0, "timeout_sleep_s": 1.0}
            sim.state.apply_config(config.merged(timeouts))
            with pytest.raises(httpx.ReadTimeout):
                await c.get("/rest/api/3/users/search", timeout=0.2)
            sim.state.apply_config(config)

            stats = sim.state.stats.snapshot()
            assert stats["by_endpoint"]["GET /rest/api/3/project/search"] == 1
            assert stats["by_endpoint"]["POST /rest/api/3/issue/bulkfetch"] == 1
            assert stats["issues_returned"] == 11

        oauth_base_url = f"{sim.base_url}/ex/jira/{config.cloud_id}"
        headers = {"Authorization": f"Bearer {config.oauth_token}"}
        async with httpx.AsyncClient(base_url=oauth_base_url, headers=headers) as oauth:
            issue = (await oauth.get("/rest/api/3/issue/PA-1", params={"fields": "summary"})).json()
            assert issue["self"] == f"{oauth_base_url}/rest/api/3/issue/10000"
