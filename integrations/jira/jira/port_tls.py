"""One TLS context for every Port HTTP client Ocean makes.

Ocean 0.56.2 keeps its Port HTTP client in a context variable and makes a new one wherever none
is set: each flush of the logs it ships to Port runs in a new thread (a new client every few
seconds, or every 100 log lines), and its request middleware re-reads the mapping in the
request's own context when its cache is stale. httpx builds a TLS context for each new client,
loading the certificate authorities again (about 20 ms of CPU each time): in a burst of live
events that was a fifth of the integration's CPU. The TLS settings are the same for all of
them (`OCEAN__SSL__PORT__*`), so one context, built as Ocean and httpx would build it, serves
every client; sharing an `ssl.SSLContext` between connections and threads is what it is for.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import port_ocean.clients.port.utils as port_client_utils
from port_ocean.helpers.ssl import resolve_verify_param

if TYPE_CHECKING:
    from port_ocean.config.settings import SslClientSettings

Verify = bool | ssl.SSLContext
_RESOLVE = "resolve_verify_param"


def _shared(
    resolve: Callable[[SslClientSettings], Verify],
) -> Callable[[SslClientSettings], Verify]:
    """`resolve` (Ocean's `resolve_verify_param`), answering one TLS context per setting."""
    made: dict[bool, Verify] = {}  # by x509.strict

    def shared(settings: SslClientSettings) -> Verify:
        if not settings.verify:
            return resolve(settings)  # no verification: no context to build
        strict = bool(settings.x509.strict)
        if strict not in made:
            verify = resolve(settings)
            # What httpx makes of `True` for each client: certifi's authorities, or
            # SSL_CERT_FILE / SSL_CERT_DIR when set; made here once instead.
            made[strict] = httpx.create_ssl_context(verify) if verify is True else verify
        return made[strict]

    return shared


def share_port_tls_context() -> None:
    """Makes Ocean's Port clients share one TLS context per TLS setting (idempotent)."""
    # The name Ocean's Port client module calls when it makes a client (imported there).
    if getattr(port_client_utils, _RESOLVE) is resolve_verify_param:
        setattr(port_client_utils, _RESOLVE, _shared(resolve_verify_param))
