"""Jira Software: boards, sprints, epics and backlogs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..catalog import SENTINEL, SPRINT_FIELD, JsonDict, fmt_jira_dt
from .projects import ProjectStore
from .records import IssueRecord, ProjectRecord, require


class AgileStore(ProjectStore):
    def add_sprint(
        self,
        name: str,
        *,
        state: str,
        board_id: int,
        start: datetime | None = None,
        end: datetime | None = None,
        complete: datetime | None = None,
        goal: str = "",
    ) -> JsonDict:
        sid = self._next_sprint_id
        self._next_sprint_id += 1
        sprint: JsonDict = {
            "id": sid,
            "name": name,
            "state": state,
            "boardId": board_id,
            "goal": goal,
        }
        if start:
            sprint["startDate"] = fmt_jira_dt(start, "Z")
        if end:
            sprint["endDate"] = fmt_jira_dt(end, "Z")
        if complete:
            sprint["completeDate"] = fmt_jira_dt(complete, "Z")
        self.sprints[sid] = sprint
        return sprint

    def add_board(
        self,
        name: str,
        *,
        board_type: str,
        projects: list[str],
        board_id: int,
        shared_sprints: Iterable[int] = (),
        backlog: bool = True,
    ) -> JsonDict:
        board: JsonDict = {
            "id": board_id,
            "name": name,
            "type": board_type,
            "projects": projects,
            "sharedSprints": list(shared_sprints),
            "backlog": backlog,
        }
        self.boards[board_id] = board
        self._touch()
        return board

    def delete_board(self, board_id: int) -> JsonDict:
        """Delete a board; returns it as the API showed it (no event names boards)."""
        board = require(self.boards.pop(board_id, None), board_id)
        self._touch()
        return self.board_json(board)

    def board_json(self, board: JsonDict) -> JsonDict:
        out: JsonDict = {
            "id": board["id"],
            "self": f"{SENTINEL}/rest/agile/1.0/board/{board['id']}",
            "name": board["name"],
            "type": board["type"],
        }
        first = self.projects.get(board["projects"][0]) if board["projects"] else None
        if first is not None:
            label = f"{first.name} ({first.key})"
            out["location"] = {
                "projectId": first.id,
                "displayName": label,
                "projectName": first.name,
                "projectKey": first.key,
                "name": label,
            }
        return out

    def board_projects(self, board: JsonDict) -> list[ProjectRecord]:
        return [self.projects[k] for k in board["projects"] if k in self.projects]

    def board_sprints(self, board: JsonDict) -> list[JsonDict]:
        shared = set(board["sharedSprints"])
        return sorted(
            (s for s in self.sprints.values() if s["boardId"] == board["id"] or s["id"] in shared),
            key=lambda s: int(s["id"]),
        )

    def _board_issues(self, board: JsonDict) -> list[IssueRecord]:
        keys = set(board["projects"])
        return sorted(
            (rec for rec in self.issues.values() if rec.project_key in keys), key=lambda r: r.id
        )

    def board_epics(self, board: JsonDict) -> list[IssueRecord]:
        return [r for r in self._board_issues(board) if r.fields["issuetype"]["name"] == "Epic"]

    def board_backlog(self, board: JsonDict) -> list[IssueRecord]:
        """Not done; on scrum boards also in no active or future sprint (kanban: To Do)."""
        out: list[IssueRecord] = []
        for rec in self._board_issues(board):
            category = rec.fields["status"]["statusCategory"]["key"]
            if board["type"] == "kanban":
                if category == "new":
                    out.append(rec)
                continue
            sprints = rec.fields.get(SPRINT_FIELD) or []
            planned = any(s.get("state") in ("active", "future") for s in sprints)
            if category != "done" and not planned:
                out.append(rec)
        return out

    @staticmethod
    def epic_json(rec: IssueRecord) -> JsonDict:
        summary = str(rec.fields.get("summary") or "")
        return {
            "id": rec.id,
            "key": rec.key,
            "self": f"{SENTINEL}/rest/agile/1.0/epic/{rec.id}",
            "name": summary.removeprefix("Epic: "),
            "summary": summary,
            "color": {"key": f"color_{rec.id % 14 + 1}"},
            "done": rec.fields["status"]["statusCategory"]["key"] == "done",
        }

    @staticmethod
    def sprint_json(sprint: JsonDict) -> JsonDict:
        out: JsonDict = {
            "id": sprint["id"],
            "self": f"{SENTINEL}/rest/agile/1.0/sprint/{sprint['id']}",
            "state": sprint["state"],
            "name": sprint["name"],
        }
        for key in ("startDate", "endDate", "completeDate"):
            if sprint.get(key):
                out[key] = sprint[key]
        out["originBoardId"] = sprint["boardId"]
        out["goal"] = sprint.get("goal", "")
        return out

    def delete_sprint(self, sprint_id: int) -> JsonDict:
        """Delete a sprint (its last state stays for the delete event); returns it."""
        sprint = require(self.sprints.pop(sprint_id, None), sprint_id)
        self.tombstones["sprint"][str(sprint_id)] = self.sprint_json(sprint)
        self._touch()
        return sprint

    def update_sprint(self, sprint_id: int, fields: dict[str, Any]) -> JsonDict:
        """Move a sprint to another state (``{"state": ...}``, what the control API is sent)."""
        sprint = require(self.sprints.get(sprint_id), sprint_id)
        if set(fields) != {"state"} or fields["state"] not in ("active", "closed", "future"):
            raise ValueError(f"unsupported sprint change {fields}")
        sprint.update(fields)
        self._touch()
        return sprint
