"""The error policy of JiraHttp: auth headers, retries, rate limits, Jira's error messages."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest
import respx

from jira.errors import (
    JiraApiError,
    JiraAuthError,
    JiraMalformedResponse,
    JiraUnavailableError,
)
from jira.http import Api, JiraHttp
from jira.settings import JiraSettings
from tests.builders import SITE
from tests.conftest import FakeClock, build_http

MYSELF = f"{SITE}/rest/api/3/myself"


@respx.mock
async def test_basic_auth_header_for_a_site(http: JiraHttp) -> None:
    route = respx.get(MYSELF).respond(json={"accountId": "me"})
    assert await http.request("GET", Api.PLATFORM, "/myself") == {"accountId": "me"}
    expected = base64.b64encode(b"me@example.com:tok-SECRET").decode()
    assert route.calls.last.request.headers["Authorization"] == f"Basic {expected}"


GATEWAY = "https://api.atlassian.com/ex/jira/cloud-1"
_BASIC = "Basic " + base64.b64encode(b"me@example.com:tok-SECRET").decode()


@pytest.mark.parametrize(
    ("host", "token_file", "expected"),
    [
        # an API token on the site URL
        ("https://example.atlassian.net", None, _BASIC),
        # a scoped API token: the gateway URL, still Basic email:token
        (GATEWAY, None, _BASIC),
        # Port-hosted: Ocean's OAuth token file, Bearer whatever the host
        (GATEWAY, "oauth-from-file", "Bearer oauth-from-file"),
    ],
    ids=["api-token-on-site", "scoped-token-on-gateway", "oauth-token-file"],
)
@respx.mock
async def test_auth_follows_how_the_token_was_obtained_not_the_host(
    clock: FakeClock, host: str, token_file: str | None, expected: str
) -> None:
    settings = JiraSettings.from_config(
        {
            "jira_host": host,
            "atlassian_user_email": "me@example.com",
            "atlassian_user_token": "tok-SECRET",
        },
        oauth=token_file is not None,
    )
    http = JiraHttp(
        settings,
        httpx.AsyncClient(),
        token_source=(lambda: token_file) if token_file else None,
        sleep=clock.sleep,
    )
    route = respx.get(f"{host}/rest/api/3/myself").respond(json={})
    await http.request("GET", Api.PLATFORM, "/myself")
    assert route.calls.last.request.headers["Authorization"] == expected


@respx.mock
async def test_429_with_retry_after_waits_that_long_then_succeeds(
    http: JiraHttp, clock: FakeClock
) -> None:
    route = respx.get(MYSELF).mock(
        side_effect=[
            httpx.Response(
                429, headers={"Retry-After": "7", "RateLimit-Reason": "jira-burst-based"}
            ),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    assert await http.request("GET", Api.PLATFORM, "/myself") == {"ok": True}
    assert route.call_count == 2
    assert clock.sleeps == [7.0]


@respx.mock
async def test_429_without_retry_after_backs_off_exponentially(
    http: JiraHttp, clock: FakeClock
) -> None:
    respx.get(MYSELF).mock(
        side_effect=[httpx.Response(429), httpx.Response(429), httpx.Response(200, json=[])]
    )
    assert await http.request("GET", Api.PLATFORM, "/myself") == []
    assert clock.sleeps == [0.5, 1.0]


@respx.mock
async def test_burst_limit_slows_only_that_endpoint(http: JiraHttp, clock: FakeClock) -> None:
    respx.get(MYSELF).mock(
        side_effect=[
            httpx.Response(
                429, headers={"Retry-After": "5", "RateLimit-Reason": "jira-burst-based"}
            ),
            httpx.Response(200, json={}),
        ]
    )
    other = respx.get(f"{SITE}/rest/api/3/serverInfo").respond(json={})
    await http.request("GET", Api.PLATFORM, "/myself")
    clock.sleeps.clear()
    clock.now -= 5  # back to the moment of the 429: the other endpoint must not wait
    await http.request("GET", Api.PLATFORM, "/serverInfo")
    assert other.called and clock.sleeps == []


@respx.mock
async def test_quota_limit_pauses_every_endpoint_until_reset(
    http: JiraHttp, clock: FakeClock
) -> None:
    respx.get(MYSELF).mock(
        side_effect=[
            httpx.Response(
                429, headers={"Retry-After": "30", "RateLimit-Reason": "jira-quota-tenant-based"}
            ),
            httpx.Response(200, json={}),
        ]
    )
    respx.get(f"{SITE}/rest/api/3/serverInfo").respond(json={})
    await http.request("GET", Api.PLATFORM, "/myself")
    clock.sleeps.clear()
    clock.now -= 30
    await http.request("GET", Api.PLATFORM, "/serverInfo")
    assert clock.sleeps == [30.0]


@respx.mock
async def test_5xx_then_success(http: JiraHttp, clock: FakeClock) -> None:
    route = respx.post(f"{SITE}/rest/api/3/search/jql").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(500),
            httpx.Response(200, json={"issues": []}),
        ]
    )
    assert await http.request("POST", Api.PLATFORM, "/search/jql", json_body={"jql": "x"}) == {
        "issues": []
    }
    assert route.call_count == 3


@respx.mock
async def test_connection_errors_and_timeouts_are_retried(http: JiraHttp) -> None:
    respx.get(MYSELF).mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
            httpx.Response(200, json={}),
        ]
    )
    assert await http.request("GET", Api.PLATFORM, "/myself") == {}


@respx.mock
async def test_retries_run_out_with_a_clear_error(http: JiraHttp) -> None:
    respx.get(MYSELF).respond(502)
    with pytest.raises(
        JiraUnavailableError, match=r"GET /rest/api/3/myself failed 5 times \(last: HTTP 502\)"
    ):
        await http.request("GET", Api.PLATFORM, "/myself")


@respx.mock
async def test_400_surfaces_jiras_own_messages_without_retrying(http: JiraHttp) -> None:
    body = {
        "errorMessages": [
            "Field 'sprintt' does not exist or you do not have permission to view it."
        ],
        "errors": {"jql": "bad query"},
    }
    route = respx.post(f"{SITE}/rest/api/3/search/jql").respond(400, json=body)
    with pytest.raises(JiraApiError) as caught:
        await http.request("POST", Api.PLATFORM, "/search/jql", json_body={"jql": "sprintt = 1"})
    assert route.call_count == 1
    assert caught.value.status == 400
    assert "Field 'sprintt' does not exist" in str(caught.value)
    assert "jql: bad query" in str(caught.value)


@respx.mock
async def test_401_names_the_likely_cause_and_hides_the_token(http: JiraHttp) -> None:
    respx.get(MYSELF).respond(
        401, json={"errorMessages": ["Client must be authenticated to access this resource."]}
    )
    with pytest.raises(JiraAuthError) as caught:
        await http.request("GET", Api.PLATFORM, "/myself")
    message = str(caught.value)
    assert "answered 401" in message and "atlassianUserToken" in message and "scopes" in message
    assert "tok-SECRET" not in message


@respx.mock
async def test_malformed_json_is_retried_then_named(http: JiraHttp) -> None:
    respx.get(MYSELF).respond(
        200, content=b'{"values": [1, 2', headers={"content-type": "application/json"}
    )
    with pytest.raises(
        JiraMalformedResponse,
        match="GET /rest/api/3/myself returned a 200 answer whose body is not valid JSON",
    ):
        await http.request("GET", Api.PLATFORM, "/myself")


@respx.mock
async def test_oauth_401_reloads_the_token_and_retries_a_post(clock: FakeClock) -> None:
    tokens = iter(["old-token", "new-token"])
    settings = JiraSettings.from_config(
        {"jira_host": "https://api.atlassian.com/ex/jira/c1", "atlassian_user_token": "cfg-token"},
        oauth=True,
    )
    http = JiraHttp(
        settings, httpx.AsyncClient(), token_source=lambda: next(tokens), sleep=clock.sleep
    )
    route = respx.post("https://api.atlassian.com/ex/jira/c1/rest/api/3/search/jql").mock(
        side_effect=[httpx.Response(401), httpx.Response(200, json={"issues": []})]
    )
    await http.request("POST", Api.PLATFORM, "/search/jql", json_body={"jql": "project = A"})
    first, second = (call.request for call in route.calls)
    assert first.headers["Authorization"] == "Bearer old-token"
    assert second.headers["Authorization"] == "Bearer new-token"
    assert json.loads(second.content) == {"jql": "project = A"}


@respx.mock
async def test_requests_refused_together_all_retry_with_the_one_refreshed_token(
    clock: FakeClock,
) -> None:
    # Ocean's token file rotates while several requests are in flight with the old token:
    # each is refused, one reads the new token, and every one of them retries with it.
    token_file = {"token": "old-token"}
    settings = JiraSettings.from_config(
        {"jira_host": "https://api.atlassian.com/ex/jira/c1", "atlassian_user_token": "cfg"},
        oauth=True,
    )
    http = JiraHttp(
        settings, httpx.AsyncClient(), token_source=lambda: token_file["token"], sleep=clock.sleep
    )
    in_flight = asyncio.Event()
    arrived = 0

    async def jira(request: httpx.Request) -> httpx.Response:
        nonlocal arrived
        if request.headers["Authorization"] == "Bearer new-token":
            return httpx.Response(200, json={"ok": True})
        arrived += 1
        if arrived == 3:
            token_file["token"] = "new-token"  # rotated once all three were sent
            in_flight.set()
        await in_flight.wait()
        return httpx.Response(401)

    respx.get(url__startswith="https://api.atlassian.com/ex/jira/c1/rest/api/3/").mock(
        side_effect=jira
    )
    paths = ["/myself", "/serverInfo", "/mypermissions"]
    answers = await asyncio.gather(*(http.request("GET", Api.PLATFORM, p) for p in paths))
    assert answers == [{"ok": True}] * 3


@respx.mock
async def test_every_api_resolves_under_the_oauth_gateway(clock: FakeClock) -> None:
    gateway = "https://api.atlassian.com/ex/jira/cloud-1"
    settings = JiraSettings.from_config({"jira_host": gateway, "atlassian_user_token": "oauth-tok"}, oauth=True)
    http = build_http(settings, clock)
    agile = respx.get(f"{gateway}/rest/agile/1.0/board").respond(json={"values": [], "isLast": True})
    software = respx.get(f"{gateway}/rest/software/1.0/board/7/backlog").respond(json={})
    await http.request("GET", Api.AGILE, "/board")
    await http.request("GET", Api.SOFTWARE, "/board/{id}/backlog", path_params={"id": 7})
    assert agile.called and software.called
    assert agile.calls.last.request.headers["Authorization"] == "Bearer oauth-tok"
