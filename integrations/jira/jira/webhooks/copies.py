"""Which copies of this integration's Jira webhook registration to remove (deliveries are
deduplicated elsewhere: jira.webhooks.dedupe).

Processes that start together (a Deployment with several replicas, or one restarted while the
old one still runs) each list Jira's webhooks, find none of theirs and create one: Jira merges
nothing, so there are several and every change is delivered several times. Each registering
process therefore lists again after creating and removes every copy but the one with the lowest
id. Every process picks the same one from what it sees, and the process whose creation came
last sees every copy: however the processes interleave, the lowest id is never removed and the
others all are, so exactly one remains.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence


def id_order(hook_id: str | int | None) -> tuple[int, int, str]:
    """Jira's webhook ids are numbers: compared as numbers (8 before 10); anything else after
    them, as text."""
    text = "" if hook_id is None else str(hook_id)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def surplus[Hook](
    copies: Sequence[Hook],
    *,
    identity: Callable[[Hook], Hashable],
    hook_id: Callable[[Hook], str | int | None],
) -> list[Hook]:
    """The copies to remove: of the copies with the same `identity`, all but the lowest id.
    A copy without an id cannot be removed (nor told apart): it is never returned."""
    kept: dict[Hashable, Hook] = {}
    extra: list[Hook] = []
    with_ids = [copy for copy in copies if hook_id(copy) is not None]
    for copy in sorted(with_ids, key=lambda c: id_order(hook_id(c))):
        key = identity(copy)
        if key in kept:
            extra.append(copy)
        else:
            kept[key] = copy
    return extra
