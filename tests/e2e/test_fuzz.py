"""Fuzz every route of every API against the local stack: no request finds a server error.

* The authenticated APIs (producer, admin, inspector): schemathesis from each API's own
  OpenAPI description; every response must also match the schema the API publishes.
* The public routes (the public scan function: ``/v/{code}``, ``/v``, the report form, the
  GS1 Digital Link resolver ``/01/...``, ``/.well-known/gs1resolver``): schemathesis from
  ``PUBLIC_SPEC`` below, written from the template and ``functions/public_scan/app.py``
  (the function publishes no OpenAPI: it is the hot path and carries no Powertools event
  handler); a test keeps it covering every public route of the template.
* Bodies that are not JSON or not UTF-8: raw bytes under several content types, posted to
  every POST route of every API (hypothesis), with a few known-nasty bodies always included.

Small enough for CI (``OCOP_FUZZ_EXAMPLES`` examples per operation, default 5); run a
larger budget with ``OCOP_FUZZ_EXAMPLES=200 .venv/bin/pytest tests/e2e/test_fuzz.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from helpers.local_stack import LocalStack
from ocop_local.template import Route, http_routes, load_template

EXAMPLES = int(os.environ.get("OCOP_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
ROUTES = http_routes(load_template())


def _fuzz(schema: Any, local_stack: LocalStack, headers: dict[str, str], checks: list[Any]) -> list[str]:
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(base_url=local_stack.base_url, headers=headers, timeout=60, allow_redirects=False)
            case.validate_response(response, checks=checks)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    return failures


@pytest.mark.slow
@pytest.mark.parametrize(("api", "role"), [("producer", "producer"), ("admin", "admin"), ("inspector", "inspector")])
def test_given_fuzzed_requests_to_every_operation_then_no_server_error_and_responses_match_the_spec(
    local_stack: LocalStack, api: str, role: str
) -> None:
    schema = schemathesis.openapi.from_url(local_stack.url(f"/docs/{api}?format=json"))
    failures = _fuzz(schema, local_stack, local_stack.bearer(role), CHECKS)
    assert not failures, "\n\n".join(failures)


# --- the public routes ------------------------------------------------------------------------------
def _query(name: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string", **schema}}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


ANSWER = {"default": {"description": "A page, JSON, a linkset or a redirect"}}
ACCEPT = {
    "name": "Accept",
    "in": "header",
    "required": False,
    "schema": {
        "type": "string",
        "enum": ["text/html", "application/json", "application/linkset+json", "*/*", "application/json;q=0"],
    },
}
LANGS = [_query("lang"), {"name": "Accept-Language", "in": "header", "required": False, "schema": {"type": "string"}}]
REPORT = {
    "type": "object",
    "properties": {"where": {"type": "string"}, "note": {"type": "string"}, "lang": {"type": "string"}},
}
PIN = {
    "type": "object",
    "properties": {"pin": {"type": "string"}, "ref": {"type": "string"}, "lang": {"type": "string"}},
}
SMS = {
    "type": "object",
    "properties": {k: {"type": "string"} for k in ("from", "to", "text", "message_id", "received_at", "From", "Body")},
}
SCAN = {"parameters": [ACCEPT, *LANGS, _query("ch"), _query("view")], "responses": ANSWER}
LINK = {"parameters": [ACCEPT, *LANGS, _query("linkType")], "responses": ANSWER}
# Every public route of the template, with the paths it answers (a test holds them equal).
PUBLIC_PATHS: dict[str, list[str]] = {
    "GET /v/{code}": ["/v/{code}"],
    "ANY /v/{code}": ["/v/{code}"],  # HEAD and OPTIONS too (issue 11)
    "ANY /V/{code}": ["/V/{code}"],  # a QR encoded in upper case
    "ANY /v/{path+}": ["/v/{code}/"],  # a trailing slash
    "ANY /V/{path+}": ["/V/{code}/"],
    "GET /v": ["/v"],
    "POST /v/{code}/report": ["/v/{code}/report"],
    "GET /v/{code}/report": ["/v/{code}/report"],
    "ANY /01/{dl+}": ["/01/{gtin}", "/01/{gtin}/21/{serial}", "/01/{gtin}/10/{lot}/21/{serial}"],
    "GET /.well-known/gs1resolver": ["/.well-known/gs1resolver"],
    "POST /v/{code}/pin": ["/v/{code}/pin"],  # a buyer's scratch-off PIN (issue 14)
    "POST /sms/inbound": ["/sms/inbound"],  # the SMS gateway's webhook: its own secret (issue 14)
    "ANY /console": ["/console"],  # the console: its own signed session (issue 15)
    "ANY /console/{proxy+}": ["/console/{rest}"],
}
PUBLIC_SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "OCOP stamps — public routes (for fuzzing)", "version": "1"},
    "paths": {
        "/v/{code}": {"parameters": [_path("code")], "get": SCAN},
        "/V/{code}": {"parameters": [_path("code")], "get": SCAN},
        "/v/{code}/": {"parameters": [_path("code")], "get": SCAN},
        "/V/{code}/": {"parameters": [_path("code")], "get": SCAN},
        "/v": {"get": {"parameters": [ACCEPT, *LANGS, _query("code")], "responses": ANSWER}},
        "/v/{code}/report": {
            "parameters": [_path("code")],
            "post": {
                "parameters": [ACCEPT, *LANGS],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": REPORT},
                        "application/json": {"schema": REPORT},
                        "text/plain": {"schema": {"type": "string"}},
                        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                    },
                },
                "responses": ANSWER,
            },
            "get": {"parameters": [*LANGS, _query("sent")], "responses": ANSWER},
        },
        "/01/{gtin}": {"parameters": [_path("gtin")], "get": LINK},
        "/01/{gtin}/21/{serial}": {
            "parameters": [_path("gtin"), _path("serial")],
            "get": LINK,
            "head": LINK,
            "options": {"responses": ANSWER},
            "post": {"responses": ANSWER},
        },
        "/01/{gtin}/10/{lot}/21/{serial}": {"parameters": [_path("gtin"), _path("lot"), _path("serial")], "get": LINK},
        "/.well-known/gs1resolver": {"get": {"parameters": [ACCEPT], "responses": ANSWER}},
        "/v/{code}/pin": {
            "parameters": [_path("code")],
            "post": {
                "parameters": [
                    ACCEPT,
                    *LANGS,
                    {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": PIN},
                        "application/json": {"schema": PIN},
                        "text/plain": {"schema": {"type": "string"}},
                    },
                },
                "responses": ANSWER,
            },
            "get": {"parameters": LANGS, "responses": ANSWER},
        },
        "/sms/inbound": {
            "post": {
                "parameters": [{"name": "X-Gateway-Secret", "in": "header", "schema": {"type": "string"}}],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {"schema": SMS},
                        "application/x-www-form-urlencoded": {"schema": SMS},
                    },
                },
                "responses": ANSWER,
            }
        },
        "/console": {"get": {"parameters": LANGS, "responses": ANSWER}, "post": {"responses": ANSWER}},
        "/console/{rest}": {
            "parameters": [_path("rest")],
            "get": {"parameters": LANGS, "responses": ANSWER},
            "post": {
                "requestBody": {
                    "required": False,
                    "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
                },
                "responses": ANSWER,
            },
        },
    },
}


def test_the_public_fuzz_spec_covers_every_public_route_of_the_template() -> None:
    # $default has no path to describe: the body fuzzing below sends to an address no route names
    public = {r.route_key for r in ROUTES if not r.authorized and not r.path.startswith(("/docs/", "$default"))}
    assert public == set(PUBLIC_PATHS)
    assert {p for paths in PUBLIC_PATHS.values() for p in paths} == set(PUBLIC_SPEC["paths"])


@pytest.mark.slow
def test_given_fuzzed_requests_to_every_public_route_then_no_server_error(local_stack: LocalStack) -> None:
    schema = schemathesis.openapi.from_dict(PUBLIC_SPEC)
    failures = _fuzz(schema, local_stack, {}, [not_a_server_error])
    assert not failures, "\n\n".join(failures)


# --- bodies that are not JSON, or not UTF-8, to every POST route ---------------------------------------
BODY_ROUTES = [r for r in ROUTES if r.method in ("POST", "PUT", "PATCH", "ANY")]
ROLE_OF_FUNCTION = {"producer_api": "producer", "admin_api": "admin", "inspector_api": "inspector"}
CONTENT_TYPES = [
    None,
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/octet-stream",
    "multipart/form-data; boundary=x",
]
BODIES = st.one_of(
    st.binary(max_size=2048),
    st.binary(max_size=64).map(lambda raw: b'{"size":"' + raw + b'","where":"' + raw + b'"}'),
    st.binary(max_size=64).map(lambda raw: b"where=" + raw + b"&note=" + raw),
    st.text(max_size=256).map(lambda text: text.encode("utf-8", "surrogatepass")),
)


def _fill(route: Route, local_stack: LocalStack) -> str:
    """A concrete path for the route: demo ids where the demo has them, plausible ones elsewhere."""
    summary = local_stack.summary
    genuine = urlsplit(summary.stamps["genuine"]).path
    values = {
        "batch_id": next(iter(summary.batches), "1"),
        "product_id": next(iter(summary.products), "prd_x"),
        "lot_id": "lot_x",
        "alert_id": "al_0a1b",
        "code": genuine.rsplit("/", 1)[-1],
        "dl+": "09506000134352/21/" + genuine.rsplit("/", 1)[-1],
    }
    if route.path == "$default":  # every address no route names
        return "/no-such-address"
    return re.sub(r"{([\w+]+)}", lambda m: values.get(m.group(1), "x"), route.path)


@pytest.mark.slow
@pytest.mark.parametrize("route", BODY_ROUTES, ids=[r.route_key for r in BODY_ROUTES])
def test_given_bodies_that_are_not_json_or_not_utf8_then_every_post_route_answers_without_a_server_error(
    local_stack: LocalStack, route: Route
) -> None:
    function = Path(route.code_uri.rstrip("/")).name
    role = ROLE_OF_FUNCTION.get(function)
    auth = local_stack.bearer(role) if route.authorized and role else {}
    url = local_stack.url(_fill(route, local_stack))
    method = "POST" if route.method == "ANY" else route.method

    @FUZZ
    @given(body=BODIES, content_type=st.sampled_from(CONTENT_TYPES))
    @example(body=b'{"size":"\xff"}', content_type="application/json")
    @example(body=b"\xff\xfe\x00\x01binary", content_type=None)
    @example(body=b"[" * 5000 + b"]" * 5000, content_type="application/json")
    @example(body=b'{"size":' + b"9" * 5000 + b"}", content_type="application/json")
    @example(body=b"where=%FF%FE&note=%C3%28", content_type="application/x-www-form-urlencoded")
    @example(body=b'{"where":"\\udc80"}', content_type="application/json")
    @example(body=b"", content_type="multipart/form-data; boundary=x")  # was a 500
    def run(body: bytes, content_type: str | None) -> None:
        headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
        response = requests.request(method, url, data=body, headers=headers, timeout=60, allow_redirects=False)
        assert response.status_code < 500, f"{response.status_code} {response.text[:300]}"
        if route.authorized and response.status_code >= 400:  # the APIs' one error shape, in both languages
            error = response.json()["error"]
            assert error["message"] and error["message_vi"], error

    run()
