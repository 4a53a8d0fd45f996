"""Kinds a resync skips because this install cannot read them, or reads only in part because
Jira refused some of their parents, and the Port entities kept for them.

A reader that cannot read its kind at all here (the team kind on Data Center, with an OAuth
token, on the api.atlassian.com gateway, or without atlassianOrganizationId) yields nothing and
calls `skip` with the reason, which marks the kind's resync tracker (jira.progress) skipped.
Yielding nothing alone would let Ocean's end-of-resync comparison with Port delete every entity
of the kind, though Jira never said they are gone; raising instead would make Ocean skip the
delete phase of every kind. So the integration's applier (integration.py) leaves the entities
`kept` for the skipped kinds' blueprints out of that comparison, for this resync only (the
trackers are the resync's own): the other kinds' stale entities are deleted as before.

A fan-out whose parent Jira refuses (400/403: a project or board the token cannot read) calls
`refused`: that parent's children are unknown, not gone, and which of the kind's entities in
Port are theirs cannot be told from Port's side for every mapping, so the kind's entities are
kept the same way this resync, while everything it read is written as usual.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from loguru import logger
from port_ocean.core.handlers.entity_processor.jq_entity_processor import JQEntityProcessor
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.models import Entity

from jira import progress


def literal_blueprint(resource: ResourceConfig) -> str | None:
    """The blueprint a resource maps to, when its mapping names it as a JQ string literal
    (`'"jiraTeam"'`, or single-quoted as Ocean also accepts: `"'jiraTeam'"`); None when it is
    computed per object. Ocean's own quote rewriting reads it first, so both agree."""
    expression = JQEntityProcessor._format_filter(resource.port.entity.mappings.blueprint)
    try:
        value = json.loads(expression)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def skip(resource: ResourceConfig, reason: str) -> None:
    """The reader of `resource` reads nothing this resync, for `reason` (one warning)."""
    blueprint = literal_blueprint(resource)
    if blueprint is None:
        kept = "Its blueprint is computed per object: no entity is deleted from Port this resync"
    else:
        kept = f"Its entities in Port (blueprint {blueprint}) are kept, not deleted"
    logger.warning(f"Skipping kind {resource.kind}: {reason}. {kept}")
    tracker = progress.current()
    if tracker is not None:
        tracker.skipped = True


def refused(parent: str) -> None:
    """Jira refused the children of `parent` for the current kind: its entities stay in Port."""
    tracker = progress.current()
    if tracker is not None:
        tracker.refused.append(parent)


def kept(
    entities: Iterable[Entity],
    resources: Iterable[ResourceConfig],
    resync: progress.ResyncProgress,
) -> list[Entity]:
    """Those of `entities` that stay in Port whatever `resync` read: the entities of the
    blueprints of the resources whose kind it skipped or read in part (all of them when such a
    blueprint is computed per object, as no entity can then be told apart)."""
    blueprints = {
        literal_blueprint(resource)
        for resource in resources
        if any(tracker.skipped or tracker.refused for tracker in resync.of(resource.kind))
    }
    if None in blueprints:
        return list(entities)
    return [entity for entity in entities if entity.blueprint in blueprints]
