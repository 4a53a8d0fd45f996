"""Authentication headers for Jira: Basic (email + API token) or Bearer (OAuth 2.0)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field


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
