"""The checks behind the probe and a ONCE run's fail-fast start: each failure names its fix."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from unittest.mock import patch

import httpx
import pytest
import respx
from port_ocean.core.handlers.port_app_config.models import ResourceConfig

from jira.check import Check, Status
from jira.checks import JiraChecks, base_url_check, port_credentials
from jira.client import JiraClient
from jira.kinds import KINDS
from jira.mapping_checks import jq_checks
from jira.permissions import KIND_PERMISSIONS, LIVE_KINDS
from jira.selectors import JiraPortAppConfig
from jira.settings import JiraSettings
from tests.builders import SITE, resource
from tests.conftest import FakeClock, build_http

ME = {"accountId": "5b10", "displayName": "Demo User", "emailAddress": "me@example.com"}
SERVER = {"deploymentType": "Cloud", "version": "1001.0.0", "baseUrl": SITE}
ORG = "org-1"


PROJECTS = ["OPS", "SEC"]


def permissions_answer(
    request: httpx.Request, denied: frozenset[str], hidden: frozenset[str]
) -> httpx.Response:
    keys = request.url.params["permissions"].split(",")
    project = request.url.params.get("projectKey")
    granted = {key: {"havePermission": key not in denied and project not in hidden} for key in keys}
    return httpx.Response(200, json={"permissions": granted})


def permitted_answer(
    request: httpx.Request, projects: list[str], denied: frozenset[str], hidden: frozenset[str]
) -> httpx.Response:
    """POST /permissions/project: the projects where every permission asked is held."""
    keys = json.loads(request.content)["permissions"]
    if denied & set(keys):
        return httpx.Response(200, json={"projects": []})
    permitted = [key for key in projects if key not in hidden]
    return httpx.Response(
        200, json={"projects": [{"id": 10000 + i, "key": k} for i, k in enumerate(permitted)]}
    )


def mock_jira(
    *,
    denied: frozenset[str] = frozenset(),
    hidden: frozenset[str] = frozenset(),
    jql_errors: dict[str, list[str]] | None = None,
    teams_status: int = 200,
    projects: list[str] = PROJECTS,
) -> dict[str, respx.Route]:
    errors = jql_errors or {}

    def parse(request: httpx.Request) -> httpx.Response:
        queries = json.loads(request.content)["queries"]
        return httpx.Response(
            200,
            json={"queries": [{"query": q, "errors": errors.get(q, [])} for q in queries]},
        )

    listed = {"values": [{"key": key} for key in projects[:50]], "isLast": len(projects) <= 50}
    return {
        "server": respx.get(f"{SITE}/rest/api/3/serverInfo").respond(json=SERVER),
        "myself": respx.get(f"{SITE}/rest/api/3/myself").respond(json=ME),
        "permissions": respx.get(f"{SITE}/rest/api/3/mypermissions").mock(
            side_effect=lambda r: permissions_answer(r, denied, hidden)
        ),
        "permitted": respx.post(f"{SITE}/rest/api/3/permissions/project").mock(
            side_effect=lambda r: permitted_answer(r, projects, denied, hidden)
        ),
        "projects": respx.get(f"{SITE}/rest/api/3/project/search").respond(json=listed),
        "teams": respx.get(url__regex=rf"{SITE}/gateway/api/public/teams/v1/org/.*/teams").respond(
            teams_status, json={"entities": [], "cursor": None}
        ),
        "parse": respx.post(f"{SITE}/rest/api/3/jql/parse").mock(side_effect=parse),
    }


def jira_client(clock: FakeClock, **config: Any) -> JiraClient:
    settings = JiraSettings.from_config(
        {
            "jira_host": SITE,
            "atlassian_user_email": "me@example.com",
            "atlassian_user_token": "tok-SECRET",
            **config,
        }
    )
    return JiraClient(build_http(settings, clock, max_attempts=2))


async def run(
    clock: FakeClock,
    resources: list[ResourceConfig],
    webhooks: bool = False,
    diagnose: bool = True,
    **config: Any,
) -> list[Check]:
    client = jira_client(clock, **config)
    try:
        checks = JiraChecks(client, resources, webhooks=webhooks, diagnose=diagnose)
        return await checks.run()
    finally:
        await client.http.aclose()


def failed_lines(checks: list[Check]) -> list[str]:
    return [check.line() for check in checks if check.failed]


def warned(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks if check.status is Status.WARN}


DEFAULT_KINDS = ["user", "team", "project", "release", "component", "board", "sprint", "epic"]


def default_mapping() -> list[ResourceConfig]:
    """The kinds of the default mapping (integrations/jira/.port/resources), issue with JQL."""
    return [resource(kind) for kind in DEFAULT_KINDS] + [resource("issue", jql="project = OPS")]


@respx.mock
async def test_everything_passes_and_says_who_and_what(clock: FakeClock) -> None:
    mock_jira()
    checks = await run(
        clock,
        [resource("project"), resource("issue"), resource("team")],
        atlassian_organization_id=ORG,
    )
    assert failed_lines(checks) == [] and warned(checks) == {}
    lines = "\n".join(check.line() for check in checks)
    assert "Jira Cloud 1001.0.0" in lines
    assert "Demo User (5b10, me@example.com)" in lines
    assert "[ok] Permissions of kind team: granted: TEAMS_API" in lines
    assert "[ok] Projects: the user may browse 2 project(s)" in lines
    assert "[ok] JQL of kind issue (resource 2) selector.jql: parses" in lines


@pytest.mark.parametrize("organization", [ORG, None])
@respx.mock
async def test_a_once_run_checks_in_at_most_five_requests_whatever_the_projects(
    clock: FakeClock, organization: str | None
) -> None:
    """Browse projects on every project in one request, and nothing only the probe needs."""
    routes = mock_jira(projects=[f"P{n}" for n in range(120)], hidden=frozenset({"P7"}))
    checks = await run(
        clock, default_mapping(), diagnose=False, atlassian_organization_id=organization
    )
    assert failed_lines(checks) == []
    assert sum(route.call_count for route in routes.values()) <= 5
    assert routes["permitted"].call_count == 1 and routes["permissions"].call_count == 1
    asked = routes["permissions"].calls.last.request.url.params["permissions"]
    assert asked == "USER_PICKER"  # Browse projects is asked of every project at once
    assert not routes["myself"].called and not routes["projects"].called
    assert any(c.line() == "[ok] Projects: the user may browse 119 project(s)" for c in checks)
    assert routes["teams"].called is (organization is not None)


@respx.mock
async def test_wrong_token_stops_at_the_credentials_with_the_settings_to_fix(
    clock: FakeClock,
) -> None:
    routes = mock_jira()
    respx.get(f"{SITE}/rest/api/3/myself").respond(401, json={"errorMessages": ["nope"]})
    checks = await run(clock, [resource("issue")])
    assert [c.status for c in checks] == [Status.OK, Status.FAIL]
    assert "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN" in checks[-1].message
    assert "tok-SECRET" not in checks[-1].line()
    assert not routes["permissions"].called  # nothing else is tried with refused credentials


@respx.mock
async def test_without_myself_the_first_refused_request_names_the_credentials(
    clock: FakeClock,
) -> None:
    routes = mock_jira()
    respx.get(f"{SITE}/rest/api/3/mypermissions").respond(401, json={"errorMessages": ["no"]})
    checks = await run(clock, default_mapping(), diagnose=False)
    assert failed_lines(checks) == [
        f"[FAIL] Jira credentials: {SITE} refused the credentials (401 to GET "
        "/rest/api/3/mypermissions): check atlassianUserEmail "
        "(OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL) and atlassianUserToken "
        "(OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN): the token must belong to that "
        "email and not be revoked"
    ]
    # The checks' requests are in flight together (they overlap the start-up): the refusal
    # ends them with this one line, whatever the others answered.
    assert checks[-1].name == "Jira credentials"
    assert [c.name for c in checks] == ["Jira host", "Jira credentials"]
    assert routes["permitted"].called and routes["parse"].called


@respx.mock
async def test_the_checks_requests_are_in_flight_together(clock: FakeClock) -> None:
    """Each answer takes a while: the permission, project, Teams and JQL requests all start
    before the first of them is answered, so the checks cost one round trip, not four."""
    mock_jira()
    started: list[str] = []
    answered = asyncio.Event()
    real_send = httpx.AsyncClient.send

    wanted = {"mypermissions", "project", "teams", "parse"}

    async def slow_send(self: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> Any:
        name = request.url.path.rsplit("/", 1)[-1]
        started.append(name)
        if name in wanted:
            if wanted <= set(started):
                answered.set()
            # sequential checks would wait here for a request that is never made
            await asyncio.wait_for(answered.wait(), timeout=10)
        return await real_send(self, request, **kw)

    with patch.object(httpx.AsyncClient, "send", slow_send):
        checks = await run(clock, default_mapping(), diagnose=False, atlassian_organization_id=ORG)
    assert not [c for c in checks if c.failed]
    assert wanted <= set(started)


@respx.mock
async def test_an_unreachable_host_names_jira_host(clock: FakeClock) -> None:
    respx.get(f"{SITE}/rest/api/3/serverInfo").mock(side_effect=httpx.ConnectError("refused"))
    checks = await run(clock, [resource("issue")])
    assert len(checks) == 1 and checks[0].failed
    assert "did not answer" in checks[0].message and "jiraHost" in checks[0].message


@respx.mock
async def test_a_listed_project_the_user_cannot_browse_is_a_warning_with_its_key(
    clock: FakeClock,
) -> None:
    """The resync lists it and reads nothing of it: it does not fail, so neither do the checks."""
    routes = mock_jira(hidden=frozenset({"SEC"}))
    checks = await run(clock, [resource("project"), resource("release"), resource("user")])
    assert failed_lines(checks) == []
    hidden = warned(checks)["Project SEC"]
    assert hidden.scope == {"project": "SEC"}
    assert hidden.kinds == ("project", "release")  # the user kind does not read per project
    assert "Browse projects in SEC's permission scheme" in hidden.message
    assert routes["permitted"].call_count == 1
    assert all(r.url.params.get("projectKey") is None for r, _ in routes["permissions"].calls)


@respx.mock
async def test_browsing_no_project_at_all_warns_that_the_kinds_read_nothing(
    clock: FakeClock,
) -> None:
    mock_jira(denied=frozenset({"BROWSE_PROJECTS"}))
    checks = await run(clock, [resource("issue"), resource("user")], diagnose=False)
    assert failed_lines(checks) == []
    assert warned(checks)["Permissions of kind issue"].message == (
        "missing Browse projects: grant it to the Jira user in the projects' permission scheme "
        "(Project settings → Permissions); until then the user may browse no project, so the "
        "kind reads nothing"
    )


@respx.mock
async def test_a_missing_global_permission_fails_only_the_kinds_that_need_it(
    clock: FakeClock,
) -> None:
    mock_jira(denied=frozenset({"USER_PICKER"}))
    checks = await run(clock, [resource("user"), resource("project")])
    assert failed_lines(checks) == [
        "[FAIL] Permissions of kind user: missing Browse users and groups: grant it to the Jira "
        "user (Settings → System → Global permissions)"
    ]


@respx.mock
async def test_live_events_without_administer_warn_and_only_for_live_kinds(
    clock: FakeClock,
) -> None:
    """Webhook registration warns without ADMINISTER and the resyncs run: not a failure."""
    mock_jira(denied=frozenset({"ADMINISTER"}))
    checks = await run(clock, [resource("issue"), resource("epic")], webhooks=True)
    assert failed_lines(checks) == []
    [warning] = warned(checks).values()
    assert warning.kinds == ("issue",) and "ADMINISTER" in warning.message
    assert warning.message.endswith("until then only resyncs update Port")


@pytest.mark.parametrize("diagnose", [True, False])
@respx.mock
async def test_team_kind_without_organization_id_is_skipped_with_the_setting_named(
    clock: FakeClock, diagnose: bool
) -> None:
    routes = mock_jira()
    checks = await run(clock, [resource("team"), resource("user")], diagnose=diagnose)
    assert failed_lines(checks) == []
    team = warned(checks)["Permissions of kind team"]
    assert team.message.startswith("skipped: set atlassianOrganizationId")
    assert "OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID" in team.message
    assert team.resync_warns  # logged as info: the resync's own skip is the one warning
    assert not routes["teams"].called


@respx.mock
async def test_teams_api_refusing_the_organization_fails_the_team_kind(clock: FakeClock) -> None:
    mock_jira(teams_status=403)
    checks = await run(clock, [resource("team")], atlassian_organization_id=ORG)
    [failed] = [c for c in checks if c.failed]
    assert "Teams API" in failed.message and "ATLASSIAN_ORGANIZATION_ID" not in failed.message


@respx.mock
async def test_data_center_asks_browse_projects_with_the_global_permissions(
    clock: FakeClock,
) -> None:
    """Data Center has no POST /permissions/project, and lists only projects the user browses."""
    dc = "https://jira.example.com"
    respx.get(f"{dc}/rest/api/2/serverInfo").respond(
        json={"deploymentType": "Server", "version": "10.3.1"}
    )
    asked = respx.get(f"{dc}/rest/api/2/mypermissions").mock(
        side_effect=lambda r: permissions_answer(r, frozenset(), frozenset())
    )
    respx.post(f"{dc}/rest/api/2/jql/parse").respond(json={"queries": [{"errors": []}]})
    settings = JiraSettings.from_config({"jira_server_host": dc, "token": "pat-SECRET"})
    client = JiraClient(build_http(settings, clock, max_attempts=2))
    try:
        resources = [resource("issue", jql="project = OPS"), resource("user"), resource("team")]
        checks = await JiraChecks(client, resources, webhooks=False, diagnose=False).run()
    finally:
        await client.http.aclose()
    assert failed_lines(checks) == []
    assert asked.call_count == 1
    assert asked.calls.last.request.url.params["permissions"] == "BROWSE_PROJECTS,USER_PICKER"
    assert warned(checks)["Permissions of kind team"].message.startswith("skipped: ")


@respx.mock
async def test_invalid_jql_fails_with_jiras_reason(clock: FakeClock) -> None:
    bad = "project = OPS AND statuz = Done"
    mock_jira(jql_errors={bad: ["Field 'statuz' does not exist or you do not have permission."]})
    checks = await run(clock, [resource("issue", jql=bad), resource("comment")])
    assert failed_lines(checks) == [
        "[FAIL] JQL of kind issue (resource 1) selector.jql: 'project = OPS AND statuz = Done' "
        "does not parse: Field 'statuz' does not exist or you do not have permission.; fix it "
        "in the mapping"
    ]


@respx.mock
async def test_a_jira_without_jql_parse_warns_instead_of_failing(clock: FakeClock) -> None:
    mock_jira()
    respx.post(f"{SITE}/rest/api/3/jql/parse").respond(404)
    checks = await run(clock, [resource("issue")])
    assert failed_lines(checks) == []
    assert any(c.status is Status.WARN and c.name == "JQL" for c in checks)


def mapped(**mappings: Any) -> ResourceConfig:
    config = {
        "kind": "issue",
        "selector": {"query": "true"},
        "port": {
            "entity": {"mappings": {"identifier": ".key", "blueprint": '"jiraIssue"', **mappings}}
        },
    }
    parsed: ResourceConfig = JiraPortAppConfig.parse_obj({"resources": [config]}).resources[0]
    return parsed


def test_a_property_that_does_not_compile_warns_naming_where_it_is() -> None:
    """Ocean maps it to null and upserts the entities without it: the resync goes on."""
    [check] = jq_checks([mapped(properties={"status": ".fields.status.name |", "ok": ".id"})])
    assert check.status is Status.WARN
    assert "port.entity.mappings.properties.status = '.fields.status.name |'" in check.message
    assert check.message.endswith("(until then Port gets those fields empty)")
    assert "properties.ok" not in check.message


@pytest.mark.parametrize("place", ["identifier", "blueprint"])
def test_an_identifier_or_blueprint_that_does_not_compile_fails(place: str) -> None:
    """No entity of the resource could be made."""
    [check] = jq_checks([mapped(**{place: ".key |"}, properties={"status": ".x |"})])
    assert check.failed
    assert f"port.entity.mappings.{place} = '.key |'" in check.message


def test_jq_inside_search_relations_is_checked() -> None:
    relation = {
        "combinator": "and",
        "rules": [{"property": "$title", "operator": "=", "value": ".["}],
    }
    [check] = jq_checks([mapped(relations={"project": relation})])
    assert "relations.project.rules[0].value" in check.message


def test_valid_jq_passes() -> None:
    [check] = jq_checks([mapped(title=".fields.summary", relations={"p": ".fields.project.key"})])
    assert check.status is Status.OK


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("https://jira.example.com", Status.OK),
        ("jira.example.com", Status.WARN),  # the resyncs run; Jira gets no webhook address
        ("ftp://jira.example.com", Status.WARN),
        (None, Status.WARN),
    ],
)
def test_base_url_should_be_absolute_http_when_live_events_are_on(
    url: str | None, status: Status
) -> None:
    check = base_url_check(url, live_events=True)
    assert check is not None and check.status is status
    assert base_url_check(url, live_events=False) is None


@respx.mock
async def test_port_rejecting_the_secret_names_both_variables() -> None:
    respx.post("https://port.test/v1/auth/access_token").respond(
        401, json={"error": "unauthorized"}
    )
    check = await port_credentials("https://port.test", "id", "wrong-SECRET")
    assert check.failed
    assert "Port rejected OCEAN__PORT__CLIENT_ID/OCEAN__PORT__CLIENT_SECRET" in check.message
    assert "wrong-SECRET" not in check.line()


@respx.mock
async def test_port_accepting_the_secret_passes_and_a_5xx_is_left_to_oceans_retries() -> None:
    route = respx.post("https://port.test/v1/auth/access_token")
    route.respond(200, json={"accessToken": "t", "expiresIn": 60, "tokenType": "Bearer"})
    assert (await port_credentials("https://port.test", "id", "s")).status is Status.OK
    route.respond(503)
    assert (await port_credentials("https://port.test", "id", "s")).status is Status.WARN


def test_every_kind_declares_its_permissions_and_live_kinds_come_from_the_table() -> None:
    assert set(KIND_PERMISSIONS) == {kind.name for kind in KINDS}
    assert {kind.name for kind in KINDS if kind.live} == LIVE_KINDS


@respx.mock
async def test_jira_failing_midway_is_a_failed_check_not_a_crash(clock: FakeClock) -> None:
    mock_jira()
    respx.post(f"{SITE}/rest/api/3/permissions/project").respond(503)
    checks = await run(clock, [resource("issue")])
    assert failed_lines(checks) == [
        "[FAIL] Jira: the checks could not finish: Jira POST /rest/api/3/permissions/project "
        "failed 2 times (last: HTTP 503)"
    ]


@respx.mock
async def test_a_refused_scope_midway_is_a_failed_check_not_a_crash(clock: FakeClock) -> None:
    """A 403 (a scoped token without read:jira-work) is no credentials verdict: the resync's
    reads would be refused the same, so the checks fail with Jira's answer."""
    mock_jira()
    respx.post(f"{SITE}/rest/api/3/permissions/project").respond(
        403, json={"errorMessages": ["Unauthorized; scope does not match"]}
    )
    checks = await run(clock, [resource("issue")], diagnose=False)
    [failed] = [c for c in checks if c.failed]
    assert failed.name == "Jira"
    assert failed.message.startswith("the checks could not finish: ")
    assert "POST /rest/api/3/permissions/project answered 403" in failed.message
    assert "read:jira-work" in failed.message  # the client's hint: the token's scopes
