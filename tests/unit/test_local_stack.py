"""Pieces of the local stack (`make dev`) on plain data, with no server started: API
Gateway's route precedence, Lambda proxy results turned into HTTP responses, the dev-token
command and the refusal to serve beyond loopback. The stack itself over real HTTP:
tests/e2e/test_local_stack.py."""

from __future__ import annotations

import base64
import json
from pathlib import Path
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
