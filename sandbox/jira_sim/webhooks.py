"""Build Jira-shaped webhook events, sign them like Jira (``X-Hub-Signature``) and send them.

Payload envelope: ``{timestamp, webhookEvent, user, issue, changelog}`` for issue events;
``{timestamp, webhookEvent, project}`` / ``{timestamp, webhookEvent, user}`` for project and user
events; ``comment`` (with ``issue``), ``worklog``, ``version`` and ``sprint`` for theirs.
``jira:issue_deleted`` (and the other ``*_deleted`` events) carry the last known object.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import asdict, dataclass
from typing import Final, TypedDict, Unpack

import httpx

from .catalog import JsonDict
from .store import Dataset, NotFoundError, rebase, user_ref

USER_AGENT: Final = "Atlassian Webhook HTTP Client"
RETRIED_STATUSES: Final = frozenset({408, 409, 425, 429})  # and every 5xx


class EventRefs(TypedDict, total=False):
    """What an event is about (see :func:`build_event`)."""

    key: str
    account_id: str
    project_key: str
    comment_id: str
    worklog_id: str
    version_id: str
    sprint_id: str


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>``, the ``X-Hub-Signature`` value."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def build_event(
    dataset: Dataset, event: str, *, base_url: str | None = None, **refs: Unpack[EventRefs]
) -> JsonDict:
    """A Jira-shaped webhook payload: the event's family (its name's prefix) says which
    reference names the object (``key`` for issue and comment events, ``account_id`` for
    ``user_*``, ``project_key`` for ``project_*``, ...). Deleted objects come from the store's
    tombstones. Raises :class:`NotFoundError` for an unknown object."""
    # stamped on Jira's clock
    payload: JsonDict = {"timestamp": int(dataset.now().timestamp() * 1000), "webhookEvent": event}
    family = event.removeprefix("jira:").split("_")[0]
    if family in ("issue", "comment"):
        payload.update(_issue_event(dataset, event, refs.get("key"), refs.get("comment_id")))
    elif family == "user":
        account_id = _ref(refs.get("account_id"), event)
        user = _found(dataset.users.get(account_id), account_id)
        payload["user"] = user_ref(user)
    elif family == "project":
        key = _ref(refs.get("project_key"), event)
        rec = dataset.get_project(key)
        project = dataset.project_json(rec) if rec else dataset.deleted_projects.get(key.upper())
        payload["project"] = _found(project, key)
    elif family == "version":
        version_id = _ref(refs.get("version_id"), event)
        found = dataset.find_version(version_id)
        payload["version"] = (
            dataset.version_json(*found) if found else _tombstone(dataset, "version", version_id)
        )
    elif family == "sprint":
        sprint_id = _ref(refs.get("sprint_id"), event)
        sprint = dataset.sprints.get(int(sprint_id))
        payload["sprint"] = (
            dataset.sprint_json(sprint) if sprint else _tombstone(dataset, "sprint", sprint_id)
        )
    elif family == "worklog":
        worklog_id = int(_ref(refs.get("worklog_id"), event))
        worklog = (
            dataset.worklogs.get(worklog_id)
            or dataset.deleted_worklogs.get(worklog_id, (0, None))[1]
        )
        payload["worklog"] = _found(worklog, str(worklog_id))
    else:
        raise ValueError(f"unsupported event {event!r}")
    return rebase(payload, base_url or dataset.public_base)  # type: ignore[no-any-return]


def _ref(value: str | None, event: str) -> str:
    if not value:
        raise ValueError(f"{event} needs the id or key of what it is about")
    return value


def _found(value: JsonDict | None, ref: str) -> JsonDict:
    if value is None:
        raise NotFoundError(ref)
    return value


def _tombstone(dataset: Dataset, kind: str, ref: str) -> JsonDict:
    return _found(dataset.tombstones[kind].get(ref), ref)


def _issue_event(dataset: Dataset, event: str, key: str | None, comment_id: str | None) -> JsonDict:
    key = _ref(key, event).upper()
    rec = dataset.get_issue(key)
    issue = _found(rec.json() if rec is not None else dataset.deleted_issues.get(key), key)
    current = dataset.users.get(dataset.current_account_id or "")
    out: JsonDict = {"user": _webhook_user(current), "issue": issue}
    if event == "jira:issue_updated":
        last = rec.changelog[-1] if rec is not None and rec.changelog else {"id": "0", "items": []}
        out["changelog"] = {"id": last["id"], "items": last["items"]}
    if event.startswith("comment_"):
        out["comment"] = _comment(dataset, issue, _ref(comment_id, event))
    return out


def _webhook_user(user: JsonDict | None) -> JsonDict | None:
    """A user as Jira puts it in webhook envelopes: no email, no locale."""
    if user is None:
        return None
    return {k: v for k, v in user.items() if k not in ("emailAddress", "locale")}


def _comment(dataset: Dataset, issue: JsonDict, comment_id: str) -> JsonDict:
    for comment in (issue["fields"].get("comment") or {}).get("comments", []):
        if comment["id"] == comment_id:
            return dict(comment)
    return _tombstone(dataset, "comment", comment_id)


def delivery_headers(
    body: bytes, identifier: str, secret: str | None, retry: int = 0
) -> dict[str, str]:
    """Jira's headers on a delivery of ``body``: ``X-Atlassian-Webhook-Identifier`` (the same
    again on a retry), ``X-Atlassian-Webhook-Flow: Primary``, ``X-Atlassian-Webhook-Retry``
    (the retry count, on retries only) and, when there is a ``secret``,
    ``X-Hub-Signature: sha256=...`` over the exact bytes sent."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Atlassian-Webhook-Identifier": identifier,
        "X-Atlassian-Webhook-Flow": "Primary",
    }
    if retry:
        headers["X-Atlassian-Webhook-Retry"] = str(retry)
    if secret:
        headers["X-Hub-Signature"] = sign(body, secret)
    return headers


@dataclass
class Delivery:
    url: str
    event: str
    identifier: str
    status: int | None
    error: str | None = None
    webhook_id: int | None = None
    retry: int = 0  # 0: the first attempt; n: Jira's n-th retry of it

    def json(self) -> JsonDict:
        return asdict(self)

    @property
    def retryable(self) -> bool:
        """Whether Jira sends it again: 408, 409, 425, 429 or 5xx, or no answer (the connection
        failed or timed out)."""
        return self.status is None or self.status in RETRIED_STATUSES or self.status >= 500


async def send_event(
    url: str,
    payload: JsonDict,
    *,
    secret: str | None = None,
    identifier: str | None = None,
    retry: int = 0,
    answer_within_s: float = 10.0,
) -> Delivery:
    """POST one event like Jira does (:func:`delivery_headers`; a new ``identifier`` unless
    given; ``retry``: the how-many-th retry this is); never raises for HTTP/transport errors
    (a connection that fails or an answer slower than ``answer_within_s`` is a status None)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    event = str(payload.get("webhookEvent", ""))
    identifier = identifier or str(uuid.uuid4())
    headers = delivery_headers(body, identifier, secret, retry)
    try:
        async with httpx.AsyncClient(timeout=answer_within_s) as http:
            response = await http.post(url, content=body, headers=headers)
        return Delivery(url, event, identifier, response.status_code, retry=retry)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
        return Delivery(url, event, identifier, None, error=error, retry=retry)
