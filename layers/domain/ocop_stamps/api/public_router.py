"""The public function's router: API Gateway HTTP API events (payload 2.0), standard library only.

Decision (issue 10): the public scan function does not use Powertools' event handler.
Importing ``aws_lambda_powertools.event_handler`` costs about 0.6x an ``import boto3`` on
every cold start (the package pulls AppSync, Bedrock agents, OpenAPI, ...), and the hot
scan path needs six routes, one exception handler and plain responses: that part is ours
to write and measure (tests/perf/cold_import.py). The authenticated APIs keep Powertools
(validation, OpenAPI, Swagger UI) through ``api.resolver`` and ``api.responses``; the JSON
encoding and the error shape below are shared with them.

It answers as ``APIGatewayHttpResolver`` (Powertools 3) did for the public function, and
tests/unit/test_public_router.py holds the two side by side:

- the path is ``rawPath`` (less ``/{stage}`` when the stage is not ``$default``); the method
  is upper-cased;
- rules without a ``<name>`` segment are tried before rules with one, each group in the order
  declared; ``<name>`` matches one or more URI characters but ``/``; the rest of a rule is a
  regular expression that must match the whole path;
- a route answers only the methods it declares: there is no implicit HEAD and no CORS
  preflight (the stamp page and the Digital Link routes answer HEAD and OPTIONS themselves);
- no route: 404 ``{"statusCode":404,"message":"Not found"}`` as ``application/json``, or what
  the function registered with ``not_found`` answers (the public function: the error shape);
- an exception goes to the handler registered for its nearest class; without one it
  propagates to the Lambda runtime (which logs it: API Gateway answers 500);
- the result has ``statusCode``, ``body``, ``isBase64Encoded``, ``headers`` and ``cookies``
  (a ``bytes`` body is sent base64-encoded).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import parse_qsl

JSON = "application/json; charset=utf-8"
# Powertools' class for a path parameter: URI-safe characters, and the unsafe ones API
# Gateway hands over decoded -- anything but "/".
_SEGMENT = r"[-._~()'!*:@,;=+&$%<> \[\]{}|^\w]+"
_PARAM = re.compile(r"<(\w+)>")

Handler = Callable[..., "Response"]
F = TypeVar("F", bound=Callable[..., "Response"])
E = TypeVar("E", bound=Callable[[Any], "Response"])


def json_text(body: Any) -> str:
    """The one JSON encoding of every API body: UTF-8 as is, no spaces."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def error_body(code: str, message: str, message_vi: str, details: Any = None) -> dict[str, Any]:
    """The one error shape: ``{"error": {"code", "message", "message_vi"[, "details"]}}``."""
    err: dict[str, Any] = {"code": code, "message": message, "message_vi": message_vi}
    if details:
        err["details"] = details
    return {"error": err}


class Response:
    """What a route returns: status, body, headers (``content_type`` fills Content-Type), cookies."""

    __slots__ = ("body", "cookies", "headers", "status_code")

    def __init__(
        self,
        status_code: int,
        body: str | bytes = "",
        headers: dict[str, str] | None = None,
        *,
        content_type: str | None = None,
        cookies: Iterable[str] = (),
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.headers = dict(headers or {})  # a copy: callers pass shared constants
        if content_type:
            self.headers.setdefault("Content-Type", content_type)
        self.cookies = list(cookies)

    def result(self) -> dict[str, Any]:
        """The Lambda proxy result, payload format 2.0."""
        body, encoded = self.body, isinstance(self.body, bytes)
        if isinstance(body, bytes):
            body = base64.b64encode(body).decode("ascii")
        return {
            "statusCode": self.status_code,
            "body": body,
            "isBase64Encoded": encoded,
            "headers": self.headers,
            "cookies": self.cookies,
        }


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json_text(body), headers, content_type=JSON)


def error_response(
    status: int, code: str, message: str, message_vi: str, details: Any = None, *, headers: dict[str, str] | None = None
) -> Response:
    return json_response(status, error_body(code, message, message_vi, details), headers)


class Request:
    """The parts of a payload 2.0 event a public route reads; header names lower-cased."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.raw_event = event
        context = event.get("requestContext") or {}
        self.method = str((context.get("http") or {}).get("method", "")).upper()
        self.raw_path = str(event.get("rawPath") or "")
        stage = context.get("stage", "$default")
        self.path = self.raw_path[len(stage) + 1 :] if stage != "$default" else self.raw_path

    @cached_property
    def headers(self) -> dict[str, str]:
        return {str(k).lower(): str(v) for k, v in (self.raw_event.get("headers") or {}).items()}

    @cached_property
    def query(self) -> dict[str, str]:
        return dict(self.raw_event.get("queryStringParameters") or {})

    def query_values(self, name: str) -> list[str]:
        """Every value of query parameter ``name``, in order. API Gateway joins repeated
        parameters with commas in ``queryStringParameters``; ``rawQueryString`` tells them
        apart from a comma inside one value (used only when it explains the joined value)."""
        value = self.query.get(name)
        if value is None:
            return []
        raw = [
            v
            for k, v in parse_qsl(str(self.raw_event.get("rawQueryString") or ""), keep_blank_values=True)
            if k == name
        ]
        return raw if len(raw) > 1 and ",".join(raw) == value else [value]

    @property
    def cookies(self) -> list[str]:
        return list(self.raw_event.get("cookies") or [])

    @property
    def source_ip(self) -> str | None:
        return ((self.raw_event.get("requestContext") or {}).get("http") or {}).get("sourceIp")

    @cached_property
    def body(self) -> str | None:
        """The body as text, base64-decoded when the gateway encoded it (bad UTF-8 replaced)."""
        body = self.raw_event.get("body")
        if body and self.raw_event.get("isBase64Encoded"):
            return base64.b64decode(body).decode("utf-8", "replace")
        return body


class _Route:
    __slots__ = ("func", "method", "pattern")

    def __init__(self, method: str, pattern: re.Pattern[str], func: Handler) -> None:
        self.method, self.pattern, self.func = method, pattern, func


class PublicRouter:
    """Routes by method and path; ``request`` is the event being answered."""

    def __init__(self) -> None:
        self._static: list[_Route] = []
        self._dynamic: list[_Route] = []
        self._handlers: dict[type[BaseException], Callable[[Any], Response]] = {}
        self._request: Request | None = None
        self._not_found: Callable[[], Response] | None = None

    @property
    def request(self) -> Request:
        if self._request is None:
            raise RuntimeError("no request is being answered")
        return self._request

    def route(self, rule: str, method: str | Iterable[str]) -> Callable[[F], F]:
        pattern = re.compile("^" + _PARAM.sub(lambda m: f"(?P<{m[1]}>{_SEGMENT})", rule) + "$")
        methods = [method] if isinstance(method, str) else list(method)

        def register(func: F) -> F:
            for m in methods:
                (self._dynamic if pattern.groups else self._static).append(_Route(m.upper(), pattern, func))
            return func

        return register

    def get(self, rule: str) -> Callable[[F], F]:
        return self.route(rule, "GET")

    def post(self, rule: str) -> Callable[[F], F]:
        return self.route(rule, "POST")

    def not_found(self, func: Callable[[], Response]) -> Callable[[], Response]:
        """Register the answer to a request no route matches."""
        self._not_found = func
        return func

    def exception_handler(self, exc_class: type[BaseException]) -> Callable[[E], E]:
        def register(func: E) -> E:
            self._handlers[exc_class] = func
            return func

        return register

    def resolve(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        """Answer one event with the first matching route (see the module docstring)."""
        self._request = request = Request(event)
        try:
            return self._answer(request).result()
        finally:
            self._request = None

    def _answer(self, request: Request) -> Response:
        try:
            for route in (*self._static, *self._dynamic):
                if route.method == request.method and (match := route.pattern.match(request.path)):
                    return route.func(**match.groupdict())
            if self._not_found is not None:
                return self._not_found()
            return Response(
                404, json_text({"statusCode": 404, "message": "Not found"}), content_type="application/json"
            )
        except Exception as exc:
            handler = next((self._handlers[c] for c in type(exc).__mro__ if c in self._handlers), None)
            if handler is None:
                raise
            return handler(exc)
