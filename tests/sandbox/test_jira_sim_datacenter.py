"""The simulator's Data Center mode (sandbox/jira_sim/datacenter.py)."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette

from sandbox.jira_sim import SimConfig, create_app
from tests.sandbox.support import asgi_client

PAT = {"Authorization": "Bearer sandbox-pat"}


def dc_app(**config: Any) -> Starlette:
    return create_app(SimConfig(deployment="datacenter", issues=30, users=7, **config))


async def test_only_v2_with_data_center_credentials() -> None:
    async with asgi_client(dc_app(), auth="none") as site:
        assert (await site.get("/rest/api/3/project/search", headers=PAT)).status_code == 404
        assert (await site.post("/rest/api/2/issue/bulkfetch", headers=PAT)).status_code == 404
        assert (
            await site.get("/rest/api/2/mypermissions?permissions=ADMINISTER")
        ).status_code == 401
        basic = httpx.BasicAuth("demo@example.com", "sandbox-token")  # Cloud's: refused
        assert (
            await site.get("/rest/api/2/mypermissions?permissions=ADMINISTER", auth=basic)
        ).status_code == 401
        assert (
            await site.get("/rest/api/2/mypermissions?permissions=ADMINISTER", headers=PAT)
        ).status_code == 200
        info = (await site.get("/rest/api/2/serverInfo", headers=PAT)).json()
        assert info["deploymentType"] == "Server" and info["version"] == "10.3.1"


async def test_users_carry_key_and_name_never_account_id() -> None:
    async with asgi_client(dc_app(), auth="none") as site:
        page = (await site.get("/rest/api/2/user/list?maxResults=5", headers=PAT)).json()
        assert len(page["values"]) == 5 and page["isLast"] is False
        rest = await site.get(f"/rest/api/2/user/list?cursor={page['nextCursor']}", headers=PAT)
        assert rest.json()["isLast"] is True and len(rest.json()["values"]) == 2
        user = page["values"][0]
        assert "accountId" not in user and user["key"].startswith("JIRAUSER") and user["name"]
        search = await site.post(
            "/rest/api/2/search",
            headers=PAT,
            json={"jql": "created >= -3650d", "fields": ["assignee"], "maxResults": 1000},
        )
        assignees = [i["fields"]["assignee"] for i in search.json()["issues"]]
        assert all("accountId" not in a for a in assignees if a)


async def test_search_pages_by_offset_inside_the_window_and_by_key_past_it() -> None:
    async with asgi_client(dc_app(search_window=10), auth="none") as site:
        ordered = "created >= -3650d ORDER BY key ASC"
        first = await site.post(
            "/rest/api/2/search", headers=PAT, json={"jql": ordered, "maxResults": 10}
        )
        assert first.json()["total"] == 30 and len(first.json()["issues"]) == 10
        refused = await site.post(
            "/rest/api/2/search", headers=PAT, json={"jql": ordered, "startAt": 10}
        )
        assert refused.status_code == 500 and "Search limit exceeded" in refused.text
        last = first.json()["issues"][-1]["key"]
        done = ", ".join(sorted({f'"{i["key"].split("-")[0]}"' for i in first.json()["issues"]}))
        after = (
            f'(created >= -3650d) AND (key > "{last}" OR project not in ({done})) ORDER BY key ASC'
        )
        rest = await site.post(
            "/rest/api/2/search", headers=PAT, json={"jql": after, "maxResults": 10}
        )
        assert rest.json()["total"] == 20
        assert rest.json()["issues"][0]["key"] != last
