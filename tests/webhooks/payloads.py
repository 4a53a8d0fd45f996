"""Jira-shaped webhook deliveries (payloads and headers), for unit, harness and burst tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from typing import Any

from jira.webhooks.events import kinds_for
from tests.builders import board, comment, issue, project, sprint, user, version, worklog

BASE_TIME = 1_700_000_000_000  # epoch ms
SECRET = "It's a Secret to Everybody"


def sign(secret: str, body: bytes, method: str = "sha256") -> str:
    """The X-Hub-Signature Jira sends for `body` when its webhook has `secret`."""
    digest = hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()
    return f"{method}={digest}"


def issue_event(
    name: str,
    item: dict[str, Any] | None = None,
    n: int = 1,
    timestamp: int = BASE_TIME,
    **extra: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "timestamp": timestamp,
        "webhookEvent": name,
        "issue_event_type_name": name.split(":")[-1],
        "user": {"accountId": "acc-1", "displayName": "User 1"},
        "issue": item if item is not None else issue(n),
    }
    payload.update(extra)
    return payload


def comment_event(
    name: str, n: int = 1, timestamp: int = BASE_TIME, comment_n: int = 5
) -> dict[str, Any]:
    full = issue(n)
    small = {"id": full["id"], "key": full["key"], "self": full["self"], "fields": {"summary": "x"}}
    return {
        "timestamp": timestamp,
        "webhookEvent": name,
        "comment": comment(comment_n),
        "issue": small,
    }


def version_event(
    name: str, n: int = 1, timestamp: int = BASE_TIME, **extra: Any
) -> dict[str, Any]:
    return {"timestamp": timestamp, "webhookEvent": name, "version": version(n), **extra}


def board_event(name: str, n: int = 1, timestamp: int = BASE_TIME) -> dict[str, Any]:
    return {"timestamp": timestamp, "webhookEvent": name, "board": board(n)}


def sprint_event(
    name: str, n: int = 1, timestamp: int = BASE_TIME, state: str = "active"
) -> dict[str, Any]:
    return {"timestamp": timestamp, "webhookEvent": name, "sprint": sprint(n, state)}


def worklog_event(
    name: str, n: int = 1, timestamp: int = BASE_TIME, issue_id: str = "20001"
) -> dict[str, Any]:
    return {"timestamp": timestamp, "webhookEvent": name, "worklog": worklog(n, issue_id)}


def project_event(name: str, n: int = 1, timestamp: int = BASE_TIME) -> dict[str, Any]:
    p = project(n)
    webhook_project = {
        "self": p["self"],
        "id": int(p["id"]),
        "key": p["key"],
        "name": p["name"],
        "projectTypeKey": p["projectTypeKey"],
    }
    return {"timestamp": timestamp, "webhookEvent": name, "project": webhook_project}


def user_event(name: str, n: int = 1, timestamp: int = BASE_TIME) -> dict[str, Any]:
    u = user(n)
    webhook_user = {k: u[k] for k in ("self", "accountId", "accountType", "displayName", "active")}
    return {"timestamp": timestamp, "webhookEvent": name, "user": webhook_user}


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def delivery_headers(
    body: bytes, secret: str | None = None, delivery_id: str | None = None, method: str = "sha256"
) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "x-atlassian-webhook-identifier": delivery_id or str(uuid.uuid4()),
        "x-atlassian-webhook-flow": "Primary",
    }
    if secret is not None:
        headers["x-hub-signature"] = sign(secret, body, method)
    return headers


BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "issue": issue_event,
    "project": project_event,
    "user": user_event,
    "release": version_event,
    "board": board_event,
    "sprint": sprint_event,
    "worklog": worklog_event,
    "comment": comment_event,
}
# Events more than one kind follows; each processor handles it for its own kind.
SHARED_EVENTS = {"comment_created", "comment_updated", "comment_deleted"}


def sample_payload(event: str) -> dict[str, Any]:
    """A delivery of `event` that every kind declaring it can handle."""
    handlers = kinds_for(event)
    for kind, _ in handlers:
        payload = BUILDERS[kind.name](event)
        if all(live.object_of(payload) is not None for _, live in handlers):
            return payload
    raise AssertionError(f"no sample payload of {event} suits {[k.name for k, _ in handlers]}")
