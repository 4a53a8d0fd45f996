"""Which Jira this is (Cloud, or Data Center / Server) and what follows from it, decided once.

A deployment is data: the path of each API under the site, whether Jira offers the bulk issue
fetch and Atlassian's Teams API, and how its objects are brought to the names the default
mapping reads. `detect_deployment` answers "which one?" for the client and for the startup
probe alike: the `jiraDeployment` setting when it names one, else `GET /rest/api/2/serverInfo`
(`/rest/api/3/serverInfo` when v2 is not served), whose `deploymentType` is "Cloud" on Cloud and
"Server" (or "DataCenter") otherwise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from jira.datacenter_shapes import with_cloud_names
from jira.settings import ConfigurationError


class Api(StrEnum):
    """The Jira APIs this integration reads, named by their Cloud path (the deployment tells
    each one's path on the site)."""

    PLATFORM = "/rest/api/3"
    AGILE = "/rest/agile/1.0"
    SOFTWARE = "/rest/software/1.0"
    WEBHOOKS = "/rest/webhooks/1.0"
    TEAMS = "/gateway/api/public/teams/v1"
    EDGE = "/_edge"  # Atlassian's edge on a Cloud site: tenant_info tells its cloud id


class Flavor(StrEnum):
    """The `jiraDeployment` setting's values besides `auto`."""

    CLOUD = "cloud"
    DATACENTER = "datacenter"


def _same(body: Any) -> Any:
    return body


_CLOUD_PATHS = MappingProxyType({api: api.value for api in Api})
_DATACENTER_PATHS = MappingProxyType(
    {
        **_CLOUD_PATHS,
        Api.PLATFORM: "/rest/api/2",
        # Data Center serves the backlog under the agile API (there is no /rest/software).
        Api.SOFTWARE: "/rest/agile/1.0",
    }
)


@dataclass(frozen=True)
class Deployment:
    flavor: Flavor
    # serverInfo's `version` and `deploymentType`, when it was asked.
    version: str | None = None
    deployment_type: str | None = None
    # How it was found: "serverInfo", "the jiraDeployment setting", "the host name".
    found_by: str = "serverInfo"
    paths: Mapping[Api, str] = field(default=_CLOUD_PATHS, repr=False)
    has_bulkfetch: bool = True
    has_teams: bool = True
    # Brings a JSON body to the names the Cloud mapping reads (additively).
    normalise: Callable[[Any], Any] = field(default=_same, repr=False)

    @property
    def is_datacenter(self) -> bool:
        return self.flavor is Flavor.DATACENTER

    @property
    def signs_webhooks(self) -> bool:
        """Data Center signs webhooks (X-Hub-Signature) from version 10; Cloud always."""
        if not self.is_datacenter or not self.version:
            return True
        major = self.version.split(".", 1)[0]
        return not major.isdigit() or int(major) >= 10

    @property
    def label(self) -> str:
        name = "Jira Data Center/Server" if self.is_datacenter else "Jira Cloud"
        return f"{name} {self.version}" if self.version else name

    def describe(self) -> str:
        how = self.found_by
        if self.deployment_type:
            how += f", deploymentType={self.deployment_type}"
        return f"{self.label} (found by {how})"


def cloud(**found: Any) -> Deployment:
    return Deployment(Flavor.CLOUD, **found)


def datacenter(**found: Any) -> Deployment:
    return Deployment(
        Flavor.DATACENTER,
        paths=_DATACENTER_PATHS,
        has_bulkfetch=False,
        has_teams=False,
        normalise=with_cloud_names,
        **found,
    )


def _is_cloud_host(host: str) -> bool:
    hostname = urlsplit(host).hostname or ""
    return hostname.endswith(".atlassian.net") or hostname == "api.atlassian.com"


# Reads a site-relative path; None when the site answers 404 there.
ReadPath = Callable[[str], Awaitable[Any]]


async def detect_deployment(setting: str | None, host: str, read: ReadPath) -> Deployment:
    """The deployment: the setting when it is `cloud`/`datacenter`; Cloud for an Atlassian
    host (`*.atlassian.net`, the OAuth gateway), which can be nothing else; else serverInfo."""
    if setting == Flavor.CLOUD:
        return cloud(found_by="the jiraDeployment setting")
    if setting == Flavor.DATACENTER:
        return datacenter(found_by="the jiraDeployment setting")
    if _is_cloud_host(host):
        return cloud(found_by="the host name")
    for path in ("/rest/api/2/serverInfo", "/rest/api/3/serverInfo"):
        info = await read(path)
        if isinstance(info, dict):
            kind = str(info.get("deploymentType") or "")
            version = str(info["version"]) if info.get("version") else None
            build = cloud if kind.lower() == "cloud" else datacenter
            return build(version=version, deployment_type=kind or None)
    raise ConfigurationError(
        "jiraHost",
        f"{host} answers neither Jira's REST API v2 nor v3 (serverInfo): not a Jira site",
    )
