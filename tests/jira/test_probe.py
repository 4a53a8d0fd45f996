"""Ocean's probe report from the checks: a verdict per kind, a scope per failing project, and a
failed probe when the connection itself fails."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.probe import ProbeCheckStatus, ProbeConfig, ProbeContext, ProbeStatus

from jira import probe
from jira.check import Check, Status
from jira.selectors import JiraPortAppConfig


async def probed(monkeypatch: pytest.MonkeyPatch, checks: list[Check]) -> ProbeContext:
    async def canned(
        resources: Sequence[ResourceConfig], *, live_events: bool, kinds: Iterable[str] | None
    ) -> list[Check]:
        assert {r.kind for r in resources} <= {"issue", "team", "user"}  # from the mapping file
        return checks

    monkeypatch.setattr(probe, "run_checks", canned)
    monkeypatch.setattr(probe, "_base_url", lambda: None)
    context = ProbeContext("probe-1")
    await context.initialize(JiraPortAppConfig, ProbeConfig(kinds=["issue", "team", "user"]))
    return await probe.on_probe(context)


def by_kind(context: ProbeContext) -> dict[tuple[str, str], tuple[ProbeCheckStatus, str]]:
    return {
        (check.kind, str(check.scopes.get("project", ""))): (check.status, check.message or "")
        for check in context.checks
    }


async def test_each_kind_gets_the_verdict_of_its_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    context = await probed(
        monkeypatch,
        [
            Check("Jira host", Status.OK, "answered"),
            Check("Permissions of kind issue", Status.OK, "granted", ("issue",)),
            Check("Permissions of kind team", Status.FAIL, "missing the org id", ("team",)),
        ],
    )
    report = by_kind(context)
    assert report[("issue", "")][0] is ProbeCheckStatus.SUCCESS
    assert report[("team", "")] == (
        ProbeCheckStatus.FAILURE,
        "[FAIL] Permissions of kind team: missing the org id",
    )
    assert report[("user", "")][0] is ProbeCheckStatus.UNKNOWN  # nothing checked it
    await context.finalize()
    assert context.status is ProbeStatus.COMPLETED


async def test_a_project_the_user_cannot_browse_becomes_a_scope(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hidden = Check("Project SEC", Status.FAIL, "may not browse", ("issue",), {"project": "SEC"})
    context = await probed(monkeypatch, [hidden])
    report = by_kind(context)
    assert report[("issue", "SEC")][0] is ProbeCheckStatus.FAILURE
    assert report[("user", "SEC")][0] is ProbeCheckStatus.UNKNOWN


async def test_a_failed_connection_fails_the_probe_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused = Check("Jira credentials", Status.FAIL, "refused the credentials")
    context = await probed(monkeypatch, [Check("Jira host", Status.OK, "answered"), refused])
    assert context.status is ProbeStatus.FAILED
    assert context.message == "[FAIL] Jira credentials: refused the credentials"
    assert by_kind(context)[("issue", "")] == (
        ProbeCheckStatus.UNKNOWN,
        "not checked: [FAIL] Jira credentials: refused the credentials",
    )


def test_the_default_mapping_is_what_the_probe_reads_by_default() -> None:
    assert (
        probe.DEFAULT_MAPPING
        == Path(probe.__file__).parents[1] / ".port/resources/port-app-config.yaml"
    )
    assert {r.kind for r in probe.mapping_resources(probe.DEFAULT_MAPPING)} >= {"issue", "project"}


async def test_a_skipped_kind_passes_the_probe_as_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    skipped = Check(
        "Permissions of kind team",
        Status.WARN,
        "skipped: set atlassianOrganizationId",
        ("team",),
        resync_warns=True,
    )
    context = await probed(monkeypatch, [Check("Jira host", Status.OK, "answered"), skipped])
    await context.finalize()
    assert context.status is ProbeStatus.COMPLETED
    assert by_kind(context)[("team", "")][1] == (
        "[warn] Permissions of kind team: skipped: set atlassianOrganizationId"
    )


def test_checks_warn_in_the_log_unless_the_resync_warns_itself(warnings: list[str]) -> None:
    probe.log_checks(
        [
            Check("Permissions of kind team", Status.WARN, "skipped: no id", resync_warns=True),
            Check("JQL", Status.WARN, "cannot parse"),
            Check("Projects", Status.OK, "browse 3"),
        ]
    )
    assert warnings == ["Check [warn] JQL: cannot parse"]
