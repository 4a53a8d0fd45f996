"""Authentication headers for Jira: Basic (email + API token) or Bearer (OAuth 2.0), and the
one decision between them (`choose_auth`)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field

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


def choose_auth(settings: JiraSettings, oauth_token: TokenSource | None) -> JiraAuth:
    """How Jira is authenticated, by how the token was obtained, never by the host.

    - Ocean provides an OAuth access token (Port-hosted installs, `settings.is_oauth`): Bearer,
      with the token file's current token (the configured token until the file has one).
    - Otherwise the token is an API token: Basic email:token on every host, including the
      gateway https://api.atlassian.com/ex/jira/<cloudId>, which scoped API tokens use with
      Basic auth.
    """
    if settings.is_oauth:
        return JiraAuth.bearer((oauth_token and oauth_token()) or settings.token)
    return JiraAuth.basic(settings.email or "", settings.token)
