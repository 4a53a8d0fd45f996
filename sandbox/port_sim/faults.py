"""Fault injection: answer the next N matching requests with an error, or slow them down.

A rule (JSON, ``PATCH /_sim/faults`` ``{"rules": [...]}``)::

    {"path_regex": "/entities/bulk$",   # re.search against the decoded request path
     "method": "POST",                  # optional; any method when omitted
     "status": 503,                     # optional; with only delay_ms the request then proceeds
     "count": 5,                        # optional; default 1, null = until removed
     "retry_after": 1,                  # optional; seconds, sent as Retry-After
     "delay_ms": 0,                     # optional; wait before answering
     "error": "service_unavailable",    # optional; Port-style "error" of the body
     "message": "...",                  # optional
     "body": {...}}                     # optional; replaces the whole body
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

DEFAULT_ERRORS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    408: "request_timeout",
    409: "conflict",
    413: "request_too_large",
    422: "invalid_request",
    429: "rate_limit_exceeded",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


@dataclass
class FaultRule:
    rule_id: int
    path_regex: str
    method: str | None = None
    status: int | None = 503
    count: int | None = 1
    retry_after: float | None = None
    delay_ms: int = 0
    error: str | None = None
    message: str | None = None
    body: dict[str, Any] | None = None
    fired: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path_regex)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._pattern.search(path) is not None

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count

    def response_body(self, method: str, path: str) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        status = self.status or 500
        return {
            "ok": False,
            "error": self.error or DEFAULT_ERRORS.get(status, "injected_fault"),
            "message": self.message
            or f"Injected fault #{self.rule_id} ({status}) for {method} {path}",
        }

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        seconds = self.retry_after
        text = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        return {"Retry-After": text}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.rule_id,
            "path_regex": self.path_regex,
            "method": self.method,
            "status": self.status,
            "count": self.count,
            "remaining": None if self.count is None else max(0, self.count - self.fired),
            "fired": self.fired,
            "retry_after": self.retry_after,
            "delay_ms": self.delay_ms,
            "error": self.error,
            "message": self.message,
            "body": self.body,
        }


class FaultInjector:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.fired_total = 0
        self._next_id = 1

    def add(self, raw_rules: Any) -> list[FaultRule]:
        """Validate and append rules; raises ValueError with a readable message."""
        if not isinstance(raw_rules, list):
            raise ValueError("'rules' must be an array")
        parsed = [self._parse(raw) for raw in raw_rules]
        self.rules.extend(parsed)
        return parsed

    def replace(self, raw_rules: Any) -> list[FaultRule]:
        parsed_rules = FaultInjector()
        parsed_rules._next_id = self._next_id
        parsed = parsed_rules.add(raw_rules)
        self._next_id = parsed_rules._next_id
        self.rules = parsed
        return parsed

    def clear(self) -> None:
        self.rules = []

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first live rule matching the request, consuming one of its uses."""
        for rule in self.rules:
            if rule.exhausted or not rule.matches(method, path):
                continue
            rule.fired += 1
            self.fired_total += 1
            if rule.exhausted:
                self.rules.remove(rule)
            return rule
        return None

    def to_json(self) -> dict[str, Any]:
        return {"rules": [rule.to_json() for rule in self.rules], "fired": self.fired_total}

    def _parse(self, raw: Any) -> FaultRule:
        if not isinstance(raw, dict):
            raise ValueError("each rule must be an object")
        path_regex = raw.get("path_regex", raw.get("path"))
        if not isinstance(path_regex, str):
            raise ValueError("each rule needs a 'path_regex' string")
        try:
            re.compile(path_regex)
        except re.error as exc:
            raise ValueError(f"invalid path_regex {path_regex!r}: {exc}") from exc
        status = raw.get("status", 503 if not raw.get("delay_ms") else None)
        if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
            raise ValueError("'status' must be an HTTP status code or null")
        count = raw.get("count", 1)
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValueError("'count' must be a positive integer or null (unlimited)")
        method = raw.get("method")
        if method is not None and not isinstance(method, str):
            raise ValueError("'method' must be a string")
        retry_after = raw.get("retry_after")
        if retry_after is not None and not isinstance(retry_after, int | float):
            raise ValueError("'retry_after' must be a number of seconds")
        delay_ms = raw.get("delay_ms", 0)
        if not isinstance(delay_ms, int) or delay_ms < 0:
            raise ValueError("'delay_ms' must be a non-negative integer")
        body = raw.get("body")
        if body is not None and not isinstance(body, dict):
            raise ValueError("'body' must be an object")
        rule = FaultRule(
            rule_id=self._next_id,
            path_regex=path_regex,
            method=method,
            status=status,
            count=count,
            retry_after=retry_after,
            delay_ms=delay_ms,
            error=raw.get("error"),
            message=raw.get("message"),
            body=body,
        )
        self._next_id += 1
        return rule
