"""Users and teams."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from ..catalog import (
    JsonDict,
)
from .base import StoreBase
from .records import NotFoundError, make_user, user_ref


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
        **extra: Any,
    ) -> JsonDict:
        display_name = display_name or extra.pop("displayName", None) or "New User"
        email = email or extra.pop("emailAddress", None)
        account_id = account_id or extra.pop("accountId", None) or f"712020:{uuid.uuid4()}"
        account_type = extra.pop("accountType", account_type)
        time_zone = extra.pop("timeZone", time_zone)
        if account_id in self.users:
            raise ValueError(f"user {account_id} already exists")
        user = make_user(
            account_id,
            display_name,
            email=email,
            active=bool(extra.pop("active", active)),
            account_type=account_type,
            time_zone=time_zone,
        )
        user.update(extra)
        self.users[account_id] = user
        self.deleted_users.pop(account_id, None)
        self._touch()
        return self.public(user)

    def update_user(self, account_id: str, fields: dict[str, Any]) -> JsonDict:
        user = self.users.get(account_id)
        if user is None:
            raise NotFoundError(account_id)
        new = dict(user)
        for k, v in fields.items():
            if k in ("accountId", "self"):
                continue
            if k == "emailAddress" and v is None:
                new.pop("emailAddress", None)
            else:
                new[k] = v
        self.users[account_id] = new
        ref = user_ref(new)
        for rec in self.issues.values():
            for role in ("assignee", "reporter", "creator"):
                cur = rec.fields.get(role)
                if isinstance(cur, dict) and cur.get("accountId") == account_id:
                    rec.fields[role] = ref
        self._touch()
        return self.public(new)

    # ------------------------------------------------------------------ teams
    def create_team(
        self,
        display_name: str,
        *,
        team_id: str | None = None,
        description: str = "",
        members: Iterable[str] = (),
        org_id: str = "sandbox-org",
    ) -> JsonDict:
        team_id = team_id or str(uuid.uuid4())
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
