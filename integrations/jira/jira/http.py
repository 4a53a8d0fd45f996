"""One shared async HTTP client for Jira: base URLs, auth, retries, rate limits, errors.

Every request of the integration goes through `JiraHttp.request`, so the error policy lives in
one place: 429/5xx/timeouts/connection errors/malformed bodies are retried with backoff
(honouring `Retry-After`), a 401 under OAuth reloads the token once, anything else raises a
`JiraApiError` carrying Jira's own messages.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import httpx
from loguru import logger

from jira import progress
from jira.auth import TokenSource, choose_auth
from jira.errors import JiraApiError, JiraMalformedResponse, JiraUnavailableError
from jira.ratelimit import RateLimiter, RetryPolicy
from jira.settings import JiraSettings

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=15.0)


class Api(StrEnum):
    """The Jira APIs this integration reads, as path prefixes under the site (or gateway)."""

    PLATFORM = "/rest/api/3"
    PLATFORM_V2 = "/rest/api/2"  # what Cloud, Server and Data Center all serve (serverInfo)
    AGILE = "/rest/agile/1.0"
    SOFTWARE = "/rest/software/1.0"
    WEBHOOKS = "/rest/webhooks/1.0"
    TEAMS = "/gateway/api/public/teams/v1"


class JiraHttp:
    def __init__(
        self,
        settings: JiraSettings,
        client: httpx.AsyncClient,
        *,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        token_source: TokenSource | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self._client = client
        self.policy = policy or RetryPolicy()
        self.limiter = limiter or RateLimiter()
        self._sleep = sleep
        self._token_source = token_source
        self._auth = choose_auth(settings, token_source)

    @property
    def base_url(self) -> str:
        return self.settings.host

    def url(self, api: Api, template: str, path_params: Mapping[str, Any] | None = None) -> str:
        path = template.format(
            **{k: quote(str(v), safe="") for k, v in (path_params or {}).items()}
        )
        return f"{self.base_url}{api.value}{path}"

    async def aclose(self) -> None:
        await self._client.aclose()

    def _refresh_bearer_token(self) -> bool:
        """After a 401 under OAuth: takes a newer token from Ocean's token file, if any."""
        if not self.settings.is_oauth or self._token_source is None:
            return False
        token = self._token_source()
        if not token or f"Bearer {token}" == self._auth.header:
            return False
        self._auth.replace_bearer_token(token)
        logger.info("Jira answered 401; retrying with the refreshed OAuth access token")
        return True

    async def request(
        self,
        method: str,
        api: Api,
        template: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool = True,
    ) -> Any:
        """Sends one logical request (retrying as the policy says) and returns the JSON body.

        `template` is the path under `api` with `{name}` placeholders; `method api template` is
        the endpoint's name in logs, errors, statistics and rate-limit scopes.
        """
        endpoint = f"{method} {api.value}{template}"
        url = self.url(api, template, path_params)
        query = {k: v for k, v in (params or {}).items() if v is not None}
        refreshed = False
        last_failure = ""
        malformed = False  # the last failure was a 2xx whose body is not JSON
        for attempt in range(1, self.policy.max_attempts + 1):
            wait: float | None = None  # 429s wait in limiter.slot(), scoped by their reason
            async with self.limiter.slot(endpoint):
                try:
                    response = await self._client.request(
                        method,
                        url,
                        params=query,
                        json=json_body,
                        headers={"Authorization": self._auth.header, "Accept": "application/json"},
                    )
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    last_failure = f"{type(exc).__name__} (no answer)"
                    malformed = False
                    response = None
            progress.count_request(None if response is None else response.status_code)
            if response is not None:
                self.limiter.on_response(response.headers)
                status = response.status_code
                if 200 <= status < 300:
                    try:
                        return _json_body(response)
                    except ValueError:
                        last_failure = f"a {status} answer whose body is not valid JSON"
                        malformed = True
                elif status == 401 and not refreshed and self._refresh_bearer_token():
                    refreshed = True
                    continue
                elif status in RETRYABLE_STATUS and (idempotent or status == 429):
                    last_failure = f"HTTP {status}"
                    malformed = False
                    if status == 429:
                        self.limiter.on_throttled(
                            endpoint, response.headers, self.policy.backoff(attempt)
                        )
                        wait = 0.0
                else:
                    raise JiraApiError.from_response(response, endpoint, host=self.base_url)
            if attempt == self.policy.max_attempts:
                break
            if wait is None:
                wait = self.policy.backoff(attempt)
            logger.warning(
                f"Jira {endpoint}: {last_failure}; retry {attempt}/{self.policy.max_attempts - 1}"
                + (f" in {wait:.1f}s" if wait else " when the rate limit allows")
            )
            if wait:
                await self._sleep(wait)
        if malformed:
            raise JiraMalformedResponse(
                f"Jira {endpoint} returned {last_failure} "
                f"{self.policy.max_attempts} times; giving up on this request"
            )
        raise JiraUnavailableError(
            f"Jira {endpoint} failed {self.policy.max_attempts} times (last: {last_failure})"
        )


def _json_body(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    return json.loads(response.content)
