"""Authentication for Jira, chosen in one place (`auth_for`) from the credentials given:

- an OAuth access token that Ocean provides (Port-hosted installs: its token file) → Bearer;
- username + password (Data Center / Server) → Basic username:password;
- an API token with atlassianUserEmail (Cloud) → Basic email:token, on every host, the
  api.atlassian.com gateway included (scoped API tokens use it with Basic auth);
- a token without an email: a Data Center personal access token → Bearer.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from jira.settings import JiraSettings

# The current OAuth access token Ocean keeps in its token file (None while it has none).
TokenSource = Callable[[], str | None]


@dataclass(repr=False)
class JiraAuth:
    """Builds the Authorization header; a Bearer token may be replaced after a refresh."""

    scheme: str
    _secret: str = field(repr=False)

    @classmethod
    def basic(cls, email: str, token: str) -> JiraAuth:
        raw = f"{email}:{token}".encode()
        return cls("Basic", base64.b64encode(raw).decode("ascii"))

    @classmethod
    def bearer(cls, token: str) -> JiraAuth:
        return cls("Bearer", token)

    @property
    def header(self) -> str:
        return f"{self.scheme} {self._secret}"

    def replace_bearer_token(self, token: str) -> None:
        self._secret = token

    def __repr__(self) -> str:
        return f"JiraAuth(scheme={self.scheme!r}, secret='***')"


class Credential(StrEnum):
    """What the configured secret is, in words for the log and for errors."""

    OAUTH = "an OAuth access token"
    PASSWORD = "username + password"  # noqa: S105 (a description)
    API_TOKEN = "an API token with atlassianUserEmail"  # noqa: S105
    PAT = "a personal access token (atlassianUserToken/token without an email)"


def credential_of(settings: JiraSettings, oauth_token: str | None = None) -> Credential:
    if oauth_token or settings.is_oauth:
        return Credential.OAUTH
    if settings.username and settings.password:
        return Credential.PASSWORD
    if settings.email:
        return Credential.API_TOKEN
    return Credential.PAT


def auth_for(settings: JiraSettings, oauth_token: str | None = None) -> JiraAuth:
    """The one answer to "which Authorization header?" (`oauth_token`: Ocean's, when it keeps
    one for Port-hosted installs)."""
    credential = credential_of(settings, oauth_token)
    if credential is Credential.PASSWORD:
        return JiraAuth.basic(settings.username or "", settings.password or "")
    if credential is Credential.API_TOKEN:
        return JiraAuth.basic(settings.email or "", settings.token or "")
    return JiraAuth.bearer(oauth_token or settings.token or "")


# What each deployment accepts, and in words for the one line that says a credential does not fit.
ACCEPTED = {
    "cloud": frozenset({Credential.OAUTH, Credential.API_TOKEN}),
    "datacenter": frozenset({Credential.PAT, Credential.PASSWORD, Credential.API_TOKEN}),
}
EXPECTED = {
    "cloud": "atlassianUserEmail + atlassianUserToken (an API token), or OAuth",
    "datacenter": "a personal access token (token, no email; sent as Bearer) "
    "or username + password",
}
