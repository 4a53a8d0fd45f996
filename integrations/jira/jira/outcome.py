"""What the last resync did, so a ONCE run can exit non-zero with the reason."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ResyncOutcome:
    finished: bool = False
    succeeded: bool = False
    kind_failures: dict[str, str] = field(default_factory=dict)
    # Lines of the checks that failed before a ONCE run started syncing (jira.checks).
    failed_checks: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.finished = False
        self.succeeded = False
        self.kind_failures.clear()
        self.failed_checks.clear()

    def checks_failed(self, lines: list[str]) -> None:
        self.failed_checks[:] = lines

    def kind_failed(self, kind: str, error: BaseException) -> None:
        self.kind_failures.setdefault(kind, str(error) or type(error).__name__)

    def finish(self, succeeded: bool) -> None:
        self.finished = True
        self.succeeded = succeeded and not self.kind_failures and not self.failed_checks

    def reason(self) -> str:
        if self.failed_checks:
            return "nothing was synced: " + "; ".join(self.failed_checks)
        if not self.finished:
            return "the resync did not finish (see the log above)"
        if self.kind_failures:
            return "; ".join(
                f"kind {kind} failed: {why}" for kind, why in self.kind_failures.items()
            )
        if not self.succeeded:
            return "Port rejected some entities or the reconciliation failed (see the log above)"
        return "resync completed"


OUTCOME = ResyncOutcome()
