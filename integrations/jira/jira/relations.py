"""Private keys the kinds add to Jira's objects, for mappings (documented in docs/kinds.md).

Jira's own objects rarely name their parent in the form Port relates by (a version carries a
project id, a worklog an issue id), so each child is given its parent's identity as the
catalog knows it (a string, like the entity identifiers). The keys start with `__` so they never
clash with Jira's fields.
"""

from __future__ import annotations

MEMBERS = "__members"  # team: the members' [{accountId}]
PROJECT = "__project"  # release, component: the project key
PROJECTS = "__projects"  # board: the keys of every project of the board
BOARD = "__board"  # sprint, epic, backlog: the board id (a string)
ISSUE = "__issue"  # worklog, comment: the issue key
BODY_TEXT = "__bodyText"  # comment: the body as plain text
COMMENT_TEXT = "__commentText"  # worklog: its comment as plain text
