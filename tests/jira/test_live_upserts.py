"""A full resync keeps what live events wrote a moment before it: Jira's search index may not
show it yet, so the resync not returning it proves nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from port_ocean.core.models import Entity

from jira.live_upserts import LAG_MARGIN_SECONDS, LiveUpserts

STARTED = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def entity(blueprint: str, identifier: str) -> Entity:
    return Entity.parse_obj({"identifier": identifier, "blueprint": blueprint})


def test_entities_live_events_wrote_just_before_a_resync_are_kept_by_its_delete_phase() -> None:
    now = [STARTED.timestamp() - 5]
    live = LiveUpserts(clock=lambda: now[0])
    new_issue, its_comment = entity("jiraIssue", "PA-3"), entity("jiraComment", "10001")
    live.saw([new_issue, its_comment])
    now[0] = STARTED.timestamp() - LAG_MARGIN_SECONDS - 1
    live.saw([old := entity("jiraIssue", "PA-1")])
    project = entity("jiraProject", "PA")
    live.saw([project])  # a project is not read through the search index: no reason to keep
    stale = entity("jiraIssue", "PA-9")  # never written by a live event
    before = [new_issue, its_comment, old, project, stale]
    searched = {"jiraIssue", "jiraComment"}
    assert live.kept(before, searched, STARTED) == [new_issue, its_comment]


def test_a_computed_blueprint_among_the_searched_kinds_keeps_every_recent_entity() -> None:
    live = LiveUpserts(clock=lambda: STARTED.timestamp())
    live.saw([project := entity("jiraProject", "PA")])
    assert live.kept([project], {None}, STARTED) == [project]
    live.forget()
    assert live.kept([project], {None}, STARTED) == []
