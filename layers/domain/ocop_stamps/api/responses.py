"""JSON responses of the authenticated APIs, as Powertools ``Response`` objects.

The encoding and the error shape are ``api.public_router``'s, so every function answers
alike; the public scan function builds its responses there and never imports this module
(Powertools' event handler is too heavy for its cold start, see ``api.public_router``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from ocop_stamps.api.public_router import JSON, error_body, json_text

__all__ = ["JSON", "error_response", "json_response"]


def error_response(status: int, code: str, message: str, message_vi: str, details: Any = None) -> Response[str]:
    return json_response(status, error_body(code, message, message_vi, details))


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=status, content_type=JSON, body=json_text(body), headers=headers)
