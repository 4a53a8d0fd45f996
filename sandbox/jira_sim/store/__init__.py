"""The in-memory Jira store, by concern: users and teams, projects (with components and
versions), Jira Software (boards, sprints), worklogs, issues (with comments). Each concern is a
layer over the one before it; :class:`Dataset` is the top one.

Stored objects are Jira-shaped JSON whose URLs start with :data:`~.catalog.SENTINEL`; the app
swaps in the request's base URL when it serialises a response. Python callers get copies rebased
on :attr:`Dataset.public_base`.
"""

from __future__ import annotations

from ..catalog import JsonDict
from .issues import IssueStore
from .records import (
    IssueRecord,
    NotFoundError,
    ProjectRecord,
    adf,
    rebase,
    relative_delta,
    require,
    user_ref,
)

__all__ = [
    "Dataset",
    "IssueRecord",
    "NotFoundError",
    "ProjectRecord",
    "adf",
    "rebase",
    "relative_delta",
    "user_ref",
]


class Dataset(IssueStore):
    """The whole store, with what spans concerns: deleting a project."""

    def delete_project(self, key: str) -> JsonDict:
        rec = require(self.get_project(key), key)
        for issue in [i for i in self.issues.values() if i.project_key == rec.key]:
            if issue.id in self.issues:
                self._remove_issue(issue)
        del self.projects[rec.key]
        for board in list(self.boards.values()):
            if rec.key in board["projects"]:
                board["projects"] = [k for k in board["projects"] if k != rec.key]
                if not board["projects"]:
                    self.delete_board(int(board["id"]))
        data = self.project_json(rec, full=True)
        self.deleted_projects[rec.key] = data
        self._touch()
        return self.public(data)
