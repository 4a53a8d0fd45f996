"""Atlassian's published contract, as the vendored OpenAPI descriptions (openapi/*.json) state
it: which operation a request is, and what about a request or an answer breaks it.

A request breaks the contract when its method and path are no published operation, when a query
parameter is not declared (or its value does not fit the declared schema, or a required one is
missing), or when its JSON body does not match the request schema (limits such as `maxItems`
included; a `readOnly` property sent is a violation). An answer breaks it when its status is not
declared for the operation or its JSON does not match that status's schema (a `writeOnly`
property returned is a violation). OpenAPI 3.0's `nullable` is honoured; `format` is an
annotation only (Jira's own date-times are not RFC 3339: `2026-01-02T03:04:05.000+0000`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend

VENDORED: Final = Path(__file__).resolve().parent / "openapi"
# Where each document's paths are served on a Jira site: the Teams API's server is
# api.atlassian.com, and a site serves the same API under /gateway/api
# ({site}/gateway/api/public/teams/v1/..., reference/jira-cloud-api.md, Teams).
MOUNTS: Final = {"teams": "/gateway/api"}
# The OAuth gateway (api.atlassian.com/ex/jira/{cloudId}) serves a site's paths below it.
GATEWAY: Final = re.compile(r"^/ex/jira/[^/]+(?=/)")
# Jira Cloud's REST v2 mirrors v3 operation for operation (only rich-text fields differ: wiki
# markup instead of ADF); Atlassian publishes the v3 description, so v2 requests are read as v3.
V2, V3 = "/rest/api/2/", "/rest/api/3/"
METHODS: Final = ("get", "put", "post", "delete", "patch", "head", "options")
MAX_ERRORS: Final = 3  # schema errors shown per violation


class Exchange(Protocol):
    """A recorded request and its answer (tests/contract/traffic.py)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query(self) -> list[tuple[str, str]]: ...
    @property
    def body(self) -> Any: ...
    @property
    def status(self) -> int: ...
    @property
    def response(self) -> Any: ...


@dataclass(frozen=True)
class Operation:
    document: str
    method: str  # upper case
    template: str  # the path as a client sends it, with {parameters}
    spec: Mapping[str, Any]
    parameters: tuple[Mapping[str, Any], ...]  # path item's and operation's, $refs resolved
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


@dataclass(frozen=True)
class Violation:
    operation: str  # the operation's name, or "METHOD /literal/path" when none matches
    aspect: str  # "operation", "query <name>", "path <name>", "body", "response <status>"
    message: str
    example: str  # one request that showed it

    def __str__(self) -> str:
        return f"{self.operation} [{self.aspect}] {self.message}\n    e.g. {self.example}"


def _nullable_as_json_schema(value: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema: null joins the type (and the enum)."""
    if isinstance(value, list):
        return [_nullable_as_json_schema(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {k: _nullable_as_json_schema(v) for k, v in value.items()}
    if out.pop("nullable", False) is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if isinstance(out.get("enum"), list):
                out["enum"] = [*out["enum"], None]
        else:
            return {"anyOf": [{"type": "null"}, out]}
    return out


def _direction(keyword: str, refused: str) -> Any:
    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if value is True:
            yield ValidationError(f"{keyword} property {refused}")

    return check


# A request may not carry readOnly properties, an answer may not carry writeOnly ones.
# (jsonschema's `extend` is untyped; it returns a validator class.)
RequestValidator: type[Validator] = extend(  # type: ignore[no-untyped-call]
    Draft4Validator, {"readOnly": _direction("readOnly", "sent")}
)
ResponseValidator: type[Validator] = extend(  # type: ignore[no-untyped-call]
    Draft4Validator, {"writeOnly": _direction("writeOnly", "returned")}
)


def _published(path: str) -> str:
    """A requested path as the published descriptions write it."""
    path = GATEWAY.sub("", path)
    return V3 + path.removeprefix(V2) if path.startswith(V2) else path


def _regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    body = "".join(
        f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts if p
    )
    return re.compile(f"^{body}$")


def _schema_errors(validator: Validator, instance: Any) -> list[str]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    shown = []
    for error in errors[:MAX_ERRORS]:
        where = error.json_path
        message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
        shown.append(f"{where}: {message}")
    if len(errors) > MAX_ERRORS:
        shown.append(f"(+{len(errors) - MAX_ERRORS} more)")
    return shown


def _coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    """A query string value as the JSON value its schema describes (the value unchanged when it
    cannot be one: validation then says why)."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw


class Contract:
    """The vendored documents: find a request's operation, check a request and its answer."""

    def __init__(
        self,
        directory: Path = VENDORED,
        corrections: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
        limits: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """`corrections`: (operation name, query parameter) -> the schema that replaces the
        published one; `limits`: operation name -> a schema its request body must match too
        (tests/contract/amendments.py says why each is needed)."""
        self.documents: dict[str, dict[str, Any]] = {
            file.stem: _nullable_as_json_schema(json.loads(file.read_text(encoding="utf-8")))
            for file in sorted(directory.glob("*.json"))
        }
        self.corrections = dict(corrections or {})
        self.limits = dict(limits or {})
        self.operations = sorted(
            self._operations(),
            # literal paths before templated ones: /project/search before /project/{key}
            key=lambda o: (-len(re.sub(r"\{[^}]+\}", "", o.template)), o.template),
        )

    def _operations(self) -> Iterator[Operation]:
        for name, document in self.documents.items():
            mount = MOUNTS.get(name, "")
            for path, item in document["paths"].items():
                for method in METHODS:
                    if method not in item:
                        continue
                    spec = item[method]
                    shared = [self._resolved(name, p) for p in item.get("parameters", [])]
                    own = [self._resolved(name, p) for p in spec.get("parameters", [])]
                    overridden = {(p["in"], p["name"]) for p in own}
                    parameters = [p for p in shared if (p["in"], p["name"]) not in overridden]
                    template = mount + path
                    yield Operation(
                        name,
                        method.upper(),
                        template,
                        spec,
                        tuple([*parameters, *own]),
                        _regex(template),
                    )

    def _resolved(self, document: str, value: Mapping[str, Any]) -> Mapping[str, Any]:
        """`value`, or what its local `$ref` points at."""
        while isinstance(ref := value.get("$ref"), str):
            target: Any = self.documents[document]
            for token in ref.removeprefix("#/").split("/"):
                target = target[token.replace("~1", "/").replace("~0", "~")]
            value = target
        return value

    def operation(self, method: str, path: str) -> Operation | None:
        path = _published(path)
        for operation in self.operations:
            if operation.method == method.upper() and operation.pattern.match(path):
                return operation
        return None

    # --- validation -------------------------------------------------------------------------
    def _validator(self, operation: Operation, schema: Any, request: bool) -> Validator:
        """A validator of `schema`, whose `#/components/...` refs reach its document's."""
        components = self.documents[operation.document].get("components", {})
        kind = RequestValidator if request else ResponseValidator
        validator: Validator = kind({"allOf": [schema], "components": components})
        return validator

    def check(self, exchange: Exchange, example: str) -> tuple[Operation | None, list[Violation]]:
        """The operation `exchange` is, and how its request or answer breaks the contract."""
        operation = self.operation(exchange.method, exchange.path)
        if operation is None:
            name = f"{exchange.method} {_published(exchange.path)}"
            message = "no published operation has this method and path"
            return None, [Violation(name, "operation", message, example)]
        found: list[Violation] = []

        def violation(aspect: str, message: str) -> None:
            found.append(Violation(operation.name, aspect, message, example))

        self._check_parameters(operation, exchange, violation)
        self._check_body(operation, exchange.body, violation)
        self._check_answer(operation, exchange.status, exchange.response, violation)
        return operation, found

    def _check_parameters(self, operation: Operation, exchange: Exchange, violation: Any) -> None:
        declared = {p["name"]: p for p in operation.parameters if p["in"] == "query"}
        given: dict[str, list[str]] = {}
        for name, value in exchange.query:
            given.setdefault(name, []).append(value)
        for name, values in given.items():
            parameter = declared.get(name)
            if parameter is None:
                violation(f"query {name}", f"not declared (declared: {', '.join(declared)})")
                continue
            schema = self.corrections.get((operation.name, name), parameter.get("schema", {}))
            for problem in self._parameter_problems(operation, schema, values):
                violation(f"query {name}", problem)
        for name, parameter in declared.items():
            if parameter.get("required") and name not in given:
                violation(f"query {name}", "required, not sent")
        match = operation.pattern.match(_published(exchange.path))
        assert match is not None
        for parameter in operation.parameters:
            if parameter["in"] == "path":
                value = match.group(parameter["name"])
                problems = self._parameter_problems(operation, parameter.get("schema", {}), [value])
                for problem in problems:
                    violation(f"path {parameter['name']}", problem)

    def _parameter_problems(
        self, operation: Operation, schema: Mapping[str, Any], values: Sequence[str]
    ) -> list[str]:
        schema = self._resolved(operation.document, schema)
        if schema.get("type") == "array":
            # Jira reads a list parameter repeated (`id=1&id=2`) or comma-separated
            # (`fields=summary,status`), as its descriptions say parameter by parameter.
            items = self._resolved(operation.document, schema.get("items", {}))
            value: Any = [_coerce(v, items) for raw in values for v in raw.split(",")]
        elif len(values) > 1:
            return [f"given {len(values)} times; declared once ({schema.get('type')})"]
        else:
            value = _coerce(values[0], schema)
        return _schema_errors(self._validator(operation, dict(schema), request=True), value)

    def _check_body(self, operation: Operation, body: Any, violation: Any) -> None:
        declared = operation.spec.get("requestBody")
        if declared is None:
            if body is not None:
                violation("body", "a body was sent; the operation declares none")
            return
        declared = self._resolved(operation.document, declared)
        if body is None:
            if declared.get("required"):
                violation("body", "required, not sent")
            return
        schema = self._media_schema(declared.get("content", {}))
        if schema is None:
            violation("body", "a JSON body was sent; the operation declares no JSON body")
            return
        if operation.name in self.limits:
            schema = {"allOf": [schema, self.limits[operation.name]]}
        for problem in _schema_errors(self._validator(operation, schema, request=True), body):
            violation("body", problem)

    def _check_answer(
        self, operation: Operation, status: int, response: Any, violation: Any
    ) -> None:
        responses = operation.spec.get("responses", {})
        declared = responses.get(str(status), responses.get("default"))
        if declared is None:
            violation(
                f"response {status}", f"status not declared (declared: {', '.join(responses)})"
            )
            return
        declared = self._resolved(operation.document, declared)
        schema = self._media_schema(declared.get("content", {}))
        if schema is None or (response is None and status >= 400):
            return  # nothing published to compare with / an error without a body
        if response is None:
            violation(f"response {status}", "empty; the operation declares a JSON answer")
            return
        validator = self._validator(operation, schema, request=False)
        for problem in _schema_errors(validator, response):
            violation(f"response {status}", problem)

    @staticmethod
    def _media_schema(content: Mapping[str, Any]) -> Any:
        for media in ("application/json", "*/*"):
            if media in content and "schema" in content[media]:
                return copy.deepcopy(content[media]["schema"])
        return None
