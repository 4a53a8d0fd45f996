"""Private keys the kinds add to Jira's objects, for mappings (documented in docs/kinds.md).

Jira's own objects rarely name their parent in the form Port relates by (a version carries a
project id, a worklog an issue id), so each child is given its parent under a private key. The
names and shapes are those of Port's own Jira integration (port-labs/ocean integrations/jira),
so a mapping written for it reads the same keys here. The keys start with `__` so they never
clash with Jira's fields.
"""

from __future__ import annotations

from dataclasses import dataclass

MEMBERS = "__members"  # team: the members, [{accountId}]
PROJECT_KEY = "__projectKey"  # release, component: the project's key (a string)
PROJECT = "__project"  # release, component: the whole project object
PROJECT_KEYS = "__projectKeys"  # board: the keys of every project of the board ([] when none)
BOARD_ID = "__boardId"  # sprint, epic, backlog: the board id (an integer)
ISSUE_KEY = "__issueKey"  # worklog, comment: the issue's key
BODY_TEXT = "__bodyText"  # comment: the body as plain text
COMMENT_TEXT = "__commentText"  # worklog: its comment as plain text


@dataclass(frozen=True)
class Enrichment:
    """One key a kind adds: what it holds, and whether Port's integration adds it too."""

    key: str
    value: str
    upstream: bool
