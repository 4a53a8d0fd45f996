"""Worklogs and their change feed."""

from __future__ import annotations

from datetime import UTC, datetime

from ..catalog import SENTINEL, JsonDict, fmt_jira_dt
from .agile import AgileStore
from .records import IssueRecord, adf, duration_text, require, user_ref


class WorklogStore(AgileStore):
    def _worklog_stamp(self, when: datetime) -> int:
        """Epoch ms for a worklog change, unique (the change feed pages on it)."""
        ms = int(when.timestamp() * 1000)
        while ms in self._worklog_stamps:
            ms += 1
        self._worklog_stamps.add(ms)
        return ms

    def add_worklog(
        self,
        key: str,
        *,
        seconds: int,
        started: datetime,
        author: str,
        comment: str | None,
        at: datetime,
    ) -> JsonDict:
        """A worklog by ``author`` of ``seconds`` from ``started``, logged ``at``."""
        rec = require(self.get_issue(key), key)
        user = self.users[author]
        ms = self._worklog_stamp(at)
        stamp = fmt_jira_dt(datetime.fromtimestamp(ms / 1000, UTC))
        worklog_id = self._next_worklog_id
        self._next_worklog_id += 1
        worklog: JsonDict = {
            "self": f"{SENTINEL}/rest/api/3/issue/{rec.id}/worklog/{worklog_id}",
            "author": user_ref(user),
            "updateAuthor": user_ref(user),
            "created": stamp,
            "updated": stamp,
            "started": fmt_jira_dt(started),
            "timeSpent": duration_text(seconds),
            "timeSpentSeconds": seconds,
            "id": str(worklog_id),
            "issueId": str(rec.id),
        }
        if comment:
            worklog["comment"] = adf(comment)
        self.worklogs[worklog_id] = worklog
        self.worklog_times[worklog_id] = ms
        self._touch()
        return worklog

    def _drop_worklog(self, worklog_id: int) -> JsonDict:
        worklog = self.worklogs.pop(worklog_id)
        self.worklog_times.pop(worklog_id, None)
        self.deleted_worklogs[worklog_id] = (self._worklog_stamp(self.now()), worklog)
        return worklog

    def delete_worklog(self, worklog_id: int) -> JsonDict:
        require(self.worklogs.get(worklog_id), worklog_id)
        worklog = self._drop_worklog(worklog_id)
        self._touch()
        return worklog

    def update_worklog(self, worklog_id: int, seconds: int) -> JsonDict:
        """Change the time a worklog records; its ``updated`` (and the change feed) move on."""
        worklog = require(self.worklogs.get(worklog_id), worklog_id)
        ms = self._worklog_stamp(self.now())
        worklog.update(
            timeSpent=duration_text(seconds),
            timeSpentSeconds=seconds,
            updated=fmt_jira_dt(datetime.fromtimestamp(ms / 1000, UTC)),
        )
        self.worklog_times[worklog_id] = ms
        self._touch()
        return worklog

    def issue_worklogs(self, rec: IssueRecord) -> list[JsonDict]:
        return sorted(
            (w for w in self.worklogs.values() if w["issueId"] == str(rec.id)),
            key=lambda w: int(w["id"]),
        )

    def worklog_feed(self, since: int, *, deleted: bool = False) -> list[tuple[int, int]]:
        """(updated ms, worklog id) changed (or deleted) strictly after ``since``, oldest first."""
        if deleted:
            items = [(ms, wid) for wid, (ms, _) in self.deleted_worklogs.items()]
        else:
            items = [(ms, wid) for wid, ms in self.worklog_times.items()]
        return sorted(item for item in items if item[0] > since)
