"""Jira Data Center / Server: found once, then its paths, paging, auth and user names."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from jira.client import JiraClient
from jira.errors import JiraAuthError, JiraError
from jira.http import Api, JiraHttp
from jira.issues import fetch_issues
from jira.paging import window_pages
from jira.selectors import IssueResourceConfig, TeamResourceConfig
from jira.settings import ConfigurationError, JiraSettings
from jira.teams import fetch_teams
from jira.webhooks.events import payload_problem
from jira.webhooks.registration import start_live_events
from tests.conftest import FakeClock, build_http

DC = "https://jira.example.com/jira"
V2 = f"{DC}/rest/api/2"
MAP = {"identifier": ".key", "blueprint": '"b"'}
SERVER_INFO = {"deploymentType": "Server", "version": "10.3.1", "baseUrl": DC}


def dc_settings(**config: str) -> JiraSettings:
    return JiraSettings.from_config({"jira_server_host": DC, "token": "pat-SECRET", **config})


@pytest.fixture
def dc_http(clock: FakeClock) -> Iterator[JiraHttp]:
    yield build_http(dc_settings(), clock, max_attempts=1)


@pytest.fixture
def dc_client(dc_http: JiraHttp) -> JiraClient:
    return JiraClient(dc_http)


def serve_server_info() -> respx.Route:
    return respx.get(f"{V2}/serverInfo").respond(json=SERVER_INFO)


async def pages_of(pages: Any) -> list[list[dict[str, Any]]]:
    return [page async for page in pages]


# Detection


@respx.mock
async def test_server_info_finds_data_center_and_v2_paths_follow(dc_client: JiraClient) -> None:
    info = serve_server_info()
    myself = respx.get(f"{V2}/myself").respond(json={"key": "JIRAUSER1"})
    await dc_client.http.request("GET", Api.PLATFORM, "/myself")
    await dc_client.http.request("GET", Api.PLATFORM, "/myself")
    deployment = await dc_client.deployment()
    assert deployment.is_datacenter
    assert "Data Center" in deployment.describe() and "10.3.1" in deployment.describe()
    assert info.call_count == 1 and myself.call_count == 2
    assert myself.calls.last.request.headers["Authorization"] == "Bearer pat-SECRET"


@respx.mock
async def test_a_host_without_v2_is_asked_v3_and_a_cloud_answer_is_cloud(
    clock: FakeClock,
) -> None:
    settings = JiraSettings.from_config(
        {"jira_host": DC, "atlassian_user_email": "me@example.com", "atlassian_user_token": "t"}
    )
    http = build_http(settings, clock, max_attempts=1)
    respx.get(f"{V2}/serverInfo").respond(404)
    respx.get(f"{DC}/rest/api/3/serverInfo").respond(json={"deploymentType": "Cloud"})
    assert not (await http.deployment()).is_datacenter


@respx.mock
async def test_a_host_answering_neither_api_refuses_once_naming_the_host(
    dc_http: JiraHttp,
) -> None:
    v2 = respx.get(f"{V2}/serverInfo").respond(404)
    respx.get(f"{DC}/rest/api/3/serverInfo").respond(404)
    for _ in range(2):
        with pytest.raises(ConfigurationError) as caught:
            await dc_http.request("GET", Api.PLATFORM, "/myself")
        assert DC in str(caught.value) and "jiraHost" in str(caught.value)
        assert "\n" not in str(caught.value)
    assert v2.call_count == 1


@respx.mock
async def test_the_setting_overrides_detection_without_a_request(clock: FakeClock) -> None:
    http = build_http(dc_settings(jira_deployment="datacenter"), clock)
    assert (await http.deployment()).is_datacenter
    assert not respx.calls


API_TOKEN = {
    "jira_host": DC,
    "atlassian_user_email": "me@example.com",
    "atlassian_user_token": "t0k",
}


@respx.mock
@pytest.mark.parametrize(
    ("config", "deployment_type", "expected", "words"),
    [
        # a personal access token against Cloud: refused before any request with it
        ({}, "Cloud", ConfigurationError, ["Jira Cloud", "personal access token", "Email"]),
        # a Cloud API token that Data Center refuses (401)
        (API_TOKEN, "Server", JiraAuthError, ["Data Center", "API token", "personal access"]),
    ],
)
async def test_a_credential_the_deployment_does_not_take_is_one_line_naming_both(
    clock: FakeClock,
    config: dict[str, str],
    deployment_type: str,
    expected: type[Exception],
    words: list[str],
) -> None:
    settings = JiraSettings.from_config(config) if config else dc_settings()
    http = build_http(settings, clock, max_attempts=1)
    respx.get(f"{V2}/serverInfo").respond(json={"deploymentType": deployment_type})
    respx.get(f"{V2}/myself").respond(401)
    with pytest.raises(expected) as caught:
        await http.request("GET", Api.PLATFORM, "/myself")
    message = str(caught.value)
    assert all(word in message for word in words), message
    assert "\n" not in message and "t0k" not in message and "pat-SECRET" not in message


# Auth and settings


@respx.mock
async def test_username_and_password_are_sent_as_basic(clock: FakeClock) -> None:
    http = build_http(
        JiraSettings.from_config({"jira_server_host": DC, "username": "ann", "password": "pw"}),
        clock,
    )
    serve_server_info()
    route = respx.get(f"{V2}/myself").respond(json={})
    await http.request("GET", Api.PLATFORM, "/myself")
    expected = base64.b64encode(b"ann:pw").decode()
    assert route.calls.last.request.headers["Authorization"] == f"Basic {expected}"


def test_jira_server_names_are_accepted_and_a_context_path_kept() -> None:
    settings = dc_settings()
    assert settings.host == DC and settings.token == "pat-SECRET" and settings.email is None


@pytest.mark.parametrize(
    ("config", "names"),
    [
        ({"username": "ann"}, "password (OCEAN__INTEGRATION__CONFIG__PASSWORD) is missing"),
        ({"jira_deployment": "server"}, "jiraDeployment"),
    ],
)
def test_bad_data_center_settings_name_the_setting(config: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        dc_settings(**config)
    assert names in str(caught.value)


# Paging and shapes


@respx.mock
async def test_projects_are_one_unpaged_request_with_expand(dc_client: JiraClient) -> None:
    serve_server_info()
    lead = {"key": "JIRAUSER7", "name": "ann", "displayName": "Ann"}
    route = respx.get(f"{V2}/project").respond(
        json=[{"id": "1", "key": "PA", "name": "Alpha", "lead": lead}]
    )
    pages = await pages_of(dc_client.projects(expand="description,lead"))
    assert route.call_count == 1
    assert route.calls.last.request.url.params["expand"] == "description,lead"
    [[project]] = pages
    assert "accountId" not in project
    assert project["lead"] == {**lead, "accountId": "JIRAUSER7"}


@respx.mock
async def test_users_page_by_cursor_until_is_last(dc_client: JiraClient) -> None:
    serve_server_info()

    def page(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        user = {"key": cursor or "first", "name": "u", "displayName": "U"}
        if cursor is None:
            return httpx.Response(200, json={"values": [user], "nextCursor": "c2", "isLast": False})
        return httpx.Response(200, json={"values": [user], "nextCursor": "c3", "isLast": True})

    route = respx.get(f"{V2}/user/list").mock(side_effect=page)
    pages = await pages_of(dc_client.users())
    assert [u["accountId"] for p in pages for u in p] == ["first", "c2"]
    assert route.call_count == 2


@respx.mock
async def test_users_before_data_center_10_fall_back_to_the_user_search(
    dc_client: JiraClient,
) -> None:
    serve_server_info()
    respx.get(f"{V2}/user/list").respond(404)
    users = [{"key": f"k{i}", "name": f"u{i}", "displayName": "U"} for i in range(3)]

    def search(request: httpx.Request) -> httpx.Response:
        assert request.url.params["username"] == "."
        start = int(request.url.params["startAt"])
        return httpx.Response(200, json=users[start : start + 2])

    respx.get(f"{V2}/user/search").mock(side_effect=search)
    with_page_size = dc_client.users()
    found = [u["accountId"] for p in await pages_of(with_page_size) for u in p]
    assert found == ["k0", "k1", "k2"]


def _key_order(key: str) -> tuple[str, int]:
    project, number = key.rsplit("-", 1)
    return project, int(number)


def fake_search(keys: list[str], window: int, seen: list[dict[str, Any]]) -> Any:
    """A Data Center search over `keys`: refuses offsets past `window`; `key > X` compares
    within X's project, as Jira does; `project not in (...)` names projects to leave out."""

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        start, size = body["startAt"], body["maxResults"]
        if start + size > window:
            return httpx.Response(400, json={"errorMessages": ["Result window is too large"]})
        matched = sorted(keys, key=_key_order)
        after = re.search(r'key > "([^"]+)" OR project not in \(([^)]*)\)', body["jql"])
        if after:
            bound = _key_order(after.group(1))
            done = set(re.findall(r'"([^"]+)"', after.group(2)))
            matched = [
                k
                for k in matched
                if (_key_order(k)[0] == bound[0] and _key_order(k) > bound)
                or _key_order(k)[0] not in done
            ]
        issues = [{"id": str(i), "key": k, "fields": {}} for i, k in enumerate(matched)]
        return httpx.Response(
            200, json={"startAt": start, "total": len(matched), "issues": issues[start:][:size]}
        )

    return answer


@respx.mock
async def test_issues_page_by_offset_then_by_key_past_the_window(dc_http: JiraHttp) -> None:
    serve_server_info()
    keys = [f"{p}-{n}" for p in "BAC" for n in range(1, 6)]
    seen: list[dict[str, Any]] = []
    respx.post(f"{V2}/search").mock(side_effect=fake_search(keys, 4, seen))
    pages = window_pages(
        dc_http.at(Api.PLATFORM, "/search"),
        jql="project in (A, B) ORDER BY created",
        body={"fields": ["summary"]},
        page_size=2,
        window=4,
    )
    found = [i["key"] for p in await pages_of(pages) for i in p]
    assert found == sorted(keys, key=_key_order)
    # 2 a page, each offset page starting at the page before's last issue (so that a shift
    # shows): 4 new issues a window of 3 requests, the last 3 issues in 2
    assert [b["startAt"] for b in seen] == [0, 1, 2] * 3 + [0, 1]
    assert all(b["startAt"] + b["maxResults"] <= 4 for b in seen)
    assert seen[0]["jql"] == "project in (A, B) ORDER BY key ASC"
    assert seen[3]["jql"] == (
        '(project in (A, B)) AND (key > "A-4" OR project not in ("A")) ORDER BY key ASC'
    )
    assert 'key > "B-3" OR project not in ("A", "B")' in seen[6]["jql"]


@respx.mock
async def test_issue_search_asks_1000_a_page_with_the_fields_and_no_bulk_fetch(
    dc_client: JiraClient,
) -> None:
    serve_server_info()
    seen: list[dict[str, Any]] = []
    respx.post(f"{V2}/search").mock(side_effect=fake_search(["A-1", "A-2"], 10_000, seen))
    user = {"key": "JIRAUSER2", "name": "bob", "displayName": "Bob"}
    pages = await pages_of(dc_client.search_issues("project = A", ["summary", "assignee"]))
    assert [i["key"] for p in pages for i in p] == ["A-1", "A-2"]
    assert seen == [
        {
            "jql": "project = A ORDER BY key ASC",
            "fields": ["summary", "assignee"],
            "startAt": 0,
            "maxResults": 1000,
        }
    ]
    issue = {"key": "A-1", "fields": {"assignee": dict(user), "reporter": dict(user)}}
    respx.get(f"{V2}/issue/A-1").respond(json=issue)
    found = await dc_client.issue("A-1")
    assert found["fields"]["assignee"]["accountId"] == "JIRAUSER2"
    assert found["fields"]["reporter"]["name"] == "bob"


# Kinds on Data Center


@respx.mock
async def test_team_is_skipped_with_one_warning_and_no_request(
    dc_client: JiraClient, warnings: list[str]
) -> None:
    serve_server_info()
    resource = TeamResourceConfig.parse_obj(
        {"kind": "team", "selector": {"query": "true"}, "port": {"entity": {"mappings": MAP}}}
    )
    assert await pages_of(fetch_teams(dc_client, resource)) == []
    assert len(warnings) == 1 and "Teams" in warnings[0]
    assert [c.request.url.path for c in respx.calls] == ["/jira/rest/api/2/serverInfo"]


@respx.mock
async def test_issue_kind_reads_search_pages_with_the_mapped_fields_not_bulk_fetch(
    dc_client: JiraClient,
) -> None:
    serve_server_info()
    seen: list[dict[str, Any]] = []
    respx.post(f"{V2}/search").mock(side_effect=fake_search(["A-1"], 10_000, seen))
    resource = IssueResourceConfig.parse_obj(
        {
            "kind": "issue",
            "selector": {"query": "true", "jql": "project = A"},
            "port": {"entity": {"mappings": {**MAP, "title": ".fields.summary"}}},
        }
    )
    pages = await pages_of(fetch_issues(dc_client, resource))
    assert [i["key"] for p in pages for i in p] == ["A-1"]
    assert "summary" in seen[0]["fields"] and seen[0]["maxResults"] == 1000


def test_a_data_center_user_event_is_valid_and_carries_the_key_as_account_id() -> None:
    payload: dict[str, Any] = {
        "webhookEvent": "user_updated",
        "user": {"key": "JIRAUSER10100", "name": "ann.smith", "displayName": "Ann"},
    }
    assert payload_problem(payload) is None
    assert payload["user"]["accountId"] == "JIRAUSER10100"


@respx.mock
async def test_inside_the_window_pages_follow_the_servers_page_size_in_order(
    dc_http: JiraHttp,
) -> None:
    serve_server_info()
    keys = [f"A-{n}" for n in range(1, 8)]
    seen: list[dict[str, Any]] = []
    answer = fake_search(keys, 10_000, seen)

    def one_a_page(request: httpx.Request) -> httpx.Response:
        response = answer(request)
        body = response.json()
        body["issues"] = body["issues"][:1]  # the site serves fewer than asked
        return httpx.Response(200, json=body)

    respx.post(f"{V2}/search").mock(side_effect=one_a_page)
    pages = window_pages(
        dc_http.at(Api.PLATFORM, "/search"), jql="project = A", body={}, page_size=1000
    )
    assert [i["key"] for p in await pages_of(pages) for i in p] == keys
    # one a page leaves no room for the one-issue overlap that proves offset pages did not
    # shift: each page is the issue after the last one read
    assert [b["startAt"] for b in seen] == [0] * 7
    assert ['key > "A-6"' in b["jql"] for b in seen] == [False] * 6 + [True]


@respx.mock
async def test_before_data_center_10_with_a_secret_no_webhook_is_created_and_the_log_says_how(
    clock: FakeClock, warnings: list[str]
) -> None:
    respx.get(f"{V2}/serverInfo").respond(json={"deploymentType": "Server", "version": "9.12.4"})
    created = respx.post(f"{DC}/rest/webhooks/1.0/webhook").respond(json={})
    settings = dc_settings(webhook_secret="s3cret-XYZ")
    client = JiraClient(build_http(settings, clock, max_attempts=1))
    keeper = await start_live_events(
        lambda: client, settings, base_url="https://ocean.example.com", identifier="jira"
    )
    assert keeper is None and not created.called
    [warning] = warnings
    assert "cannot sign" in warning and "integration/webhook?secret=<webhookSecret>" in warning
    assert "s3cret-XYZ" not in warning


@respx.mock
async def test_the_bulk_fetch_on_data_center_is_a_search_then_one_read_each_when_one_is_gone(
    dc_client: JiraClient,
) -> None:
    serve_server_info()
    search = respx.post(f"{V2}/search").mock(
        side_effect=[
            httpx.Response(200, json={"total": 1, "issues": [{"id": "1", "key": "A-1"}]}),
            httpx.Response(400, json={"errorMessages": ["An issue with key '3' does not exist"]}),
        ]
    )
    assert [i["key"] for i in await dc_client.bulkfetch_issues(["1"], ["updated"])] == ["A-1"]
    assert json.loads(search.calls[0].request.content)["jql"] == "issue in (1) ORDER BY key ASC"
    respx.get(f"{V2}/issue/1").respond(json={"id": "1", "key": "A-1"})
    respx.get(f"{V2}/issue/3").respond(404)
    found = await dc_client.bulkfetch_issues(["1", "3"], ["updated"])
    assert [i["key"] for i in found] == ["A-1"]
    assert not [c for c in respx.calls if "bulkfetch" in str(c.request.url)]


@pytest.mark.parametrize("cap", [100, 1000])
@respx.mock
async def test_a_user_search_that_stops_at_its_cap_fails_the_kind(
    dc_client: JiraClient, cap: int
) -> None:
    """Jira 10's /user/search lists only its first 100 users, whatever startAt says
    (JRASERVER-78660, JRASERVER-78520); before 10 its first 1000 (JRASERVER-65089). Without
    /user/list (Data Center 10.3+) a list that ends right at a cap may hide the rest: the user
    kind fails, so no user is deleted from Port, instead of taking the cap for all."""
    serve_server_info()
    respx.get(f"{V2}/user/list").respond(404)
    users = [{"key": f"k{i}", "name": f"u{i}", "displayName": "U"} for i in range(cap + 50)]

    def capped(request: httpx.Request) -> httpx.Response:
        start, size = int(request.url.params["startAt"]), int(request.url.params["maxResults"])
        return httpx.Response(200, json=users[:cap][start : start + min(size, cap)])

    respx.get(f"{V2}/user/search").mock(side_effect=capped)
    with pytest.raises(JiraError) as failure:
        await pages_of(dc_client.users())
    assert str(failure.value) == (
        f"Jira {DC}/rest/api/2/user/search listed exactly {cap} users, the most it lists "
        "(it has no /rest/api/2/user/list before Data Center 10.3): more may exist, so the "
        "user kind fails rather than delete the users it could not list; upgrade to Data "
        "Center 10.3 or later to sync users"
    )


@respx.mock
async def test_issue_pages_take_the_bulk_slots_and_a_live_search_does_not(
    dc_client: JiraClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data Center's 1000-issue search pages are bulk reads (seconds each); a live event's
    search for one issue keeps to the shared slots, never behind them."""
    serve_server_info()
    respx.post(f"{V2}/search").mock(side_effect=fake_search(["A-1", "A-2"], 10_000, []))
    taken: list[bool] = []
    slot = dc_client.http.limiter.slot

    def recording(endpoint: str, bulk: bool = False) -> Any:
        if endpoint.endswith("/search"):
            taken.append(bulk)
        return slot(endpoint, bulk)

    monkeypatch.setattr(dc_client.http.limiter, "slot", recording)
    await pages_of(dc_client.search_issues("project = A", ["summary"]))
    assert taken == [True]
    await dc_client.find_issues("key = A-1", ["summary"])
    assert taken == [True, False]
