"""The checks of `jira.checks` wired into Ocean: its connection probe (`ocean.on_probe`), the
fail-fast start of a ONCE run, and the log of a long-running install's start."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from loguru import logger
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.probe import ProbeCheck, ProbeCheckStatus, ProbeContext

from jira.check import Check, Status
from jira.checks import JiraChecks, base_url_check
from jira.factory import jira_client
from jira.selectors import JiraPortAppConfig

DEFAULT_MAPPING = (
    Path(__file__).resolve().parents[1] / ".port" / "resources" / "port-app-config.yaml"
)
# The probe runs before the integration may exist in Port: it checks this mapping file (a
# mapping as Port's data-source page shows it, in YAML), or the default mapping.
MAPPING_ENV = "JIRA_PROBE_MAPPING"


@dataclass
class ProbeResult:
    """The checks of the last probe, for the launcher to print."""

    mapping: Path | None = None
    checks: list[Check] = field(default_factory=list)


LAST_PROBE = ProbeResult()


def log_checks(checks: Iterable[Check]) -> None:
    for check in checks:
        if check.status is Status.FAIL:
            logger.error(f"Check {check.line()}")
        elif check.status is Status.WARN and not check.resync_warns:
            logger.warning(f"Check {check.line()}")
        else:
            logger.info(f"Check {check.line()}")


def _base_url() -> str | None:
    return ocean.app.base_url or None


async def run_checks(
    resources: Sequence[ResourceConfig],
    *,
    live_events: bool,
    kinds: Iterable[str] | None = None,
    diagnose: bool = True,
) -> list[Check]:
    """Every check, logged one line each. `live_events`: this run would register a webhook;
    `diagnose`: also the checks that only explain (`JiraChecks`; a ONCE run leaves them out)."""
    base_url = _base_url()
    base = base_url_check(base_url, live_events=live_events)
    webhooks = base is not None and base.status is Status.OK
    checks = await JiraChecks(
        jira_client(), resources, webhooks=webhooks, kinds=kinds, diagnose=diagnose
    ).run()
    if base is not None:
        checks.append(base)
    log_checks(checks)
    return checks


def mapping_resources(path: Path) -> list[ResourceConfig]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(JiraPortAppConfig.parse_obj(raw).resources)


def _verdict(probe_check: ProbeCheck, checks: Sequence[Check], fallback: str) -> None:
    failed = [check for check in checks if check.failed]
    shown = failed or checks
    probe_check.status = (
        ProbeCheckStatus.FAILURE
        if failed
        else ProbeCheckStatus.SUCCESS
        if checks
        else ProbeCheckStatus.UNKNOWN
    )
    probe_check.message = "; ".join(check.line() for check in shown) or fallback


async def on_probe(context: ProbeContext) -> ProbeContext:
    """Ocean's probe: one check per kind (and per project a kind cannot browse)."""
    mapping = Path(os.environ.get(MAPPING_ENV) or DEFAULT_MAPPING)
    resources = [r for r in mapping_resources(mapping) if r.kind in context.available_kinds]
    # A probe stands for the long-running install: webhooks when OCEAN__BASE_URL is set.
    checks = await run_checks(
        resources, live_events=bool(_base_url()), kinds=context.available_kinds
    )
    LAST_PROBE.mapping, LAST_PROBE.checks = mapping, checks

    general = [check for check in checks if not check.kinds]
    not_checked = "; ".join(c.line() for c in general if c.failed) or "not checked"
    for probe_check in await context.setup_unscoped_checks():
        mine = [c for c in checks if probe_check.kind in c.kinds and c.scope is None]
        _verdict(probe_check, mine, f"not checked: {not_checked}")
    for check in checks:
        if check.scope is not None:
            for probe_check in await context.add_scopes(dict(check.scope)):
                concerned = [check] if probe_check.kind in check.kinds else []
                _verdict(probe_check, concerned, "does not read per project")
    if any(check.failed for check in general):
        await context.fail(not_checked)
    else:
        await context.update_progress()
    return context
