"""A start against the wrong host fails in seconds with words a user can act on: a host that
never answered is retried twice, not the policy's attempts; a web page is never retried as a
truncated body and is no Jira; requests waiting for the same deployment detection share its
failure; serverInfo refused with and without the credentials names them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import httpx
import pytest
import respx

from jira.errors import JiraMalformedResponse, JiraUnavailableError
from jira.http import UNANSWERED_HOST_ATTEMPTS, Api, JiraHttp
from jira.ratelimit import RetryPolicy
from jira.settings import ConfigurationError, JiraSettings, env_name
from tests.builders import SITE
from tests.conftest import FakeClock, build_http

MYSELF = f"{SITE}/rest/api/3/myself"
DC_SITE = "https://jira.example.com"  # not an Atlassian host name: serverInfo decides
SERVER_INFO = f"{DC_SITE}/rest/api/2/serverInfo"


def refused() -> httpx.ConnectError:
    """What httpx raises when nothing listens on the port (its cause says so)."""
    error = httpx.ConnectError("All connection attempts failed")
    error.__cause__ = ConnectionRefusedError(111, "Connect call failed")
    return error


def unresolved() -> httpx.ConnectError:
    error = httpx.ConnectError("[Errno -2] Name or service not known")
    error.__cause__ = socket.gaierror(-2, "Name or service not known")
    return error


@pytest.fixture
def dc_settings() -> JiraSettings:
    return JiraSettings.from_config({"jira_host": DC_SITE, "atlassian_user_token": "pat-SECRET"})


class Unreachable(httpx.AsyncBaseTransport):
    """A host that never answers: every request fails to connect as `failure` says."""

    def __init__(self, failure: Callable[[], Exception]) -> None:
        self.failure = failure
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        raise self.failure()


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (refused, "it refused the connection"),
        (unresolved, "its name does not resolve (DNS)"),
        (lambda: httpx.ConnectTimeout("timed out"), "ConnectTimeout (no answer)"),
    ],
    ids=["refused", "dns", "connect-timeout"],
)
async def test_a_host_that_never_answered_is_retried_twice_with_the_reason_in_words(
    basic_settings: JiraSettings, clock: FakeClock, failure: Callable[[], Exception], words: str
) -> None:
    transport = Unreachable(failure)
    http = JiraHttp(
        basic_settings,
        httpx.AsyncClient(transport=transport),
        policy=RetryPolicy(max_attempts=6, base_delay=1.0, jitter=(1.0, 1.0)),
        sleep=clock.sleep,
    )
    with pytest.raises(JiraUnavailableError) as caught:
        await http.request("GET", Api.PLATFORM, "/myself")
    assert transport.calls == UNANSWERED_HOST_ATTEMPTS == 3
    assert f"failed 3 times (last: {words}" in str(caught.value)
    assert clock.sleeps == [1.0, 2.0]  # the policy's backoff, twice


@respx.mock
async def test_a_host_that_answered_before_gets_the_policys_attempts(
    basic_settings: JiraSettings, clock: FakeClock
) -> None:
    http = build_http(basic_settings, clock, max_attempts=6)
    respx.get(MYSELF).respond(json={})
    await http.request("GET", Api.PLATFORM, "/myself")
    route = respx.get(f"{SITE}/rest/api/3/project/search").mock(side_effect=refused())
    with pytest.raises(JiraUnavailableError, match="failed 6 times"):
        await http.request("GET", Api.PLATFORM, "/project/search")
    assert route.call_count == 6  # a blip on a site that works: the full policy


@respx.mock
async def test_an_html_page_is_not_retried(http: JiraHttp) -> None:
    route = respx.get(MYSELF).respond(
        200, text="<html><body>Welcome</body></html>", headers={"content-type": "text/html"}
    )
    with pytest.raises(JiraMalformedResponse, match="answered 200 with an HTML page, not JSON"):
        await http.request("GET", Api.PLATFORM, "/myself")
    assert route.call_count == 1


@respx.mock
async def test_a_web_server_answering_pages_is_no_jira(
    dc_settings: JiraSettings, clock: FakeClock
) -> None:
    http = build_http(dc_settings, clock)
    respx.get(SERVER_INFO).respond(200, text="<html/>", headers={"content-type": "text/html"})
    with pytest.raises(ConfigurationError) as caught:
        await http.deployment()
    assert caught.value.setting == "jiraHost"
    assert "is not a Jira site" in str(caught.value) and env_name("jiraHost") in str(caught.value)


@respx.mock
async def test_requests_waiting_for_one_detection_share_its_failure(
    dc_settings: JiraSettings, clock: FakeClock
) -> None:
    http = build_http(dc_settings, clock, max_attempts=6)
    route = respx.get(SERVER_INFO).mock(side_effect=refused())
    results = await asyncio.gather(
        http.deployment(), http.deployment(), http.deployment(), return_exceptions=True
    )
    assert all(isinstance(result, JiraUnavailableError) for result in results)
    assert route.call_count == UNANSWERED_HOST_ATTEMPTS  # one detection, not three
    # a later request tries again (the host may be back)
    route.mock(
        side_effect=None, return_value=httpx.Response(200, json={"deploymentType": "Server"})
    )
    assert (await http.deployment()).is_datacenter


@respx.mock
async def test_server_info_refused_with_and_without_the_credentials_names_them(
    dc_settings: JiraSettings, clock: FakeClock
) -> None:
    http = build_http(dc_settings, clock)
    route = respx.get(SERVER_INFO).respond(
        401, json={"errorMessages": ["Client must be authenticated to access this resource."]}
    )
    with pytest.raises(ConfigurationError) as caught:
        await http.deployment()
    message = str(caught.value)
    assert caught.value.setting == "atlassianUserToken"
    assert env_name("atlassianUserToken") in message and "pat-SECRET" not in message
    with pytest.raises(ConfigurationError):
        await http.deployment()  # no Jira request can work: asked once
    assert route.call_count == 2  # with the credentials, then without
