"""The integration's HTTP server parses requests with httptools (C), not h11 (pure Python): h11
took a fifth of the CPU of each webhook delivery (docs/performance.md). uvicorn picks httptools
whenever it is installed, so it must be in the lock files the image and the venv install."""

from __future__ import annotations

from pathlib import Path

from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

ROOT = Path(__file__).resolve().parents[2]


def test_uvicorn_serves_webhooks_with_httptools() -> None:
    assert AutoHTTPProtocol is HttpToolsProtocol


def test_the_lock_files_pin_httptools() -> None:
    for lock in ("requirements.lock", "requirements-dev.lock"):
        pins = (ROOT / lock).read_text().splitlines()
        assert any(pin.startswith("httptools==") for pin in pins), lock
