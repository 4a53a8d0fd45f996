"""Users and teams."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from ..catalog import SENTINEL, JsonDict, user_avatar_urls
from .base import StoreBase
from .records import require, user_ref


class PeopleStore(StoreBase):
    def create_user(
        self,
        display_name: str | None = None,
        *,
        account_id: str | None = None,
        email: str | None = None,
        active: bool = True,
        account_type: str = "atlassian",
        time_zone: str = "UTC",
        **body: str,
    ) -> JsonDict:
        """A new user; ``body`` (the control API's) may name it Jira's way instead:
        ``displayName``."""
        display_name = display_name or body.pop("displayName", "New User")
        if body:
            raise ValueError(f"unsupported user fields {sorted(body)}")
        account_id = account_id or f"712020:{uuid.uuid4()}"
        if account_id in self.users:
            raise ValueError(f"user {account_id} already exists")
        initials = "".join(p[0] for p in display_name.split()[:2]).upper() or "U"
        user: JsonDict = {
            "self": f"{SENTINEL}/rest/api/3/user?accountId={quote(account_id, safe='')}",
            "accountId": account_id,
            "accountType": account_type,
            **({"emailAddress": email} if email else {}),
            "avatarUrls": user_avatar_urls(
                uuid.uuid5(uuid.NAMESPACE_URL, account_id).hex, initials
            ),
            "displayName": display_name,
            "active": active,
            "timeZone": time_zone,
            "locale": "en_US",
        }
        self.users[account_id] = user
        self._touch()
        return self.public(user)

    def update_user(self, account_id: str, fields: dict[str, Any]) -> JsonDict:
        """Change a user's fields and the copies of it embedded in issues."""
        user = require(self.users.get(account_id), account_id)
        user.update(fields)
        ref = user_ref(user)
        for rec in self.issues.values():
            for role in ("assignee", "reporter", "creator"):
                cur = rec.fields.get(role)
                if isinstance(cur, dict) and cur.get("accountId") == account_id:
                    rec.fields[role] = ref
        self._touch()
        return self.public(user)

    # ------------------------------------------------------------------ teams
    def create_team(
        self,
        display_name: str,
        *,
        team_id: str,
        description: str,
        members: Iterable[str],
        org_id: str,
    ) -> JsonDict:
        team = {
            "teamId": team_id,
            "displayName": display_name,
            "description": description,
            "state": "ACTIVE",
            "teamType": "OPEN",
            "organizationId": org_id,
            "creatorId": self.current_account_id,
        }
        self.teams[team_id] = team
        self.team_members[team_id] = [m for m in members if m in self.users]
        self._touch()
        return dict(team)
