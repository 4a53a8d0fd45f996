"""Build Jira-shaped webhook events, sign them like Jira (``X-Hub-Signature``) and send them.

Payload envelope: ``{timestamp, webhookEvent, issue_event_type_name, user, issue, changelog}``
for issue events; ``{timestamp, webhookEvent, project}`` / ``{timestamp, webhookEvent, user}``
for project and user events; ``comment`` (with ``issue``), ``worklog``, ``version`` (a merge adds
``mergedTo``), ``sprint`` and ``board`` for theirs. ``jira:issue_deleted`` (and the other
``*_deleted`` events) carry the last known object.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Final, TypedDict

import httpx

from .catalog import JsonDict
from .store import Dataset, NotFoundError, rebase

ISSUE_EVENTS: Final = frozenset({"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"})
PROJECT_EVENTS: Final = frozenset(
    {
        "project_created",
        "project_updated",
        "project_deleted",
        "project_soft_deleted",
        "project_restored_deleted",
        "project_archived",
        "project_restored_archived",
    }
)
USER_EVENTS: Final = frozenset({"user_created", "user_updated", "user_deleted"})
VERSION_EVENTS: Final = frozenset(
    {
        "jira:version_created",
        "jira:version_updated",
        "jira:version_released",
        "jira:version_unreleased",
        "jira:version_moved",
        "jira:version_deleted",
    }
)
SPRINT_EVENTS: Final = frozenset(
    {"sprint_created", "sprint_updated", "sprint_started", "sprint_closed", "sprint_deleted"}
)
BOARD_EVENTS: Final = frozenset(
    {"board_created", "board_updated", "board_deleted", "board_configuration_changed"}
)
WORKLOG_EVENTS: Final = frozenset({"worklog_created", "worklog_updated", "worklog_deleted"})
USER_AGENT: Final = "Atlassian Webhook HTTP Client"


class EventRefs(TypedDict, total=False):
    """What an event is about, beyond the issue/user/project (see :func:`build_event`)."""

    comment_id: str
    worklog_id: str
    version_id: str
    merged_to: str
    sprint_id: str
    board_id: str


def sign(body: bytes | str, secret: str) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>``, the ``X-Hub-Signature`` value."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return "sha256=" + hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def verify(body: bytes | str, header: str | None, secret: str) -> bool:
    """Check an ``X-Hub-Signature`` header (``method=hex``; sha256, sha1 or sha512)."""
    if not header or "=" not in header:
        return False
    method, _, digest = header.partition("=")
    algo = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "sha512": hashlib.sha512}.get(
        method.strip().lower()
    )
    if algo is None:
        return False
    raw = body.encode("utf-8") if isinstance(body, str) else body
    expected = hmac.new(secret.encode("utf-8"), raw, algo).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


def _webhook_user(user: JsonDict | None) -> JsonDict | None:
    """A user as Jira puts it in webhook envelopes: no email, no locale."""
    if user is None:
        return None
    return {k: v for k, v in user.items() if k not in ("emailAddress", "locale")}


def _issue_event_type(event: str, changelog: JsonDict | None) -> str:
    if event == "jira:issue_created":
        return "issue_created"
    if event == "jira:issue_deleted":
        return "issue_deleted"
    fields = {str(i.get("field")) for i in (changelog or {}).get("items", [])}
    if "status" in fields:
        return "issue_generic"
    if fields == {"assignee"}:
        return "issue_assigned"
    return "issue_updated"


def build_event(
    dataset: Dataset,
    event: str,
    *,
    key: str | None = None,
    account_id: str | None = None,
    project_key: str | None = None,
    base_url: str | None = None,
    changelog: JsonDict | None = None,
    actor: str | None = None,
    timestamp_ms: int | None = None,
    comment_id: str | None = None,
    worklog_id: str | None = None,
    version_id: str | None = None,
    merged_to: str | None = None,
    sprint_id: str | None = None,
    board_id: str | None = None,
) -> JsonDict:
    """A Jira-shaped webhook payload for an issue, user or project event.

    ``key`` names the issue (issue events), ``account_id`` the user (``user_*``) and
    ``project_key`` the project (``project_*``). Deleted objects come from the store's
    tombstones. Raises :class:`NotFoundError` for an unknown object.
    """
    base = base_url or dataset.public_base
    payload: JsonDict = {
        "timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
        "webhookEvent": event,
    }
    actor_user = dataset.users.get(actor or "") or dataset.users.get(
        dataset.current_account_id or ""
    )
    if event in ISSUE_EVENTS or event.startswith("comment_"):
        if not key:
            raise ValueError(f"{event} needs an issue key")
        rec = dataset.get_issue(key)
        if rec is not None:
            issue = rec.json()
            if changelog is None and event == "jira:issue_updated" and rec.changelog:
                last = rec.changelog[-1]
                changelog = {"id": last["id"], "items": last["items"]}
        elif key in dataset.deleted_issues or key.upper() in {
            k.upper() for k in dataset.deleted_issues
        }:
            issue = next(v for k, v in dataset.deleted_issues.items() if k.upper() == key.upper())
        else:
            raise NotFoundError(key)
        payload["issue_event_type_name"] = _issue_event_type(event, changelog)
        payload["user"] = _webhook_user(actor_user)
        payload["issue"] = issue
        if event == "jira:issue_updated":
            payload["changelog"] = changelog or {"id": "0", "items": []}
        if event.startswith("comment_"):
            payload["comment"] = _comment(dataset, issue, comment_id)
    elif event in USER_EVENTS:
        if not account_id:
            raise ValueError(f"{event} needs an accountId")
        user = dataset.users.get(account_id) or dataset.deleted_users.get(account_id)
        if user is None:
            raise NotFoundError(account_id)
        payload["user"] = {k: v for k, v in user.items() if k != "locale"}
    elif event in PROJECT_EVENTS:
        if not project_key:
            raise ValueError(f"{event} needs a projectKey")
        rec_p = dataset.get_project(project_key)
        if rec_p is not None:
            project = dataset.project_json(rec_p, full=True)
        elif project_key.upper() in dataset.deleted_projects:
            project = dataset.deleted_projects[project_key.upper()]
        else:
            raise NotFoundError(project_key)
        lead = project.get("lead")
        payload["project"] = {
            "self": project["self"],
            "id": int(project["id"]),
            "key": project["key"],
            "name": project["name"],
            "avatarUrls": project["avatarUrls"],
            "projectLead": lead,
            "assigneeType": "admin.assignee.type.unassigned",
        }
    elif event in VERSION_EVENTS:
        payload["version"] = _version(dataset, version_id)
        if merged_to:
            payload["mergedTo"] = _version(dataset, merged_to)
    elif event in SPRINT_EVENTS:
        sprint = dataset.sprints.get(int(sprint_id)) if sprint_id and sprint_id.isdigit() else None
        payload["sprint"] = (
            dataset.sprint_json(sprint) if sprint else _tombstone(dataset, "sprint", sprint_id)
        )
    elif event in BOARD_EVENTS:
        board = dataset.boards.get(int(board_id)) if board_id and board_id.isdigit() else None
        payload["board"] = (
            dataset.board_json(board) if board else _tombstone(dataset, "board", board_id)
        )
    elif event in WORKLOG_EVENTS:
        if not worklog_id or not worklog_id.isdigit():
            raise ValueError(f"{event} needs a worklogId")
        worklog = dataset.worklogs.get(int(worklog_id))
        if worklog is None and int(worklog_id) in dataset.deleted_worklogs:
            worklog = dataset.deleted_worklogs[int(worklog_id)][1]
        if worklog is None:
            raise NotFoundError(worklog_id)
        payload["worklog"] = worklog
    else:
        raise ValueError(f"unsupported event {event!r}")
    return rebase(payload, base)  # type: ignore[no-any-return]


def _tombstone(dataset: Dataset, kind: str, ref: str | None) -> JsonDict:
    if not ref:
        raise ValueError(f"a {kind} event needs a {kind}Id")
    found = dataset.tombstones[kind].get(str(ref))
    if found is None:
        raise NotFoundError(ref)
    return found


def _version(dataset: Dataset, version_id: str | None) -> JsonDict:
    found = dataset.find_version(version_id) if version_id else None
    if found is not None:
        return dataset.version_json(*found)
    return _tombstone(dataset, "version", version_id)


def _comment(dataset: Dataset, issue: JsonDict, comment_id: str | None) -> JsonDict | None:
    comments = (issue["fields"].get("comment") or {}).get("comments", [])
    if comment_id is None:
        return comments[-1] if comments else None
    for comment in comments:
        if comment["id"] == str(comment_id):
            return dict(comment)
    if str(comment_id) in dataset.tombstones["comment"]:
        return dataset.tombstones["comment"][str(comment_id)]
    raise NotFoundError(comment_id)


@dataclass
class Delivery:
    url: str
    event: str
    identifier: str
    status: int | None
    error: str | None = None
    webhook_id: int | None = None

    def json(self) -> JsonDict:
        return {
            "url": self.url,
            "event": self.event,
            "identifier": self.identifier,
            "status": self.status,
            "error": self.error,
            "webhookId": self.webhook_id,
        }


def encode_body(payload: JsonDict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


async def send_event(
    url: str,
    payload: JsonDict | bytes,
    *,
    secret: str | None = None,
    headers: dict[str, str] | None = None,
    identifier: str | None = None,
    retry: int | None = None,
    client: httpx.AsyncClient | None = None,
    timeout_s: float = 10.0,
) -> Delivery:
    """POST one event like Jira does; never raises for HTTP/transport errors.

    Headers: ``X-Atlassian-Webhook-Identifier`` (unique, reuse it to simulate a retry),
    ``X-Atlassian-Webhook-Flow: Primary``, ``X-Atlassian-Webhook-Retry`` when ``retry`` is set,
    and ``X-Hub-Signature: sha256=...`` over the exact bytes sent when ``secret`` is given.
    """
    body = payload if isinstance(payload, bytes) else encode_body(payload)
    event = ""
    if isinstance(payload, dict):
        event = str(payload.get("webhookEvent", ""))
    identifier = identifier or str(uuid.uuid4())
    sent_headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Atlassian-Webhook-Identifier": identifier,
        "X-Atlassian-Webhook-Flow": "Primary",
    }
    if retry:
        sent_headers["X-Atlassian-Webhook-Retry"] = str(retry)
    if secret:
        sent_headers["X-Hub-Signature"] = sign(body, secret)
    sent_headers.update(headers or {})
    own = client is None
    http = client or httpx.AsyncClient(timeout=timeout_s)
    try:
        response = await http.post(url, content=body, headers=sent_headers)
        return Delivery(url, event, identifier, response.status_code)
    except httpx.HTTPError as exc:
        return Delivery(url, event, identifier, None, error=f"{type(exc).__name__}: {exc}")
    finally:
        if own:
            await http.aclose()
