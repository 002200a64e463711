"""The public function's own router (issue 10): it answers as Powertools' APIGatewayHttpResolver
did, reads payload 2.0 events, and keeps Powertools' event handler off the public cold start.
No AWS here."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler import Response as PowertoolsResponse

from helpers.handlers import load_event
from ocop_stamps.api.public_router import JSON, PublicRouter, Request, Response, error_response, json_response
from ocop_stamps.core.errors import DomainError, NotFound

ROOT = Path(__file__).resolve().parents[2]
# The public function's rules, in its order (functions/public_scan/app.py).
RULES: list[tuple[str, str, tuple[str, ...]]] = [
    ("scan", "/v/<code>", ("GET",)),
    ("typed", "/v", ("GET",)),
    ("report", "/v/<code>/report", ("POST",)),
    ("report_page", "/v/<code>/report", ("GET",)),
    ("digital_link", "/01/.+", ("GET", "HEAD", "OPTIONS")),
    ("digital_link_other", "/01/.+", ("POST", "PUT", "PATCH", "DELETE")),
    ("description", "/.well-known/gs1resolver", ("GET",)),
    ("fails", "/fail/<kind>", ("GET",)),
]


class Gone(NotFound):
    code = "gone"


def _raise(kind: str) -> None:
    if kind == "domain":
        raise Gone("Gone.", "Không còn.")
    if kind == "other":
        raise ValueError("not handled")


def _ours() -> PublicRouter:
    app = PublicRouter()

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response:
        return json_response(exc.status, exc.body(), {"Cache-Control": "no-store"})

    for name, rule, methods in RULES:

        def handler(_name: str = name, **params: str) -> Response:
            _raise(params.get("kind", ""))
            body = json.dumps({"route": _name, "params": params, "method": app.request.method})
            return Response(status_code=200, content_type=JSON, body=body, headers={"X-Route": _name})

        app.route(rule, method=list(methods))(handler)
    return app


def _powertools() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver()

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> PowertoolsResponse[str]:
        body = json.dumps(exc.body(), ensure_ascii=False, separators=(",", ":"))
        return PowertoolsResponse(exc.status, JSON, body, {"Cache-Control": "no-store"})

    for name, rule, methods in RULES:

        def handler(_name: str = name, **params: str) -> PowertoolsResponse[str]:
            _raise(params.get("kind", ""))
            body = json.dumps({"route": _name, "params": params, "method": app.current_event.http_method.upper()})
            return PowertoolsResponse(status_code=200, content_type=JSON, body=body, headers={"X-Route": _name})

        app.route(rule, method=list(methods))(handler)
    return app


def event(method: str, path: str, *, stage: str = "$default", **fields: Any) -> dict[str, Any]:
    e = load_event("http-api-base.json")
    e["rawPath"] = (f"/{stage}" if stage != "$default" else "") + path
    e["requestContext"]["http"]["method"] = method
    e["requestContext"]["http"]["path"] = e["rawPath"]
    e["requestContext"]["stage"] = stage
    e.update(fields)
    return e


CASES = [
    ("GET", "/v/1V5A8GRQ049FX92F"),
    ("get", "/v/1V5A8GRQ049FX92F"),
    ("GET", "/v/AAAA-BBBB_CCCC.DDDD~x"),
    ("GET", "/v/a%20b%3Cc%3E(d)!*:@,;=+&$"),
    ("GET", "/v/ with space"),
    ("GET", "/v/"),
    ("GET", "/v/a/b"),
    ("GET", "/v"),
    ("GET", "/v/CODE/report"),
    ("POST", "/v/CODE/report"),
    ("PUT", "/v/CODE/report"),
    ("POST", "/v/CODE"),
    ("HEAD", "/v/CODE"),
    ("OPTIONS", "/v/CODE"),
    ("GET", "/01/08930000000019/21/ABC"),
    ("HEAD", "/01/08930000000019/21/ABC"),
    ("OPTIONS", "/01/08930000000019/21/ABC"),
    ("DELETE", "/01/08930000000019/21/ABC"),
    ("PATCH", "/01/x"),
    ("GET", "/01/"),
    ("GET", "/01"),
    ("GET", "/.well-known/gs1resolver"),
    ("HEAD", "/.well-known/gs1resolver"),
    ("GET", "/.well-known/gs1resolverX"),
    ("GET", "/"),
    ("OPTIONS", "/"),
    ("GET", "/nowhere"),
    ("GET", "/fail/domain"),
]


@pytest.mark.parametrize("stage", ["$default", "prod"])
@pytest.mark.parametrize(("method", "path"), CASES)
def test_given_an_event_then_the_answer_is_the_one_powertools_gave(method: str, path: str, stage: str) -> None:
    e = event(method, path, stage=stage)

    ours = _ours().resolve(json.loads(json.dumps(e)), None)
    theirs = _powertools().resolve(json.loads(json.dumps(e)), None)  # type: ignore[arg-type]

    assert ours == theirs


def test_given_an_exception_without_a_handler_then_it_propagates_as_with_powertools() -> None:
    e = event("GET", "/fail/other")
    with pytest.raises(ValueError, match="not handled"):
        _powertools().resolve(e, None)  # type: ignore[arg-type]
    app = _ours()
    with pytest.raises(ValueError, match="not handled"):
        app.resolve(e, None)
    with pytest.raises(RuntimeError):
        _ = app.request  # no request once the event is answered


def test_given_a_handler_for_a_base_class_then_the_nearest_one_answers() -> None:
    app = PublicRouter()

    @app.exception_handler(Exception)
    def _any(exc: Exception) -> Response:
        return Response(500, "any")

    @app.exception_handler(NotFound)
    def _missing(exc: NotFound) -> Response:
        return Response(404, exc.code)

    @app.get("/x")
    def _x() -> Response:
        raise Gone("Gone.", "Không còn.")

    assert app.resolve(event("GET", "/x"))["body"] == "gone"


def test_given_a_payload_2_event_then_the_request_reads_it() -> None:
    e = event(
        "POST",
        "/v/X/report",
        stage="prod",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "en"},
        queryStringParameters={"lang": "en"},
        cookies=["a=1", "b=2"],
        body=base64.b64encode("where=Chợ".encode()).decode(),
        isBase64Encoded=True,
    )
    e["requestContext"]["http"]["sourceIp"] = "203.0.113.7"

    request = Request(e)

    assert (request.method, request.path, request.raw_path) == ("POST", "/v/X/report", "/prod/v/X/report")
    assert request.headers == {"content-type": "application/x-www-form-urlencoded", "accept-language": "en"}
    assert request.query == {"lang": "en"}
    assert request.cookies == ["a=1", "b=2"]
    assert request.body == "where=Chợ"
    assert request.source_ip == "203.0.113.7"
    assert request.raw_event is e


def test_given_a_sparse_event_then_the_request_has_empty_parts() -> None:
    request = Request({"rawPath": "/v", "requestContext": {"http": {"method": "get"}}})

    assert (request.method, request.path, request.headers, request.query, request.cookies) == ("GET", "/v", {}, {}, [])
    assert request.body is None and request.source_ip is None


def test_given_a_base64_body_that_is_not_utf8_then_it_is_read_with_replacement_characters() -> None:
    request = Request(event("POST", "/x", body=base64.b64encode(b"where=\xff").decode(), isBase64Encoded=True))

    assert request.body == "where=\ufffd"


def test_given_responses_then_the_lambda_result_has_the_payload_2_shape() -> None:
    shared = {"Cache-Control": "no-store"}

    text = Response(200, "<p>hi</p>", shared, content_type="text/html; charset=utf-8", cookies=["s=1; Secure"])
    binary = Response(200, b"\x00\x01", {"Content-Type": "image/png"}, content_type="application/octet-stream")

    assert text.result() == {
        "statusCode": 200,
        "body": "<p>hi</p>",
        "isBase64Encoded": False,
        "headers": {"Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8"},
        "cookies": ["s=1; Secure"],
    }
    assert shared == {"Cache-Control": "no-store"}  # a shared constant is never written to
    assert binary.result()["body"] == "AAE=" and binary.result()["isBase64Encoded"] is True
    assert binary.result()["headers"] == {"Content-Type": "image/png"}  # an explicit header wins


def test_given_the_json_helpers_then_the_one_encoding_and_error_shape() -> None:
    ok = json_response(201, {"tên": "Chợ"}, {"Location": "/x"}).result()
    err = error_response(400, "bad_request", "Bad.", "Sai.", [{"field": "where"}]).result()

    assert ok["body"] == '{"tên":"Chợ"}' and ok["headers"] == {"Location": "/x", "Content-Type": JSON}
    assert json.loads(err["body"]) == {
        "error": {"code": "bad_request", "message": "Bad.", "message_vi": "Sai.", "details": [{"field": "where"}]}
    }


def test_given_the_public_function_imported_then_only_what_a_scan_uses_is_loaded() -> None:
    """In a fresh process: no Powertools event handler, no pydantic or numpy, and the modules
    of the other routes (reports, Digital Link) and of failures (fallback queue) wait."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import app; "
        "print('\\n'.join(m for m in sys.modules if m.startswith(('aws_lambda_powertools', 'ocop_stamps', "
        "'pydantic', 'numpy'))))"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "layers" / "domain"))
    fn = ROOT / "functions" / "public_scan"
    out = subprocess.run(
        [sys.executable, "-c", code, str(fn)], env=env, cwd=fn, capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(out.stdout.split())

    assert "ocop_stamps.scanning.verification" in loaded and "aws_lambda_powertools.logging" in loaded
    assert not {m for m in loaded if m.startswith(("aws_lambda_powertools.event_handler", "pydantic", "numpy"))}
    waiting = {
        "ocop_stamps.api.responses",
        "ocop_stamps.scanning.reports",
        "ocop_stamps.scanning.digital_link",
        "ocop_stamps.scanning.fallback",
        "ocop_stamps.storage.queues",
    }
    assert not loaded & waiting


def test_given_the_stamp_page_rule_then_upper_case_and_a_trailing_slash_match_but_not_a_deeper_path() -> None:
    app = PublicRouter()

    @app.route("/[vV]/<code>/?", method=["GET", "HEAD"])
    def _page(code: str) -> Response:
        return Response(200, code)

    for path in ("/v/ABC", "/V/ABC", "/v/abc/", "/V/ABC/", "/v/AB%20CD"):
        assert app.resolve(event("GET", path))["statusCode"] == 200, path
    assert app.resolve(event("HEAD", "/V/ABC/"))["body"] == "ABC"
    for path in ("/v/a/b", "/v/", "/w/ABC", "/v/ABC//"):
        assert app.resolve(event("GET", path))["statusCode"] == 404, path


def test_given_a_repeated_query_parameter_then_its_values_come_apart_from_the_raw_query_string() -> None:
    # API Gateway joins repeated parameters with commas; rawQueryString keeps them apart.
    repeated = Request(event("GET", "/v", queryStringParameters={"code": "A,B"}, rawQueryString="code=A&code=B"))
    comma = Request(event("GET", "/v", queryStringParameters={"code": "A,B"}, rawQueryString="code=A%2CB"))
    bare = Request(event("GET", "/v", queryStringParameters={"code": "A"}))

    assert repeated.query_values("code") == ["A", "B"]
    assert comma.query_values("code") == ["A,B"]
    assert bare.query_values("code") == ["A"] and bare.query_values("lang") == []
