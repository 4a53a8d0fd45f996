"""main.py's start-up: webhooks are registered only when live events can arrive."""

from __future__ import annotations

from typing import Any

from port_ocean.context.ocean import ocean

from tests.builders import json_response
from tests.integration.harness_setup import harness, integration_config


def config(listener: str, base_url: str | None, app_host: str | None = None) -> dict[str, Any]:
    overrides = integration_config(app_host=app_host)
    overrides["event_listener"] = {"type": listener}
    if base_url:
        overrides["base_url"] = base_url
    return overrides


async def run_on_start(
    listener: str, base_url: str | None, app_host: str | None = None
) -> list[str]:
    routes: list[Any] = [
        (
            "GET",
            "/rest/api/3/mypermissions",
            json_response({"permissions": {"ADMINISTER": {"havePermission": False}}}),
        )
    ]
    async with harness(routes, config=config(listener, base_url, app_host)) as (_, transport):
        for listener_fn in ocean.app.integration.event_strategy.start:
            await listener_fn()
        return [str(call.request.url) for call in transport.calls]


async def test_once_mode_registers_no_webhook() -> None:
    assert await run_on_start("ONCE", "https://ocean.example.com") == []


async def test_without_a_base_url_no_webhook_is_registered() -> None:
    assert await run_on_start("POLLING", None) == []


async def test_with_a_base_url_the_webhook_is_checked() -> None:
    calls = await run_on_start("POLLING", "https://ocean.example.com")
    assert calls == [
        "https://myaccount.atlassian.net/rest/api/3/mypermissions?permissions=ADMINISTER"
    ]


async def test_a_webhooks_only_replica_never_registers_and_says_who_does(
    infos: list[str],
) -> None:
    """Replicas start together: if each registered, Jira would get one webhook per replica."""
    assert await run_on_start("WEBHOOKS_ONLY", "https://ocean.example.com") == []
    (line,) = [info for info in infos if "WEBHOOKS_ONLY" in info]
    assert "leaves the Jira webhook alone" in line and "resync process" in line


async def test_the_deprecated_app_host_is_the_fallback() -> None:
    calls = await run_on_start("POLLING", None, app_host="https://ocean.example.com")
    assert len(calls) == 1 and "mypermissions" in calls[0]
