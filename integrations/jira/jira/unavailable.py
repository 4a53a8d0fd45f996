"""Kinds a resync skips because this install cannot read them, and the Port entities kept for
them.

A reader that cannot read its kind at all here (the team kind on Data Center, with an OAuth
token, on the api.atlassian.com gateway, or without atlassianOrganizationId) yields nothing and
calls `UNAVAILABLE.skip` with the reason. Yielding nothing alone would let Ocean's end-of-resync
comparison with Port delete every entity of the kind, though Jira never said they are gone;
raising instead would make Ocean skip the delete phase of every kind. So the integration's
applier (integration.py) leaves the entities of a skipped kind's blueprint out of that
comparison, for this resync only: the other kinds' stale entities are deleted as before.
"""

from __future__ import annotations

import re

from loguru import logger
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.core.models import Entity

from jira import progress

_JQ_STRING = re.compile(r'\s*"([^"\\]*)"\s*')


def literal_blueprint(resource: ResourceConfig) -> str | None:
    """The blueprint a resource maps to, when its mapping names it as a JQ string literal
    (`'"jiraTeam"'`); None when it is computed per object."""
    found = _JQ_STRING.fullmatch(resource.port.entity.mappings.blueprint)
    return found.group(1) if found else None


class UnavailableKinds:
    """The resources the current resync skipped as unavailable (empty outside a resync)."""

    def __init__(self) -> None:
        self.blueprints: set[str] = set()
        # A skipped resource's blueprint is a JQ expression: no entity can be told apart.
        self.keeps_all = False

    def clear(self) -> None:
        self.blueprints = set()
        self.keeps_all = False

    def skip(self, resource: ResourceConfig, reason: str) -> None:
        """The reader of `resource` reads nothing this resync, for `reason` (one warning)."""
        blueprint = literal_blueprint(resource)
        if blueprint is None:
            self.keeps_all = True
            kept = (
                "Its blueprint is computed per object: no entity is deleted from Port this resync"
            )
        else:
            self.blueprints.add(blueprint)
            kept = f"Its entities in Port (blueprint {blueprint}) are kept, not deleted"
        logger.warning(f"Skipping kind {resource.kind}: {reason}. {kept}")
        tracker = progress.current()
        if tracker is not None:
            tracker.skipped = True

    def keeps(self, entity: Entity) -> bool:
        """Whether `entity` stays in Port whatever this resync read."""
        return self.keeps_all or entity.blueprint in self.blueprints


UNAVAILABLE = UnavailableKinds()
