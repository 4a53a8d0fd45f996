"""The historical-issues import command, against the Jira simulator and a stand-in Port webhook."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from import_history import run
from sandbox.jira_sim import SimConfig, running_jira_sim

JQL_DONE = "statusCategory = Done"


def port_webhook(received: list[dict[str, Any]], fail_keys: set[str]) -> httpx.ASGITransport:
    async def hook(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        received.append(body)
        if body["issue"]["key"] in fail_keys:
            return JSONResponse({"ok": False}, status_code=500)
        return JSONResponse({"ok": True}, status_code=202)

    return httpx.ASGITransport(app=Starlette(routes=[Route("/hook", hook, methods=["POST"])]))


async def _import(fail_keys: set[str]) -> tuple[int, str, list[dict[str, Any]], list[str]]:
    received: list[dict[str, Any]] = []
    config = SimConfig(issues=40, projects=2)
    async with running_jira_sim(config) as jira:
        async with httpx.AsyncClient(auth=(config.email, config.api_token)) as client:
            response = await client.post(
                f"{jira.base_url}/rest/api/3/search/jql",
                json={"jql": JQL_DONE, "fields": ["key"], "maxResults": 5000},
            )
        expected = [issue["key"] for issue in response.json()["issues"]]
        out = io.StringIO()
        env = {
            "PORT_URL": "http://port.test/hook",
            "JIRA_SERVER": jira.base_url,
            "USERNAMES": config.email,
            "API_TOKEN": config.api_token,
            "JQL": JQL_DONE,
        }
        code = await run(env, out, port_transport=port_webhook(received, fail_keys))
    return code, out.getvalue(), received, expected


async def test_imports_every_issue_of_the_jql_as_jira_webhook_events() -> None:
    code, out, received, expected = await _import(set())
    assert code == 0
    assert expected and sorted(e["issue"]["key"] for e in received) == sorted(expected)
    assert all(e["webhookEvent"] == "jira:issue_updated" for e in received)
    assert all(e["issue"]["fields"]["summary"] for e in received)
    assert f"Imported {len(expected)} issues into Port (0 failed)" in out


async def test_a_rejected_delivery_makes_the_command_fail() -> None:
    _, _, _, expected = await _import(set())
    first = sorted(expected)[0]
    code, out, _, _ = await _import({first})
    assert code == 1
    assert f"Imported {len(expected) - 1} issues into Port (1 failed)" in out


async def test_missing_environment_is_named(capsys: Any) -> None:
    assert await run({"PORT_URL": "http://x"}) == 2
    assert "JIRA_SERVER, USERNAMES, API_TOKEN" in capsys.readouterr().err
