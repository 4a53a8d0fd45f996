"""One shared async HTTP client for Jira: base URLs, auth, retries, rate limits, errors.

Every request of the integration goes through `JiraHttp.request`, so the error policy lives in
one place: 429/5xx/timeouts/connection errors/malformed bodies are retried with backoff
(honouring `Retry-After`), a 401 under OAuth reloads the token once, anything else raises a
`JiraApiError` carrying Jira's own messages.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from loguru import logger

from jira import progress
from jira.auth import ACCEPTED, EXPECTED, JiraAuth, TokenSource, auth_for, credential_of
from jira.deployment import Api as Api  # where the client and paginators import it
from jira.deployment import Deployment, detect_deployment
from jira.errors import (
    DATACENTER_CREDENTIALS_HINT,
    JiraApiError,
    JiraAuthError,
    JiraMalformedResponse,
    JiraNotFoundError,
    JiraUnavailableError,
)
from jira.ratelimit import RateLimiter, RetryPolicy, retry_after_seconds
from jira.settings import ConfigurationError, JiraSettings

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# A host that has never answered this process is more likely wrong (a misspelt name, a closed
# port) than briefly down: a connection failure to it is retried twice, not the policy's
# attempts (a host that answered before gets those).
UNANSWERED_HOST_ATTEMPTS = 3
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=15.0)


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
        oauth_token = token_source() if token_source else None
        self._auth: JiraAuth = auth_for(settings, oauth_token)
        self.credential = credential_of(settings, oauth_token)
        self._deployment: Deployment | None = None
        self._fatal: ConfigurationError | None = None
        # The detection in flight: callers that wait for it share its answer or its failure.
        self._detection: asyncio.Future[Deployment] | None = None
        self._host_answered = False

    @property
    def base_url(self) -> str:
        return self.settings.host

    async def deployment(self) -> Deployment:
        """Which Jira this is: found once (`jira.deployment`), before the first request. A host
        that is no Jira, or a credential the deployment does not take, raises the same
        `ConfigurationError` for every request; any other failure is shared by the requests
        that waited for that detection (the next one after it tries again)."""
        if self._deployment is not None:
            return self._deployment
        if self._fatal is not None:
            raise self._fatal
        detection = self._detection
        if detection is None or detection.done():
            detection = self._detection = asyncio.ensure_future(self._detect())
        try:
            return await asyncio.shield(detection)
        finally:
            if detection.done() and self._detection is detection:
                self._detection = None

    async def _detect(self) -> Deployment:
        try:
            found = await detect_deployment(
                self.settings.deployment, self.base_url, self._read_if_found
            )
            self._check_credential(found)
        except ConfigurationError as exc:
            self._fatal = exc
            raise
        self._deployment = found
        return found

    def _check_credential(self, deployment: Deployment) -> None:
        if self.credential not in ACCEPTED[deployment.flavor]:
            raise ConfigurationError(
                "atlassianUserToken",
                f"does not fit {self.base_url}: it is {deployment.describe()}, which expects "
                f"{EXPECTED[deployment.flavor]}; got {self.credential.value}",
            )

    def _refused(self, deployment: Deployment, error: JiraAuthError) -> JiraAuthError:
        """A 401 from Data Center says so, and which credentials it takes (Cloud's message
        names Cloud's settings already)."""
        if error.status == 401 and deployment.is_datacenter:
            error.args = (
                f"{self.base_url} ({deployment.describe()}) refused "
                f"{self.credential.value} (401): it expects {EXPECTED[deployment.flavor]}; "
                f"{DATACENTER_CREDENTIALS_HINT}",
            )
        return error

    async def _read_if_found(self, path: str) -> Any:
        """serverInfo, which both deployments serve without credentials too: refused ones
        must not hide which deployment this is (the first real request names them)."""
        url, endpoint = f"{self.base_url}{path}", f"GET {path}"
        try:
            try:
                return await self._send("GET", url, endpoint)
            except JiraAuthError as refused:
                try:
                    return await self._send("GET", url, endpoint, anonymous=True)
                except JiraAuthError:
                    # Refused with and without them: the credentials are what to fix, and no
                    # request can work without them.
                    raise ConfigurationError(
                        "atlassianUserToken", f"was refused: {refused}"
                    ) from None
        except JiraNotFoundError:
            return None
        except JiraMalformedResponse as exc:
            raise ConfigurationError(
                "jiraHost", f"{self.base_url} is not a Jira site: {exc}"
            ) from None

    def _api_path(self, api: Api) -> str:
        """Where `api` is served on this site (its Cloud path until the deployment is known)."""
        return self._deployment.paths[api] if self._deployment else api.value

    def endpoint_name(self, method: str, api: Api, template: str) -> str:
        """`method path-template`: the endpoint's name in logs, errors, statistics and
        rate-limit scopes, with the path this site serves it under."""
        return f"{method} {self._api_path(api)}{template}"

    def url(self, api: Api, template: str, path_params: Mapping[str, Any] | None = None) -> str:
        path = template.format(
            **{k: quote(str(v), safe="") for k, v in (path_params or {}).items()}
        )
        return f"{self.base_url}{self._api_path(api)}{path}"

    def at(self, api: Api, template: str, **path_params: Any) -> Endpoint:
        """The endpoint `template` under `api`, `{name}` placeholders from `path_params`."""
        return Endpoint(self, api, template, path_params or None)

    def bulk_at(self, api: Api, template: str) -> Endpoint:
        """`at`, for reads of many issues at once (seconds each): their requests take the
        limiter's bulk slots, not the shared ones (jira.ratelimit)."""
        return Endpoint(self, api, template, None, bulk=True)

    async def pause_before_retry(self, attempt: int) -> None:
        """The policy's wait after failed `attempt` (for retries made above one request, e.g.
        the issues a bulk fetch lists as retriable errors)."""
        await self._sleep(self.policy.backoff(attempt))

    async def aclose(self) -> None:
        await self._client.aclose()

    def _refresh_bearer_token(self, sent: str) -> bool:
        """After a 401 under OAuth to a request sent with the header `sent`: whether a newer
        token is there to retry with (a concurrent request's refresh, or Ocean's token file)."""
        if not self.settings.is_oauth or self._token_source is None:
            return False
        if self._auth.header != sent:  # refreshed meanwhile, for a request sent alongside
            return True
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
        raw: bool = False,
        bulk: bool = False,
    ) -> Any:
        """Sends one logical request (retrying as the policy says) and returns the JSON body
        (`raw`: the body's bytes, not parsed: the caller parses them and asks again when
        they are not JSON).

        `template` is the path under `api` with `{name}` placeholders; `method api template` is
        the endpoint's name in logs, errors, statistics and rate-limit scopes.
        """
        deployment = await self.deployment()
        endpoint = self.endpoint_name(method, api, template)
        try:
            body = await self._send(
                method,
                self.url(api, template, path_params),
                endpoint,
                params=params,
                json_body=json_body,
                idempotent=idempotent,
                raw=raw,
                bulk=bulk,
            )
        except JiraAuthError as error:
            raise self._refused(deployment, error) from None
        return body if raw else deployment.normalise(body)

    async def _send(
        self,
        method: str,
        url: str,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool = True,
        anonymous: bool = False,
        raw: bool = False,
        bulk: bool = False,
    ) -> Any:
        """The request loop: one logical request, retried as the policy says."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        refreshed = False
        last_failure = ""
        malformed = False  # the last failure was a 2xx whose body is not JSON
        attempts = self.policy.max_attempts
        attempt = 0
        while attempt < attempts:
            attempt += 1
            wait: float | None = None  # 429s wait in limiter.slot(), scoped by their reason
            authorization = self._auth.header
            async with self.limiter.slot(endpoint, bulk=bulk):
                try:
                    response = await self._client.request(
                        method,
                        url,
                        params=query,
                        json=json_body,
                        headers={"Accept": "application/json"}
                        if anonymous
                        else {"Authorization": authorization, "Accept": "application/json"},
                    )
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    last_failure = _no_answer(exc)
                    malformed = False
                    response = None
                    if not self._host_answered and isinstance(exc, _CONNECTION_FAILURES):
                        attempts = min(attempts, UNANSWERED_HOST_ATTEMPTS)
            progress.count_request(None if response is None else response.status_code)
            if response is not None:
                self._host_answered = True
                self.limiter.on_response(response.headers)
                status = response.status_code
                if 200 <= status < 300:
                    if _is_html(response):  # a web page is never a truncated JSON body
                        raise JiraMalformedResponse(
                            f"{endpoint} answered {status} with an HTML page, not JSON"
                        )
                    if raw:
                        return response.content
                    try:
                        return _json_body(response)
                    except ValueError:
                        last_failure = f"a {status} answer whose body is not valid JSON"
                        malformed = True
                elif status == 401 and not refreshed and self._refresh_bearer_token(authorization):
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
                    elif (asked := retry_after_seconds(response.headers)) is not None:
                        # a 503's Retry-After is the least wait (RFC 7231 §7.1.3)
                        wait = max(asked, self.policy.backoff(attempt))
                else:
                    raise JiraApiError.from_response(response, endpoint, host=self.base_url)
            if attempt == attempts:
                break
            if wait is None:
                wait = self.policy.backoff(attempt)
            logger.warning(
                f"Jira {endpoint}: {last_failure}; retry {attempt}/{attempts - 1}"
                + (f" in {wait:.1f}s" if wait else " when the rate limit allows")
            )
            if wait:
                await self._sleep(wait)
        if malformed:
            raise JiraMalformedResponse(
                f"Jira {endpoint} returned {last_failure} {attempts} times; giving up on this "
                "request"
            )
        raise JiraUnavailableError(
            f"Jira {endpoint} failed {attempts} times (last: {last_failure})"
        )


@dataclass(frozen=True)
class Endpoint:
    """One Jira endpoint: `template` under `api`, its `{name}` placeholders filled from
    `path_params`, asked through `http` (so with its retries, limits and errors)."""

    http: JiraHttp
    api: Api
    template: str
    path_params: Mapping[str, Any] | None = None
    bulk: bool = False
    """A read of many issues at once: it takes the limiter's bulk slots (`JiraHttp.bulk_at`)."""

    def name(self, method: str) -> str:
        return self.http.endpoint_name(method, self.api, self.template)

    async def get(self, params: Mapping[str, Any] | None = None) -> Any:
        return await self._ask("GET", params=params)

    async def post(self, body: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> Any:
        return await self._ask("POST", params=params, json_body=body)

    async def post_for_bytes(self, body: Mapping[str, Any]) -> bytes:
        """`post`, with the answer's body as bytes, not parsed (`JiraHttp.request`'s `raw`)."""
        answer: bytes = await self._ask("POST", json_body=body, raw=True)
        return answer

    async def _ask(self, method: str, **request: Any) -> Any:
        return await self.http.request(
            method, self.api, self.template, path_params=self.path_params, bulk=self.bulk, **request
        )


# The host cannot be reached at all (no such name, nothing listening, no route).
_CONNECTION_FAILURES = (httpx.ConnectError, httpx.ConnectTimeout)


def _no_answer(exc: BaseException) -> str:
    """Why there was no answer, in words: httpx says "All connection attempts failed" for a
    refused connection; the causes it wraps say which failure it was."""
    seen: BaseException | None = exc
    visited: set[int] = set()  # a re-raised exception can be its own context
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        if isinstance(seen, socket.gaierror):
            return "its name does not resolve (DNS)"
        if isinstance(seen, ConnectionRefusedError):
            return "it refused the connection (nothing listens on that port)"
        seen = seen.__cause__ or seen.__context__
    return f"{type(exc).__name__} (no answer)"


def _is_html(response: httpx.Response) -> bool:
    content_type = str(response.headers.get("content-type", ""))
    return content_type.split(";")[0].strip().lower() == "text/html"


def _json_body(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    return json.loads(response.content)
