"""Port-shaped API errors."""

from __future__ import annotations

from typing import Any


class PortError(Exception):
    """An error answered the way Port does: ``{"ok": false, "error": ..., "message": ...}``."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, "message": self.message}


def not_found(message: str) -> PortError:
    return PortError(404, "not_found", message)


def invalid(message: str) -> PortError:
    return PortError(422, "invalid_request", message)
