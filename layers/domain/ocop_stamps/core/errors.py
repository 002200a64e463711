"""Domain errors: each carries an HTTP status and a message in Vietnamese and English.

Handlers never build error bodies themselves; ``ocop_stamps.api.resolver`` maps these to the one
error shape of the API.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        message_vi: str,
        *,
        details: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_vi = message_vi
        self.details = details or []
        self.retry_after = retry_after  # seconds: the answer carries ``Retry-After`` (retryable)

    def headers(self) -> dict[str, str]:
        """Response headers this error adds: ``Retry-After`` when the request may simply be retried."""
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}

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


class Unavailable(DomainError):
    """503: the data store refused the work for now (throttled, failing); nothing was changed."""

    status = 503
    code = "unavailable"


# A change that lost a race (a conditional transaction whose revision moved) is read again
# and retried this many times before the caller is told to try again (decision, issue 4).
CONFLICT_ATTEMPTS = 5
# Retry-After of a 409 that lost races and of a 503 whose retries ran out (issue 13,
# docs/DATA-MODEL.md "DynamoDB faults"): a conflict clears in milliseconds, throttling once
# DynamoDB has added capacity (seconds).
CONFLICT_RETRY_AFTER = 1
UNAVAILABLE_RETRY_AFTER = 5


def busy() -> Conflict:
    """The 409 for a change that kept losing races (or transaction conflicts) after its retries."""
    return Conflict(
        "Someone else is changing the same data; try again in a moment.",
        "Một yêu cầu khác đang thay đổi cùng dữ liệu này; vui lòng thử lại sau giây lát.",
        retry_after=CONFLICT_RETRY_AFTER,
    )


class RecordFull(Conflict):
    """409: the write would make one DynamoDB item larger than its 400 KB limit."""

    code = "record_full"


def record_full() -> RecordFull:
    """The 409 for a write DynamoDB refused because the item would pass 400 KB: a history kept
    on one record (a lot's recalls, a batch's voids, a product's ratings) is full. Nothing
    was changed (break test of issue 13: this was a 500)."""
    return RecordFull(
        "This record's history is full (a stored record may hold at most 400 KB); nothing was changed. "
        "Use shorter texts, or ask the OCOP office to archive the record's history.",
        "Lịch sử của hồ sơ này đã đầy (mỗi hồ sơ lưu trữ tối đa 400 KB); chưa có gì bị thay đổi. "
        "Hãy dùng nội dung ngắn hơn, hoặc đề nghị văn phòng OCOP lưu trữ lịch sử cũ của hồ sơ.",
    )


def unavailable() -> Unavailable:
    """The 503 for work the data store kept refusing (throttled, failing) after its retries."""
    return Unavailable(
        "The service is busy and did not do this; nothing was changed. Try again in a few seconds.",
        "Hệ thống đang quá tải nên chưa thực hiện yêu cầu này; chưa có gì bị thay đổi. Vui lòng thử lại sau vài giây.",
        retry_after=UNAVAILABLE_RETRY_AFTER,
    )
