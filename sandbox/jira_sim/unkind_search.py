"""What Jira documents of its search and bulk fetch that the kind simulator never shows, each
behind a SimConfig knob (off by default; `UNKIND_PROFILE` turns them on):

- ``bulkfetch_retriable_rate``: ``POST /issue/bulkfetch`` lists that share of the issues it
  could return in ``issueErrors`` instead ("due to a retriable error or payload constraint").
  Different ones on each call: an issue listed on one call is returned the next time it is
  asked for, so a retry recovers it. Issues it cannot find are left out, never listed.
- ``search_field_budget``: ``/search/jql`` "may return fewer items per page where a large
  number of fields are requested": a page holds at most ``budget // weight`` issues, the
  weight being the number of fields named (``*all``/``*navigable``: ``WILDCARD_WEIGHT``);
  ``nextPageToken`` goes on after the last issue returned.
- ``search_page_shift``: Data Center's offset pages are no snapshot. A page request after the
  first sees that many changes among the issues before its offset: an issue deleted,
  deselected or moved away drops out, one created or moved in appears. The later issues move
  by as much, as when the site changes between two requests or another node of a cluster
  answers. The changes only touch what earlier pages covered, so an issue that never changed
  is one the search still holds: a reader that misses it has missed a live issue. (Cloud's
  tokens here are keyset cursors: a page goes on after the last issue read, whatever changed
  before it.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Final, TypeVar

from .fields import ID_KEY, FieldSpec

T = TypeVar("T")
WILDCARD_WEIGHT: Final = 50  # `*all` or `*navigable` weigh as much as this many named fields
RETRIABLE_MESSAGE: Final = "Retriable error while fetching the issue, please retry the request."


def field_page_cap(spec: FieldSpec, budget: int) -> int | None:
    """The most issues a search page holds for these fields (None: no lower cap)."""
    if budget <= 0 or not spec.full:
        return None
    weight = WILDCARD_WEIGHT if spec.all or spec.navigable else len(spec.include - ID_KEY)
    return max(1, budget // max(1, weight))


class UnkindSearch:
    """The randomness and memory of these behaviours (seeded: a run can be repeated)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._errored: set[str] = set()  # listed in issueErrors the last time they were asked

    def retriable_errors(self, ids: Sequence[str], rate: float) -> set[str]:
        """Which of these issue ids this bulk fetch lists in ``issueErrors``."""
        if rate <= 0:
            return set()
        chosen = {i for i in ids if i not in self._errored and self.rng.random() < rate}
        self._errored.difference_update(ids)
        self._errored.update(chosen)
        return chosen

    def shifted(self, items: Sequence[T], before: int, changes: int) -> list[T]:
        """``items`` as a later page request starting at ``before`` sees them: ``changes``
        issues before that offset dropped out or added (an added one is a neighbour's twin
        that lands before the offset, so a page never shows an issue the site lacks)."""
        view = list(items)
        for _ in range(changes):
            reach = min(before, len(view))
            if reach <= 0:
                break
            at = self.rng.randrange(reach)
            if self.rng.random() < 0.5:
                del view[at]
                before -= 1
            else:
                view.insert(at, view[at])
                before += 1
        return view
