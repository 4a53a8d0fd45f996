"""Processes of one integration registering its Jira webhook at the same moment (replicas of a
Deployment starting together): however their requests to Jira interleave, exactly one webhook
of the integration remains, the one with the lowest id, and no other webhook is touched.

Jira here is a store that keeps every create (Jira merges nothing) and serves one request at a
time, in the order a scheduler picks among the processes waiting for an answer: the named
interleavings below, and any interleaving hypothesis draws."""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jira.client import JiraClient
from jira.settings import JiraSettings
from jira.webhooks.registration import (
    DYNAMIC_JQL_FILTER,
    Report,
    admin_events,
    dynamic_events,
    ensure_admin_webhook,
    ensure_dynamic_webhook,
)
from tests.builders import SITE, json_response
from tests.conftest import FakeClock, build_http

URL = "https://ocean.example.com/integration/webhook"
NAME = "jira-test-Port-Ocean-Events-Webhook"
ADMIN_HOOKS = f"{SITE}/rest/webhooks/1.0/webhook"
PERMS = f"{SITE}/rest/api/3/mypermissions"
GATEWAY = "https://api.atlassian.com/ex/jira/cloud-1"
DYNAMIC = f"{GATEWAY}/rest/api/3/webhook"
# Webhooks that are not this integration's: another integration's, and ours on an old URL.
FOREIGN = [
    {"name": "other-Port-Ocean-Events-Webhook", "url": "https://other.example.com/hook"},
    {"name": NAME, "url": "https://old.example.com/integration/webhook"},
]
PROPERTIES = settings(
    max_examples=60,
    deadline=None,  # 2 shared cores: no timing in tests
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Any number of processes, any order of their requests, ids in any order of their creates.
RACES = given(
    count=st.integers(min_value=2, max_value=4),
    picks=st.lists(st.integers(min_value=0, max_value=3), max_size=60),
    ids=st.permutations(range(10, 30)),
)
OAUTH = JiraSettings.from_config(
    {"jira_host": GATEWAY, "atlassian_user_token": "oauth-tok"}, oauth=True
)

PROCESS: contextvars.ContextVar[int] = contextvars.ContextVar("process")
Chooser = Callable[[list[tuple[int, str]]], int]


class RacingJira:
    """Jira's webhooks, served one request at a time to whichever waiting process `choose`
    (given the waiting `(process, request)` pairs) picks. `ids` hands out webhook ids, as
    Jira does: unique, but not necessarily in the order the creates commit."""

    def __init__(self, ids: Iterator[int]) -> None:
        self.ids = ids
        self.hooks: dict[int, dict[str, Any]] = {}
        self.added: list[int] = []
        self.waiting: dict[int, tuple[str, asyncio.Future[None]]] = {}
        self.served: list[tuple[int, str]] = []

    async def turn(self, request: httpx.Request) -> None:
        what = f"{request.method} {request.url.path.rsplit('/', 1)[-1]}"
        future = asyncio.get_running_loop().create_future()
        self.waiting[PROCESS.get()] = (what, future)
        await future
        self.served.append((PROCESS.get(), what))

    def add(self, hook: dict[str, Any]) -> int:
        hook_id = next(self.ids)
        self.hooks[hook_id] = hook
        self.added.append(hook_id)
        return hook_id

    async def run(self, processes: list[Callable[[], Any]], choose: Chooser) -> list[Any]:
        """Runs each process in its own task; releases one waiting request at a time."""
        tasks = []
        for number, process in enumerate(processes):
            context = contextvars.copy_context()
            context.run(PROCESS.set, number)
            tasks.append(asyncio.create_task(process(), context=context))
        while not all(task.done() for task in tasks):
            for _ in range(10_000):  # let every running process reach Jira or finish
                if all(task.done() or n in self.waiting for n, task in enumerate(tasks)):
                    break
                await asyncio.sleep(0)
            else:
                raise AssertionError("a process neither finished nor asked Jira")
            if self.waiting:
                pending = sorted((n, what) for n, (what, _) in self.waiting.items())
                number = pending[choose(pending) % len(pending)][0]
                self.waiting.pop(number)[1].set_result(None)
        return [task.result() for task in tasks]


# --- admin webhooks (API-token installs) ---------------------------------------------------------


def admin_routes(jira: RacingJira) -> None:
    def as_listed(hook_id: int, hook: dict[str, Any]) -> dict[str, Any]:
        return {**hook, "self": f"{ADMIN_HOOKS}/{hook_id}"}

    async def listing(request: httpx.Request) -> httpx.Response:
        await jira.turn(request)
        return json_response([as_listed(i, h) for i, h in sorted(jira.hooks.items())])

    async def create(request: httpx.Request) -> httpx.Response:
        await jira.turn(request)
        body = json.loads(request.content)
        hook_id = jira.add({**body, "enabled": True})
        return json_response(as_listed(hook_id, jira.hooks[hook_id]), status=201)

    async def delete(request: httpx.Request) -> httpx.Response:
        await jira.turn(request)
        hook_id = int(request.url.path.rsplit("/", 1)[-1])
        if jira.hooks.pop(hook_id, None) is None:
            return json_response({"errorMessages": [f"Webhook {hook_id} not found."]}, 404)
        return httpx.Response(204)

    respx.get(PERMS).mock(
        return_value=json_response({"permissions": {"ADMINISTER": {"havePermission": True}}})
    )
    respx.get(ADMIN_HOOKS).mock(side_effect=listing)
    respx.post(ADMIN_HOOKS).mock(side_effect=create)
    respx.delete(url__regex=rf"{ADMIN_HOOKS}/\d+").mock(side_effect=delete)


@asynccontextmanager
async def clients(count: int, settings: JiraSettings) -> AsyncIterator[list[JiraClient]]:
    """One Jira client per process (each process has its own connections and limits)."""
    https = [build_http(settings, FakeClock()) for _ in range(count)]
    try:
        yield [JiraClient(http) for http in https]
    finally:
        for http in https:
            await http.aclose()


def admin_registration(client: JiraClient) -> Awaitable[Report]:
    return ensure_admin_webhook(client, url=URL, name=NAME, secret=None)


def dynamic_registration(client: JiraClient) -> Awaitable[Report]:
    return ensure_dynamic_webhook(client, url=URL)


async def register_together(
    jira: RacingJira,
    count: int,
    choose: Chooser,
    settings: JiraSettings,
    register: Callable[[JiraClient], Awaitable[Report]] = admin_registration,
) -> list[Report]:
    """`count` processes, each with its own client, registering through `jira`."""
    async with clients(count, settings) as jira_clients:

        def process(client: JiraClient) -> Callable[[], Awaitable[Report]]:
            return lambda: register(client)

        reports: list[Report] = await jira.run([process(c) for c in jira_clients], choose)
        return reports


def ours(jira: RacingJira) -> list[int]:
    return sorted(i for i, h in jira.hooks.items() if h["url"] == URL)


def in_order(*script: tuple[int, str]) -> Chooser:
    """Serves the scripted (process, request) pairs in this order; then the lowest process."""
    steps = list(script)

    def choose(pending: list[tuple[int, str]]) -> int:
        if steps and steps[0] in pending:
            return pending.index(steps.pop(0))
        assert not steps, f"the script expected {steps[0]}, the processes wait for {pending}"
        return 0

    return choose


LIST, CREATE = "GET webhook", "POST webhook"


@respx.mock
async def test_both_create_then_both_list_one_remains_the_lower_id(
    basic_settings: JiraSettings, infos: list[str], warnings: list[str]
) -> None:
    jira = RacingJira(iter(range(1, 100)))
    admin_routes(jira)
    script = in_order((0, LIST), (1, LIST), (0, CREATE), (1, CREATE), (0, LIST), (1, LIST))
    reports = await register_together(jira, 2, script, basic_settings)
    assert ours(jira) == [1]
    # both removed the copy; one was answered 204, the other 404 (already gone): no warning
    assert [r.removed for r in reports] == [["2"], ["2"]]
    assert ("DELETE 2" in [what for _, what in jira.served]) and warnings == []
    assert any("registered 2 times" in line and "kept id 1" in line for line in infos)
    assert sum("created Jira webhook" in line for line in infos) == 1  # process 0's, id 1
    assert sum("using existing Jira webhook" in line and "(id 1)" in line for line in infos) == 1


@respx.mock
async def test_a_create_that_commits_late_with_a_lower_id_still_leaves_one(
    basic_settings: JiraSettings,
) -> None:
    """Process 1 creates (id 9) and lists before process 0's create (id 4) is there: it keeps
    9; process 0 then sees both, keeps 4 and removes 9."""
    jira = RacingJira(iter([9, 4]))
    admin_routes(jira)
    script = in_order((0, LIST), (1, LIST), (1, CREATE), (1, LIST), (0, CREATE), (0, LIST))
    await register_together(jira, 2, script, basic_settings)
    assert ours(jira) == [4]


@respx.mock
async def test_copies_left_by_an_earlier_start_are_removed_by_the_next_start(
    basic_settings: JiraSettings,
) -> None:
    jira = RacingJira(iter(range(1, 100)))
    admin_routes(jira)
    for _ in range(3):
        jira.add({"name": NAME, "url": URL, "events": admin_events(), "enabled": True})
    await register_together(jira, 1, in_order(), basic_settings)
    assert ours(jira) == [1]
    assert [what for _, what in jira.served] == [LIST, "DELETE 2", "DELETE 3"]


@respx.mock
async def test_a_webhook_to_our_url_under_another_name_is_never_removed(
    basic_settings: JiraSettings, warnings: list[str]
) -> None:
    """Somebody made it by hand: reported, left for a person to delete."""
    jira = RacingJira(iter(range(1, 100)))
    admin_routes(jira)
    jira.add({"name": "made by hand", "url": URL, "events": admin_events(), "enabled": True})
    jira.add({"name": NAME, "url": URL, "events": admin_events(), "enabled": True})
    await register_together(jira, 1, in_order(), basic_settings)
    assert ours(jira) == [1, 2]
    assert len(warnings) == 1 and "2 Jira webhooks (ids 1, 2)" in warnings[0]


@PROPERTIES
@RACES
async def test_any_interleaving_leaves_exactly_one_and_nothing_else_is_touched(
    count: int, picks: list[int], ids: list[int], basic_settings: JiraSettings
) -> None:
    jira = RacingJira(iter(ids))
    foreign = {jira.add({**hook, "events": ["user_created"]}): hook for hook in FOREIGN}
    choices = iter(picks)
    with respx.mock:
        admin_routes(jira)
        await register_together(jira, count, lambda _: next(choices, 0), basic_settings)
    (kept,) = ours(jira)
    assert kept == min(i for i in jira.added if i not in foreign)  # never removed by anyone
    assert {i: {k: jira.hooks[i][k] for k in ("name", "url")} for i in foreign} == foreign


# --- dynamic webhooks (OAuth installs) ------------------------------------------------------------


def dynamic_routes(jira: RacingJira) -> None:
    async def listing(request: httpx.Request) -> httpx.Response:
        await jira.turn(request)
        values = [{**h, "id": i} for i, h in sorted(jira.hooks.items())]
        return json_response({"values": values, "startAt": 0, "total": len(values), "isLast": True})

    async def register(request: httpx.Request) -> httpx.Response:
        await jira.turn(request)
        body = json.loads(request.content)
        results = [
            {"createdWebhookId": jira.add({**hook, "url": body["url"]})}
            for hook in body["webhooks"]
        ]
        return json_response({"webhookRegistrationResult": results})

    async def delete(request: httpx.Request) -> httpx.Response:
        await jira.turn(request)
        for hook_id in json.loads(request.content)["webhookIds"]:
            jira.hooks.pop(hook_id, None)  # Jira ignores ids that are not there
        return httpx.Response(202)

    respx.get(DYNAMIC).mock(side_effect=listing)
    respx.post(DYNAMIC).mock(side_effect=register)
    respx.delete(DYNAMIC).mock(side_effect=delete)
    respx.put(f"{DYNAMIC}/refresh").mock(
        return_value=json_response({"expirationDate": "2027-01-06T00:00:00.000+0000"})
    )


@PROPERTIES
@RACES
async def test_oauth_any_interleaving_leaves_one_dynamic_webhook(
    count: int, picks: list[int], ids: list[int]
) -> None:
    jira = RacingJira(iter(ids))
    choices = iter(picks)
    with respx.mock:
        dynamic_routes(jira)
        reports = await register_together(
            jira, count, lambda _: next(choices, 0), OAUTH, dynamic_registration
        )
    (kept,) = jira.hooks
    assert jira.hooks[kept]["events"] == dynamic_events()
    assert jira.hooks[kept]["jqlFilter"] == DYNAMIC_JQL_FILTER
    assert kept == min(jira.added)
    assert any(kept in report.webhook_ids for report in reports)  # refreshed: it won't expire


@respx.mock
async def test_oauth_a_webhook_with_other_events_is_not_a_copy() -> None:
    """Only the same URL, events and filter make a copy: a webhook for other events stays."""
    jira = RacingJira(iter(range(1, 100)))
    dynamic_routes(jira)
    jira.add({"url": URL, "events": ["jira:issue_created"], "jqlFilter": DYNAMIC_JQL_FILTER})
    jira.add({"url": URL, "events": dynamic_events(), "jqlFilter": DYNAMIC_JQL_FILTER})
    jira.add({"url": URL, "events": dynamic_events(), "jqlFilter": DYNAMIC_JQL_FILTER})
    (report,) = await register_together(jira, 1, in_order(), OAUTH, dynamic_registration)
    assert sorted(jira.hooks) == [1, 2]
    assert report.removed == ["3"] and report.webhook_ids == [1, 2]


# --- a copy Jira will not delete ----------------------------------------------------------------


@respx.mock
async def test_a_copy_jira_will_not_delete_is_one_warning_naming_it(
    client: JiraClient, warnings: list[str]
) -> None:
    respx.get(PERMS).mock(
        return_value=json_response({"permissions": {"ADMINISTER": {"havePermission": True}}})
    )
    copy = {"name": NAME, "url": URL, "events": admin_events(), "enabled": True}
    respx.get(ADMIN_HOOKS).mock(
        return_value=json_response(
            [{**copy, "self": f"{ADMIN_HOOKS}/7"}, {**copy, "self": f"{ADMIN_HOOKS}/8"}]
        )
    )
    respx.delete(f"{ADMIN_HOOKS}/8").mock(
        return_value=json_response({"errorMessages": ["Not allowed"]}, status=403)
    )
    report = await ensure_admin_webhook(client, url=URL, name=NAME, secret=None)
    assert report.removed == []
    (copy_warning, several) = warnings
    assert "could not delete Jira webhook" in copy_warning and "(id 8)" in copy_warning
    assert "Not allowed" in copy_warning and "System → WebHooks" in copy_warning
    assert "2 Jira webhooks (ids 7, 8)" in several


@respx.mock
async def test_oauth_a_copy_jira_will_not_delete_is_left_to_expire(
    warnings: list[str],
) -> None:
    hook = {"url": URL, "events": dynamic_events(), "jqlFilter": DYNAMIC_JQL_FILTER}
    values = [{**hook, "id": 10}, {**hook, "id": 11}]
    respx.get(DYNAMIC).mock(
        return_value=json_response({"values": values, "startAt": 0, "total": 2, "isLast": True})
    )
    respx.delete(DYNAMIC).mock(
        return_value=json_response({"errorMessages": ["The caller isn't an app."]}, status=403)
    )
    refresh = respx.put(f"{DYNAMIC}/refresh").mock(return_value=json_response({}))
    async with clients(1, OAUTH) as (client,):
        report = await ensure_dynamic_webhook(client, url=URL)
    assert json.loads(refresh.calls.last.request.content) == {"webhookIds": [10]}
    assert report.webhook_ids == [10] and report.removed == []
    assert len(warnings) == 1 and "could not delete Jira dynamic webhook(s) [11]" in warnings[0]
    assert "isn't an app" in warnings[0]
