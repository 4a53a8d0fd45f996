"""Ocean's Port clients share one TLS context per TLS setting, built as Ocean and httpx build
it: a new client (each log flush makes one) no longer loads the certificate authorities."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import port_ocean.clients.port.utils as port_client_utils
import pytest
from port_ocean.config.settings import SslClientSettings, SslX509Settings

from jira.port_tls import share_port_tls_context

Resolve = Callable[[SslClientSettings], bool | ssl.SSLContext]


@pytest.fixture
def resolve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resolve]:
    """What Ocean's Port client module calls for `verify`, once the integration shared it."""
    original = port_client_utils.resolve_verify_param  # type: ignore[attr-defined]
    monkeypatch.setattr(port_client_utils, "resolve_verify_param", original)
    share_port_tls_context()
    share_port_tls_context()  # idempotent: not wrapped twice
    shared: Resolve = port_client_utils.resolve_verify_param  # type: ignore[attr-defined]
    yield shared


@pytest.fixture
def contexts_built(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    built: list[Any] = []
    create = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(args or kwargs)
        return create(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    return built


async def test_new_port_clients_reuse_one_verifying_tls_context(
    resolve: Resolve, contexts_built: list[Any]
) -> None:
    verify = resolve(SslClientSettings())
    assert isinstance(verify, ssl.SSLContext)
    assert verify.verify_mode == ssl.CERT_REQUIRED and verify.check_hostname
    assert len(contexts_built) == 1
    for _ in range(5):  # five log flushes: five clients
        async with httpx.AsyncClient(verify=resolve(SslClientSettings())):
            pass
    assert len(contexts_built) == 1
    own = httpx.create_ssl_context(True)  # what each client built for itself before
    assert (verify.verify_flags, verify.options) == (own.verify_flags, own.options)
    assert verify.cert_store_stats() == own.cert_store_stats()


def test_each_tls_setting_keeps_its_meaning(resolve: Resolve) -> None:
    assert resolve(SslClientSettings(verify=False)) is False
    lenient = SslClientSettings(x509=SslX509Settings(strict=False))
    context = resolve(lenient)
    assert isinstance(context, ssl.SSLContext) and context is resolve(lenient)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert not context.verify_flags & ssl.VERIFY_X509_STRICT
    assert context is not resolve(SslClientSettings())
