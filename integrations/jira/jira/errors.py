"""Errors raised by the Jira client, carrying Jira's own messages and never a secret."""

from __future__ import annotations

from typing import Any

import httpx

from jira.settings import env_name

# Shown with a 401/403 so a user knows where to look first: the settings, by spec name and
# environment variable.
SCOPES_HINT = (
    f"check atlassianUserEmail ({env_name('atlassianUserEmail')}) and atlassianUserToken "
    f"({env_name('atlassianUserToken')}), and that the token has the scopes the docs list "
    "(read:jira-work, read:jira-user, read:account; manage:jira-webhook for live events)"
)

# Shown with Data Center's 401: the settings of the credentials it takes.
DATACENTER_CREDENTIALS_HINT = (
    f"check atlassianUserToken ({env_name('atlassianUserToken')}), a personal access token, "
    f"or username ({env_name('username')}) and password ({env_name('password')})"
)


class JiraError(Exception):
    """Base class of everything the Jira client raises."""


def jira_messages(body: Any) -> list[str]:
    """Flattens Jira's error body: `errorMessages` plus `errors` {field: message}."""
    if not isinstance(body, dict):
        return []
    messages = [str(m) for m in body.get("errorMessages") or [] if m]
    errors = body.get("errors")
    if isinstance(errors, dict):
        messages += [f"{field}: {message}" for field, message in errors.items()]
    if not messages and isinstance(body.get("message"), str):
        messages.append(body["message"])
    return messages


class JiraApiError(JiraError):
    """Jira answered with an error status."""

    def __init__(self, status: int, method: str, endpoint: str, messages: list[str]) -> None:
        self.status = status
        self.method = method
        self.endpoint = endpoint
        self.messages = messages
        detail = "; ".join(messages) if messages else "no error message in the body"
        where = endpoint if endpoint.startswith(f"{method} ") else f"{method} {endpoint}"
        super().__init__(f"Jira {where} answered {status}: {detail}")

    @classmethod
    def from_response(cls, response: httpx.Response, endpoint: str, host: str = "") -> JiraApiError:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        messages = jira_messages(body)
        if not messages and response.text and len(response.text) < 300:
            messages = [response.text.strip()]
        kind: type[JiraApiError] = JiraApiError
        if response.status_code in (401, 403):
            kind = JiraAuthError
        elif response.status_code == 404:
            kind = JiraNotFoundError
        error = kind(response.status_code, response.request.method, endpoint, messages)
        if isinstance(error, JiraAuthError) and host:
            error.args = (f"{host} refused the credentials: {error.args[0]}",)
        return error


class JiraAuthError(JiraApiError):
    """401/403: the credentials or their scopes are wrong."""

    def __init__(self, status: int, method: str, endpoint: str, messages: list[str]) -> None:
        super().__init__(status, method, endpoint, messages)
        self.args = (f"{self.args[0]} ({SCOPES_HINT})",)


class JiraNotFoundError(JiraApiError):
    """404: the object is gone (or not visible to this user)."""

    def not_gone(self) -> JiraApiError:
        """The same answer as a plain error: for a search, whose 404 is a wrong address and
        never an object that is gone (live events remove what a lookup answers 404 for)."""
        error = JiraApiError(self.status, self.method, self.endpoint, self.messages)
        error.args = self.args
        return error


class JiraUnavailableError(JiraError):
    """Retries ran out on 429/5xx/timeouts/connection errors/malformed bodies."""


class JiraMalformedResponse(JiraError):
    """Jira answered 200 with a body that is not the JSON the endpoint promises."""


class JiraIncompleteError(JiraError):
    """Jira left out items it still has (a bulk fetch's retriable `issueErrors`, a page that
    cannot be proven contiguous) and retries did not recover them: the kind fails, so it
    deletes nothing (an item Jira did not return is unknown, not gone)."""
