"""Port-hosted (OAuth) mode against the simulator's OAuth gateway: Bearer auth, a token that
Ocean's token file refreshes mid-sync, and teams skipped with a clear message."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sandbox.stack import LAUNCHER, running_stack

CLOUD_ID = "11111111-2222-3333-4444-555555555555"


def test_oauth_install_syncs_through_the_gateway_and_survives_a_token_refresh(
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "oauth-token"
    token_file.write_text("oauth-token-1\n")
    with running_stack(
        jira={
            "projects": 3,
            "users": 10,
            "teams": 2,
            "issues": 1200,
            "oauth_token": "oauth-token-1",
            "cloud_id": CLOUD_ID,
        }
    ) as stack:
        env = stack.integration_env(
            OCEAN__INTEGRATION__CONFIG__JIRA_HOST=f"{stack.jira_url}/ex/jira/{CLOUD_ID}",
            OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN="token-from-config-is-stale",
            OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL="",
            OCEAN__OAUTH_ACCESS_TOKEN_FILE_PATH=str(token_file),
            JIRA_ISSUE_STRATEGY="search",
        )
        stack.jira("PATCH", "/_sim/config", {"latency_ms": 150})
        log_path = tmp_path / "oauth.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, str(LAUNCHER)], env=env, stdout=log, stderr=subprocess.STDOUT
            )
            deadline = time.monotonic() + 120
            # the resync reads every kind at once from its start: rotate once it is reading
            while stack.jira("GET", "/_sim/stats")["total"] < 8:
                assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()[
                    -3000:
                ]
                time.sleep(0.02)
            # Port's platform rotates the access token: the old one stops working mid-sync
            token_file.write_text("oauth-token-2\n")
            stack.jira("PATCH", "/_sim/config", {"oauth_token": "oauth-token-2"})
            returncode = process.wait(timeout=300)
        output = log_path.read_text()
        stats = stack.jira("GET", "/_sim/stats")

        assert returncode == 0, output[-3000:]
        assert stats["by_status"].get("401", 0) >= 1  # the old token was refused at least once
        assert "retrying with the refreshed OAuth access token" in output
        assert "Atlassian's Teams API does not accept OAuth tokens" in output
        assert not stack.entities("jiraTeam")
        assert len(stack.entities("jiraProject")) == 3
        assert "oauth-token-2" not in output and "oauth-token-1" not in output
