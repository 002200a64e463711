"""Lambda handlers called in-process with events from events/: loading functions/<name>/app.py,
building API Gateway events, invoking, and a Shop (producer, product, lot, issued batch) made
through the API. Calls reach whatever AWS the environment points at: in the integration tier
that is moto, set up by the ``aws`` fixture of tests/integration/conftest.py."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
import sys
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

from helpers import iam
from ocop_stamps.codes.gs1 import gtin_check_digit

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
TEST_KEYS = json.dumps({"1": "00112233445566778899aabbccddeeff"})
TEST_PIN_KEYS = json.dumps({"1": "ffeeddccbbaa99887766554433221100"})  # the scratch-off PIN's secret (issue 14)
# What the test "CloudFront" sends as X-Origin-Verify (OCOP_ORIGIN_SECRET in the aws fixture);
# events/public-scan-json.json says ORIGIN_SECRET where it goes.
TEST_ORIGIN_SECRET = "test-origin-secret-5c1f0d9a"


def load_handler(name: str) -> ModuleType:
    """functions/<name>/app.py as a module of its own (every function's file is app.py).

    Its ``lambda_handler`` is wrapped: every AWS call made while it runs must be one the
    function's IAM policy in the template grants (``helpers.iam``; moto does not enforce IAM,
    so a missing grant would otherwise first show as AccessDenied deployed)."""
    module_name = f"fn_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    handler = module.lambda_handler

    def checked(event: Any, context: Any) -> Any:
        with iam.recording() as needed:
            result = handler(event, context)
        iam.assert_granted(name, needed)
        return result

    module.lambda_handler = checked
    return module


class FakeContext:
    function_name = "test-function"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:test-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def http_event(
    method: str,
    path: str,
    *,
    route: str,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    claims: dict[str, Any] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, built on events/http-api-base.json."""
    event = load_event("http-api-base.json")
    event["routeKey"] = f"{method} {route}"
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["routeKey"] = f"{method} {route}"
    event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    if query:
        event["queryStringParameters"] = query
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        event["headers"]["content-type"] = "application/json"
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return event


def claims(role: str, producer_id: str | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"sub": f"user-{role}", "cognito:groups": f"[{role}]", "token_use": "id"}
    if producer_id:
        c["custom:producer_id"] = producer_id
    return c


def inspector(provinces: str | None = "*") -> dict[str, Any]:
    """An inspector's claims with ``custom:provinces`` (names or codes, comma-separated; ``*``
    everywhere; None: the claim missing)."""
    c = claims("inspector")
    if provinces is not None:
        c["custom:provinces"] = provinces
    return c


def csv_rows(who: dict[str, Any], **query: str) -> list[dict[str, str]]:
    """The rows of ``GET /scans.csv`` as ``who`` reads them, keyed by column name (the part
    before " (": the Vietnamese header's English key)."""
    status, _, body = invoke(
        "inspector_api", http_event("GET", "/scans.csv", route="/scans.csv", claims=who, query=query)
    )
    assert status == 200, body
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    header = [h.split(" (")[0] for h in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


# Lambda refuses a synchronous response whose JSON is larger than 6 MiB (API Gateway then
# answers 500): every handler called here is held to it, as it is in Lambda.
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


def lambda_payload_bytes(response: Any) -> int:
    """The response as the Python 3.12 runtime serializes it (simplejson, ensure_ascii=False,
    U+2028 and U+2029 escaped), in bytes."""
    text = json.dumps(response, ensure_ascii=False)
    return len(text.encode("utf-8")) + 3 * (text.count("\u2028") + text.count("\u2029"))


def invoke(function: str, event: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """One request through functions/<function>/app.py (its IAM checked: ``load_handler``)."""
    response = load_handler(function).lambda_handler(event, FakeContext())
    size = lambda_payload_bytes(response)
    assert size <= LAMBDA_RESPONSE_LIMIT, f"Lambda would refuse this {size:,}-byte response (API Gateway: 500)"
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return response["statusCode"], headers, response.get("body") or ""


def invoke_json(function: str, event: dict[str, Any]) -> tuple[int, Any]:
    status, _, body = invoke(function, event)
    return status, json.loads(body) if body else None


def sample(name: str, **replace: str) -> dict[str, Any]:
    """A sample event from events/, with placeholders (PRODUCT_ID, LOT_ID, CODE, ...) filled."""
    text = (EVENTS / f"{name}.json").read_text(encoding="utf-8")
    for placeholder, value in replace.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


def with_body(event: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = json.loads(event["body"])
    body.update(fields)
    event["body"] = json.dumps(body, ensure_ascii=False)
    return event


def as_producer(event: dict[str, Any], producer_id: str) -> dict[str, Any]:
    event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:producer_id"] = producer_id
    return event


def for_batch(event: dict[str, Any], batch_id: str) -> dict[str, Any]:
    event["pathParameters"] = {"batch_id": batch_id}
    event["rawPath"] = event["rawPath"].replace("/batches/1", f"/batches/{batch_id}")
    return event


def gtin_for(name: str) -> str:
    """A valid GTIN-13 of the demo prefix 893 made from ``name`` (one per test producer)."""
    body = "8939" + f"{zlib.crc32(name.encode()) % 10**8:08d}"
    return body + str(gtin_check_digit(body))


class Shop:
    """A producer with one product, one lot and one issued batch, made through the API."""

    def __init__(self, producer_id: str = "hoan-hoa", size: int = 1000) -> None:
        status, self.producer = invoke_json(
            "admin_api", with_body(sample("admin-create-producer"), producer_id=producer_id)
        )
        assert status == 201, self.producer
        self.producer_id = producer_id
        product = with_body(sample("admin-create-product"), producer_id=producer_id)
        if producer_id != "hoan-hoa":  # a GTIN names one product: each other shop's own
            product = with_body(product, gtin=gtin_for(producer_id))
        status, self.product = invoke_json("admin_api", product)
        assert status == 201, self.product
        self.product_id = self.product["product_id"]
        self.lot = self.new_lot("HH-2026-11")
        self.batch = self.issue(size)
        self.batch_id = self.batch["batch_id"]

    def event(self, name: str, **replace: str) -> dict[str, Any]:
        event = sample(name, PRODUCT_ID=self.product_id, **replace)
        return as_producer(event, self.producer_id)

    def new_lot(self, lot_code: str, **fields: Any) -> dict[str, Any]:
        status, lot = invoke_json(
            "producer_api", with_body(self.event("producer-create-lot"), lot_code=lot_code, **fields)
        )
        assert status == 201, lot
        return lot

    def issue(self, size: int, key: str | None = None) -> dict[str, Any]:
        event = with_body(self.event("producer-issue-batch"), size=size)
        if key is None:
            del event["headers"]["idempotency-key"]
        else:
            event["headers"]["idempotency-key"] = key
        status, batch = invoke_json("producer_api", event)
        assert status == 201, batch
        return batch

    def activate(
        self, first: int, last: int, lot_id: str | None = None, batch_id: str | None = None
    ) -> tuple[int, Any]:
        event = with_body(
            for_batch(self.event("producer-activate", LOT_ID=lot_id or self.lot["lot_id"]), batch_id or self.batch_id),
            first_serial=first,
            last_serial=last,
        )
        return invoke_json("producer_api", event)

    def csv(self, first: int = 1, last: int = 100, batch_id: str | None = None) -> tuple[int, dict[str, str], str]:
        event = for_batch(self.event("producer-codes-csv"), batch_id or self.batch_id)
        event["queryStringParameters"] = {"from": str(first), "to": str(last)}
        return invoke("producer_api", event)

    def codes(self, first: int = 1, last: int = 100, batch_id: str | None = None) -> list[str]:
        status, _, body = self.csv(first, last, batch_id)
        assert status == 200, body
        return [line.split(",")[1] for line in body.splitlines()[1:]]


def scan(code: str, *, html: bool = False, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    event = sample("public-scan-html" if html else "public-scan-json", CODE=code, ORIGIN_SECRET=TEST_ORIGIN_SECRET)
    event["headers"].update(headers or {})
    status, _resp_headers, body = invoke("public_scan", event)
    return status, (body if html else json.loads(body))


def rating(
    stars: int = 4,
    date: str = "2025-03-01",
    level: str | None = None,
    body: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An OCOP rating body in the 2026 shape; the issuing level that fits ``stars`` on ``date``
    (core.ocop.RULES) unless given, and a People's Committee's name to match."""
    from ocop_stamps.core.ocop import rules_on

    fits = rules_on(dt.date.fromisoformat(date)).levels.get(stars)
    level = level or (fits.value if fits else "province")
    if body is None:
        body = {"district": "UBND huyện Phú Bình", "province": "UBND tỉnh Thái Nguyên"}.get(level)
    decision = {"number": f"{stars}{date[:4]}/QĐ-UBND", "date": date, "issuing_level": level}
    if body is not None:
        decision["issuing_body"] = body
    return {"stars": stars, "decision": decision, "certificate": {"number": f"GCN-{stars}-{date}"}, **extra}
