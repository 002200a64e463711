"""JSON responses in one place, light enough for the public scan function to import."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

JSON = "application/json; charset=utf-8"


def error_response(status: int, code: str, message: str, message_vi: str, details: Any = None) -> Response[str]:
    err: dict[str, Any] = {"code": code, "message": message, "message_vi": message_vi}
    if details:
        err["details"] = details
    return json_response(status, {"error": err})


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=JSON,
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        headers=headers,
    )
