"""Each authenticated API publishes its OpenAPI description and a Swagger UI."""

from __future__ import annotations

import json

import pytest

from helpers.handlers import http_event, invoke


@pytest.mark.parametrize(
    ("function", "path", "routes"),
    [
        (
            "producer_api",
            "/docs/producer",
            {"/lots", "/batches", "/batches/{batch_id}", "/batches/{batch_id}/codes.csv"},
        ),
        ("admin_api", "/docs/admin", {"/producers", "/products"}),
        ("inspector_api", "/docs/inspector", {"/scans"}),
        ("sms_inbound", "/docs/sms", {"/sms/inbound"}),  # issue 14: the SMS gateway's webhook
    ],
)
def test_given_an_api_when_asking_for_its_docs_then_swagger_ui_and_the_openapi_spec_list_its_routes(
    aws, function, path, routes
):
    status, headers, body = invoke(function, http_event("GET", path, route=path))
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "swagger" in body.lower()
    status, _, body = invoke(function, http_event("GET", path, route=path, query={"format": "json"}))
    spec = json.loads(body)
    assert status == 200 and spec["openapi"].startswith("3.")
    assert routes <= set(spec["paths"])
    assert "bearer" in spec["components"]["securitySchemes"]


def test_given_the_specs_then_the_lookup_fields_and_a_field_checks_commune_are_described(aws):
    def schemas(function: str, path: str) -> dict:
        status, _, body = invoke(function, http_event("GET", path, route=path, query={"format": "json"}))
        assert status == 200
        return json.loads(body)["components"]["schemas"]

    product = schemas("admin_api", "/docs/admin")["ProductIn"]["properties"]
    assert {"made_in", "standards", "image_url", "brand"} <= set(product)
    check = schemas("inspector_api", "/docs/inspector")["FieldCheck"]["properties"]
    assert {"province", "commune", "district"} <= set(check)


@pytest.mark.parametrize(("function", "path"), [("producer_api", "/docs/producer"), ("admin_api", "/docs/admin")])
def test_given_the_openapi_description_then_every_operation_lists_its_refusals_in_the_one_error_shape(
    aws, function, path
):
    _, _, body = invoke(function, http_event("GET", path, route=path, query={"format": "json"}))
    spec = json.loads(body)

    error = spec["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "message_vi"]
    operations = [op for ops in spec["paths"].values() for op in ops.values() if "responses" in op]
    assert operations
    for op in operations:
        for status in ("400", "403", "404", "409", "422", "503"):
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (op["summary"], status)
        assert "Retry-After" in op["responses"]["503"]["headers"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # a shape the API never sends
