"""Creating and checking Jira's webhooks: admin webhooks (API token) and dynamic ones (OAuth)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from jira.client import JiraClient
from jira.settings import JiraSettings
from jira.webhooks.events import declared_events
from jira.webhooks.registration import (
    DYNAMIC_JQL_FILTER,
    DynamicWebhookKeeper,
    admin_events,
    dynamic_events,
    ensure_admin_webhook,
    ensure_dynamic_webhook,
    start_live_events,
)
from tests.builders import SITE, json_response
from tests.conftest import FakeClock, build_http
from tests.webhooks.payloads import SECRET

URL = "https://ocean.example.com/integration/webhook"
NAME = "jira-test-Port-Ocean-Events-Webhook"
PERMS = f"{SITE}/rest/api/3/mypermissions"
ADMIN_HOOKS = f"{SITE}/rest/webhooks/1.0/webhook"
GATEWAY = "https://api.atlassian.com/ex/jira/cloud-1"
DYNAMIC = f"{GATEWAY}/rest/api/3/webhook"


@pytest.fixture
def oauth_settings() -> JiraSettings:
    return JiraSettings.from_config(
        {"jira_host": GATEWAY, "atlassian_user_token": "oauth-tok"}, oauth=True
    )


@pytest.fixture
async def oauth_client(oauth_settings: JiraSettings, clock: FakeClock) -> AsyncIterator[JiraClient]:
    http = build_http(oauth_settings, clock)
    yield JiraClient(http)
    await http.aclose()


def admin(have: bool) -> respx.Route:
    return respx.get(PERMS).mock(
        return_value=json_response({"permissions": {"ADMINISTER": {"havePermission": have}}})
    )


def hook(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": NAME,
        "url": URL,
        "events": admin_events(),
        "filters": {"issue-related-events-section": ""},
        "excludeBody": False,
        "enabled": True,
        "self": f"{ADMIN_HOOKS}/7",
    }
    base.update(fields)
    return base


def body(route: respx.Route) -> dict[str, Any]:
    sent: dict[str, Any] = json.loads(route.calls.last.request.content)
    return sent


def test_the_subscriptions_cover_every_declared_event() -> None:
    assert set(admin_events()) == declared_events()
    assert set(dynamic_events()) == {
        "jira:issue_created",
        "jira:issue_updated",
        "jira:issue_deleted",
        "comment_created",
        "comment_updated",
        "comment_deleted",
    }


# Admin webhooks (API-token installs)


@respx.mock
async def test_without_administer_one_warning_and_nothing_created(
    client: JiraClient, warnings: list[str]
) -> None:
    perms = admin(False)
    report = await ensure_admin_webhook(client, url=URL, name=NAME, secret=SECRET)
    assert report.action == "skipped"
    assert perms.calls.last.request.url.params["permissions"] == "ADMINISTER"
    assert len(warnings) == 1
    assert "Ask a Jira admin" in warnings[0] and "System → WebHooks" in warnings[0]
    assert URL in warnings[0] and SECRET not in warnings[0]
    assert respx.calls.call_count == 1  # no listing, no creation


@respx.mock
async def test_none_existing_creates_one_with_every_event_and_the_secret(
    client: JiraClient,
) -> None:
    admin(True)
    respx.get(ADMIN_HOOKS).mock(
        return_value=json_response([hook(url="https://elsewhere/x", name="other")])
    )
    create = respx.post(ADMIN_HOOKS).mock(return_value=json_response(hook(), status=201))
    report = await ensure_admin_webhook(client, url=URL, name=NAME, secret=SECRET)
    assert report.action == "created" and report.problems == []
    sent = body(create)
    assert sent["name"] == NAME and sent["url"] == URL
    assert sent["events"] == sorted(declared_events())
    assert sent["filters"] == {"issue-related-events-section": ""}
    assert sent["secret"] == SECRET and sent["excludeBody"] is False


@respx.mock
async def test_without_a_secret_none_is_sent(client: JiraClient) -> None:
    admin(True)
    respx.get(ADMIN_HOOKS).mock(return_value=json_response([]))
    create = respx.post(ADMIN_HOOKS).mock(return_value=json_response(hook(), status=201))
    await ensure_admin_webhook(client, url=URL, name=NAME, secret=None)
    assert "secret" not in body(create)


@respx.mock
async def test_an_existing_correct_webhook_is_left_untouched(
    client: JiraClient, warnings: list[str]
) -> None:
    admin(True)
    respx.get(ADMIN_HOOKS).mock(return_value=json_response([hook(url=URL + "/")]))
    report = await ensure_admin_webhook(client, url=URL, name=NAME, secret=None)
    assert report.action == "unchanged" and report.problems == [] and warnings == []
    assert respx.calls.call_count == 2  # permissions + listing only


@respx.mock
async def test_missing_events_are_added_and_the_rest_is_kept(client: JiraClient) -> None:
    admin(True)
    respx.get(ADMIN_HOOKS).mock(
        return_value=json_response([hook(events=["jira:issue_created", "worklog_created"])])
    )
    update = respx.put(f"{ADMIN_HOOKS}/7").mock(return_value=json_response(hook()))
    report = await ensure_admin_webhook(client, url=URL, name=NAME, secret=SECRET)
    assert report.action == "repaired"
    sent = body(update)
    assert set(sent["events"]) == declared_events() | {"worklog_created"}
    assert sent["name"] == NAME and sent["url"] == URL and sent["enabled"] is True
    assert sent["filters"] == {"issue-related-events-section": ""}
    assert sent["secret"] == SECRET


@respx.mock
async def test_a_disabled_or_jql_filtered_webhook_is_reported_exactly(
    client: JiraClient, warnings: list[str]
) -> None:
    admin(True)
    respx.get(ADMIN_HOOKS).mock(
        return_value=json_response(
            [
                hook(
                    enabled=False,
                    excludeBody=True,
                    filters={"issue-related-events-section": "project = PA"},
                )
            ]
        )
    )
    report = await ensure_admin_webhook(client, url=URL, name=NAME, secret=None)
    assert report.action == "unchanged"  # reported, not silently changed
    text = "\n".join(report.problems)
    assert "JQL filter 'project = PA'" in text and "Clear the JQL filter" in text
    assert "is disabled in Jira" in text
    assert "exclude the body" in text
    assert len(warnings) == 3


@respx.mock
async def test_our_name_on_another_url_is_reported_and_ours_created(
    client: JiraClient, warnings: list[str]
) -> None:
    admin(True)
    respx.get(ADMIN_HOOKS).mock(
        return_value=json_response([hook(url="https://old.example.com/integration/webhook")])
    )
    respx.post(ADMIN_HOOKS).mock(return_value=json_response(hook(), status=201))
    report = await ensure_admin_webhook(client, url=URL, name=NAME, secret=None)
    assert report.action == "created"
    assert len(warnings) == 1 and "https://old.example.com" in warnings[0] and URL in warnings[0]


@respx.mock
async def test_several_webhooks_to_our_url_are_reported(
    client: JiraClient, warnings: list[str]
) -> None:
    admin(True)
    respx.get(ADMIN_HOOKS).mock(
        return_value=json_response([hook(), hook(name="copy", self=f"{ADMIN_HOOKS}/8")])
    )
    report = await ensure_admin_webhook(client, url=URL, name=NAME, secret=None)
    assert report.action == "unchanged"
    assert "2 Jira webhooks (ids 7, 8)" in warnings[0]


@respx.mock
async def test_jira_errors_become_one_warning(client: JiraClient, warnings: list[str]) -> None:
    admin(True)
    respx.get(ADMIN_HOOKS).mock(return_value=json_response([]))
    respx.post(ADMIN_HOOKS).mock(
        return_value=json_response({"errorMessages": ["URL must be https"]}, status=400)
    )
    report = await ensure_admin_webhook(client, url=URL, name=NAME, secret=None)
    assert report.action == "failed"
    assert len(warnings) == 1 and "URL must be https" in warnings[0]


# Dynamic webhooks (OAuth installs)


def dynamic_page(*hooks: dict[str, Any]) -> httpx.Response:
    return json_response({"values": list(hooks), "startAt": 0, "total": len(hooks), "isLast": True})


@respx.mock
async def test_oauth_registers_issue_events_with_a_broad_filter_then_refreshes(
    oauth_client: JiraClient,
) -> None:
    respx.get(DYNAMIC).mock(return_value=dynamic_page())
    register = respx.post(DYNAMIC).mock(
        return_value=json_response({"webhookRegistrationResult": [{"createdWebhookId": 1000}]})
    )
    refresh = respx.put(f"{DYNAMIC}/refresh").mock(
        return_value=json_response({"expirationDate": "2026-12-28T00:00:00.000+0000"})
    )
    report = await ensure_dynamic_webhook(oauth_client, url=URL)
    assert report.action == "registered" and report.webhook_ids == [1000]
    sent = body(register)
    assert sent == {
        "url": URL,
        "webhooks": [{"events": dynamic_events(), "jqlFilter": DYNAMIC_JQL_FILTER}],
    }
    assert body(refresh) == {"webhookIds": [1000]}


@respx.mock
async def test_oauth_registration_errors_inside_a_200_are_reported(
    oauth_client: JiraClient, warnings: list[str]
) -> None:
    respx.get(DYNAMIC).mock(return_value=dynamic_page())
    respx.post(DYNAMIC).mock(
        return_value=json_response(
            {"webhookRegistrationResult": [{"errors": ["Operator is not is unsupported"]}]}
        )
    )
    refresh = respx.put(f"{DYNAMIC}/refresh")
    report = await ensure_dynamic_webhook(oauth_client, url=URL)
    assert report.action == "failed"
    assert len(warnings) == 1
    assert "Jira refused to register the webhook" in warnings[0]
    assert "Operator is not is unsupported" in warnings[0]
    assert not refresh.called


@respx.mock
async def test_oauth_existing_webhooks_are_refreshed_not_registered_again(
    oauth_client: JiraClient,
) -> None:
    existing = {"id": 10, "url": URL, "events": dynamic_events(), "jqlFilter": DYNAMIC_JQL_FILTER}
    respx.get(DYNAMIC).mock(return_value=dynamic_page(existing))
    register = respx.post(DYNAMIC)
    refresh = respx.put(f"{DYNAMIC}/refresh").mock(return_value=json_response({}))
    report = await ensure_dynamic_webhook(oauth_client, url=URL)
    assert report.action == "unchanged" and not register.called
    assert body(refresh) == {"webhookIds": [10]}


@respx.mock
async def test_the_keeper_refreshes_on_its_timer_until_stopped(oauth_client: JiraClient) -> None:
    existing = {"id": 10, "url": URL, "events": dynamic_events(), "jqlFilter": DYNAMIC_JQL_FILTER}
    respx.get(DYNAMIC).mock(return_value=dynamic_page(existing))
    refresh = respx.put(f"{DYNAMIC}/refresh").mock(return_value=json_response({}))
    ticks: list[float] = []
    gate = asyncio.Event()

    async def sleep(seconds: float) -> None:
        ticks.append(seconds)
        if len(ticks) > 2:
            gate.set()
            await asyncio.Event().wait()  # park until cancelled

    keeper = DynamicWebhookKeeper(lambda: oauth_client, URL, interval=3600.0, sleep=sleep)
    keeper.start()
    await asyncio.wait_for(gate.wait(), 5)
    await keeper.stop()
    assert ticks == [3600.0, 3600.0, 3600.0]
    assert refresh.call_count == 2


# Start-up glue


@respx.mock
async def test_without_a_base_url_live_events_are_off_with_one_warning(
    client: JiraClient, basic_settings: JiraSettings, warnings: list[str]
) -> None:
    keeper = await start_live_events(
        lambda: client, basic_settings, base_url=None, identifier="jira-test"
    )
    assert keeper is None and respx.calls.call_count == 0
    assert len(warnings) == 1 and "OCEAN__BASE_URL" in warnings[0]


@respx.mock
async def test_oauth_with_a_secret_registers_nothing_and_says_why(
    oauth_client: JiraClient, oauth_settings: JiraSettings, warnings: list[str]
) -> None:
    settings = JiraSettings(
        host=oauth_settings.host, email=None, token="t", webhook_secret=SECRET, oauth=True
    )
    keeper = await start_live_events(
        lambda: oauth_client, settings, base_url="https://ocean.example.com", identifier="jira-test"
    )
    assert keeper is None and respx.calls.call_count == 0
    assert len(warnings) == 1 and "does not sign" in warnings[0] and SECRET not in warnings[0]


@respx.mock
async def test_start_up_never_fails_because_of_webhooks(
    client: JiraClient, warnings: list[str]
) -> None:
    respx.get(PERMS).mock(return_value=httpx.Response(500))
    settings = JiraSettings(host=SITE, email="me@example.com", token="t", webhook_secret=SECRET)
    keeper = await start_live_events(
        lambda: client, settings, base_url="https://ocean.example.com/", identifier="jira-test"
    )
    assert keeper is None
    assert len(warnings) >= 1 and "could not check" in warnings[-1]


@respx.mock
async def test_unsigned_installs_are_warned_once(
    client: JiraClient, basic_settings: JiraSettings, warnings: list[str]
) -> None:
    admin(False)
    await start_live_events(
        lambda: client, basic_settings, base_url="https://o.example.com", identifier="j"
    )
    assert any("webhookSecret is not set" in w for w in warnings)
