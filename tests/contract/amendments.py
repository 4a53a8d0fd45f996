"""Where the contract test departs from Atlassian's published descriptions, and why.

Three lists, each entry with its reason:
- CORRECTIONS: a parameter schema replaced where the description contradicts what it documents
  (the published schema would refuse every request Jira documents as valid).
- DOCUMENTED_LIMITS: limits Jira documents in prose only, added to a request body's schema.
- WAIVERS: violations accepted. Each must still happen: the test fails on a waiver that no
  longer matches anything, so the list cannot go stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from tests.contract.contract import Violation

SPRINTS: Final = "GET /rest/agile/1.0/board/{boardId}/sprint"
BOARDS: Final = "GET /rest/agile/1.0/board"
BULK_FETCH: Final = "POST /rest/api/3/issue/bulkfetch"
SEARCH: Final = "POST /rest/api/3/search/jql"
WORKLOG_LIST: Final = "POST /rest/api/3/worklog/list"
TENANT_INFO: Final = r"GET /_edge/tenant_info"
ADMIN_WEBHOOKS: Final = r"(GET|POST|PUT) /rest/webhooks/1\.0/webhook(/\d+)?"


def _comma_list(*values: str) -> dict[str, Any]:
    one = f"({'|'.join(values)})"
    return {"type": "string", "pattern": f"^{one}(,{one})*$"}


# (operation, query parameter) -> the schema that replaces the published one.
CORRECTIONS: Final[dict[tuple[str, str], dict[str, Any]]] = {
    # Published as `{"type": "object", "additionalProperties": false}`, described as "Valid
    # values: future, active, closed. You can define multiple states separated by commas, e.g.
    # state=active,closed": a query string value is never an object.
    (SPRINTS, "state"): _comma_list("future", "active", "closed"),
    # Published as an object too, described as "Valid values: scrum, kanban, simple."
    (BOARDS, "type"): _comma_list("scrum", "kanban", "simple"),
}

_NO_LIST: Final = {"anyOf": [{"not": {"type": "array"}}, {"maxItems": 0}]}
# operation -> a schema the request body must match as well as the published one.
DOCUMENTED_LIMITS: Final[dict[str, dict[str, Any]]] = {
    # "Bulk fetch issues": at most 100 issues, or 1,000 when the request is shaped to be served
    # efficiently (named fields, no `expand`, no `properties`) (jira-cloud-api.md, Bulk fetch).
    BULK_FETCH: {
        "anyOf": [
            {"properties": {"issueIdsOrKeys": {"maxItems": 100}}},
            {
                "required": ["fields"],
                "properties": {
                    "issueIdsOrKeys": {"maxItems": 1000},
                    "fields": {"minItems": 1, "items": {"not": {"enum": ["*all", "*navigable"]}}},
                    "expand": _NO_LIST,
                    "properties": _NO_LIST,
                },
            },
        ]
    },
    # search/jql: "It returns max 5000 issues" per page (ids/keys only; fewer when more fields
    # are asked); reconcileIssues "Accepts max 50 ids".
    SEARCH: {
        "properties": {
            "maxResults": {"maximum": 5000},
            "reconcileIssues": {"maxItems": 50},
        }
    },
    # worklog/list: "returns at most 1000 items" (jira-cloud-api.md, worklogs): more ids are
    # silently left out.
    WORKLOG_LIST: {"properties": {"ids": {"maxItems": 1000}}},
}


@dataclass(frozen=True)
class Waiver:
    operation: str  # an operation's name; for "operation" waivers, a regex of "METHOD /path"
    aspect: str
    contains: str  # a part of the violation's message
    reason: str

    def covers(self, violation: Violation) -> bool:
        if violation.aspect != self.aspect or self.contains not in violation.message:
            return False
        if self.aspect != "operation":
            return violation.operation == self.operation
        return re.fullmatch(self.operation, violation.operation) is not None


_NO_ADMIN_WEBHOOK_DOCUMENT: Final = (
    "Jira's admin webhooks (POST /rest/webhooks/1.0/webhook, documented in Jira's webhook guide; "
    "reference/jira-cloud-api.md, Webhooks) have no OpenAPI description; the published "
    "/rest/api/3/webhook is the dynamic webhooks of Connect and OAuth 2.0 apps only, which an "
    "API-token integration is not"
)

WAIVERS: Final = (
    Waiver(ADMIN_WEBHOOKS, "operation", "", _NO_ADMIN_WEBHOOK_DOCUMENT),
    Waiver(
        BULK_FETCH,
        "response 200",
        "('expand' was unexpected)",
        "BulkIssueResults declares only issues and issueErrors (additionalProperties: false), "
        'but Atlassian\'s own example answer for this operation starts {"expand":"schema,names",'
        " ...}: Jira sends it, and the simulator answers like the example",
    ),
    Waiver(
        TENANT_INFO,
        "operation",
        "",
        "a Cloud site's cloud id (the Teams API's siteId) is served at /_edge/tenant_info, which "
        "Atlassian documents in its knowledge base (How to Find Your Atlassian Cloud Site's "
        "Cloud ID), not in an OpenAPI description",
    ),
)
