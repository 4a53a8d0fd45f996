"""The project kind, and the per-project kinds: releases (project versions) and components.

The parent is the project list (live projects only: Jira's `/project/search` leaves out
deleted, trashed and archived ones); each project's versions or components are read by
`jira.fanout.children` and carry the project's key as `__projectKey` and the project itself as
`__project` (Port's Jira integration gives releases the one and components the other).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from jira import read_ahead, relations
from jira.client import JiraClient
from jira.fanout import Fanout, children, tagged
from jira.paging import Page
from jira.selectors import (
    ComponentResourceConfig,
    ProjectResourceConfig,
    ReleaseResourceConfig,
)

Payload = Mapping[str, Any]


PROJECT_ACCESS = "the Browse projects permission in that project"


def project_label(project: dict[str, Any]) -> str:
    return f"project {project.get('key')}"


def _per_project(
    client: JiraClient, kind: str, read: Callable[[str], AsyncIterator[Page]]
) -> AsyncIterator[Page]:
    """`read(project_key)` for every live project; each item carries its project."""
    return children(
        read_ahead.shared_list(("projects", client), client.projects),
        lambda project: tagged(read(str(project["key"])), **_parent(project)),
        Fanout(kind, project_label, client.concurrency, access=PROJECT_ACCESS),
    )


def _parent(project: dict[str, Any]) -> dict[str, Any]:
    return {relations.PROJECT_KEY: project.get("key"), relations.PROJECT: project}


async def fetch_projects(
    client: JiraClient, resource: ProjectResourceConfig
) -> AsyncIterator[Page]:
    async for page in client.projects(expand=resource.selector.expand):
        yield page


async def fetch_one_project(
    client: JiraClient, resource: ProjectResourceConfig, payload: Payload
) -> dict[str, Any] | None:
    # Same endpoint and expand as the resync: a project it would not list is removed here too.
    return await client.live_project(str(payload["project"]["id"]), expand=resource.selector.expand)


# Releases


def fetch_releases(client: JiraClient, resource: ReleaseResourceConfig) -> AsyncIterator[Page]:
    return _per_project(client, "release", client.project_versions)


async def fetch_one_release(
    client: JiraClient, resource: ReleaseResourceConfig, payload: Payload
) -> dict[str, Any] | None:
    version = await client.version(str(payload["version"]["id"]))
    project_id = version.get("projectId") or payload["version"].get("projectId")
    project = await client.project(str(project_id)) if project_id else {}
    version.update(_parent(project))
    return version


def merge_target(payload: Payload) -> list[Payload]:
    """A merge (`jira:version_deleted` with `mergedTo`) changed its target version too."""
    target = payload.get("mergedTo")
    if isinstance(target, int | str) and not isinstance(target, bool):
        target = {"id": str(target)}  # some deliveries carry the id alone
    if isinstance(target, dict) and str(target.get("id", "")).isdigit():
        return [{**payload, "version": target}]
    return []


# Components


def fetch_components(
    client: JiraClient, resource: ComponentResourceConfig
) -> AsyncIterator[Page]:
    selector = resource.selector
    return _per_project(
        client,
        "component",
        lambda key: client.project_components(key, selector.component_source, selector.name_filter),
    )
