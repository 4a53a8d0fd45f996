"""The store's state and lookups, which every concern builds on."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

from ..catalog import JsonDict
from .records import IssueRecord, ProjectRecord, rebase


class StoreBase:
    """The state of the store and its lookups. Every mutation bumps :attr:`version` (search
    caches key on it)."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.public_base = "http://jira-sim.local"  # the app sets the URL it serves on
        self.projects: dict[str, ProjectRecord] = {}
        self.users: dict[str, JsonDict] = {}
        self.teams: dict[str, JsonDict] = {}
        self.team_members: dict[str, list[str]] = {}
        self.sprints: dict[int, JsonDict] = {}
        self.issues: dict[int, IssueRecord] = {}
        self.deleted_issues: dict[str, JsonDict] = {}
        self.deleted_projects: dict[str, JsonDict] = {}
        self.version = 0
        self.current_account_id: str | None = None
        self._key_index: dict[str, int] = {}
        self._next_issue_id = 10000
        self._next_project_id = 10000
        self._next_changelog_id = 10000
        self._next_component_id = 10000
        self._next_version_id = 10000
        self._next_sprint_id = 1
        self._project_counters: dict[str, int] = {}
        # Jira Software boards (a scrum board per project, plus any added), worklogs, and the
        # last state of deleted versions, sprints and comments (for delete events).
        self.boards: dict[int, JsonDict] = {}
        self.worklogs: dict[int, JsonDict] = {}
        self.worklog_times: dict[int, int] = {}  # id -> updated, epoch ms (unique)
        self.deleted_worklogs: dict[int, tuple[int, JsonDict]] = {}  # id -> (deleted ms, last)
        self.component_leads: dict[str, str] = {}  # component id -> accountId
        self.tombstones: dict[str, dict[str, JsonDict]] = {
            kind: {} for kind in ("version", "sprint", "comment")
        }
        self._next_worklog_id = 10000
        self._worklog_stamps: set[int] = set()
        # The search index lags writes by `index_lag_s` (0: it never does): issue id -> (when
        # it was last written, the state the index still holds; None for a new issue).
        self.index_lag_s = 0.0
        self.unindexed: dict[int, tuple[datetime, IssueRecord | None]] = {}

    # ------------------------------------------------------------------ helpers
    def now(self) -> datetime:
        return self.clock()

    def _touch(self) -> None:
        self.version += 1

    def _before_write(self, issue_id: int, indexed: IssueRecord | None) -> None:
        """Note that issue `issue_id` is about to change from `indexed` (None: it is new):
        the search index keeps that state for `index_lag_s`."""
        if self.index_lag_s <= 0:
            return
        now = self.now()
        pending = self.unindexed.get(issue_id)
        if pending is not None and (now - pending[0]).total_seconds() < self.index_lag_s:
            indexed = pending[1]  # not indexed since the earlier write either
        self.unindexed[issue_id] = (now, copy.deepcopy(indexed))

    def lagging(self, now: datetime, reconciled: frozenset[int]) -> dict[int, IssueRecord | None]:
        """The issues the search index does not show as they are yet (not named in
        `reconciled`), with the state it still holds."""
        return {
            issue_id: indexed
            for issue_id, (written, indexed) in self.unindexed.items()
            if issue_id not in reconciled and (now - written).total_seconds() < self.index_lag_s
        }

    def public(self, obj: JsonDict) -> JsonDict:
        """A copy of ``obj`` with URLs on :attr:`public_base`."""
        return cast(JsonDict, rebase(obj, self.public_base))

    # ------------------------------------------------------------------ lookups
    def get_project(self, id_or_key: str | int) -> ProjectRecord | None:
        text = str(id_or_key).strip()
        if text.isdigit():
            for project in self.projects.values():
                if project.id == int(text):
                    return project
        return self.projects.get(text.upper())

    def get_issue(self, id_or_key: str | int) -> IssueRecord | None:
        text = str(id_or_key).strip()
        if text.isdigit():
            return self.issues.get(int(text))
        issue_id = self._key_index.get(text.upper())
        return self.issues.get(issue_id) if issue_id is not None else None

    def project_issue_stats(self) -> dict[str, tuple[int, datetime | None]]:
        """Per project key: how many issues it holds, and when the last was updated (one pass)."""
        stats: dict[str, tuple[int, datetime | None]] = {}
        for rec in self.issues.values():
            count, last = stats.get(rec.project_key, (0, None))
            latest = max(filter(None, (last, rec.dt("updated"))), default=None)
            stats[rec.project_key] = count + 1, latest
        return stats

    def _default_user(self) -> JsonDict | None:
        if self.current_account_id and self.current_account_id in self.users:
            return self.users[self.current_account_id]
        return next(iter(self.users.values()), None)
