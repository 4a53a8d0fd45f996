"""Port-shaped API errors."""

from __future__ import annotations

from typing import Any


class PortError(Exception):
    """An error answered the way Port does: ``{"ok": false, "error": ..., "message": ...}``."""

    def __init__(self, status: int, error: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, "message": self.message, **self.details}


def not_found(message: str, **details: Any) -> PortError:
    return PortError(404, "not_found", message, **details)


def invalid(message: str, **details: Any) -> PortError:
    return PortError(422, "invalid_request", message, **details)


def bad_request(message: str, **details: Any) -> PortError:
    return PortError(400, "bad_request", message, **details)


def conflict(error: str, message: str, **details: Any) -> PortError:
    return PortError(409, error, message, **details)
