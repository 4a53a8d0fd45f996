"""What each kind needs from Jira to be read, the fix for each missing permission, and what a
resync does without it: Jira's permission keys (as `/mypermissions` names them) plus the Teams
API's need, judged per kind by Ocean's `KindPermissionVerdict`.

A missing permission fails a check only where the resync itself would fail without it; where
the resync goes on (reading nothing, or without live events), the check warns and says what the
resync does instead (`RESYNC_GOES_ON_WITHOUT`)."""

from __future__ import annotations

from collections.abc import Mapping

from port_ocean.core.probe import KindPermissionVerdict, PermissionCombination

from jira.kinds import KINDS

# Jira's permission keys, what the docs call them, and how a user gets them.
BROWSE_PROJECTS = "BROWSE_PROJECTS"  # a project permission
BROWSE_USERS = "USER_PICKER"  # global
ADMINISTER = "ADMINISTER"  # global
# Not a Jira permission: the Teams API answers for atlassianOrganizationId (one request).
TEAMS_API = "TEAMS_API"
# Asked per project (POST /permissions/project on Cloud); the others with /mypermissions.
PROJECT_PERMISSIONS = frozenset({BROWSE_PROJECTS})

PERMISSION_FIXES: Mapping[str, str] = {
    BROWSE_PROJECTS: "Browse projects: grant it to the Jira user in the projects' permission "
    "scheme (Project settings → Permissions)",
    BROWSE_USERS: "Browse users and groups: grant it to the Jira user (Settings → System → "
    "Global permissions)",
    ADMINISTER: "Jira administrator (ADMINISTER), needed to register the live-events webhook: "
    "grant it, or create the webhook by hand (the log says how)",
    TEAMS_API: "the Atlassian Teams API for atlassianOrganizationId: the token's user must "
    "belong to that organization (check the id)",
}

# What the resync does without the permission, where it does not fail for want of it.
# - Browse projects: Jira shows such a user no project, issue or board (its lists answer
#   empty), so the kinds read nothing; nothing fails.
# - ADMINISTER: webhook registration warns with the manual steps; resyncs run as before.
# Browse users and groups is not here: /users/search answers 403 and the user kind fails. Nor
# the Teams API: a refused organization fails the team kind.
RESYNC_GOES_ON_WITHOUT: Mapping[str, str] = {
    BROWSE_PROJECTS: "until then the user may browse no project, so the kind reads nothing",
    ADMINISTER: "until then only resyncs update Port",
}

# What each kind needs; live kinds also need ADMINISTER when webhooks will be registered.
KIND_PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    "project": (BROWSE_PROJECTS,),
    "user": (BROWSE_USERS,),
    "team": (TEAMS_API,),
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


def resync_goes_on(denied: tuple[str, ...]) -> bool:
    """Whether a resync still succeeds without every one of `denied` (a warning, not a
    failure)."""
    return all(permission in RESYNC_GOES_ON_WITHOUT for permission in denied)


class JiraPermissionVerdict(KindPermissionVerdict):
    """Ocean's per-kind verdict over the granted permissions (plus the Teams API's answer)."""

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
        message = "missing " + "; ".join(PERMISSION_FIXES[p] for p in denied)
        if resync_goes_on(denied):
            message += "; " + "; ".join(RESYNC_GOES_ON_WITHOUT[p] for p in denied)
        return message
