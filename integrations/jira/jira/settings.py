"""The integration's configuration, validated once, with errors that name the setting."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# Atlassian's gateway, https://api.atlassian.com/ex/jira/<cloudId>: Port-hosted (OAuth 2.0)
# installs and scoped API tokens reach Jira through it. The path alone identifies it, so the
# local sandbox can serve the same gateway layout.
_GATEWAY_PATH = re.compile(r"^/ex/jira/(?P<cloud_id>[^/]+)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Jira retries a failed delivery up to 5 times, 5-15 minutes apart: its last retry comes at
# most 75 minutes after the change. Older deliveries are replays (or lost clocks): ignored.
DEFAULT_WEBHOOK_MAX_AGE_MINUTES = 90


def env_name(setting: str) -> str:
    """The environment variable of a setting: jiraHost -> OCEAN__INTEGRATION__CONFIG__JIRA_HOST."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", setting).upper()
    return f"OCEAN__INTEGRATION__CONFIG__{snake}"


class ConfigurationError(ValueError):
    """A configuration value is missing or malformed; the message is one actionable line."""

    def __init__(self, setting: str, what: str) -> None:
        self.setting = setting  # the configuration's name, e.g. jiraHost
        self.env = env_name(setting)
        self.what = what
        super().__init__(f"Configuration error: {setting} ({self.env}) {what}")


def _text(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# Port's Jira Server integration names its settings differently; an install of it moves here
# by switching the image, its configuration unchanged.
SERVER_ALIASES = {
    "jira_host": "jira_server_host",
    "atlassian_user_token": "token",
}
DEPLOYMENTS = ("auto", "cloud", "datacenter")


def _is_atlassian_site(hostname: str) -> bool:
    return hostname.endswith(".atlassian.net") or hostname == "api.atlassian.com"


def validated_host(host: str | None) -> str:
    """jiraHost, checked: an http(s) site URL (without a trailing slash), or a
    ConfigurationError saying what is wrong with it and what to write instead."""
    if host is None or not host.strip():
        raise ConfigurationError(
            "jiraHost", "is missing: set it to your site, e.g. https://example.atlassian.net"
        )
    host = host.strip()
    try:
        parts = urlsplit(host)
        hostname = parts.hostname
        guess = urlsplit(f"https://{host}").hostname
    except ValueError:  # e.g. an unclosed [IPv6 bracket
        hostname = guess = None
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not hostname:
        hint = f" (write https://{host})" if not parts.scheme and guess else ""
        raise ConfigurationError(
            "jiraHost",
            f"must be a URL such as https://example.atlassian.net, got {host!r}{hint}",
        )
    if parts.query or parts.fragment:
        raise ConfigurationError("jiraHost", f"must not carry a query or fragment, got {host!r}")
    host = host.rstrip("/")
    path = parts.path.rstrip("/")
    # A Data Center site may live under a context path (https://example.com/jira); an
    # Atlassian Cloud site is served at its root.
    if path and _is_atlassian_site(hostname) and not _GATEWAY_PATH.match(path):
        raise ConfigurationError(
            "jiraHost",
            "must be the site root (https://example.atlassian.net) or the OAuth gateway "
            f"https://api.atlassian.com/ex/jira/<cloudId>, got {host!r}",
        )
    return host


def max_age_minutes(value: object) -> int:
    """webhookMaxAgeMinutes, checked (None: the default)."""
    text = None if value is None else (str(value).strip() or None)
    if text is None:
        return DEFAULT_WEBHOOK_MAX_AGE_MINUTES
    if not text.isdigit():
        raise ConfigurationError(
            "webhookMaxAgeMinutes",
            f"must be a whole number of minutes (0 for no limit), e.g. 90, got {text[:40]!r}",
        )
    return int(text)


@dataclass(frozen=True, repr=False)
class JiraSettings:
    """What the Jira client needs; secrets are kept out of repr()."""

    host: str
    email: str | None
    token: str | None
    organization_id: str | None = None
    webhook_secret: str | None = None
    # Data Center / Server: a login and password (Basic), instead of a token.
    username: str | None = None
    password: str | None = None
    # jiraDeployment: "cloud" or "datacenter"; None is `auto` (serverInfo decides).
    deployment: str | None = None
    webhook_max_age_minutes: int = DEFAULT_WEBHOOK_MAX_AGE_MINUTES  # 0: no limit
    # Ocean provides an OAuth access token (a token file: Port-hosted installs). How the token
    # was obtained decides the auth scheme (jira.auth.auth_for), never the host.
    oauth: bool = False

    def __repr__(self) -> str:
        return (
            f"JiraSettings(host={self.host!r}, email={'set' if self.email else None}, "
            f"token={'***' if self.token else None}, organization_id={self.organization_id!r}, "
            f"webhook_secret={'***' if self.webhook_secret else None}, "
            f"username={'set' if self.username else None}, "
            f"password={'***' if self.password else None}, deployment={self.deployment!r}, "
            f"oauth={self.oauth})"
        )

    @property
    def cloud_id(self) -> str | None:
        match = _GATEWAY_PATH.match(urlsplit(self.host).path)
        return match.group("cloud_id") if match else None

    @property
    def is_oauth(self) -> bool:
        """True when Ocean provides an OAuth access token: it is then sent as a Bearer token."""
        return self.oauth

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, oauth: bool = False) -> JiraSettings:
        """Reads Ocean's integration config (snake_case keys) and validates every value;
        `oauth` says whether Ocean provides an OAuth access token (a token file)."""
        config = {
            **{ours: config.get(theirs) for ours, theirs in SERVER_ALIASES.items()},
            **{k: v for k, v in config.items() if _text(config, k) is not None},
        }
        host = validated_host(_text(config, "jira_host"))
        hostname = urlsplit(host).hostname or ""

        deployment = (_text(config, "jira_deployment") or "auto").lower()
        if deployment not in DEPLOYMENTS:
            raise ConfigurationError(
                "jiraDeployment", f"must be one of {', '.join(DEPLOYMENTS)}, got {deployment!r}"
            )
        token = _text(config, "atlassian_user_token")
        email = _text(config, "atlassian_user_email")
        username = _text(config, "username")
        password = _text(config, "password")
        if (username is None) != (password is None):
            missing = "password" if password is None else "username"
            raise ConfigurationError(
                missing, "is missing: Data Center's Basic login needs both username and password"
            )
        if token is None and username is None:
            raise ConfigurationError(
                "atlassianUserToken",
                "is missing: create an API token for the Jira user (Cloud), or a personal access "
                "token (Data Center; or set username and password)",
            )
        settings = cls(
            host=host,
            email=email,
            token=token,
            organization_id=_text(config, "atlassian_organization_id"),
            webhook_secret=_text(config, "webhook_secret"),
            username=username,
            password=password,
            deployment=None if deployment == "auto" else deployment,
            webhook_max_age_minutes=max_age_minutes(config.get("webhook_max_age_minutes")),
            oauth=oauth,
        )
        cloud_only = deployment == "cloud" or _is_atlassian_site(hostname)
        if not settings.is_oauth and username is None:
            if email is None and cloud_only:
                raise ConfigurationError(
                    "atlassianUserEmail",
                    "is missing: the email of the user who owns the API token (API tokens, "
                    "scoped ones on the api.atlassian.com gateway too, use Basic email:token)",
                )
            if email is not None and not _EMAIL.match(email):
                raise ConfigurationError("atlassianUserEmail", "is not an email address")
        return settings
