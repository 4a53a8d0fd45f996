#!/usr/bin/env python3
"""Imports historical Jira issues into a Port webhook data source (the docs' alternative install).

Reads issues by JQL from Jira and POSTs each one, shaped like Jira's own `jira:issue_updated`
webhook event, to the Port webhook URL whose mapping turns it into an entity.

Environment (the names Port's docs use):
  PORT_URL      the webhook URL Port generated for your webhook data source
  JIRA_SERVER   your Jira site, e.g. https://example.atlassian.net
  USERNAMES     the Jira user's email (the API token's owner)
  API_TOKEN     a Jira API token
  JQL           optional; default: created IS NOT EMPTY ORDER BY created ASC

Prints one line per 100 issues and a summary; exits 1 when any issue could not be delivered.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import httpx  # noqa: E402

from jira.client import JiraClient  # noqa: E402
from jira.http import DEFAULT_TIMEOUT, JiraHttp  # noqa: E402
from jira.settings import ConfigurationError, JiraSettings  # noqa: E402

DEFAULT_JQL = "created IS NOT EMPTY ORDER BY created ASC"
REQUIRED = ("PORT_URL", "JIRA_SERVER", "USERNAMES", "API_TOKEN")


def webhook_event(issue: dict[str, Any]) -> dict[str, Any]:
    return {
        "timestamp": int(time.time() * 1000),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "issue": issue,
    }


async def run(
    env: dict[str, str],
    out: Any = sys.stdout,
    port_transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    missing = [name for name in REQUIRED if not env.get(name, "").strip()]
    if missing:
        print(
            f"Missing environment variable(s): {', '.join(missing)} (see --help)", file=sys.stderr
        )
        return 2
    try:
        settings = JiraSettings.from_config(
            {
                "jira_host": env["JIRA_SERVER"],
                "atlassian_user_email": env["USERNAMES"],
                "atlassian_user_token": env["API_TOKEN"],
            }
        )
    except ConfigurationError as exc:
        problem = f"JIRA_SERVER ({exc.env}) {exc.what}" if exc.setting == "jiraHost" else exc
        print(problem, file=sys.stderr)
        return 2
    jql = env.get("JQL") or DEFAULT_JQL
    sent = failed = 0
    async with (
        httpx.AsyncClient(timeout=DEFAULT_TIMEOUT) as jira_http,
        httpx.AsyncClient(timeout=30, transport=port_transport) as port,
    ):
        client = JiraClient(JiraHttp(settings, jira_http))
        async for page in client.search_issues(jql, ["*all"]):
            for issue in page:
                response = await port.post(env["PORT_URL"], json=webhook_event(issue))
                if response.is_success:
                    sent += 1
                else:
                    failed += 1
                    print(
                        f"{issue.get('key')}: Port answered {response.status_code}", file=sys.stderr
                    )
                if (sent + failed) % 100 == 0:
                    print(f"{sent + failed} issues processed", file=out)
    print(f"Imported {sent} issues into Port ({failed} failed) for JQL: {jql}", file=out)
    return 1 if failed else 0


def main() -> int:
    if "--help" in sys.argv or "-h" in sys.argv:
        print(__doc__)
        return 0
    return asyncio.run(run(dict(os.environ)))


if __name__ == "__main__":
    sys.exit(main())
