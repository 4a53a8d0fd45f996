"""Builds the process's one Jira client from Ocean's configuration, lazily and once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx
from port_ocean.context.ocean import ocean
from port_ocean.helpers.async_client import OceanAsyncClient
from port_ocean.helpers.retry import RetryConfig, RetryTransport

from jira.auth import TokenSource
from jira.client import JiraClient
from jira.http import DEFAULT_TIMEOUT, JiraHttp
from jira.ratelimit import DEFAULT_CONCURRENCY, RateLimiter, RetryPolicy
from jira.settings import JiraSettings

_client: JiraClient | None = None
_settings: JiraSettings | None = None


def settings_from_ocean() -> JiraSettings:
    """Ocean's integration config, parsed once (every webhook delivery reads the secret)."""
    global _settings
    if _settings is None:
        _settings = JiraSettings.from_config(ocean.integration_config, oauth=_has_oauth_token())
    return _settings


def _has_oauth_token() -> bool:
    """Port-hosted installs get their OAuth access token from a file Ocean keeps fresh."""
    return ocean.app.config.oauth_access_token_file_path is not None


def _token_source() -> TokenSource | None:
    if not _has_oauth_token():
        return None

    def current_token() -> str | None:
        return (ocean.app.load_external_oauth_access_token() or "").strip() or None

    return current_token


class QuietTransport(RetryTransport):
    """Ocean's transport, without its log lines: it would log an ERROR for every failed
    attempt, which jira.http retries and reports itself (one warning per retry)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "logger": None})


def _http_client() -> httpx.AsyncClient:
    # Retries are ours (jira.http): Ocean's transport must send each request once.
    seconds = os.environ.get("JIRA_HTTP_TIMEOUT_SECONDS")
    return OceanAsyncClient(
        transport_class=QuietTransport,
        retry_config=RetryConfig(max_attempts=0),
        timeout=httpx.Timeout(float(seconds)) if seconds else DEFAULT_TIMEOUT,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=20),
    )


def retry_policy(env: Mapping[str, str] = os.environ) -> RetryPolicy:
    """Retry tuning for unusual sites (and fast tests), from the process environment:
    JIRA_HTTP_MAX_ATTEMPTS and JIRA_HTTP_RETRY_BASE_SECONDS."""
    default = RetryPolicy()
    return RetryPolicy(
        max_attempts=int(env.get("JIRA_HTTP_MAX_ATTEMPTS", default.max_attempts)),
        base_delay=float(env.get("JIRA_HTTP_RETRY_BASE_SECONDS", default.base_delay)),
    )


def jira_client() -> JiraClient:
    global _client
    if _client is None:
        http = JiraHttp(
            settings_from_ocean(),
            _http_client(),
            policy=retry_policy(),
            limiter=RateLimiter(
                int(os.environ.get("JIRA_HTTP_MAX_CONCURRENCY", str(DEFAULT_CONCURRENCY)))
            ),
            token_source=_token_source(),
        )
        _client = JiraClient(http)
    return _client


def reset_jira_client() -> None:
    """Forgets the cached client and settings (tests start a fresh Ocean app each time)."""
    global _client, _settings
    _client = None
    _settings = None
