"""The local stack (`make dev`): the template's routes and nothing else, the JWT authorizer,
dev tokens, the demo stamps a developer is told to open, and `make dev` itself -- all over
real HTTP. Its pieces on plain data (route precedence, proxy results, the token command):
tests/unit/test_local_stack.py."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers.local_stack import LocalStack, free_port, read_banner
from ocop_local import demo, tokens
from ocop_local.template import Route, http_routes, load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_ROUTES = http_routes(load_template())
ADDRESSED_ROUTES = [r for r in TEMPLATE_ROUTES if r.path != "$default"]  # $default: every other address
# Which role may call each function's authorized routes.
ROLE_OF_FUNCTION = {
    "AdminApiFunction": "admin",
    "ProducerApiFunction": "producer",
    "InspectorApiFunction": "inspector",
}
GATEWAY_NOT_FOUND = {"message": "Not Found"}
GATEWAY_UNAUTHORIZED = {"message": "Unauthorized"}
NOT_IN_TEMPLATE = [
    ("DELETE", "/batches/1"),
    ("GET", "/producers"),
    ("GET", "/01"),
    ("GET", "/v/"),
    ("POST", "/v"),
    ("GET", "/V"),  # /V/{code} and /V/{path+} are routes (issue 11), /V alone is not
    ("GET", "/vv/abc"),
    ("GET", "/"),
    ("PUT", "/lots"),
    ("GET", "/batches/1/codes.csv/extra"),
    ("GET", "/docs"),
    ("OPTIONS", "/batches"),
]


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _code_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _main_batch(stack: LocalStack) -> str:
    return next(b for b, producer in stack.summary.batches.items() if producer == stack.summary.producer_id)


def _sample_path(route: Route, stack: LocalStack) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "path+":  # /v/{path+}, /V/{path+}: a stamp's URL with a trailing slash
            return _code_of(stack.summary.stamps["genuine"]) + "/"
        if name.endswith("+"):
            return "a/b"
        if name == "code":
            return _code_of(stack.summary.stamps["genuine"])
        if name == "batch_id":
            return _main_batch(stack)
        return "x1"

    return re.sub(r"\{([^}]+)\}", value, route.path)


# --- routes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ADDRESSED_ROUTES, ids=[r.route_key for r in ADDRESSED_ROUTES])
def test_given_the_local_stack_when_a_template_route_is_called_with_the_right_role_then_its_function_handles_it(
    local_stack: LocalStack, route: Route
) -> None:
    headers = {"Accept": "application/json"}
    if route.authorized:
        assert route.function_id in ROLE_OF_FUNCTION, f"no role known for {route.function_id}: extend the test"
        headers.update(local_stack.bearer(ROLE_OF_FUNCTION[route.function_id]))
    before = local_stack.invocation_count(route.function_id)

    response = requests.request(
        "GET" if route.method == "ANY" else route.method,
        local_stack.url(_sample_path(route, local_stack)),
        headers=headers,
        json={} if route.method in ("POST", "PUT", "PATCH") else None,
        timeout=30,
        allow_redirects=False,  # the console sends a visitor to its sign-in: one invocation, not two
    )

    assert local_stack.invocation_count(route.function_id) == before + 1
    assert _json(response) not in (GATEWAY_NOT_FOUND, GATEWAY_UNAUTHORIZED)
    assert response.status_code < 500, response.text
    assert "route_not_found" not in response.text  # the handler's own router matched the event


@pytest.mark.parametrize(("method", "path"), NOT_IN_TEMPLATE, ids=[f"{m} {p}" for m, p in NOT_IN_TEMPLATE])
def test_given_the_local_stack_when_a_path_or_method_is_not_in_the_template_then_404_in_the_apis_error_shape(
    local_stack: LocalStack, method: str, path: str
) -> None:
    # the template's $default route (no Path, no Method) gives them to the public function
    before = local_stack.invocation_count("PublicScanFunction")

    response = requests.request(method, local_stack.url(path), headers=local_stack.bearer("admin"), timeout=30)

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "route_not_found" and error["message"] and error["message_vi"] == "Không có trang này."
    assert local_stack.invocation_count("PublicScanFunction") == before + 1


@pytest.mark.parametrize(
    ("accept", "html"),
    [("text/html", True), ("TEXT/HTML", True), ("application/json;q=0.1, text/html", True), ("text/html;q=0", False)],
)
def test_given_a_browser_when_it_opens_an_address_no_route_names_then_the_no_such_page_page_in_vietnamese(
    local_stack: LocalStack, accept: str, html: bool
) -> None:
    response = requests.get(local_stack.url("/wp-login.php"), headers={"Accept": accept}, timeout=30)

    assert response.status_code == 404
    if html:
        assert response.headers["Content-Type"].startswith("text/html") and "<html lang=vi>" in response.text
    else:
        assert response.json()["error"]["code"] == "route_not_found"


def test_given_the_template_when_the_local_stack_starts_then_it_serves_exactly_the_template_routes(
    local_stack: LocalStack,
) -> None:
    served = {r.route_key: r.function_id for r in local_stack.app.routes}

    assert served == {r.route_key: r.function_id for r in TEMPLATE_ROUTES}
    assert "GET /v/{code}" in served
    assert set(local_stack.app.functions) == {r.function_id for r in TEMPLATE_ROUTES}


# --- the JWT authorizer --------------------------------------------------------------------
def _other_key_token(claims: dict[str, Any], kid: str | None) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid} if kid else None)


def _bad_authorizations(state: Path) -> dict[str, str | None]:
    good = tokens.token_claims("producer", producer_id=demo.DEMO_PRODUCER)
    kid = jwt.get_unverified_header(tokens.issue_token("admin", state_dir=state))["kid"]
    hs256 = jwt.encode(good, "a-shared-secret-long-enough-for-hs256", algorithm="HS256", headers={"kid": kid})
    return {
        "no header": None,
        "not bearer": "Basic " + base64.b64encode(b"producer:secret").decode(),
        "bearer without token": "Bearer ",
        "not a jwt": "Bearer not-a-jwt",
        "another key": "Bearer " + _other_key_token(good, kid=None),
        "another key, our kid": "Bearer " + _other_key_token(good, kid=kid),
        "hs256 with our kid": "Bearer " + hs256,
        "expired": "Bearer "
        + tokens.issue_token("producer", producer_id=demo.DEMO_PRODUCER, ttl_seconds=-60, state_dir=state),
        "wrong audience": "Bearer " + tokens.sign({**good, "aud": "another-client"}, state_dir=state),
        "wrong issuer": "Bearer " + tokens.sign({**good, "iss": "https://evil.example/pool"}, state_dir=state),
        "no expiry": "Bearer " + tokens.sign({k: v for k, v in good.items() if k != "exp"}, state_dir=state),
    }


BAD_AUTHORIZATIONS = [
    "no header",
    "not bearer",
    "bearer without token",
    "not a jwt",
    "another key",
    "another key, our kid",
    "hs256 with our kid",
    "expired",
    "wrong audience",
    "wrong issuer",
    "no expiry",
]


@pytest.mark.parametrize("case", BAD_AUTHORIZATIONS)
def test_given_an_authorized_route_when_the_token_is_missing_or_invalid_then_401_and_the_handler_is_not_reached(
    local_stack: LocalStack, case: str
) -> None:
    authorization = _bad_authorizations(local_stack.state_dir)[case]
    headers = {"Authorization": authorization} if authorization is not None else {}
    before = local_stack.invocation_count()

    response = requests.get(local_stack.url(f"/batches/{_main_batch(local_stack)}"), headers=headers, timeout=30)

    assert response.status_code == 401
    assert response.json() == GATEWAY_UNAUTHORIZED
    assert local_stack.invocation_count() == before


def test_given_a_valid_token_when_it_reaches_the_handler_then_the_claims_arrive_as_the_http_api_passes_them(
    local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []
    function = local_stack.app.functions["ProducerApiFunction"]
    real = function.handler
    monkeypatch.setattr(function, "_handler", lambda event, context: seen.append(event) or real(event, context))
    batch_id = _main_batch(local_stack)

    response = requests.get(
        local_stack.url(f"/batches/{batch_id}/codes.csv?from=1&to=2&from=3"),
        headers={**local_stack.bearer("producer"), "Cookie": "a=1; b=2", "X-Demo": "x"},
        timeout=30,
    )

    assert response.status_code < 500  # reached the handler; what it makes of a duplicate from= is its business
    (event,) = seen
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /batches/{batch_id}/codes.csv"
    assert event["rawPath"] == f"/batches/{batch_id}/codes.csv"
    assert event["rawQueryString"] == "from=1&to=2&from=3"
    assert event["queryStringParameters"] == {"from": "1,3", "to": "2"}
    assert event["pathParameters"] == {"batch_id": batch_id}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-demo"] == "x"
    assert all(name == name.lower() for name in event["headers"])
    assert "cookie" not in event["headers"]
    ctx = event["requestContext"]
    assert ctx["stage"] == "$default"
    assert ctx["routeKey"] == event["routeKey"]
    assert ctx["http"]["method"] == "GET"
    assert ctx["http"]["sourceIp"] == "127.0.0.1"
    claims = ctx["authorizer"]["jwt"]["claims"]
    assert claims["cognito:groups"] == "[producer]"
    assert claims["custom:producer_id"] == local_stack.summary.producer_id
    assert claims["iss"] == tokens.ISSUER and claims["aud"] == tokens.AUDIENCE
    assert all(isinstance(v, str) for v in claims.values())
    assert event["isBase64Encoded"] is False and "body" not in event


def test_given_a_public_route_when_it_is_called_then_the_event_has_no_authorizer_and_binary_bodies_are_base64(
    local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []
    function = local_stack.app.functions["AdminApiFunction"]
    real = function.handler
    monkeypatch.setattr(function, "_handler", lambda event, context: seen.append(event) or real(event, context))

    requests.post(
        local_stack.url("/producers"),
        data=b"\x00\xffbinary",
        headers={**local_stack.bearer("admin"), "Content-Type": "application/octet-stream"},
        timeout=30,
    )
    requests.get(local_stack.url("/docs/admin"), timeout=30)

    binary, public = seen
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x00\xffbinary"
    assert "authorizer" not in public["requestContext"]
    assert "pathParameters" not in public and "queryStringParameters" not in public


# --- the local stack plays CloudFront (issue 11) -------------------------------------------------
def test_given_a_client_sending_cloudfront_headers_itself_when_it_scans_locally_then_only_the_local_place_header_places_it(
    local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []
    function = local_stack.app.functions["PublicScanFunction"]
    real = function.handler
    monkeypatch.setattr(function, "_handler", lambda event, context: seen.append(event) or real(event, context))
    url = local_stack.summary.stamps["before_2025"]  # a stamp no other test scans: its first check is this one
    forged = {"CloudFront-Viewer-Country": "VN", "CloudFront-Viewer-Country-Region": "SG", "X-Origin-Verify": "guess"}
    as_json = {"Accept": "application/json"}
    secret = json.loads((local_stack.state_dir / "origin-secret.json").read_text(encoding="utf-8"))["current"]

    placed = requests.get(url, headers={**as_json, "X-Local-Place": "VN-HN"}, timeout=30).json()
    forged_answer = requests.get(url, headers={**as_json, **forged}, timeout=30).json()

    assert placed["scan"]["first_province"] == "01"  # Hà Nội, by its GSO code (issue 12)
    assert forged_answer["scan"]["first_province"] == "01"  # the forged Sài Gòn changed nothing
    placed_event, forged_event = (event["headers"] for event in seen)
    assert forged_event["x-origin-verify"] == placed_event["x-origin-verify"] == secret  # the gateway's, not "guess"
    assert "cloudfront-viewer-country-region" not in forged_event
    assert placed_event["cloudfront-viewer-country-region"] == "HN" and "x-local-place" not in placed_event


# --- dev tokens --------------------------------------------------------------------------------
def test_given_the_stack_started_when_dev_tokens_are_read_then_admin_producer_and_inspector_tokens_work(
    local_stack: LocalStack,
) -> None:
    path = local_stack.tokens_file
    stamp = _code_of(local_stack.summary.stamps["genuine"])
    requests.get(local_stack.url(f"/v/{stamp}"), headers={"Accept": "application/json"}, timeout=30)

    admin = requests.post(
        local_stack.url("/producers"),
        json={
            "producer_id": "token-check",
            "name": "HTX kiểm tra",
            "kind": "cooperative",
            "address": {"commune": "Phường Thục Phán", "province": "Cao Bằng"},
        },
        headers=local_stack.bearer("admin"),
        timeout=30,
    )
    producer = requests.get(
        local_stack.url(f"/batches/{_main_batch(local_stack)}"), headers=local_stack.bearer("producer"), timeout=30
    )
    inspector = requests.get(
        local_stack.url("/scans"), params={"code": stamp}, headers=local_stack.bearer("inspector"), timeout=30
    )

    assert path.name == "dev-tokens.json" and oct(path.stat().st_mode & 0o777) == "0o600"
    assert set(local_stack.tokens) == {"admin", "producer", "inspector"}
    assert admin.status_code == 201, admin.text
    assert producer.status_code == 200, producer.text
    assert producer.json()["producer_id"] == local_stack.summary.producer_id
    assert inspector.status_code == 200, inspector.text
    assert inspector.json()["items"], "the inspector sees the scan just made"
    provinces = tokens.verify(local_stack.tokens["inspector"], state_dir=local_stack.state_dir)["custom:provinces"]
    assert set(provinces.split(",")) == set(demo.demo_provinces())
    assert (local_stack.state_dir / tokens.KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_given_the_producer_dev_token_when_it_asks_for_another_producers_batch_then_the_handler_refuses(
    local_stack: LocalStack,
) -> None:
    other = next(b for b, p in local_stack.summary.batches.items() if p != local_stack.summary.producer_id)

    response = requests.get(local_stack.url(f"/batches/{other}"), headers=local_stack.bearer("producer"), timeout=30)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"  # the handler's answer, not the gateway's


# --- the demo stamps ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "status", "verdict"),
    [
        ("genuine", 200, "genuine"),
        ("not_activated", 200, "not_activated"),
        ("expired", 200, "expired"),
        ("recalled", 200, "recalled"),
        ("void", 200, "void"),
        ("mistyped", 404, "unknown"),
    ],
)
def test_given_the_demo_when_a_printed_stamp_url_is_opened_as_json_then_the_verdict_is_the_promised_one(
    local_stack: LocalStack, kind: str, status: int, verdict: str
) -> None:
    url = local_stack.summary.stamps[kind]

    response = requests.get(url, headers={"Accept": "application/json"}, timeout=30)

    # The main demo product has a GTIN: its labels carry a GS1 Digital Link, others /v/{code}.
    assert url.startswith((local_stack.base_url + "/v/", local_stack.base_url + "/01/08939999000017/21/"))
    assert response.status_code == status
    assert response.json()["verdict"] == verdict


def test_given_the_demo_stamp_in_every_url_shape_then_each_counts_once_and_head_options_count_nothing(
    local_stack: LocalStack,
) -> None:
    """Issue 11 over real HTTP and the template's routes: /V/{CODE}, a trailing slash, spaces
    typed inside, HEAD and OPTIONS."""
    code = _code_of(local_stack.summary.stamps["genuine"])
    spaced = "%20".join(code[i : i + 4] for i in range(0, 16, 4))

    def count() -> int:
        answer = requests.get(local_stack.url(f"/v/{code}"), headers={"Accept": "application/json"}, timeout=30)
        return int(answer.json()["scan"]["count"])

    first = count()
    for path in (f"/V/{code}", f"/v/{code}/", f"/V/{code}/", f"/v/{spaced}", f"/v/{code.lower()}"):
        answer = requests.get(local_stack.url(path), headers={"Accept": "application/json"}, timeout=30)
        assert answer.status_code == 200 and answer.json()["code"] == code, path
    head = requests.head(local_stack.url(f"/v/{code}"), timeout=30)
    options = requests.options(local_stack.url(f"/V/{code}"), timeout=30)

    assert head.status_code == 200 and head.content == b""
    assert options.status_code == 204 and "HEAD" in options.headers["Allow"]
    assert count() == first + 6  # five shapes and this look, each once; HEAD and OPTIONS none


def test_given_the_demo_when_the_genuine_stamp_is_opened_in_a_browser_then_a_vietnamese_page_is_served(
    local_stack: LocalStack,
) -> None:
    response = requests.get(local_stack.summary.stamps["genuine"], headers={"Accept": "text/html"}, timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    response.encoding = "utf-8"
    assert "Tem chính hãng" in response.text
    assert "Cao ngựa bạch Hoan Hoa" in response.text
    assert "Dữ liệu minh họa" in response.text  # the demo data says it is not real


def test_given_the_demo_when_its_product_is_scanned_then_it_shows_the_demo_ocop_rating_and_a_gs1_vietnam_gtin(
    local_stack: LocalStack,
) -> None:
    body = requests.get(
        local_stack.summary.stamps["genuine"], headers={"Accept": "application/json"}, timeout=30
    ).json()

    assert body["product"]["gtin"].lstrip("0").startswith("893")
    assert body["product"]["ocop"]["certificate"]["number"].startswith("DEMO-")
    assert body["product"]["ocop"]["decision"]["issuing_body"] == "Ủy ban nhân dân tỉnh Thái Nguyên"
    assert body["product"]["ocop"]["decision"]["issuing_level"] == "province"  # 3★ after Decision 1489/QĐ-TTg
    assert body["producer"]["demo"] is True
    assert body["lot"]["origin"]["province"] == "Tỉnh Thái Nguyên"  # the official name (issue 12)


def test_given_the_demo_already_loaded_when_it_is_loaded_again_then_the_saved_summary_is_reused(
    local_stack: LocalStack,
) -> None:
    again = demo.load_demo(local_stack.app, state_dir=local_stack.state_dir)

    assert again.reused is True
    assert again.stamps == local_stack.summary.stamps
    assert again.batches == local_stack.summary.batches


def test_given_existing_producers_but_no_saved_summary_when_the_demo_loads_then_it_adds_fresh_stamps_without_crashing(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    # A persistent DynamoDB that has the producers (409) and lot codes from an earlier run,
    # with another state folder: the loader carries on with new products, lots and batches.
    key = tmp_path / tokens.KEY_FILE
    key.write_bytes((local_stack.state_dir / tokens.KEY_FILE).read_bytes())

    again = demo.load_demo(local_stack.app, state_dir=tmp_path)
    answer = requests.get(again.stamps["genuine"], headers={"Accept": "application/json"}, timeout=30)

    assert again.reused is False
    assert set(again.batches).isdisjoint(local_stack.summary.batches)
    assert answer.json()["verdict"] == "genuine"


# --- `make dev` itself --------------------------------------------------------------------------
@pytest.mark.slow
def test_given_make_dev_when_it_starts_then_the_printed_stamp_urls_answer_and_sigterm_stops_it(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL_DYNAMODB"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocop_local", "serve", "--port", str(port), "--state-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )
    try:
        text = read_banner(proc, 60)
        genuine = re.search(r"/ genuine stamp\s+(http://\S+)", text)
        assert genuine, text
        assert genuine.group(1).startswith((f"http://127.0.0.1:{port}/v/", f"http://127.0.0.1:{port}/01/"))
        assert "jq -r .producer" in text and "python3 -c" in text
        answer = requests.get(genuine.group(1), headers={"Accept": "application/json"}, timeout=30)
        assert answer.json()["verdict"] == "genuine"
        assert (tmp_path / "dev-tokens.json").is_file()
    finally:
        proc.terminate()
        code = proc.wait(timeout=30)
    assert code == 0


# --- API Gateway's and Lambda's limits, over real HTTP (docs/LIMITS.md, "Sizes and pages") ----
def test_given_a_request_body_over_10_mb_when_posted_then_413_and_no_function_runs(local_stack: LocalStack) -> None:
    before = local_stack.invocation_count()

    answer = requests.post(
        local_stack.url("/batches"),
        data=b"{" + b" " * (10 * 1024 * 1024) + b"}",
        headers={**local_stack.bearer("producer"), "Content-Type": "application/json"},
        timeout=60,
    )

    assert answer.status_code == 413 and answer.json() == {"message": "Request Entity Too Large"}
    assert local_stack.invocation_count() == before


def test_given_a_handler_that_returns_over_6_mb_when_called_over_http_then_api_gateway_answers_500() -> None:
    from ocop_local import server

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        size = int(event["queryStringParameters"]["bytes"])
        return {"statusCode": 200, "headers": {"Content-Type": "text/csv"}, "body": "x" * size}

    function = server.LocalFunction("F", Path("."), "app.lambda_handler", _handler=handler)
    app = server.LocalGateway([Route("F", "app.lambda_handler", "GET", "/export", authorized=False)], {"F": function})
    with server.serving(server.new_server(app)) as base:
        fits = requests.get(f"{base}/export", params={"bytes": 6_000_000}, timeout=60)
        over = requests.get(f"{base}/export", params={"bytes": 6_300_000}, timeout=60)

    assert fits.status_code == 200 and len(fits.content) == 6_000_000
    assert over.status_code == 500 and over.json() == {"message": "Internal Server Error"}
