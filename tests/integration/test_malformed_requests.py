"""Requests the APIs cannot read (issue 13): a 400 or 422 in the one error shape, never a 500.

Every route comes from infra/template.yaml and every parameter and field from the APIs' own
OpenAPI descriptions, so a new route, query parameter or numeric field is covered without
touching this file (a new body route with numeric fields needs a sample body in ``SAMPLES``:
the test says so).
"""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from helpers.handlers import claims, http_event, invoke, invoke_json, load_handler, rating
from ocop_local import server, tokens
from ocop_local.template import Route, http_routes, load_template

TEMPLATE = load_template()
ROUTES = http_routes(TEMPLATE)
BODY_ROUTES = [r for r in ROUTES if r.authorized and r.method in ("POST", "PUT", "PATCH")]
DOCS_ROUTES = [r for r in ROUTES if r.path.startswith("/docs/")]
PRODUCER_ID = "hoan-hoa"


def _code_dir(route: Route) -> str:
    """The function's folder under functions/ (the last part of its CodeUri)."""
    return Path(route.code_uri.rstrip("/")).name


def _fill(path: str) -> tuple[str, dict[str, str]]:
    """A concrete path for a template path, every ``{param}`` set to a plausible value."""
    params = {name: "1" for name in re.findall(r"{(\w+)}", path)}
    params = {name: "al_0a1b" if name == "alert_id" else value for name, value in params.items()}
    return re.sub(r"{(\w+)}", lambda m: params[m.group(1)], path), params


def _caller(route: Route) -> dict[str, Any]:
    """Claims of a caller the route is for (its function's ROUTE_ROLES), so the request reaches the resolver."""
    role = load_handler(_code_dir(route)).ROUTE_ROLES[route.route_key][0]
    c = claims(role, PRODUCER_ID if role == "producer" else None)
    if role == "inspector":
        c["custom:provinces"] = "*"
    return c


def _event(route: Route, body: str | None = None, *, base64_encoded: bool = False, **kw: Any) -> dict[str, Any]:
    path, params = _fill(route.path)
    event = http_event(
        route.method, path, route=route.path, claims=_caller(route), path_parameters=params or None, **kw
    )
    if body is not None:
        event["body"] = body
        event["isBase64Encoded"] = base64_encoded
        event["headers"].setdefault("content-type", "application/json")
    return event


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _assert_one_error_shape(status: int, body: Any, expected: int, code: str | None = None) -> dict[str, Any]:
    assert status == expected, body
    error = body["error"]
    assert error["code"] != "internal_error"
    assert code is None or error["code"] == code
    assert error["message"] and error["message_vi"] and error["message"] != error["message_vi"]
    return error


# --- 1. bodies that cannot be read ------------------------------------------------------------------
# (body, base64-flagged, content type): what API Gateway hands the function for each.
MALFORMED = {
    "invalid UTF-8": (_b64(b'{"size":"\xff"}'), True, "application/json"),
    "a lone surrogate escape": ('{"note":"\\udcff"}', False, "application/json"),
    "100,000 nested arrays": ("[" * 100_000, False, "application/json"),
    "nesting just past the limit": ('{"a":' * 40 + "1" + "}" * 40, False, "application/json"),
    "an integer of 5,000 digits": ('{"size":' + "9" * 5000 + "}", False, "application/json"),
    "a binary body": (_b64(bytes(range(256)) * 4), True, "application/octet-stream"),
    "binary sent as JSON": (_b64(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"), True, "application/json"),
    "base64 that does not decode": ("not base64 at all!", True, "application/json"),
    "a form instead of JSON": ("size=5&product_id=x", False, "application/x-www-form-urlencoded"),
    "an empty multipart body": ("", False, "multipart/form-data; boundary=x"),  # was a 500 (fuzz)
}


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: r.route_key)
def test_given_a_body_that_cannot_be_read_when_posted_to_any_json_route_then_400_in_both_languages(
    aws: None, route: Route
) -> None:
    for kind, (body, base64_encoded, content_type) in MALFORMED.items():
        event = _event(route, body, base64_encoded=base64_encoded, headers={"content-type": content_type})

        status, answer = invoke_json(_code_dir(route), event)

        error = _assert_one_error_shape(status, answer, 400, "malformed_request")
        assert error["details"][0]["field"] in ("body", "content-type"), kind


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: r.route_key)
def test_given_json_of_the_wrong_kind_for_a_body_then_422_whose_vietnamese_has_no_english_rule(
    aws: None, route: Route
) -> None:
    for text in ("[]", '"text"', "42", "null", "true"):
        status, answer = invoke_json(_code_dir(route), _event(route, text))
        if status == 422:  # (a route that reads no body field may take any JSON: not this test's)
            error = _assert_one_error_shape(status, answer, 422, "invalid_request")
            assert "should" not in error["message_vi"] and "Input" not in error["message_vi"], (text, error)


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: r.route_key)
def test_given_text_that_is_not_json_when_posted_then_422_saying_so_in_both_languages(aws: None, route: Route) -> None:
    for text in ("{not json", '{"size": NaN}', '{"size": Infinity}'):
        status, answer = invoke_json(_code_dir(route), _event(route, text))

        error = _assert_one_error_shape(status, answer, 422, "invalid_request")
        assert "not valid JSON" in error["message"] and "JSON" in error["message_vi"]


def test_given_the_local_gateway_when_a_producer_posts_invalid_utf8_to_batches_then_400_not_500(
    aws: None, tmp_path: Any
) -> None:
    tokens.ensure_key(tmp_path)
    token = tokens.issue_token("producer", producer_id=PRODUCER_ID, state_dir=tmp_path)
    client = Client(server.make_app(TEMPLATE, state_dir=tmp_path))

    response = client.post(
        "/batches",
        data=b'{"size":"\xff"}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "malformed_request" and "UTF-8" in error["message"] and "UTF-8" in error["message_vi"]


# --- 9. a query parameter given twice ---------------------------------------------------------------
def _spec(docs: Route) -> dict[str, Any]:
    status, _, body = invoke(_code_dir(docs), http_event("GET", docs.path, route=docs.path, query={"format": "json"}))
    assert status == 200, body
    return json.loads(body)


def _query_routes() -> list[tuple[Route, str]]:
    """(route, query parameter) for every query parameter of every operation of every API."""
    found = []
    by_key = {r.route_key: r for r in ROUTES}
    for docs in DOCS_ROUTES:
        for path, operations in _spec_cache(docs)["paths"].items():
            for method, operation in operations.items():
                names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
                route = by_key.get(f"{method.upper()} {path}")
                if route is not None:
                    found.extend((route, name) for name in names)
    return found


_SPECS: dict[str, dict[str, Any]] = {}


def _spec_cache(docs: Route) -> dict[str, Any]:
    if docs.path not in _SPECS:
        _SPECS[docs.path] = _spec(docs)
    return _SPECS[docs.path]


def test_given_every_api_then_the_routes_with_query_parameters_are_found(aws: None) -> None:
    keys = {route.route_key for route, _ in _query_routes()}
    assert {"GET /scans", "GET /scans.csv", "GET /alerts", "GET /summary", "GET /batches/{batch_id}/codes.csv"} <= keys


def test_given_a_query_parameter_given_twice_on_any_route_then_400_naming_it_in_both_languages(aws: None) -> None:
    for route, name in _query_routes():
        event = _event(route, query={name: "1,2"})
        event["rawQueryString"] = f"{name}=1&{name}=2"  # API Gateway joins repeats with a comma

        status, answer = invoke_json(_code_dir(route), event)

        error = _assert_one_error_shape(status, answer, 400, "malformed_request")
        assert f"'{name}'" in error["message"] and f"'{name}'" in error["message_vi"], route.route_key
        assert error["details"] == [{"field": f"query.{name}", "problem": "given more than once"}]


def test_given_a_value_with_a_comma_given_once_then_it_is_not_taken_for_a_repeat(aws: None) -> None:
    event = http_event(
        "GET",
        "/scans",
        route="/scans",
        claims={**claims("inspector"), "custom:provinces": "*"},
        query={"producer": "hoan-hoa,tam-hoa", "limit": "5"},
    )
    event["rawQueryString"] = "producer=hoan-hoa%2Ctam-hoa&limit=5"

    status, answer = invoke_json("inspector_api", event)

    assert status == 200, answer


# --- 10. numbers and flags must be JSON numbers and booleans ------------------------------------------
# A valid body for every route whose body has numeric or boolean fields (placeholders are fine:
# validation answers before the route runs).
SAMPLES: dict[str, dict[str, Any]] = {
    "POST /producers": {
        "name": "Hợp tác xã Chè Tân Cương",
        "kind": "cooperative",
        "address": {"commune": "Xã Tân Cương", "province": "Thái Nguyên"},
        "demo": False,
    },
    "POST /products": {
        "producer_id": PRODUCER_ID,
        "name": "Chè Tân Cương",
        "group": "beverage",
        "ocop": rating(date="2025-01-01"),
        "repeat_threshold": 10,
        "demo": False,
    },
    "POST /products/{product_id}/ocop-rating": {
        "action": "record",
        "rating": rating(date="2025-01-01"),
    },
    "POST /lots": {
        "product_id": "prd_1",
        "lot_code": "L-1",
        "production_date": "2025-01-01",
        "expiry_date": "2026-01-01",
        "quantity": 100,
        "origin": {"province": "Thái Nguyên", "latitude": 21.6, "longitude": 105.8},
    },
    "POST /batches": {"product_id": "prd_1", "size": 10},
    "POST /batches/{batch_id}/activations": {"first_serial": 1, "last_serial": 10, "lot_id": "lot_1"},
    "POST /batches/{batch_id}/voids": {"first_serial": 1, "last_serial": 2, "reason": "damaged"},
    "POST /batches/{batch_id}/print-files": {
        "format": "pdf",
        "custom": {
            "label_w_mm": 40,
            "label_h_mm": 30,
            "cols": 2,
            "rows": 3,
            "margin_left_mm": 5,
            "margin_top_mm": 5,
            "pitch_x_mm": 45,
            "pitch_y_mm": 35,
            "page_w_mm": 210,
            "page_h_mm": 297,
        },
        "first_serial": 1,
        "last_serial": 6,
        "dpi": 300,
        "cut_marks": False,
    },
    "POST /batches/{batch_id}/pin-layer": {  # issue 14: the same sheet as the print files
        "format": "csv",
        "custom": {
            "label_w_mm": 40,
            "label_h_mm": 30,
            "cols": 2,
            "rows": 3,
            "margin_left_mm": 5,
            "margin_top_mm": 5,
            "pitch_x_mm": 45,
            "pitch_y_mm": 35,
            "page_w_mm": 210,
            "page_h_mm": 297,
        },
        "first_serial": 1,
        "last_serial": 6,
        "cut_marks": False,
    },
}


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _typed_fields(schema: dict[str, Any], spec: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """(dotted path, integer|number|boolean) of every scalar field of a body schema, nested objects included."""
    schema = _resolve(schema, spec)
    out = []
    for name, prop in schema.get("properties", {}).items():
        options = [_resolve(p, spec) for p in prop.get("anyOf", [prop])]
        for option in options:
            if option.get("type") in ("integer", "number", "boolean"):
                out.append((prefix + name, option["type"]))
            elif option.get("type") == "object" or "properties" in option:
                out.extend(_typed_fields(option, spec, f"{prefix}{name}."))
    return out


def _body_fields() -> list[tuple[Route, str, str]]:
    by_key = {r.route_key: r for r in ROUTES}
    found = []
    for docs in DOCS_ROUTES:
        spec = _spec_cache(docs)
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                content = operation.get("requestBody", {}).get("content", {}).get("application/json")
                route = by_key.get(f"{method.upper()} {path}")
                if content and route is not None:
                    found.extend((route, field, kind) for field, kind in _typed_fields(content["schema"], spec))
    return found


WRONG = {
    "integer": [True, False, 1.5, "5", "1e3"],
    "number": [True, "1.5", "12"],
    "boolean": [1, 0, "true", "false"],
}


def _set(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(body)
    *parents, leaf = dotted.split(".")
    node = body
    for part in parents:
        node = node[part]
    node[leaf] = value
    return body


def test_given_every_body_then_its_numeric_and_boolean_fields_are_found_and_have_a_sample(aws: None) -> None:
    fields = _body_fields()
    keys = {(route.route_key, field) for route, field, _ in fields}
    assert {("POST /batches", "size"), ("POST /products", "ocop.stars"), ("POST /lots", "origin.latitude")} <= keys
    assert {("POST /batches/{batch_id}/print-files", "custom.cols")} <= keys
    missing = {route.route_key for route, _, _ in fields} - set(SAMPLES)
    assert not missing, f"add a valid sample body to SAMPLES for {missing}"


def test_given_a_boolean_a_fraction_or_a_string_for_any_numeric_field_then_422_naming_that_field(aws: None) -> None:
    for route, field, kind in _body_fields():
        for wrong in WRONG[kind]:
            body = json.dumps(_set(SAMPLES[route.route_key], field, wrong), ensure_ascii=False)

            status, answer = invoke_json(_code_dir(route), _event(route, body))

            error = _assert_one_error_shape(status, answer, 422, "invalid_request")
            assert [d["field"] for d in error["details"]] == [field], (route.route_key, field, wrong, error)
            assert field in error["message"] and field in error["message_vi"]


def test_given_a_boolean_size_when_issuing_then_no_batch_of_one_is_issued(shop) -> None:
    event = shop.event("producer-issue-batch")
    del event["headers"]["idempotency-key"]
    event["body"] = json.dumps({"product_id": shop.product_id, "size": True})

    status, answer = invoke_json("producer_api", event)

    assert status == 422 and answer["error"]["details"][0]["field"] == "size"
    assert shop.issue(3)["batch_id"] == str(int(shop.batch_id) + 1)  # no number was used by the refused request


PARAM_ROUTES = [r for r in ROUTES if r.authorized and "{" in r.path and "+}" not in r.path]


@pytest.mark.parametrize("digits", ["²", "١٢", "１０"], ids=["superscript", "arabic-indic", "full-width"])
def test_given_digits_of_another_script_in_any_path_parameter_then_a_4xx_in_the_one_shape_never_a_500(
    aws: None, digits: str
) -> None:
    # str.isdigit() is true of all three; int() refuses the first (a 500) and reads the others
    # as numbers no client of ours means: only ASCII 0-9 are digits (core.text.is_digits)
    for route in PARAM_ROUTES:
        path = re.sub(r"{(\w+)}", digits, route.path)
        params = {name: digits for name in re.findall(r"{(\w+)}", route.path)}
        event = http_event(route.method, path, route=route.path, claims=_caller(route), path_parameters=params)
        if route.method in ("POST", "PUT", "PATCH"):
            event["body"], event["headers"]["content-type"] = "{}", "application/json"

        status, answer = invoke_json(_code_dir(route), event)

        assert 400 <= status < 500, (route.route_key, answer)
        assert answer["error"]["code"] != "internal_error"
