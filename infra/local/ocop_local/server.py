"""The local API Gateway: the template's HTTP API routes, served by the real handlers.

``make_app()`` returns a WSGI application that behaves like the deployed HTTP API for the
routes of ``infra/template.yaml`` -- and only those:

* route selection as API Gateway does it: a literal segment beats ``{param}``, ``{proxy+}``
  is greedy, a method beats ``ANY``, any route beats ``$default`` (the template gives it to
  the public function); with no route at all -> ``404 {"message":"Not Found"}``;
* routes behind the JWT authorizer need ``Authorization: Bearer <JWT>`` signed by the
  local key (``tokens.py``) with the right issuer, audience and expiry; otherwise
  ``401 {"message":"Unauthorized"}`` and the function is never invoked;
* each request becomes a payload-format-2.0 event for the function's own
  ``lambda_handler`` (loaded from ``functions/<dir>/app.py``), and its proxy response
  becomes the HTTP response;
* the limits of API Gateway and Lambda hold (docs/LIMITS.md, "Sizes and pages"): a body
  over the HTTP API's 10 MB, or an event over Lambda's 6 MB request payload, is answered
  ``413 {"message":"Request Entity Too Large"}`` without invoking the function; a proxy
  result whose JSON is over Lambda's 6 MB response payload (base64 included) becomes
  ``500 {"message":"Internal Server Error"}``, as does a function that runs past its
  template ``Timeout`` ("Task timed out"); one that outlasts the HTTP API's 30-second
  integration timeout is answered ``503 {"message":"Service Unavailable"}``.

It also plays the template's CloudFront distribution (``play_edge``), since deployed the
public pages are reached through it: a client's own ``CloudFront-*`` and origin-secret
headers are dropped, the local origin secret is added, and the viewer's place is what the
local-only ``X-Local-Place: VN-HN`` header says (CloudFront would look it up from the
address; there is no such lookup for 127.0.0.1).

Werkzeug serves it (``serving()``), threaded; each function runs in up to
``LOCAL_CONCURRENCY`` execution environments (threads that persist across invocations), each
handling one request at a time, as Lambda does (docs/PERFORMANCE.md, "Issue 16").
"""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import os
import queue
import re
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from werkzeug.datastructures import Headers
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import backend, tokens
from .lambda_context import ACCOUNT_ID, LocalLambdaContext
from .template import (
    Edge,
    Route,
    default_template_path,
    edge,
    function_environment,
    function_properties,
    http_routes,
    load_template,
)

log = logging.getLogger("ocop_local")

API_ID = "local"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # the HTTP API request payload quota
# Lambda's synchronous invocation payload quota, request (the event) and response (the proxy
# result), as JSON: "6 MB" = 6 MiB. (Lambda's own error message names 6,291,556 bytes for a
# response; the documented 6 MiB is kept: 100 bytes stricter, never more lenient.)
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
# The HTTP API's maximum (and default) integration timeout; the template sets no other.
INTEGRATION_TIMEOUT_SECONDS = 30.0
# Parameter names of SSM secrets: locally the keys and salt come from files under .local/;
# and there is no Cognito user pool locally (tokens are signed by a local key instead).
SSM_SECRET_VARIABLES = (
    "CODE_KEYS_PARAMETER",
    "PIN_KEYS_PARAMETER",
    "IP_HASH_SALT_PARAMETER",
    "ORIGIN_SECRET_ID",
    "USER_POOL_ID",
    "SMS_SECRET_ID",
)
# The place a local request was "made in", as CloudFront would have looked it up: ISO 3166-2
# (``VN-HN``, ``VN-69``). Local only: the deployed distribution does not pass it on.
LOCAL_PLACE_HEADER = "x-local-place"
_PLACE = re.compile(r"^([A-Za-z]{2})(?:-([A-Za-z0-9]{1,3}))?$")
_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/yaml",
    "application/csv",
)

# What API Gateway itself answers when it does not pass a request on.
NOT_FOUND = {"message": "Not Found"}
UNAUTHORIZED = {"message": "Unauthorized"}
INTERNAL_ERROR = {"message": "Internal Server Error"}
TOO_LARGE = {"message": "Request Entity Too Large"}
SERVICE_UNAVAILABLE = {"message": "Service Unavailable"}
# A WSGI environ key: requests with it set (the demo loader's) are logged at DEBUG only.
QUIET_ENVIRON_KEY = "ocop_local.quiet"


# --- route selection ----------------------------------------------------------------------
_LITERAL, _PARAM, _GREEDY = 2, 1, 0


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    segments: tuple[tuple[int, str], ...]  # (kind, literal text or parameter name)

    @classmethod
    def compile(cls, route: Route) -> CompiledRoute:
        if route.path == "$default":
            return cls(route, ())
        parts = route.path.lstrip("/").split("/")
        segments: list[tuple[int, str]] = []
        for i, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if i != len(parts) - 1:
                    raise ValueError(f"{route.route_key}: a greedy {part} must be the last segment")
                segments.append((_GREEDY, part[1:-2]))
            elif part.startswith("{") and part.endswith("}"):
                segments.append((_PARAM, part[1:-1]))
            else:
                segments.append((_LITERAL, part))
        return cls(route, tuple(segments))

    @property
    def is_default(self) -> bool:
        return self.route.path == "$default"

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """Path parameters if the (decoded) path segments match, else None."""
        if self.is_default:
            return {}
        params: dict[str, str] = {}
        for i, (kind, text) in enumerate(self.segments):
            if kind == _GREEDY:
                rest = parts[i:]
                if not rest or not rest[0]:
                    return None
                params[text] = "/".join(rest)
                return params
            if i >= len(parts):
                return None
            if kind == _LITERAL:
                if parts[i] != text:
                    return None
            elif not parts[i]:
                return None
            else:
                params[text] = parts[i]
        return params if len(parts) == len(self.segments) else None

    def rank(self, method: str) -> tuple[int, tuple[int, ...], int]:
        """Higher wins: a real route over $default, literal over {param} over {proxy+}
        segment by segment from the left, then an exact method over ANY."""
        return (
            0 if self.is_default else 1,
            tuple(kind for kind, _ in self.segments),
            1 if self.route.method == method else 0,
        )


def select_route(
    routes: Iterable[CompiledRoute], method: str, parts: list[str]
) -> tuple[CompiledRoute, dict[str, str]] | None:
    best: tuple[CompiledRoute, dict[str, str]] | None = None
    for compiled in routes:
        if compiled.route.method not in (method, "ANY"):
            continue
        params = compiled.match(parts)
        if params is None:
            continue
        if best is None or compiled.rank(method) > best[0].rank(method):
            best = (compiled, params)
    return best


# --- functions ----------------------------------------------------------------------------
# Execution environments one local function may have at once. Deployed, Lambda starts one
# per concurrent request (up to the account's concurrency); locally each is a thread of this
# process, so a few suffice to overlap one request's waits with another's work.
LOCAL_CONCURRENCY = 8


class _Environment(threading.Thread):
    """One execution environment of a function: a thread that lives from one invocation to
    the next, as a warm Lambda environment does (so per-thread state -- pynamodb's botocore
    session, its loaded service models -- is made once, not per request), and that runs one
    event at a time."""

    def __init__(self, function: LocalFunction, number: int) -> None:
        super().__init__(name=f"lambda-{function.function_id}-{number}", daemon=True)
        self.function = function
        self.inbox: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def run(self) -> None:  # a daemon thread: it ends with the process
        if self.function.background:
            backend.run_in_background()
        while True:
            job = self.inbox.get()
            try:
                job()
            finally:
                self.function._release(self)


@dataclass
class LocalFunction:
    """One Lambda function: its handler, loaded once, run by up to ``concurrency`` execution
    environments, each one request at a time."""

    function_id: str
    code_path: Path
    handler_name: str
    memory_mb: int = 128
    timeout_seconds: float = 3.0
    concurrency: int = LOCAL_CONCURRENCY
    background: bool = False  # event-fed: its moto requests wait for the request path's (backend.MotoLock)
    _handler: Callable[[dict[str, Any], Any], Any] | None = field(default=None, repr=False)
    _idle: list[_Environment] = field(default_factory=list, repr=False)
    _started: int = field(default=0, repr=False)
    _free: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def handler(self) -> Callable[[dict[str, Any], Any], Any]:
        if self._handler is None:
            self._handler = load_handler(self.code_path, self.handler_name)
        return self._handler

    def _acquire(self) -> _Environment:
        """An idle environment (the most recently used: the warmest), a new one while fewer
        than ``concurrency`` exist, else wait for one to finish."""
        with self._free:
            while not self._idle and self._started >= self.concurrency:
                self._free.wait()
            if self._idle:
                return self._idle.pop()
            self._started += 1
            environment = _Environment(self, self._started)
        environment.start()
        return environment

    def _release(self, environment: _Environment) -> None:
        with self._free:
            self._idle.append(environment)
            self._free.notify()

    def invoke(self, event: dict[str, Any], integration_timeout: float = INTEGRATION_TIMEOUT_SECONDS) -> Any:
        """The handler's result, run as Lambda runs it: one event at a time per execution
        environment, and stopped waiting for at the function's timeout (``FunctionTimedOut``)
        or the gateway's (``IntegrationTimedOut``), whichever comes first. The clock starts
        when an environment takes the event. A handler waited out keeps running in the
        background and keeps its environment busy until it returns (Lambda would stop it)."""
        outcome: dict[str, Any] = {}
        started, done = threading.Event(), threading.Event()

        def run() -> None:
            context = LocalLambdaContext(
                function_name=self.function_id,
                memory_limit_in_mb=self.memory_mb,
                timeout_seconds=self.timeout_seconds,
                region=os.environ.get("AWS_DEFAULT_REGION", backend.REGION),
            )
            started.set()
            try:
                outcome["result"] = self.handler(event, context)
            except BaseException as exc:  # handed to the caller's thread
                outcome["error"] = exc
            finally:
                done.set()

        self._acquire().inbox.put(run)
        started.wait()
        if not done.wait(min(self.timeout_seconds, integration_timeout)):
            if self.timeout_seconds <= integration_timeout:
                raise FunctionTimedOut(f"{self.function_id}: Task timed out after {self.timeout_seconds:g} seconds")
            raise IntegrationTimedOut(f"{self.function_id}: no answer within {integration_timeout:g} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("result")


class FunctionTimedOut(Exception):
    """The function ran past its ``Timeout``: Lambda reports an error, API Gateway answers 500."""


class IntegrationTimedOut(Exception):
    """The gateway stopped waiting (HTTP API integration timeout): it answers 503."""


def lambda_payload_bytes(payload: Any) -> int:
    """Bytes of ``payload`` as the Python 3.12 runtime serializes a result (simplejson,
    ``ensure_ascii=False``, which also escapes U+2028 and U+2029); TypeError if it is not JSON."""
    text = json.dumps(payload, ensure_ascii=False)
    return len(text.encode("utf-8")) + 3 * (text.count("\u2028") + text.count("\u2029"))


def load_handler(code_path: Path, handler_name: str) -> Callable[[dict[str, Any], Any], Any]:
    """``module.function`` from the function's code folder, as a module of its own: every
    function's file is called app.py, so each gets a unique name in ``sys.modules``."""
    module_path, _, attribute = handler_name.rpartition(".")
    if not module_path or not attribute:
        raise ValueError(f"Handler {handler_name!r} is not module.function")
    source = code_path / (module_path.replace(".", "/") + ".py")
    unique = f"_ocop_local_fn_{code_path.name}_{module_path.replace('.', '_')}"
    module: ModuleType | None = sys.modules.get(unique)
    if module is None or Path(getattr(module, "__file__", "")) != source:
        spec = importlib.util.spec_from_file_location(unique, source)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {source}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        sys.path.insert(0, str(code_path))  # Lambda puts the code folder on the path
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[unique]
            raise
        finally:
            sys.path.remove(str(code_path))
    handler = getattr(module, attribute)
    if not callable(handler):
        raise TypeError(f"{source}: {attribute} is not callable")
    return handler  # type: ignore[no-any-return]


# --- events -------------------------------------------------------------------------------
def raw_path_of(environ: Mapping[str, Any]) -> str:
    """The path as the client sent it (still percent-encoded), like ``rawPath``."""
    uri = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if uri:
        uri = uri.encode("latin-1").decode("utf-8", "replace")
        path = urlsplit(uri).path if uri.startswith(("http://", "https://")) else uri.split("?", 1)[0]
        return path or "/"
    path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
    return quote(path, safe="/:@!$&'()*+,;=-._~%") or "/"


def _is_text(content_type: str | None) -> bool:
    if not content_type:
        return True  # API Gateway passes a body without a content type as text
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime.startswith("text/") or mime in _TEXT_TYPES or mime.endswith(("+json", "+xml"))


def gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as the HTTP API JWT authorizer hands them on: all strings, arrays as
    ``[a b]`` (so Cognito groups arrive as ``"[admin producer]"``)."""
    out: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            out[name] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, dict):
            out[name] = json.dumps(value, separators=(",", ":"))
        else:
            out[name] = str(value)
    return out


def _client_text(wsgi: str) -> str:
    """A WSGI environ string as the UTF-8 text the client sent. Werkzeug's server hands a
    request target with raw non-ASCII bytes (``curl "…?province=Thái Nguyên"``) over encoded
    twice (latin-1 of UTF-8 of latin-1): both layers are undone, as API Gateway reads UTF-8."""
    text = wsgi.encode("latin-1").decode("utf-8", "replace")
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:  # encoded once only (or plain ASCII): the first layer was all
        return text


def build_event(
    request: Request,
    route: Route,
    path_parameters: Mapping[str, str],
    *,
    raw_path: str,
    body: bytes,
    claims: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload format 2.0 event for one request."""
    now = time.time() if now is None else now
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers.items():
        lower = name.lower()
        if lower == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[lower] = f"{headers[lower]},{value}" if lower in headers else value
    source_ip = request.remote_addr or "127.0.0.1"
    host = headers.get("host", "localhost")
    request_id = request_id or (secrets.token_urlsafe(11)[:15] + "=")
    headers.setdefault("x-forwarded-for", source_ip)
    headers.setdefault("x-forwarded-proto", request.scheme or "http")
    headers.setdefault("x-forwarded-port", str(request.server[1]) if request.server and request.server[1] else "80")
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now):08x}-{secrets.token_hex(12)}")
    raw_query = _client_text(request.environ.get("QUERY_STRING", ""))
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    route_key = route.route_key if route.path != "$default" else "$default"
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": host,
        "domainPrefix": host.split(":", 1)[0].split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": raw_path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if claims is not None:
        scope = claims.get("scope")
        context["authorizer"] = {
            "jwt": {"claims": gateway_claims(claims), "scopes": str(scope).split() if scope else None}
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        if _is_text(headers.get("content-type")):
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
        else:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
    return event


def play_edge(headers: dict[str, str], edge_config: Edge, secret: str | None, viewer_address: str) -> None:
    """What CloudFront does to a request's (lower-case) headers on its way to the API, in place.

    A client's ``CloudFront-*`` headers and its own origin-secret header are dropped (CloudFront
    sets its own), then ``secret`` goes in the origin header, and the viewer's address and the
    place of ``X-Local-Place`` go in the CloudFront headers the template forwards. Without a
    secret (none configured) the request arrives as a direct one: no place, nothing trusted.
    """
    place = _PLACE.match(headers.pop(LOCAL_PLACE_HEADER, "").strip())
    for name in [n for n in headers if n.startswith("cloudfront-") or n == edge_config.origin_header]:
        del headers[name]
    if not secret:
        return
    headers[edge_config.origin_header] = secret
    viewer = {"cloudfront-viewer-address": viewer_address}
    if place:
        viewer["cloudfront-viewer-country"] = place.group(1).upper()
        if place.group(2):
            viewer["cloudfront-viewer-country-region"] = place.group(2).upper()
    headers.update({name: value for name, value in viewer.items() if name in edge_config.viewer_headers})


def _origin_secret() -> str | None:
    """The value the local "distribution" sends: the current origin secret of this process."""
    from ocop_stamps.storage.parameters import SecretMissing, origin_secrets

    try:
        return origin_secrets().current.decode()
    except SecretMissing:
        return None


def lambda_response(result: Any) -> Response:
    """A Lambda proxy result (format 2.0) as an HTTP response; as API Gateway does, a
    result without ``statusCode`` is a 200 JSON body, a malformed one a 500."""
    if not (isinstance(result, dict) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
        return Response(body, 200, content_type="application/json")
    status = int(result["statusCode"])
    if not 100 <= status <= 599:
        raise ValueError(f"statusCode {status} is not an HTTP status")
    headers = Headers()
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            headers.add(name, str(value))
    for name, value in (result.get("headers") or {}).items():
        headers.set(name, str(value))
    for cookie in result.get("cookies") or []:
        headers.add("Set-Cookie", str(cookie))
    payload = result.get("body")
    if payload is None:
        data = b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(payload)
    else:
        data = str(payload).encode("utf-8")
    if "content-type" not in headers:
        headers.set("Content-Type", "application/json")
    return Response(data, status, headers=headers)


def gateway_response(status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")), status, headers=dict(headers or {}), content_type="application/json"
    )


# --- the gateway --------------------------------------------------------------------------
class LocalGateway:
    """The WSGI application: route, authorize, build the event, invoke, answer."""

    def __init__(
        self,
        routes: list[Route],
        functions: Mapping[str, LocalFunction],
        *,
        state_dir: str | os.PathLike[str] | None = None,
        integration_timeout: float = INTEGRATION_TIMEOUT_SECONDS,
        edge_config: Edge | None = None,
    ) -> None:
        self.routes = list(routes)
        self.functions = dict(functions)
        self.state_dir = state_dir
        self.integration_timeout = integration_timeout
        self.edge = edge_config  # the template's CloudFront distribution, played by this gateway
        self.invocations: Counter[str] = Counter()  # by function id: proof a handler ran
        self._compiled = [CompiledRoute.compile(r) for r in self.routes]
        self._count_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.monotonic()
        request = Request(environ)
        raw_path = raw_path_of(environ)
        request_id = secrets.token_urlsafe(11)[:15] + "="
        note = "no route"
        try:
            response, note = self._handle(request, raw_path, request_id)
        except Exception:
            log.exception("%s %s: the local gateway failed", request.method, raw_path)
            response, note = gateway_response(500, INTERNAL_ERROR), "gateway error"
        response.headers.setdefault("Apigw-Requestid", request_id)
        log.log(
            logging.DEBUG if environ.get(QUIET_ENVIRON_KEY) else logging.INFO,
            "%s %s -> %d %.0f ms (%s)",
            request.method,
            raw_path,
            response.status_code,
            (time.monotonic() - started) * 1000,
            note,
        )
        return response(environ, start_response)

    def _handle(self, request: Request, raw_path: str, request_id: str) -> tuple[Response, str]:
        parts = [unquote(p) for p in raw_path.lstrip("/").split("/")]
        found = select_route(self._compiled, request.method, parts)
        if found is None:
            return gateway_response(404, NOT_FOUND), "no route"
        compiled, params = found
        route = compiled.route
        claims = None
        if route.authorized:
            claims, problem = self._authorize(request.headers.get("Authorization"))
            if claims is None:
                reason = problem.replace('"', "'")
                challenge = f'Bearer error="invalid_token" error_description="{reason}"'
                return (
                    gateway_response(401, UNAUTHORIZED, {"WWW-Authenticate": challenge}),
                    f"{route.function_id} not invoked: {problem}",
                )
        if (request.content_length or 0) > MAX_PAYLOAD_BYTES:
            return gateway_response(413, TOO_LARGE), f"{route.function_id} not invoked: payload too large"
        body = request.get_data(cache=False)
        if len(body) > MAX_PAYLOAD_BYTES:  # chunked, without a Content-Length
            return gateway_response(413, TOO_LARGE), f"{route.function_id} not invoked: payload too large"
        event = build_event(request, route, params, raw_path=raw_path, body=body, claims=claims, request_id=request_id)
        event_size = lambda_payload_bytes(event)
        if event_size > LAMBDA_PAYLOAD_BYTES:  # Lambda refuses the invocation: RequestEntityTooLargeException
            note = (
                f"{route.function_id} not invoked: event of {event_size:,} bytes over Lambda's {LAMBDA_PAYLOAD_BYTES:,}"
            )
            return gateway_response(413, TOO_LARGE), note
        if self.edge is not None:
            viewer = f"{event['requestContext']['http']['sourceIp']}:{request.environ.get('REMOTE_PORT') or 0}"
            play_edge(event["headers"], self.edge, _origin_secret(), viewer)
        function = self.functions[route.function_id]
        with self._count_lock:
            self.invocations[route.function_id] += 1
        try:
            result = function.invoke(event, self.integration_timeout)
        except FunctionTimedOut as exc:
            log.warning("%s: API Gateway answers 500", exc)
            return gateway_response(500, INTERNAL_ERROR), f"{route.function_id} timed out"
        except IntegrationTimedOut as exc:
            log.warning("%s: API Gateway answers 503", exc)
            return gateway_response(503, SERVICE_UNAVAILABLE), f"{route.function_id}: integration timeout"
        except Exception:
            log.exception("%s failed on %s %s", route.function_id, request.method, raw_path)
            return gateway_response(500, INTERNAL_ERROR), route.function_id
        try:
            size = lambda_payload_bytes(result)
        except (TypeError, ValueError):
            log.exception("%s returned a result that is not JSON", route.function_id)
            return gateway_response(500, INTERNAL_ERROR), f"{route.function_id}: result is not JSON"
        if size > LAMBDA_PAYLOAD_BYTES:
            log.warning(
                "%s returned %s bytes, over Lambda's response payload limit (%s): API Gateway answers 500",
                route.function_id,
                f"{size:,}",
                f"{LAMBDA_PAYLOAD_BYTES:,}",
            )
            return gateway_response(500, INTERNAL_ERROR), f"{route.function_id}: response of {size:,} bytes too large"
        return lambda_response(result), route.function_id

    def _authorize(self, header: str | None) -> tuple[dict[str, Any] | None, str]:
        if not header:
            return None, "no Authorization header"
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, "Authorization is not 'Bearer <token>'"
        try:
            return tokens.verify(token.strip(), state_dir=self.state_dir), ""
        except tokens.InvalidToken as exc:
            return None, str(exc)


def _template_and_folder(template: Mapping[str, Any] | str | os.PathLike[str] | None) -> tuple[dict[str, Any], Path]:
    if template is None or isinstance(template, str | os.PathLike):
        path = Path(template) if template is not None else default_template_path()
        return load_template(path), path.resolve().parent
    return dict(template), default_template_path().resolve().parent


_METRICS_LOCK = threading.RLock()


def serialize_metrics() -> None:
    """One thread at a time in Powertools' metric set.

    In Lambda one process runs one invocation at a time; here a function's execution
    environments are threads of one process and share its ``Metrics`` object, whose metric
    set is a plain dict that ``log_metrics`` serialises and clears after every invocation:
    another thread adding a metric meanwhile could break the iteration ("dictionary changed
    size") and turn a good answer into a 500. The lock keeps each method whole; what is
    emitted stays the same (a flush may carry a neighbour's metric, locally only).
    """
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    for name in (
        "add_metric",
        "add_dimension",
        "add_metadata",
        "serialize_metric_set",
        "flush_metrics",
        "clear_metrics",
    ):
        method = getattr(AmazonCloudWatchEMFProvider, name)
        if getattr(method, "_ocop_locked", False):
            continue

        def locked(self: Any, *args: Any, __method: Callable[..., Any] = method, **kwargs: Any) -> Any:
            with _METRICS_LOCK:
                return __method(self, *args, **kwargs)

        locked._ocop_locked = True  # type: ignore[attr-defined]
        setattr(AmazonCloudWatchEMFProvider, name, locked)


def make_app(
    template: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    state_dir: str | os.PathLike[str] | None = None,
) -> LocalGateway:
    """The WSGI app for every HttpApi route of the template (a dict, a path, or the
    repository's ``infra/template.yaml``). Tokens are checked against the key in
    ``state_dir`` (default: ``tokens.default_state_dir()``, read at each request)."""
    loaded, folder = _template_and_folder(template)
    routes = http_routes(loaded)
    serialize_metrics()  # a function's environments share one process here (LOCAL_CONCURRENCY)
    functions: dict[str, LocalFunction] = {}
    for route in routes:
        if route.function_id in functions:
            continue
        props = function_properties(loaded, route.function_id)
        function = LocalFunction(
            function_id=route.function_id,
            code_path=(folder / route.code_uri).resolve(),
            handler_name=route.handler,
            memory_mb=int(props.get("MemorySize", 128)),
            timeout_seconds=float(props.get("Timeout", 3)),
        )
        function.handler  # noqa: B018 -- import now: a broken handler fails at start, not at first request
        functions[route.function_id] = function
    return LocalGateway(routes, functions, state_dir=state_dir, edge_config=edge(loaded))


# --- environment --------------------------------------------------------------------------
def local_environment(
    template: Mapping[str, Any] | None,
    public_base_url: str,
    state_dir: str | os.PathLike[str],
) -> dict[str, str]:
    """One environment for all functions (they share this process): the union of their
    template environments with tables, PUBLIC_BASE_URL and secrets resolved locally.
    A variable the functions disagree on (POWERTOOLS_SERVICE_NAME) takes the local value."""
    loaded = dict(template) if template is not None else load_template()
    refs = {logical_id: name for logical_id, (_, name) in backend.TABLES.items()}
    refs["PublicBaseUrl"] = public_base_url
    union: dict[str, str] = {}
    disputed: set[str] = set()
    for function_id in dict.fromkeys(r.function_id for r in http_routes(loaded)):
        for name, value in function_environment(loaded, function_id, refs).items():
            if name in union and union[name] != value:
                disputed.add(name)
            union.setdefault(name, value)
    base = backend.base_environment(public_base_url)
    env = {name: value for name, value in union.items() if name not in disputed}
    for name in disputed:
        if name in base:
            env[name] = base[name]
    for name, value in base.items():
        env.setdefault(name, value)
    env["PUBLIC_BASE_URL"] = public_base_url
    for name in SSM_SECRET_VARIABLES:
        env.pop(name, None)
    state = Path(state_dir)
    env.update(backend.local_secrets(state))
    env[tokens.STATE_DIR_ENV] = str(state)
    # the console (issue 15): its address here, and the demo users its sign-in page lists
    env["CONSOLE_URL"] = f"{public_base_url}/console"
    env["OCOP_CONSOLE_LOCAL_USERS"] = json.dumps(tokens.console_users())
    return env


def apply_local_environment(env: Mapping[str, str]) -> None:
    """``backend.apply_environment`` after removing the SSM parameter names, so the local
    secret files are what the functions read."""
    for name in SSM_SECRET_VARIABLES:
        os.environ.pop(name, None)
    backend.apply_environment(dict(env))


# --- serving ------------------------------------------------------------------------------
class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without its own access log: the gateway logs one line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def new_server(app: LocalGateway, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    return make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)


def base_url_of(server: BaseWSGIServer) -> str:
    host = server.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{server.port}"


@contextmanager
def serving(server: BaseWSGIServer) -> Iterator[str]:
    """Serve in a background thread for the duration of the block; yields the base URL."""
    thread = threading.Thread(target=server.serve_forever, name="ocop-local-http", daemon=True)
    thread.start()
    try:
        yield base_url_of(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
