"""Per-project kinds: releases (project versions) and components.

The parent is the project list (live projects, like the project kind); each project's versions
or components are read by `jira.fanout.children` and carry the project key as `__project`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from loguru import logger

from jira import relations
from jira.client import JiraClient
from jira.errors import JiraNotFoundError
from jira.fanout import children, tagged
from jira.paging import Page
from jira.selectors import ComponentResourceConfig, ReleaseResourceConfig

Payload = Mapping[str, Any]


def project_label(project: dict[str, Any]) -> str:
    return f"project {project.get('key')}"


async def fetch_releases(
    client: JiraClient, resource: ReleaseResourceConfig
) -> AsyncIterator[Page]:
    async for page in children(
        client.projects(),
        lambda project: tagged(
            client.project_versions(str(project["key"])),
            **{relations.PROJECT: project["key"]},
        ),
        kind="release",
        describe=project_label,
        concurrency=client.concurrency,
    ):
        yield page


async def fetch_one_release(
    client: JiraClient, resource: ReleaseResourceConfig, payload: Payload
) -> dict[str, Any] | None:
    version_id = str(payload["version"]["id"])
    try:
        version = await client.version(version_id)
        project_id = version.get("projectId") or payload["version"].get("projectId")
        project = await client.project(str(project_id)) if project_id else {}
    except JiraNotFoundError:
        logger.info(f"Release {version_id} (or its project) is gone from Jira; removing it")
        return None
    version[relations.PROJECT] = project.get("key")
    return version


async def fetch_components(
    client: JiraClient, resource: ComponentResourceConfig
) -> AsyncIterator[Page]:
    selector = resource.selector
    async for page in children(
        client.projects(),
        lambda project: tagged(
            client.project_components(
                str(project["key"]), selector.component_source, selector.name_filter
            ),
            **{relations.PROJECT: project["key"]},
        ),
        kind="component",
        describe=project_label,
        concurrency=client.concurrency,
    ):
        yield page
