"""The small Jira site the convergence test runs, the mapping it syncs, and what Port should
hold for it: the model, computed from the simulator's store (Jira's truth) without jq.

The mapping is small on purpose, so the model stays tractable and independent of the
integration: issues of two of the site's projects that are not done (a JQL the simulator
evaluates, and issues leave and re-enter it by a status change or a move), their comments and
worklogs, every project and user, and the active and future sprints of every board. Each
entity maps fields of its own object only, so a change to one object changes one entity.
"""

from __future__ import annotations

from typing import Any, Final

from sandbox.jira_sim.config import SimConfig
from sandbox.jira_sim.store import Dataset
from sandbox.jira_sim.store.records import IssueRecord

# 3 projects (PA, PLAT, MOB), 3 users, 6 issues, a scrum board with 6 sprints per project.
SITE_CONFIG: Final = SimConfig(
    unkind=True,
    # Every step runs in one process, one after another: latency would only slow it down.
    latency_ms=0.0,
    per_item_ms=0.0,
    projects=3,
    users=3,
    teams=0,
    issues=6,
    max_worklogs_per_issue=1,
    busy_issues=0,
    extra_boards=False,
)
SELECTED_PROJECTS: Final = ("PA", "PLAT")  # MOB and the projects a history creates are not
ISSUE_JQL: Final = f"project in ({', '.join(SELECTED_PROJECTS)}) AND statusCategory != Done"
SPRINT_STATES: Final = ("active", "future")

Expected = dict[str, dict[str, dict[str, Any]]]  # blueprint → identifier → entity fields


def _resource(kind: str, blueprint: str, mappings: dict[str, Any], **selector: Any) -> Any:
    return {
        "kind": kind,
        "selector": {"query": "true", **selector},
        "port": {"entity": {"mappings": {"blueprint": f'"{blueprint}"', **mappings}}},
    }


MAPPING: Final[dict[str, Any]] = {
    "deleteDependentEntities": True,
    "createMissingRelatedEntities": True,
    "entityDeletionThreshold": 1,
    "resources": [
        _resource("project", "jiraProject", {"identifier": ".key", "title": ".name"}),
        _resource(
            "user",
            "jiraUser",
            {
                "identifier": ".accountId",
                "title": ".displayName",
                "properties": {"active": ".active"},
            },
        ),
        _resource(
            "issue",
            "jiraIssue",
            {
                "identifier": ".key",
                "title": ".fields.summary",
                "properties": {"status": ".fields.status.name"},
                "relations": {
                    "project": ".fields.project.key",
                    "assignee": ".fields.assignee.accountId",
                },
            },
            jql=ISSUE_JQL,
        ),
        _resource(
            "comment",
            "jiraComment",
            {
                "identifier": ".id",
                "title": ".__bodyText",
                "relations": {"issue": ".__issueKey"},
            },
            jql=ISSUE_JQL,
        ),
        _resource(
            "worklog",
            "jiraWorklog",
            {
                "identifier": ".id",
                "title": ".__issueKey",
                "properties": {"timeSpentSeconds": ".timeSpentSeconds"},
                "relations": {"issue": ".__issueKey"},
            },
            jql=ISSUE_JQL,
        ),
        _resource(
            "sprint",
            "jiraSprint",
            {"identifier": ".id | tostring", "title": ".name", "properties": {"state": ".state"}},
            sprintState=list(SPRINT_STATES),
        ),
    ],
}


def issue_selected(rec: IssueRecord) -> bool:
    """What ISSUE_JQL selects."""
    done = rec.fields["status"]["statusCategory"]["key"] == "done"
    return rec.project_key in SELECTED_PROJECTS and not done


def body_text(comment: dict[str, Any]) -> str:
    """A comment's ADF body as the plain text the integration puts in `__bodyText`."""
    lines = [
        "".join(part.get("text", "") for part in paragraph.get("content", []))
        for paragraph in comment["body"].get("content", [])
    ]
    return "\n".join(lines)


def expected_port(ds: Dataset) -> Expected:
    """Every entity the mapping makes of the site as the store holds it now."""
    out: Expected = {bp: {} for bp in ("jiraProject", "jiraUser", "jiraIssue")}
    out.update({bp: {} for bp in ("jiraComment", "jiraWorklog", "jiraSprint")})
    for project in ds.projects.values():
        out["jiraProject"][project.key] = {"title": project.name}
    for user in ds.users.values():
        out["jiraUser"][user["accountId"]] = {
            "title": user["displayName"],
            "properties": {"active": user["active"]},
        }
    for rec in ds.issues.values():
        if not issue_selected(rec):
            continue
        assignee = rec.fields.get("assignee")
        out["jiraIssue"][rec.key] = {
            "title": rec.fields["summary"],
            "properties": {"status": rec.fields["status"]["name"]},
            "relations": {
                "project": rec.project_key,
                "assignee": assignee["accountId"] if assignee else None,
            },
        }
        for comment in ds.issue_comments(rec):
            out["jiraComment"][str(comment["id"])] = {
                "title": body_text(comment),
                "relations": {"issue": rec.key},
            }
        for worklog in ds.issue_worklogs(rec):
            out["jiraWorklog"][str(worklog["id"])] = {
                "title": rec.key,
                "properties": {"timeSpentSeconds": worklog["timeSpentSeconds"]},
                "relations": {"issue": rec.key},
            }
    for board in ds.boards.values():
        if board["type"] != "scrum":
            continue
        for sprint in ds.board_sprints(board):
            if sprint["state"] in SPRINT_STATES:
                out["jiraSprint"][str(sprint["id"])] = {
                    "title": sprint["name"],
                    "properties": {"state": sprint["state"]},
                }
    return out


def as_port_holds(entity: dict[str, Any], like: dict[str, Any]) -> dict[str, Any]:
    """The parts of a Port entity that `like` (an expected entity) describes."""
    return {part: entity.get(part) for part in like}
