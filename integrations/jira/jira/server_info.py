"""Which Jira answers at jiraHost: `GET /rest/api/2/serverInfo`, served by Cloud, Server and
Data Center alike (version 2 of the API is the one all three have)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jira.http import Api, JiraHttp


@dataclass(frozen=True)
class ServerInfo:
    deployment_type: str  # "Cloud", "Server" or "DataCenter", as Jira names it
    version: str
    base_url: str
    title: str

    @property
    def is_cloud(self) -> bool:
        return self.deployment_type.lower() == "cloud"

    def describe(self) -> str:
        return f"Jira {self.deployment_type or 'of an unknown deployment'} {self.version}".rstrip()

    @classmethod
    def from_body(cls, body: Any) -> ServerInfo:
        info = body if isinstance(body, dict) else {}
        return cls(
            deployment_type=str(info.get("deploymentType") or ""),
            version=str(info.get("version") or ""),
            base_url=str(info.get("baseUrl") or ""),
            title=str(info.get("serverTitle") or ""),
        )


async def server_info(http: JiraHttp) -> ServerInfo:
    """What the site says about itself; raises the client's errors (no answer, 4xx/5xx)."""
    return ServerInfo.from_body(await http.request("GET", Api.PLATFORM_V2, "/serverInfo"))
