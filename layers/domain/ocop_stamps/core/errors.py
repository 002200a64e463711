"""Domain errors: each carries an HTTP status and a message in Vietnamese and English.

Handlers never build error bodies themselves; ``ocop_stamps.api.resolver`` maps these to the one
error shape of the API.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, message_vi: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_vi = message_vi
        self.details = details or []

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message, "message_vi": self.message_vi}
        if self.details:
            err["details"] = self.details
        return {"error": err}


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unprocessable(DomainError):
    status = 422
    code = "invalid_request"


# A change that lost a race (a conditional transaction whose revision moved) is read again
# and retried this many times before the caller is told to try again (decision, issue 4).
CONFLICT_ATTEMPTS = 5


def busy() -> Conflict:
    """The 409 for a change that kept losing races after ``CONFLICT_ATTEMPTS`` tries."""
    return Conflict(
        "Someone else is changing the same data; try again in a moment.",
        "Dữ liệu đang được thay đổi bởi yêu cầu khác; vui lòng thử lại sau giây lát.",
    )
