"""One check's verdict: a status and one line that, on failure, says what to change."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, with a limitation the user should know
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    """One verdict: a failure's message says what to change."""

    name: str
    status: Status
    message: str
    kinds: tuple[str, ...] = ()  # the mapped kinds it concerns (empty: the whole integration)
    scope: Mapping[str, str] | None = None  # e.g. {"project": "ABC"}
    # The resync warns about it itself when it gets there (a kind it skips): logged as info by
    # the checks, so that a run warns once.
    resync_warns: bool = False

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    def line(self) -> str:
        return f"[{self.status.value}] {self.name}: {self.message}"


def failures(checks: Iterable[Check]) -> list[Check]:
    return [check for check in checks if check.failed]
