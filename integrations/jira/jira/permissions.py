"""What each kind needs from Jira to be read, and the fix for each missing permission: Jira's
permission keys (as `/mypermissions` names them) plus the Teams API's two needs, judged per kind
by Ocean's `KindPermissionVerdict`."""

from __future__ import annotations

from collections.abc import Mapping

from port_ocean.core.probe import KindPermissionVerdict, PermissionCombination

from jira.kinds import KINDS
from jira.settings import env_name

# Jira's permission keys, what the docs call them, and how a user gets them.
BROWSE_PROJECTS = "BROWSE_PROJECTS"
BROWSE_USERS = "USER_PICKER"
ADMINISTER = "ADMINISTER"
# Not Jira permissions: what the Teams API needs, checked with one request.
ORGANIZATION_ID = "ATLASSIAN_ORGANIZATION_ID"
TEAMS_API = "TEAMS_API"

PERMISSION_FIXES: Mapping[str, str] = {
    BROWSE_PROJECTS: "Browse projects: grant it to the Jira user in the projects' permission "
    "scheme (Project settings → Permissions)",
    BROWSE_USERS: "Browse users and groups: grant it to the Jira user (Settings → System → "
    "Global permissions)",
    ADMINISTER: "Jira administrator (ADMINISTER), needed to register the live-events webhook: "
    "grant it, or create the webhook by hand (the log says how)",
    ORGANIZATION_ID: f"atlassianOrganizationId ({env_name('atlassianOrganizationId')}): set it to "
    "the id in admin.atlassian.com/o/<organizationId>, or remove the team kind from the mapping",
    TEAMS_API: "the Atlassian Teams API for atlassianOrganizationId: the token's user must "
    "belong to that organization (check the id)",
}

# What each kind needs; live kinds also need ADMINISTER when webhooks will be registered.
KIND_PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    "project": (BROWSE_PROJECTS,),
    "user": (BROWSE_USERS,),
    "team": (ORGANIZATION_ID, TEAMS_API),
    "issue": (BROWSE_PROJECTS,),
    "release": (BROWSE_PROJECTS,),
    "component": (BROWSE_PROJECTS,),
    "board": (BROWSE_PROJECTS,),
    "sprint": (BROWSE_PROJECTS,),
    "epic": (BROWSE_PROJECTS,),
    "backlog": (BROWSE_PROJECTS,),
    "worklog": (BROWSE_PROJECTS,),
    "comment": (BROWSE_PROJECTS,),
}
LIVE_KINDS = frozenset(kind.name for kind in KINDS if kind.live is not None)


def required_permissions(kind: str, *, webhooks: bool) -> tuple[str, ...]:
    needed = KIND_PERMISSIONS.get(kind, ())
    return (*needed, ADMINISTER) if webhooks and kind in LIVE_KINDS else needed


class JiraPermissionVerdict(KindPermissionVerdict):
    """Ocean's per-kind verdict over `/mypermissions` (plus the Teams API's two needs)."""

    def __init__(self, *, webhooks: bool) -> None:
        self.webhooks = webhooks

    def load_kind_permissions(self) -> Mapping[str, tuple[str, ...]]:
        return {
            kind: required_permissions(kind, webhooks=self.webhooks) for kind in KIND_PERMISSIONS
        }

    @property
    def combination(self) -> PermissionCombination:
        return PermissionCombination.AND

    def granted_message(self, granted: tuple[str, ...]) -> str:
        return "granted: " + ", ".join(granted)

    def denied_message(self, denied: tuple[str, ...]) -> str:
        if ORGANIZATION_ID in denied:  # the Teams API is not asked without an organization
            denied = tuple(p for p in denied if p != TEAMS_API)
        return "missing " + "; ".join(PERMISSION_FIXES[p] for p in denied)
