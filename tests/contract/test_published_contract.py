"""The integration's real traffic keeps Atlassian's published contract (issue #21, Trust).

One sandbox run records every request the integration makes to Jira, and every answer the
simulator gives, through a full resync of every kind (with the ONCE checks), `launch.py probe`,
an incremental run and live events (tests/contract/traffic.py). Each one is validated against the
vendored OpenAPI descriptions (tests/contract/openapi/, from tests/contract/vendor_openapi.py):
the operation exists, each query parameter is declared and fits, the body fits its schema and
Jira's documented limits, the answer fits the response schema. Departures are listed, each with
its reason, in tests/contract/amendments.py.

Data Center is out of scope: Atlassian publishes no OpenAPI description of Data Center's REST
API, and Cloud's is not its contract (Data Center's POST /rest/api/2/search pages by
startAt/total, /user/list and the unpaged /project list are not in it, and Cloud's bulk fetch,
enhanced search and Teams are not on Data Center).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.contract import vendor_openapi
from tests.contract.amendments import CORRECTIONS, DOCUMENTED_LIMITS, WAIVERS
from tests.contract.contract import Contract, Violation
from tests.contract.traffic import PHASES, Exchange, record_traffic

# Operations every recording must exercise, or the recording itself is broken.
EXPECTED: frozenset[str] = frozenset(
    {
        "POST /rest/api/3/search/jql",
        "POST /rest/api/3/issue/bulkfetch",
        "GET /rest/api/3/project/search",
        "GET /rest/api/3/users/search",
        "GET /gateway/api/public/teams/v1/org/{orgId}/teams",
        "GET /rest/agile/1.0/board",
        "GET /rest/api/3/worklog/updated",
        "GET /rest/api/3/issue/{issueIdOrKey}/comment",
        "GET /rest/api/3/mypermissions",
    }
)


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Exchange]]:
    yield record_traffic(tmp_path_factory.mktemp("contract"))


def _reference() -> Contract | None:
    """Atlassian's whole documents, when they are at hand (../shared beside the checkout)."""
    source = next((d for d in vendor_openapi.SOURCES if d.is_dir()), None)
    return None if source is None else Contract(source)


def test_every_request_and_answer_keeps_atlassians_published_contract(
    traffic: list[Exchange],
) -> None:
    contract = Contract(corrections=CORRECTIONS, limits=DOCUMENTED_LIMITS)
    exercised: Counter[str] = Counter()
    violations: dict[tuple[str, str, str], Violation] = {}
    for exchange in traffic:
        operation, found = contract.check(exchange, f"{exchange} during the {exchange.phase}")
        exercised[operation.name if operation else f"{exchange.method} {exchange.path}"] += 1
        for violation in found:
            violations.setdefault(
                (violation.operation, violation.aspect, violation.message), violation
            )
    waived = {v for v in violations.values() if any(w.covers(v) for w in WAIVERS)}
    broken = [v for v in violations.values() if v not in waived]
    unused = [w for w in WAIVERS if not any(w.covers(v) for v in violations.values())]
    phases = Counter(e.phase for e in traffic)
    print(
        f"\ncontract: {len(traffic)} requests validated ({dict(phases)}), "
        f"{len(exercised)} distinct operations, {len(violations)} violations "
        f"({len(waived)} waived in tests/contract/amendments.py)"
    )

    assert set(phases) == set(PHASES), phases  # each phase reached Jira
    assert EXPECTED <= set(exercised), EXPECTED - set(exercised)
    assert not broken, f"{len(broken)} contract violation(s):\n" + "\n".join(map(str, broken))
    assert not unused, "waivers that no longer match anything (remove them):\n" + "\n".join(
        f"{w.operation} [{w.aspect}] {w.contains}" for w in unused
    )


def test_each_request_is_read_as_the_operation_atlassian_publishes(
    traffic: list[Exchange],
) -> None:
    """The trimmed copies hold every operation the traffic needs, so no request is read as a
    neighbouring template (a new GET /issue/picker is not GET /issue/{issueIdOrKey})."""
    reference = _reference()
    if reference is None:
        pytest.skip("Atlassian's documents are not beside the checkout")
    vendored = Contract()
    missing: dict[str, str] = {}
    for exchange in traffic:
        published = reference.operation(exchange.method, exchange.path)
        kept = vendored.operation(exchange.method, exchange.path)
        if published is not None and (kept is None or kept.name != published.name):
            missing[published.name] = f"{published.document}.json, e.g. {exchange}"
    assert not missing, (
        "published operations the vendored descriptions lack: add them to OPERATIONS in "
        "tests/contract/vendor_openapi.py and run it:\n"
        + "\n".join(f"{name} ({where})" for name, where in sorted(missing.items()))
    )


def test_the_amendments_name_vendored_operations() -> None:
    contract = Contract()
    names = {operation.name for operation in contract.operations}
    named = {op for op, _ in CORRECTIONS} | set(DOCUMENTED_LIMITS)
    named |= {w.operation for w in WAIVERS if w.aspect != "operation"}
    assert named <= names, named - names
    # and the ones waived as unpublished are indeed not published
    unpublished = [w.operation for w in WAIVERS if w.aspect == "operation"]
    for operation in contract.operations:
        assert not any(re.fullmatch(p, operation.name) for p in unpublished), operation.name


def test_vendored_documents_are_what_the_script_makes_of_atlassians() -> None:
    """The trimmed copies are reproducible from Atlassian's documents (when they are at hand,
    as ../shared beside the checkout)."""
    source = next((d for d in vendor_openapi.SOURCES if d.is_dir()), None)
    if source is None:
        pytest.skip("Atlassian's documents are not beside the checkout")
    for name, (file, origin) in vendor_openapi.DOCUMENTS.items():
        document = json.loads((source / file).read_text(encoding="utf-8"))
        expected = vendor_openapi.trimmed(document, vendor_openapi.OPERATIONS[name], origin)
        vendored = (vendor_openapi.TARGET / f"{name}.json").read_text(encoding="utf-8")
        assert json.loads(vendored) == expected, name
    enhanced = (vendor_openapi.TARGET / "software-enhanced.json").read_text(encoding="utf-8")
    assert json.loads(enhanced) == vendor_openapi.ENHANCED_BACKLOG
