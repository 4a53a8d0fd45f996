"""What must hold before a resync can succeed, each checked once with a one-line verdict and fix.

The same checks serve Ocean's connection probe (`launch.py probe`, `jira.probe`) and the
fail-fast start of a ONCE run (`integration.py`): the Jira host answers and says which
deployment it is; the credentials work (and, in the probe, whose account they are); each mapped
kind has the permissions it needs (`jira.permissions`; Browse projects on which projects); every
JQL in the mapping parses; every JQ expression compiles (`jira.mapping_checks`); OCEAN__BASE_URL
is an absolute http(s) URL when live events are on. Port's credentials (`port_credentials`) are
checked before Ocean starts, by the launcher.

A check fails only where the resync itself would fail, so that a run it fails could not have
succeeded; where the resync would go on, the check warns (each check says which, and why).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.probe import ProbeCheckStatus

from jira.check import Check, Status
from jira.client import JiraClient
from jira.errors import JiraApiError, JiraAuthError, JiraError, JiraNotFoundError
from jira.http import Api
from jira.mapping_checks import jq_checks, mapped_jql
from jira.permissions import (
    BROWSE_PROJECTS,
    KIND_PERMISSIONS,
    PROJECT_PERMISSIONS,
    TEAMS_API,
    JiraPermissionVerdict,
    required_permissions,
    resync_goes_on,
)
from jira.settings import ConfigurationError, env_name
from jira.teams import teams_unavailable

# The probe compares the first page of listed projects with those the user may browse: enough
# to name the projects a permission scheme hides, in one request.
PROJECT_CHECK_MAX = 50
PORT_TIMEOUT_SECONDS = 15.0


CREDENTIALS_FIX = (
    f"check atlassianUserEmail ({env_name('atlassianUserEmail')}) and atlassianUserToken "
    f"({env_name('atlassianUserToken')}): the token must belong to that email and not be revoked"
)
OAUTH_FIX = "reconnect the Jira installation in Port: its OAuth token was refused"

_STATUS: Mapping[ProbeCheckStatus, Status] = {
    ProbeCheckStatus.SUCCESS: Status.OK,
    ProbeCheckStatus.FAILURE: Status.FAIL,
    ProbeCheckStatus.UNKNOWN: Status.WARN,
    ProbeCheckStatus.PENDING: Status.WARN,
}


# --- Port ------------------------------------------------------------------------------------


async def port_credentials(base_url: str, client_id: str, client_secret: str) -> Check:
    """One token request: Port's 401 means the client id or secret is wrong (no retry)."""
    url = f"{base_url.rstrip('/')}/v1/auth/access_token"
    name = "Port credentials"
    try:
        async with httpx.AsyncClient(timeout=PORT_TIMEOUT_SECONDS) as client:
            response = await client.post(
                url, json={"clientId": client_id, "clientSecret": client_secret}
            )
    except httpx.HTTPError as exc:
        return Check(
            name,
            Status.FAIL,
            f"{base_url} did not answer ({type(exc).__name__}): check OCEAN__PORT__BASE_URL "
            "(https://api.getport.io, or https://api.us.getport.io for Port's US region)",
        )
    if response.status_code in (401, 403):
        return Check(
            name,
            Status.FAIL,
            f"Port rejected OCEAN__PORT__CLIENT_ID/OCEAN__PORT__CLIENT_SECRET "
            f"({response.status_code} from {url}): copy both from Port (… → Credentials)",
        )
    if response.is_success:
        return Check(name, Status.OK, f"Port at {base_url} accepted the client id and secret")
    return Check(
        name,
        Status.WARN,
        f"Port's token endpoint answered {response.status_code}; Ocean retries it",
    )


def base_url_check(base_url: str | None, *, live_events: bool) -> Check | None:
    """OCEAN__BASE_URL, when live events would register a webhook to it."""
    if not live_events:
        return None
    name = "OCEAN__BASE_URL"
    if not base_url:
        return Check(
            name,
            Status.WARN,
            "not set, so no Jira webhook is registered and only resyncs update Port; set it to "
            "the integration's public URL (e.g. https://jira-integration.example.com) for live "
            "events",
        )
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # A warning: Jira gets no usable webhook address, but the resyncs run as without one.
        return Check(
            name,
            Status.WARN,
            f"must be an absolute http(s) URL such as https://jira-integration.example.com, "
            f"got {base_url!r}; until then only resyncs update Port",
        )
    return Check(name, Status.OK, f"Jira will send live events to {base_url}")


async def _answer[T](value: T) -> T:
    return value


async def together(*awaitables: Awaitable[Any]) -> list[Any]:
    """The awaitables' results, run concurrently; the first failure is raised and the others
    are cancelled (a check that cannot finish ends the checks, whichever request says so)."""
    tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
    try:
        return await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class JiraChecks:
    """The Jira-side checks against one client, for the mapping's resources.

    Each check fails only where the resync itself would fail; where the resync would go on
    (skipping a kind, reading nothing of a project, without live events) it warns, and says
    what the resync does instead. `diagnose` adds the checks that cost requests without
    deciding whether a resync can run: whose account it is (`/myself`) and which listed
    projects the user may not browse. The probe and a long-running install's start run them;
    a ONCE run leaves them out, so its checks cost a fixed handful of requests: serverInfo
    (the client asks it once for the resync too), `/mypermissions` for the global
    permissions, `POST /permissions/project` for Browse projects on every project at once,
    `/jql/parse` and one Teams API page, each only when the mapping needs it."""

    def __init__(
        self,
        client: JiraClient,
        resources: Sequence[ResourceConfig],
        *,
        webhooks: bool,
        kinds: Iterable[str] | None = None,
        diagnose: bool = True,
    ) -> None:
        self.client = client
        self.resources = resources
        # The kinds whose permissions are checked: the mapping's, unless asked for others.
        self.kinds = sorted(set(kinds) if kinds is not None else {r.kind for r in resources})
        self.webhooks = webhooks
        self.diagnose = diagnose
        # Why the team kind cannot be read on this install (skipped, with a warning), if so.
        self.teams_unavailable: str | None = None

    @property
    def host(self) -> str:
        return self.client.settings.host

    async def run(self) -> list[Check]:
        """Every check in order; stops after the host or the credentials fail."""
        checks = [await self.host_check()]
        if checks[-1].failed:
            return checks
        if self.diagnose:
            checks.append(await self.account_check())
            if checks[-1].failed:
                return checks
        try:
            permissions, jql = await together(self.permission_checks(), self.jql_checks())
            checks += permissions + jql
        except JiraError as exc:
            if isinstance(exc, JiraAuthError) and exc.status == 401:
                # Without /myself, the first request refused says it (every resync request
                # would be refused the same).
                checks.append(await self.refused(exc))
                return checks
            # Jira stopped answering (after the client's retries): so would the resync.
            checks.append(Check("Jira", Status.FAIL, f"the checks could not finish: {exc}"))
        checks += jq_checks(self.resources)
        return checks

    async def host_check(self) -> Check:
        """The host answers serverInfo, and which deployment it is (found as the client finds
        it, jira.deployment). Fails where the resync's first request would."""
        name = "Jira host"
        try:
            deployment = await self.client.deployment()
            info: Any = None
            if deployment.deployment_type is None and self.diagnose:
                # Found without asking the host: ask it now, for the version (the probe).
                info = await self.client.http.request("GET", Api.PLATFORM, "/serverInfo")
        except ConfigurationError as exc:  # no Jira there, or a credential it does not take
            return Check(name, Status.FAIL, str(exc))
        except JiraAuthError:
            # Some sites answer serverInfo to signed-in users only: the host is there.
            return Check(name, Status.OK, f"{self.host} answered (serverInfo needs a sign-in)")
        except JiraApiError as exc:
            return Check(
                name,
                Status.FAIL,
                f"{self.host} answered {exc.status} to serverInfo, so it is not a Jira site: "
                f"check jiraHost ({env_name('jiraHost')})",
            )
        except JiraError as exc:
            return Check(
                name,
                Status.FAIL,
                f"{self.host} did not answer ({exc}): check jiraHost ({env_name('jiraHost')}) and "
                "that this network can reach it",
            )
        version = info.get("version") if isinstance(info, dict) else None
        label = (
            deployment.label
            if deployment.version or not version
            else f"{deployment.label} {version}"
        )
        return Check(name, Status.OK, f"{self.host} answered: {label}")

    async def refused(self, exc: JiraAuthError) -> Check:
        """The credentials check for a 401: every resync request would be refused the same."""
        name = "Jira credentials"
        if (await self.client.deployment()).is_datacenter:
            # The client's own line names the deployment and the credentials it takes.
            return Check(name, Status.FAIL, str(exc))
        fix = OAUTH_FIX if self.client.settings.is_oauth else CREDENTIALS_FIX
        return Check(
            name,
            Status.FAIL,
            # the endpoint as the client names it: `GET /rest/api/3/myself`
            f"{self.host} refused the credentials ({exc.status} to {exc.endpoint}): {fix}",
        )

    async def account_check(self) -> Check:
        """Whose account the credentials are (diagnosis: any other request proves them)."""
        name = "Jira credentials"
        try:
            me = await self.client.myself()
        except JiraAuthError as exc:
            return await self.refused(exc)
        except JiraError as exc:
            return Check(name, Status.FAIL, f"GET /rest/api/3/myself failed: {exc}")
        me = me if isinstance(me, dict) else {}
        who = me.get("displayName") or me.get("name") or "an unnamed account"
        details = ", ".join(
            str(part)
            for part in (me.get("accountId"), me.get("emailAddress"), me.get("accountType"))
            if part
        )
        return Check(name, Status.OK, f"they work; the account is {who} ({details})")

    async def _teams_api(self) -> bool:
        """Whether the Teams API answers for atlassianOrganizationId (one page). A refusal
        fails the check: the resync's team kind would fail on it. A 401 is the credentials;
        Jira not answering ends the checks (both raised)."""
        try:
            async for _ in self.client.teams(self.client.settings.organization_id or ""):
                break
        except JiraAuthError as exc:
            if exc.status == 401:
                raise
            return False
        except JiraApiError:
            return False
        return True

    async def permission_checks(self) -> list[Check]:
        """Each kind's permissions, then the projects the project-scoped kinds read."""
        needed = {
            p for kind in self.kinds for p in required_permissions(kind, webhooks=self.webhooks)
        }
        deployment = await self.client.deployment()
        self.teams_unavailable = teams_unavailable(self.client.settings, deployment)
        datacenter = deployment.is_datacenter
        # Data Center has no POST /permissions/project (its REST reference lists none): there,
        # /mypermissions answers Browse projects "in any project", and its project list holds
        # only the projects the user may browse, so there is nothing to compare it with.
        per_project = needed & PROJECT_PERMISSIONS if not datacenter else set()
        global_keys = sorted(needed - per_project - {TEAMS_API})
        teams = TEAMS_API in needed and self.teams_unavailable is None
        # One request each, in flight together: the global permissions, Browse projects on
        # every project, one Teams API page.
        granted, browsable, teams_answer = await together(
            self.client.my_permissions(global_keys) if global_keys else _answer({}),
            self.client.permitted_projects(sorted(per_project)) if per_project else _answer(None),
            self._teams_api() if teams else _answer(None),
        )
        granted = dict(granted)
        if browsable is not None:
            granted[BROWSE_PROJECTS] = bool(browsable)
        if teams_answer is not None:
            granted[TEAMS_API] = teams_answer
        checks = self.kind_checks(granted)
        if browsable:
            checks += await self.project_checks(browsable)
        return checks

    def kind_checks(self, granted: Mapping[str, bool]) -> list[Check]:
        verdict = JiraPermissionVerdict(webhooks=self.webhooks)
        checks: list[Check] = []
        for kind in self.kinds:
            name = f"Permissions of kind {kind}"
            if kind == "team" and self.teams_unavailable is not None:
                # The resync skips the kind with one warning and keeps its entities in Port
                # (jira.unavailable): a warning here, logged as info so that a run warns once.
                message = f"skipped: {self.teams_unavailable}"
                checks.append(Check(name, Status.WARN, message, (kind,), resync_warns=True))
                continue
            status, message = verdict.verdict(kind, granted)
            denied = tuple(
                p for p in required_permissions(kind, webhooks=self.webhooks) if not granted.get(p)
            )
            found = _STATUS[status]
            if found is Status.FAIL and resync_goes_on(denied):
                found = Status.WARN
            checks.append(Check(name, found, message, (kind,)))
        return checks

    async def project_checks(self, browsable: Sequence[str]) -> list[Check]:
        """The projects the user may browse; with `diagnose`, also each listed project (of the
        first page) it may not. Such a project is a warning: the resync lists it, finds none of
        its issues, and skips it in the per-project kinds with a warning of their own."""
        scoped = tuple(k for k in self.kinds if BROWSE_PROJECTS in KIND_PERMISSIONS.get(k, ()))
        allowed = set(browsable)
        hidden: list[str] = []
        if self.diagnose:
            async for page in self.client.projects():
                keys = [str(p["key"]) for p in page if isinstance(p, dict) and p.get("key")]
                hidden = [key for key in keys[:PROJECT_CHECK_MAX] if key not in allowed]
                break
        checks = [
            Check(
                f"Project {key}",
                Status.WARN,
                f"Jira lists it but the user may not browse it, so kinds {', '.join(scoped)} "
                f"read nothing of it: grant Browse projects in {key}'s permission scheme, or "
                "archive the project if it should not be synced",
                scoped,
                {"project": key},
            )
            for key in hidden
        ]
        checks.append(
            Check(
                "Projects",
                Status.OK,
                f"the user may browse {len(allowed)} project(s)",
                scoped,
            )
        )
        return checks

    async def jql_checks(self) -> list[Check]:
        """Every JQL of the mapping, parsed by Jira (`POST /jql/parse`, strict)."""
        queries = mapped_jql(self.resources)
        if not queries:
            return []
        try:
            body = await self.client.http.request(
                "POST",
                Api.PLATFORM,
                "/jql/parse",
                params={"validation": "strict"},
                json_body={"queries": [q.jql for q in queries]},
            )
        except JiraNotFoundError:
            return [
                Check(
                    "JQL",
                    Status.WARN,
                    "this Jira cannot parse JQL on its own (no "
                    "/jql/parse); a bad JQL will fail its kind during the resync",
                )
            ]
        except JiraApiError as exc:
            return [Check("JQL", Status.FAIL, f"Jira could not parse the mapping's JQL: {exc}")]
        parsed = body.get("queries") if isinstance(body, dict) else None
        checks: list[Check] = []
        for query, result in zip(queries, parsed or [], strict=False):
            errors = result.get("errors") if isinstance(result, dict) else None
            if errors:
                checks.append(
                    Check(
                        f"JQL of {query.where}",
                        Status.FAIL,
                        f"{query.jql!r} does not parse: {'; '.join(map(str, errors))}; "
                        "fix it in the mapping",
                        (query.kind,),
                    )
                )
            else:
                checks.append(Check(f"JQL of {query.where}", Status.OK, "parses", (query.kind,)))
        return checks
