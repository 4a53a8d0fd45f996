"""Fault injection: answer the next N matching requests with an error.

A rule (JSON, ``PATCH /_sim/faults`` ``{"rules": [...]}``)::

    {"path_regex": "/entities/bulk$",   # re.search against the decoded request path
     "method": "POST",                  # optional; any method when omitted
     "status": 503,                     # optional; default 503
     "count": 5}                        # optional; default 1
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sandbox.port_sim.model import PortError


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path_regex: re.Pattern[str]
    method: str | None = None
    status: int = Field(default=503, ge=100, le=599)
    count: int = Field(default=1, ge=1)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_regex.search(path) is not None


RULES = TypeAdapter(list[FaultRule])


class FaultInjector:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, raw_rules: Any) -> None:
        """Raises a 400 PortError naming what is wrong with the rules."""
        try:
            self.rules += RULES.validate_python(raw_rules)
        except ValidationError as exc:
            raise PortError(400, "bad_request", f"invalid fault rules: {exc}") from None

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first rule matching the request, consuming one of its uses."""
        for rule in self.rules:
            if rule.matches(method, path):
                rule.count -= 1
                if rule.count == 0:
                    self.rules.remove(rule)
                return rule
        return None
