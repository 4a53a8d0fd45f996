"""Live events of projects and their releases (jira.projects)."""

from __future__ import annotations

import pytest
import respx

from jira.webhooks.processors import LiveEventsContext
from tests.builders import SITE, json_response, project, resource, version
from tests.webhooks.payloads import project_event, version_event
from tests.webhooks.support import API, GONE, handle, project_resource


@respx.mock
async def test_project_update_is_read_again_like_the_resync(live: LiveEventsContext) -> None:
    current = project(1)
    route = respx.get(f"{SITE}/rest/api/3/project/search").mock(
        return_value=json_response({"values": [current], "isLast": True})
    )
    result = await handle(
        "project", project_event("project_updated"), project_resource("insight,lead")
    )
    assert result.updated_raw_results == [current]
    params = route.calls.last.request.url.params
    assert params["id"] == "10001" and params["expand"] == "insight,lead"


@respx.mock
async def test_project_no_longer_live_is_removed(live: LiveEventsContext) -> None:
    respx.get(f"{SITE}/rest/api/3/project/search").mock(
        return_value=json_response({"values": [], "isLast": True})
    )
    payload = project_event("project_restored_archived")
    result = await handle("project", payload, project_resource())
    assert result.deleted_raw_results == [payload["project"]]


@pytest.mark.parametrize("event", ["project_deleted", "project_soft_deleted", "project_archived"])
@respx.mock
async def test_a_project_deleted_trashed_or_archived_leaves_port_as_a_resync_would(
    live: LiveEventsContext, event: str
) -> None:
    # /project/search lists live projects only: one in the trash or archived is not there.
    search = respx.get(f"{SITE}/rest/api/3/project/search").mock(
        return_value=json_response({"values": [], "isLast": True})
    )
    payload = project_event(event)
    result = await handle("project", payload, project_resource())
    assert result.deleted_raw_results == [payload["project"]]
    assert search.calls.last.request.url.params["id"] == "10001"


@pytest.mark.parametrize(
    "event",
    [
        "jira:version_created",
        "jira:version_updated",
        "jira:version_released",
        "jira:version_unreleased",
        "jira:version_moved",
    ],
)
@respx.mock
async def test_a_release_is_read_again_with_its_project(
    live: LiveEventsContext, event: str
) -> None:
    current = version(1, released=True)
    respx.get(f"{API}/version/30001").mock(return_value=json_response(current))
    respx.get(f"{API}/project/10001").mock(return_value=json_response(project(1)))
    result = await handle("release", version_event(event), resource("release"))
    assert result.updated_raw_results == [
        {**current, "__projectKey": "P1", "__project": project(1)}
    ]
    assert result.deleted_raw_results == []


@respx.mock
async def test_a_release_gone_on_update_is_removed(live: LiveEventsContext) -> None:
    respx.get(f"{API}/version/30001").mock(return_value=json_response(GONE, 404))
    payload = version_event("jira:version_updated")
    result = await handle("release", payload, resource("release"))
    assert result.deleted_raw_results == [payload["version"]]
