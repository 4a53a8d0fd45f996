"""The serving helper both simulators share (sandbox/serving.py): each CLI binds a free port,
writes the ready file, answers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from sandbox.serving import listening_socket

ROOT = Path(__file__).resolve().parents[2]
PORT_TOKEN = {"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret"}


def jira_answers(url: str) -> bool:
    auth = ("demo@example.com", "sandbox-token")
    response = httpx.get(f"{url}/rest/api/3/project/search", auth=auth)
    return response.json()["total"] == 1  # type: ignore[no-any-return]


def port_answers(url: str) -> bool:
    response = httpx.post(f"{url}/v1/auth/access_token", json=PORT_TOKEN)
    return "accessToken" in response.json()


CASES: dict[str, tuple[list[str], Callable[[str], bool]]] = {
    "sandbox.jira_sim": (
        ["--config-json", json.dumps({"issues": 5, "projects": 1, "users": 3})],
        jira_answers,
    ),
    "sandbox.port_sim": ([], port_answers),
}


@pytest.mark.parametrize("module", sorted(CASES))
def test_cli_serves_until_sigterm(module: str, tmp_path: Path) -> None:
    extra, answers = CASES[module]
    ready = tmp_path / "ready.url"
    command = [sys.executable, "-m", module, "--port", "0", "--ready-file", str(ready), *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "never became ready"
            time.sleep(0.05)
        url = ready.read_text().strip()
        assert url.startswith("http://127.0.0.1:") and answers(url)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
        assert proc.returncode == 0 and out.splitlines()[0] == url
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_simulators_sockets_send_answers_at_once() -> None:
    """Without TCP_NODELAY, Nagle held each answer's body until the client's delayed ACK: 40 ms
    on every kept-alive request, a latency no real Jira or Port adds, in every benchmark."""
    sock = listening_socket("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()
