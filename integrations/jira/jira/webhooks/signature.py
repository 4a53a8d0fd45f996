"""Jira's webhook signature: `X-Hub-Signature: <method>=<hex HMAC of the raw body>` (WebSub).

Admin webhooks saved with a secret are signed this way. The method is read from the header (Jira
sends sha256 today); an unknown method is rejected rather than guessed.

Data Center before 10 cannot sign: its webhook may carry the secret in its URL instead
(`...?secret=<webhookSecret>`), compared in constant time. Weaker (the secret then sits in Jira's
webhook settings and in any access log on the way, and a delivery's body is not authenticated),
so a signature, when sent, is always the one checked.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

HEADER = "x-hub-signature"
METHODS = frozenset({"sha1", "sha256", "sha384", "sha512"})


URL_SECRET_PARAM = "secret"  # noqa: S105 (the query parameter's name)


def problem(
    secret: str, body: bytes, header: str | None, url_secret: str | None = None
) -> str | None:
    """Why `header` is not a valid signature of `body` under `secret` (or, with no signature,
    why `url_secret`, the delivery URL's `secret`, is not the secret); None when it is valid."""
    if (not header or not header.strip()) and url_secret is not None:
        if hmac.compare_digest(secret.encode(), url_secret.encode("utf-8", "replace")):
            return None
        return "the webhook URL's secret is not webhookSecret"
    if not header or not header.strip():
        return "missing X-Hub-Signature header"
    method, sep, given = header.strip().partition("=")
    method = method.strip().lower()
    if not sep or not given.strip():
        return "malformed X-Hub-Signature header (expected method=hex)"
    if method not in METHODS:
        return f"unsupported X-Hub-Signature method {method[:20]!r}"
    expected = hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest().encode()
    # Bytes, not str: compare_digest refuses non-ASCII str (a client-chosen header), and bytes
    # keep the comparison constant-time whatever the header holds.
    offered = given.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected, offered):
        return "X-Hub-Signature does not match the body (check that Jira's Secret is webhookSecret)"
    return None


def header_value(headers: Mapping[str, str], name: str = HEADER) -> str | None:
    """A header by case-insensitive name (Ocean and Redis may keep either case)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None
