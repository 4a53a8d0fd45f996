"""Releases and components: per project, paged, with the skip rule (respx)."""

from __future__ import annotations

import pytest
import respx

from jira.client import JiraClient
from tests.builders import SITE, component, json_response, offset_pager, project, version
from tests.jira.support import fetch, per_project

API = f"{SITE}/rest/api/3"
PROJECTS = [project(n) for n in range(1, 4)]


@respx.mock
async def test_releases_of_every_project_paged_with_their_project(
    client: JiraClient, warnings: list[str]
) -> None:
    listing = respx.get(f"{API}/project/search").mock(side_effect=offset_pager(PROJECTS))
    versions = respx.get(url__regex=rf"{API}/project/[^/]+/version").mock(
        side_effect=per_project(
            {
                "P1": offset_pager([version(1), version(2), version(3)]),
                "P2": json_response({"errorMessages": ["No project could be found"]}, 404),
                "P3": offset_pager([version(4)]),
            }
        )
    )
    found = await fetch(client, "release")
    assert all(v["__project"]["key"] == v["__projectKey"] for v in found)
    assert sorted((v["name"], v["__projectKey"]) for v in found) == [
        ("1.0", "P1"),
        ("2.0", "P1"),
        ("3.0", "P1"),
        ("4.0", "P3"),
    ]
    assert [
        c.request.url.params["startAt"] for c in versions.calls if "P1" in str(c.request.url)
    ] == [
        "0",
        "2",
    ]
    assert "expand" not in listing.calls[0].request.url.params
    assert len(warnings) == 1 and "project P2" in warnings[0] and "404" in warnings[0]


@respx.mock
async def test_a_project_answering_401_fails_the_kind(client: JiraClient) -> None:
    respx.get(f"{API}/project/search").mock(side_effect=offset_pager(PROJECTS[:1]))
    respx.get(f"{API}/project/P1/version").mock(
        return_value=json_response({"errorMessages": ["Unauthorized"]}, 401)
    )
    with pytest.raises(Exception, match="refused the credentials"):
        await fetch(client, "release")


@respx.mock
async def test_components_with_source_and_name_filter(client: JiraClient) -> None:
    respx.get(f"{API}/project/search").mock(side_effect=offset_pager(PROJECTS[:2]))
    route = respx.get(url__regex=rf"{API}/project/[^/]+/component").mock(
        side_effect=per_project(
            {
                "P1": offset_pager([component(1, lead=3), component(2)]),
                "P2": offset_pager([component(3, "P2")]),
            }
        )
    )
    found = await fetch(client, "component", componentSource="auto", nameFilter="comp")
    assert sorted((c["id"], c["__project"]["key"]) for c in found) == [
        ("40001", "P1"),
        ("40002", "P1"),
        ("40003", "P2"),
    ]
    params = route.calls[0].request.url.params
    assert params["componentSource"] == "auto" and params["query"] == "comp"


@respx.mock
async def test_components_default_to_jiras_own(client: JiraClient) -> None:
    respx.get(f"{API}/project/search").mock(side_effect=offset_pager(PROJECTS[:1]))
    route = respx.get(f"{API}/project/P1/component").mock(side_effect=offset_pager([]))
    assert await fetch(client, "component", nameFilter="") == []
    params = route.calls[0].request.url.params
    assert params["componentSource"] == "jira" and "query" not in params
