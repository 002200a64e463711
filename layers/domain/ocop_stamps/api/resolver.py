"""What every API function shares: the resolver, the one error shape, the caller's identity.

Error shape (every 4xx/5xx of every route)::

    {"error": {"code": "not_found", "message": "...", "message_vi": "...", "details": [...]}}

A retryable refusal -- 409 after lost races, 503 when DynamoDB kept refusing
(``storage.faults``) -- also carries ``Retry-After``. A DynamoDB fault is never a 500.

Every request of every API is read by ``JsonApiResolver`` (rules in ``ocop_stamps.api.reading``):
a request that cannot be read answers 400 ``malformed_request``, never a 500.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from ocop_stamps.api.public_router import JSON, error_body, json_text
from ocop_stamps.api.reading import read_json, request_problem, with_text_parameters
from ocop_stamps.api.responses import error_response, json_response
from ocop_stamps.core import words
from ocop_stamps.core.auth import Principal
from ocop_stamps.core.errors import DomainError, unavailable
from ocop_stamps.core.limits import fits, payload_bytes
from ocop_stamps.core.schema import RULES_VI
from ocop_stamps.core.settings import get_settings
from ocop_stamps.core.text import is_digits
from ocop_stamps.observability import logger
from ocop_stamps.storage.faults import fault_of, request_budget
from ocop_stamps.storage.models import bind_tables


def error_event_response(exc: DomainError) -> dict[str, Any]:
    """A DomainError as the Lambda proxy response, for answers given before the resolver runs."""
    return {
        "statusCode": exc.status,
        "headers": {"Content-Type": "application/json; charset=utf-8", **exc.headers()},
        "body": json.dumps(exc.body(), ensure_ascii=False, separators=(",", ":")),
        "isBase64Encoded": False,
    }


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "message_vi"],
            "properties": {
                "code": {"type": "string", "examples": ["not_found"]},
                "message": {"type": "string", "description": "English"},
                "message_vi": {"type": "string", "description": "Vietnamese"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"field": {"type": "string"}, "problem": {"type": "string"}},
                    },
                },
            },
        }
    },
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}


def _error(description: str, retry: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if retry:
        answer["headers"] = _RETRY_AFTER
    return answer


ERROR_RESPONSES: dict[str, dict[str, Any]] = {
    "400": _error("The request cannot be read (not JSON, not UTF-8, a body too large): `malformed_request`."),
    "403": _error("Your role may not do this: `forbidden`."),
    "404": _error("No such record among yours (another tenant's looks the same), or no such route."),
    "409": _error(
        "Conflicts with what is stored (a taken id, code or GTIN; a state that does not allow it), or "
        "lost a race to another request: read again and retry (Retry-After when retrying helps).",
        retry=True,
    ),
    "422": _error("A field is missing or wrong: `invalid_request`, each field in `details`."),
    "503": _error("The data store refused the work for now; nothing was changed: `unavailable`.", retry=True),
}
"""The refusals every route of the authenticated APIs can answer, in the one error shape
(``api.responses``, ``storage.faults``); added to each operation of the OpenAPI description."""


class JsonApiResolver(APIGatewayHttpResolver):
    """The HTTP API resolver of the JSON APIs: a request that cannot be read is a 400, never a 500.

    What Powertools reads before a route runs (the body's base64 and UTF-8) is checked in
    ``resolve``; the JSON itself is parsed by ``read_json``, its deserializer.
    """

    def __init__(self) -> None:
        super().__init__(enable_validation=True, json_body_deserializer=read_json)

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Powertools' description with the refusals every route can answer, in the one error
        shape (``ERROR_RESPONSES``), instead of its own 422 shape the API never sends."""
        schema = super().get_openapi_schema(**kwargs)
        data = schema.model_dump(by_alias=True, exclude_none=True, mode="json")
        data.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for operations in data.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and "responses" in operation:
                    answers = operation["responses"]
                    if "HTTPValidationError" in json.dumps(answers.get("422", "")):
                        del answers["422"]
                    for status, answer in ERROR_RESPONSES.items():  # a route's own description stays
                        answers.setdefault(status, copy.deepcopy(answer))
        for unused in ("HTTPValidationError", "ValidationError"):
            data["components"]["schemas"].pop(unused, None)
        return type(schema).model_validate(data)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        problem = request_problem(event)
        if problem is not None:
            return error_event_response(problem)
        event = with_text_parameters(event)
        with request_budget(context):  # DynamoDB retries end well inside the function's time
            return within_limit(super().resolve(event, context))


def within_limit(result: dict[str, Any]) -> dict[str, Any]:
    """``result``, or a 422 saying to ask for less when Lambda would refuse it for size
    (``core.limits``; API Gateway would answer a bare 500). Every route that can answer a
    lot pages under the limit (docs/LIMITS.md); this catches one that does not."""
    if fits(result):
        return result
    logger.error("response over Lambda's payload limit", extra={"bytes": payload_bytes(result)})
    body = error_body(
        "response_too_large",
        "The answer would be larger than the 6 MB an API response may carry; ask for a smaller "
        "page or range (limit, rows, from/to) and follow the Link to the next part.",
        "Kết quả quá lớn: một phản hồi API chỉ được tối đa 6 MB; hãy yêu cầu trang hoặc khoảng nhỏ hơn "
        "(tham số `limit`, `rows`, `from`/`to`) rồi theo liên kết `Link` để tải phần tiếp theo.",
    )
    return {"statusCode": 422, "headers": {"Content-Type": JSON}, "body": json_text(body), "isBase64Encoded": False}


def _details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        problem = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        out.append({"field": ".".join(loc) or "body", "problem": problem})
    return out


def _summary(details: list[dict[str, Any]]) -> tuple[str, str]:
    """One sentence a person can act on: the cross-field rule itself, or the fields to fix
    (each with its problem, in both languages, where ``RULES_VI`` words it, e.g. a date's range)."""
    if len(details) == 1 and details[0]["field"] == "body":
        problem = details[0]["problem"]
        # a rule not worded in Vietnamese (pydantic's own, e.g. a JSON array for an object) is
        # never shown in English inside the Vietnamese sentence: details keep the exact words
        vi = RULES_VI.get(problem, "nội dung không đúng dạng mà tài liệu API mô tả (xem `details`)")
        return f"The request is not valid: {problem}.", f"Yêu cầu không hợp lệ: {vi}."
    shown = details[:5]
    fields = ", ".join(d["field"] + (f" ({d['problem']})" if d["problem"] in RULES_VI else "") for d in shown)
    fields_vi = "; ".join(
        field_vi(d["field"]) + (f": {RULES_VI[d['problem']]}" if d["problem"] in RULES_VI else "") for d in shown
    )
    return (
        f"Some fields are missing or invalid: {fields}. See details.",
        f"Một số trường bị thiếu hoặc không hợp lệ: {fields_vi}. Xem chi tiết.",
    )


def field_vi(path: str) -> str:
    """A request field as a Vietnamese sentence names it: its words, then its path in backticks
    ('hạn sử dụng (`lot.expiry_date`)'); the path alone when the catalogue has no words for it
    (docs/WORDS.md: a raw name only inside backticks)."""
    names = [part for part in path.split(".") if not is_digits(part)]
    key = f"field.{names[-1]}" if names else ""
    if key in words.CATALOGUES["vi"]:
        return f"{words.text(key, 'vi')} (`{path}`)"
    return f"`{path}`"


def make_resolver(title: str, docs_path: str | None, description: str) -> JsonApiResolver:
    """A resolver with validation, the error shape, and Swagger UI at ``docs_path``."""
    bind_tables(get_settings())
    app = JsonApiResolver()

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[str]:
        return json_response(exc.status, exc.body(), exc.headers() or None)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[str]:
        details = _details(exc)
        return error_response(422, "invalid_request", *_summary(details), details)

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        return error_response(404, "route_not_found", "No such route.", "Không có đường dẫn này.")

    @app.exception_handler(Exception)
    def _crash(exc: Exception) -> Response[str]:
        if fault_of(exc) is not None:  # a DynamoDB fault no storage function answered: still a 503
            logger.warning("dynamodb fault reached the resolver", exc_info=exc)
            return _domain(unavailable())
        logger.exception("unhandled error")
        return error_response(
            500,
            "internal_error",
            "Something went wrong on our side; nothing was changed by a half-done step. Try again.",
            "Hệ thống gặp lỗi; không có thay đổi dở dang nào được lưu. Vui lòng thử lại.",
        )

    if docs_path:
        app.enable_swagger(
            path=docs_path,
            title=title,
            description=description,
            version="1.0.0",
            security_schemes={"bearer": HTTPBearer(bearerFormat="JWT")},
            security=[{"bearer": []}],
        )
    return app


def principal(app: APIGatewayHttpResolver) -> Principal:
    return Principal.from_event(app.current_event.raw_event)


def role_gate(event: dict[str, Any], rules: dict[str, tuple[str, ...]]) -> dict[str, Any] | None:
    """Refuse a caller whose role a route is not for, before anything else runs.

    Powertools validates the body before a route function runs, so without this a
    caller of the wrong role would be told what a valid body looks like (422) before
    being refused. Route functions still check role and tenant themselves.
    """
    roles = rules.get(str(event.get("routeKey", "")))
    if roles is None:
        return None
    try:
        Principal.from_event(event).require(*roles)
    except DomainError as exc:
        return error_event_response(exc)
    return None
