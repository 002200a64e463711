"""Pieces of the local stack (`make dev`) on plain data, with no server started: API
Gateway's route precedence, Lambda proxy results turned into HTTP responses, the dev-token
command and the refusal to serve beyond loopback. The stack itself over real HTTP:
tests/e2e/test_local_stack.py."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from ocop_local import __main__ as cli
from ocop_local import server, tokens
from ocop_local.template import Route


def _route(method: str, path: str, function_id: str = "F") -> server.CompiledRoute:
    return server.CompiledRoute.compile(Route(function_id, "app.lambda_handler", method, path, authorized=False))


@pytest.mark.parametrize(
    ("method", "path", "expected", "params"),
    [
        ("GET", "/v/special", "GET /v/special", {}),
        ("GET", "/v/abc", "GET /v/{code}", {"code": "abc"}),
        ("GET", "/v/a%2Fb", "GET /v/{code}", {"code": "a/b"}),
        ("GET", "/files/a/b/c", "GET /files/{proxy+}", {"proxy": "a/b/c"}),
        ("POST", "/files/a", "ANY /files/{proxy+}", {"proxy": "a"}),
        ("GET", "/files/x/meta", "GET /files/{id}/meta", {"id": "x"}),
        ("GET", "/files", None, None),
        ("DELETE", "/v/abc", None, None),
    ],
)
def test_given_overlapping_routes_when_a_path_is_matched_then_api_gateway_precedence_applies(
    method: str, path: str, expected: str | None, params: dict[str, str] | None
) -> None:
    routes = [
        _route("GET", "/v/{code}"),
        _route("GET", "/v/special"),
        _route("GET", "/files/{proxy+}"),
        _route("ANY", "/files/{proxy+}"),
        _route("GET", "/files/{id}/meta"),
    ]
    parts = [unquote(p) for p in path.lstrip("/").split("/")]

    found = server.select_route(routes, method, parts)

    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert found[0].route.route_key == expected
        assert found[1] == params


def test_given_a_lambda_proxy_result_when_converted_then_status_headers_cookies_and_base64_body_survive() -> None:
    response = server.lambda_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png", "X-One": "1"},
            "multiValueHeaders": {"X-Many": ["a", "b"]},
            "cookies": ["s=1; Path=/", "t=2"],
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
        }
    )
    inferred = server.lambda_response({"hello": "xin chào"})

    assert response.status_code == 201
    assert response.get_data() == b"\x89PNG"
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers.getlist("X-Many") == ["a", "b"]
    assert response.headers.getlist("Set-Cookie") == ["s=1; Path=/", "t=2"]
    assert inferred.status_code == 200 and json.loads(inferred.get_data()) == {"hello": "xin chào"}


def test_given_a_token_command_when_run_then_it_prints_a_token_the_gateway_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["token", "producer", "--producer-id", "tam-hoa", "--state-dir", str(tmp_path)])

    claims = tokens.verify(capsys.readouterr().out.strip(), state_dir=tmp_path)
    assert code == 0
    assert claims["custom:producer_id"] == "tam-hoa"
    assert claims["cognito:groups"] == ["producer"] and claims["token_use"] == "id"
    assert claims["exp"] - claims["iat"] == tokens.DEV_TTL_SECONDS


def test_given_a_host_that_is_not_loopback_when_serve_is_asked_then_it_refuses_without_allow_remote(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(["serve", "--host", "0.0.0.0", "--port", "0"])

    assert code == 2
    assert "--allow-remote" in capsys.readouterr().err


# --- the limits of API Gateway and Lambda (docs/LIMITS.md, "Sizes and pages") ---------------
LAMBDA_PAYLOAD = 6 * 1024 * 1024  # Lambda quotas: invocation payload, request and response
HTTP_API_PAYLOAD = 10 * 1024 * 1024  # HTTP API quotas: payload size


def _gateway(handler: Any, *, timeout: float = 3.0, integration_timeout: float = 30.0) -> server.LocalGateway:
    function = server.LocalFunction("F", Path("."), "app.lambda_handler", timeout_seconds=timeout, _handler=handler)
    route = Route("F", "app.lambda_handler", "ANY", "/x", authorized=False)
    return server.LocalGateway([route], {"F": function}, integration_timeout=integration_timeout)


def _proxy(body: str | bytes) -> dict[str, Any]:
    if isinstance(body, bytes):
        return {"statusCode": 200, "body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": body}


def _exactly(size: int) -> dict[str, Any]:
    """A text result whose JSON, as the runtime writes it, is ``size`` bytes."""
    result = _proxy("")
    result["body"] = "x" * (size - len(json.dumps(result, ensure_ascii=False).encode()))
    return result


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (_exactly(LAMBDA_PAYLOAD), 200),
        (_exactly(LAMBDA_PAYLOAD + 1), 500),
        (_proxy("ệ" * (LAMBDA_PAYLOAD // 3)), 500),  # 2 MiB characters, 6 MiB of UTF-8 (and the JSON around)
        (_proxy(b"\0" * (LAMBDA_PAYLOAD // 4 * 3)), 500),  # 4.5 MiB of bytes, 6 MiB once base64-encoded
        (_proxy(b"\0" * 4_000_000), 200),
    ],
    ids=["at-the-limit", "one-byte-over", "utf8-over", "base64-over", "binary-under"],
)
def test_given_a_handler_result_when_its_payload_is_over_6_mb_then_api_gateway_answers_500(
    result: dict[str, Any], status: int
) -> None:
    from werkzeug.test import Client

    response = Client(_gateway(lambda event, context: result)).get("/x")

    assert response.status_code == status
    if status == 500:
        assert response.get_json() == {"message": "Internal Server Error"}


@pytest.mark.parametrize(
    ("size", "content_type"),
    [
        (HTTP_API_PAYLOAD + 1, "application/json"),  # over the HTTP API's 10 MB
        (5 * 1024 * 1024, "application/octet-stream"),  # under 10 MB, but 6.7 MB once base64 in the event
    ],
)
def test_given_a_request_body_over_a_payload_limit_then_413_and_the_handler_is_never_invoked(
    size: int, content_type: str
) -> None:
    from werkzeug.test import Client

    calls: list[Any] = []
    app = _gateway(lambda event, context: calls.append(event) or _proxy("ok"))

    response = Client(app).post("/x", data=b"a" * size, content_type=content_type)

    assert response.status_code == 413
    assert response.get_json() == {"message": "Request Entity Too Large"}
    assert calls == [] and app.invocations["F"] == 0


def test_given_a_function_that_runs_past_its_timeout_then_api_gateway_answers_500() -> None:
    from werkzeug.test import Client

    slow = _gateway(lambda event, context: time.sleep(1.0) or _proxy("late"), timeout=0.2)

    response = Client(slow).get("/x")

    assert response.status_code == 500 and response.get_json() == {"message": "Internal Server Error"}


def test_given_a_function_that_outlasts_the_integration_timeout_then_api_gateway_answers_503() -> None:
    from werkzeug.test import Client

    slow = _gateway(lambda event, context: time.sleep(1.0) or _proxy("late"), timeout=60, integration_timeout=0.2)

    response = Client(slow).get("/x")

    assert response.status_code == 503 and response.get_json() == {"message": "Service Unavailable"}


def test_given_the_template_then_no_function_behind_the_api_outlasts_the_integration_timeout() -> None:
    # so a slow request meets the function's own timeout (500) before the gateway's (503)
    from ocop_local.template import function_properties, http_routes, load_template

    template = load_template()
    timeouts = {
        r.function_id: float(function_properties(template, r.function_id).get("Timeout", 3))
        for r in http_routes(template)
    }
    assert max(timeouts.values()) < server.INTEGRATION_TIMEOUT_SECONDS == 30.0
