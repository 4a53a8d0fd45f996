"""The contract checker itself (tests/contract/contract.py): each rule finds what breaks it,
and what keeps the contract passes. Synthetic requests against the vendored descriptions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.contract.amendments import CORRECTIONS, DOCUMENTED_LIMITS, WAIVERS
from tests.contract.contract import Contract, Violation

CONTRACT = Contract(corrections=CORRECTIONS, limits=DOCUMENTED_LIMITS)
ISSUE = {"id": "10001", "key": "PA-1", "self": "https://x/rest/api/3/issue/10001", "fields": {}}


@dataclass
class Call:
    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    body: Any = None
    status: int = 200
    response: Any = None


def problems(call: Call) -> list[tuple[str, str]]:
    _, found = CONTRACT.check(call, "example")
    return [(v.aspect, v.message) for v in found]


def aspects(call: Call) -> set[str]:
    return {aspect for aspect, _ in problems(call)}


def test_a_request_that_keeps_the_contract_passes() -> None:
    page = {"isLast": True, "maxResults": 50, "startAt": 0, "total": 0, "values": []}
    call = Call("GET", "/rest/api/3/project/search", [("startAt", "0"), ("maxResults", "50")])
    call.response = page
    assert problems(call) == []


def test_an_unknown_path_or_method_is_no_published_operation() -> None:
    assert aspects(Call("GET", "/rest/api/3/issue/PA-1/unheard-of", response={})) == {"operation"}
    assert aspects(Call("DELETE", "/rest/api/3/serverInfo")) == {"operation"}


def test_gateway_and_cloud_v2_paths_are_read_as_the_published_ones() -> None:
    for path in ("/ex/jira/abc-123/rest/api/3/myself", "/rest/api/2/myself"):
        operation = CONTRACT.operation("GET", path)
        assert operation is not None and operation.name == "GET /rest/api/3/myself"
    teams = CONTRACT.operation("GET", "/gateway/api/public/teams/v1/org/o-1/teams")
    assert teams is not None and teams.document == "teams"


def test_literal_paths_win_over_templates() -> None:
    operation = CONTRACT.operation("GET", "/rest/api/3/project/search")
    assert operation is not None and operation.template == "/rest/api/3/project/search"


def test_an_undeclared_query_parameter_is_named() -> None:
    found = problems(Call("GET", "/rest/api/3/myself", [("pageSize", "5")], response={}))
    assert found and found[0][0] == "query pageSize"
    assert "not declared (declared: expand)" in found[0][1]


def test_a_query_value_must_fit_its_schema() -> None:
    call = Call("GET", "/rest/api/3/project/search", [("maxResults", "fifty")])
    assert "query maxResults" in aspects(call)
    teams = "/gateway/api/public/teams/v1/org/o-1/teams"
    assert "query size" in aspects(Call("GET", teams, [("size", "301")], response={}))
    assert "query size" not in aspects(Call("GET", teams, [("size", "300")], response={}))


def test_a_required_query_parameter_left_out_is_named() -> None:
    body = {"queries": ["project = PA"]}
    assert "query validation" in aspects(Call("POST", "/rest/api/3/jql/parse", body=body))


def test_corrected_parameters_take_jiras_documented_comma_lists() -> None:
    sprints = "/rest/agile/1.0/board/1/sprint"
    assert "query state" not in aspects(Call("GET", sprints, [("state", "active,future")]))
    assert "query state" in aspects(Call("GET", sprints, [("state", "active,soon")]))


def test_a_body_must_fit_its_schema() -> None:
    search = "/rest/api/3/search/jql"
    assert "body" in aspects(Call("POST", search, body={"jql": "x", "maxResult": 5}))
    assert "body" in aspects(Call("POST", search, body={"jql": "x", "fields": "summary"}))
    assert "body" not in aspects(Call("POST", search, body={"jql": "x", "fields": ["summary"]}))


@given(st.integers(min_value=1, max_value=10_000))
def test_search_pages_over_5000_break_jiras_documented_limit(size: int) -> None:
    call = Call("POST", "/rest/api/3/search/jql", body={"jql": "x", "maxResults": size})
    assert ("body" in aspects(call)) == (size > 5000)


def test_bulk_fetch_takes_100_issues_or_1000_when_shaped_efficiently() -> None:
    def fetch(count: int, **rest: Any) -> Call:
        ids = [str(10_000 + i) for i in range(count)]
        return Call("POST", "/rest/api/3/issue/bulkfetch", body={"issueIdsOrKeys": ids, **rest})

    assert "body" not in aspects(fetch(100, expand=["names"]))
    assert "body" in aspects(fetch(101, expand=["names"]))
    assert "body" in aspects(fetch(101, fields=["*all"]))
    assert "body" not in aspects(fetch(1000, fields=["summary", "status"]))
    assert "body" in aspects(fetch(1001, fields=["summary", "status"]))


def test_an_answer_must_fit_the_response_schema() -> None:
    search = "/rest/api/3/search/jql"
    good = Call("POST", search, body={"jql": "x"}, response={"issues": [ISSUE], "isLast": True})
    assert problems(good) == []
    wrong_type = Call("POST", search, body={"jql": "x"}, response={"isLast": "yes"})
    assert "response 200" in aspects(wrong_type)
    extra = Call("POST", search, body={"jql": "x"}, response={"issues": [], "total": 3})
    assert "response 200" in aspects(extra)  # additionalProperties: false


def test_an_undeclared_status_or_an_empty_answer_is_named() -> None:
    found = problems(Call("GET", "/rest/api/3/serverInfo", status=418, response={}))
    assert found == [("response 418", "status not declared (declared: 200, 401)")]
    assert "response 200" in aspects(Call("GET", "/rest/api/3/serverInfo"))


def test_nullable_values_are_accepted_where_published_nullable() -> None:
    comment = {"id": "1", "visibility": {"identifier": None, "type": "group", "value": "g"}}
    call = Call("GET", "/rest/api/3/issue/PA-1/comment/1", response=comment)
    assert problems(call) == []
    comment["visibility"] = {"type": None}
    assert "response 200" in aspects(call)


def test_a_waiver_covers_only_the_violation_it_names() -> None:
    bulk = "POST /rest/api/3/issue/bulkfetch"
    expand = Violation(bulk, "response 200", "$: ('expand' was unexpected)", "e.g.")
    other = Violation(bulk, "response 200", "$: ('total' was unexpected)", "e.g.")
    assert any(w.covers(expand) for w in WAIVERS)
    assert not any(w.covers(other) for w in WAIVERS)
    webhook = Violation("PUT /rest/webhooks/1.0/webhook/7", "operation", "no published", "e.g.")
    assert any(w.covers(webhook) for w in WAIVERS)
    elsewhere = Violation("PUT /rest/webhooks/1.0/other", "operation", "no published", "e.g.")
    assert not any(w.covers(elsewhere) for w in WAIVERS)


def test_read_only_sent_and_write_only_returned_are_named(tmp_path: Path) -> None:
    thing = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "secret": {"type": "string", "writeOnly": True},
            "name": {"type": "string"},
        },
    }
    media = {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
    document = {
        "openapi": "3.0.1",
        "paths": {
            "/things": {
                "post": {
                    "requestBody": {"content": media},
                    "responses": {"201": {"content": media}},
                }
            }
        },
        "components": {"schemas": {"Thing": thing}},
    }
    (tmp_path / "things.json").write_text(json.dumps(document))
    contract = Contract(tmp_path)

    def found(body: Any, response: Any) -> list[str]:
        _, violations = contract.check(Call("POST", "/things", [], body, 201, response), "e.g.")
        return [f"{v.aspect}: {v.message}" for v in violations]

    assert found({"name": "a", "secret": "s"}, {"id": "1", "name": "a"}) == []
    assert found({"id": "1"}, {"secret": "s"}) == [
        "body: $.id: readOnly property sent",
        "response 201: $.secret: writeOnly property returned",
    ]
