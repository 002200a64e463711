"""The console's function on moto: sign-in (local users, and Cognito's code + PKCE against a
stub token endpoint), CSRF, the producer's pages, a double-submitted batch form, tenancy."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from helpers.handlers import Shop, http_event, load_handler
from ocop_stamps.console import oauth
from ocop_stamps.core.settings import get_settings

USERS = {
    "producer": {
        "sub": "u-1",
        "cognito:username": "local-producer",
        "cognito:groups": ["producer"],
        "custom:producer_id": "hoan-hoa",
    },
    "producer-2": {
        "sub": "u-2",
        "cognito:username": "local-producer-2",
        "cognito:groups": ["producer"],
        "custom:producer_id": "tam-hoa",
    },
    "inspector": {
        "sub": "u-3",
        "cognito:username": "local-inspector",
        "cognito:groups": ["inspector"],
        "custom:provinces": "08",
    },
}


class Browser:
    """Cookies kept across requests to the console function, as a browser keeps them."""

    def __init__(self) -> None:
        self.jar: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, query: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        event = http_event(method, path, route=f"{method} /console/{{proxy+}}", query=query)
        event["cookies"] = [f"{k}={v}" for k, v in self.jar.items()]
        if form is not None:
            event["body"] = "&".join(f"{k}={v}" for k, v in form.items())
            event["headers"]["content-type"] = "application/x-www-form-urlencoded"
        response = load_handler("console").lambda_handler(event, _Context())  # IAM checked there
        self.set_cookies = list(response.get("cookies") or [])
        for cookie in self.set_cookies:
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in cookie:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return response["statusCode"], response["headers"], response["body"]


class _Context:
    function_name = "console"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:console"
    aws_request_id = "req"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _field(body: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', body)
    assert found, f"no {name} field"
    return found.group(1)


@pytest.fixture
def local_console(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCOP_CONSOLE_LOCAL_USERS", json.dumps(USERS))
    monkeypatch.setenv("CONSOLE_URL", "https://tem.example.vn/console")
    get_settings.cache_clear()


def sign_in(browser: Browser, user: str) -> None:
    status, _, page = browser.request("GET", "/console/sign-in")
    assert status == 200
    status, headers, _ = browser.request(
        "POST", "/console/sign-in", {"csrf": _field(page, "csrf"), "user": user, "next": "/console"}
    )
    assert status == 303 and headers["Location"] == "/console"


def test_given_no_session_when_the_console_is_opened_then_it_sends_to_sign_in(local_console: None) -> None:
    status, headers, _ = Browser().request("GET", "/console")

    assert status == 303 and headers["Location"] == "/console/sign-in?next=%2Fconsole"


def test_given_a_signed_in_producer_when_the_overview_opens_then_products_lots_and_batches_show_with_counts(
    local_console: None,
) -> None:
    shop = Shop()
    browser = Browser()
    sign_in(browser, "producer")

    status, headers, page = browser.request("GET", "/console")

    assert status == 200
    assert shop.product["name"] in page and "HH-2026-11" in page
    assert f'href="/console/batches/{shop.batch_id}"' in page
    assert "1.000" in page  # issued, the Vietnamese way
    assert "default-src 'self'" in headers["Content-Security-Policy"] and "<script" not in page


def test_given_a_batch_form_when_sent_twice_then_one_batch_is_issued_and_both_land_on_it(local_console: None) -> None:
    shop = Shop()
    browser = Browser()
    sign_in(browser, "producer")
    _, _, form_page = browser.request("GET", "/console/batches/new")
    form = {
        "csrf": _field(form_page, "csrf"),
        "idempotency_key": _field(form_page, "idempotency_key"),
        "product_id": shop.product_id,
        "size": "250",
        "note": "",
    }

    first = browser.request("POST", "/console/batches", form)
    second = browser.request("POST", "/console/batches", form)
    _, _, overview = browser.request("GET", "/console")

    assert first[0] == second[0] == 303
    assert first[1]["Location"] == second[1]["Location"]
    new_id = first[1]["Location"].split("/")[-1].split("?")[0]
    assert new_id != shop.batch_id
    assert len(re.findall(r'href="/console/batches/\d+"', overview)) == 2  # the shop's batch and ONE new one


def test_given_a_post_without_its_csrf_token_when_sent_then_a_403_page_refuses_it_in_both_languages(
    local_console: None,
) -> None:
    shop = Shop()
    browser = Browser()
    sign_in(browser, "producer")

    status, _, page = browser.request("POST", "/console/batches", {"product_id": shop.product_id, "size": "5"})
    forged = browser.request("POST", "/console/batches", {"csrf": "x" * 43, "product_id": shop.product_id, "size": "5"})

    assert status == forged[0] == 403
    assert "Biểu mẫu đã hết hạn" in page and "The form expired" in page
    _, _, overview = browser.request("GET", "/console")
    assert len(re.findall(r'href="/console/batches/\d+"', overview)) == 1


@pytest.mark.parametrize(
    "form",
    [{f"f{i}": "x" for i in range(250)}, {"csrf": "x", "note": "x" * 70_000}],
    ids=["250-fields", "70-KB"],
)
def test_given_a_post_larger_than_any_console_form_then_a_413_page_in_both_languages_and_nothing_done(
    local_console: None, form: dict[str, str]
) -> None:
    # found by fuzzing the console's routes: the form reader's field limit raised (a 500), then
    # answered "form expired" (403), which sends the user to reload a form that can never pass
    shop = Shop()
    browser = Browser()
    sign_in(browser, "producer")

    status, _, page = browser.request("POST", "/console/batches", {**form, "product_id": shop.product_id, "size": "5"})
    signed_out = Browser().request("POST", "/console/sign-in", form)

    assert status == signed_out[0] == 413
    assert "Biểu mẫu quá lớn" in page and "The form is too large" in page
    _, _, overview = browser.request("GET", "/console")
    assert len(re.findall(r'href="/console/batches/\d+"', overview)) == 1  # the shop's own, none more


@pytest.mark.parametrize("token", ["%C3%A9", "%FF%FE", "%ED%A0%80"], ids=["e-acute", "not-utf8", "surrogate"])
def test_given_a_csrf_token_that_is_not_ascii_when_posted_then_the_expired_form_page_not_a_500(
    local_console: None, token: str
) -> None:
    browser = Browser()
    sign_in(browser, "producer")

    status, _, page = browser.request("POST", "/console/batches", {"csrf": token, "size": "5"})
    anonymous = Browser()
    anonymous.request("GET", "/console/sign-in")
    signing_in = anonymous.request("POST", "/console/sign-in", {"csrf": token, "user": "admin"})

    assert status == signing_in[0] == 403 and "The form expired" in page


def test_given_a_form_body_marked_base64_that_is_not_when_posted_then_a_403_page_not_a_500(local_console: None) -> None:
    browser = Browser()
    sign_in(browser, "producer")
    event = http_event("POST", "/console/batches", route="POST /console/{proxy+}")
    event["cookies"] = [f"{k}={v}" for k, v in browser.jar.items()]
    event |= {"body": "csrf=%%%", "isBase64Encoded": True}

    response = load_handler("console").lambda_handler(event, _Context())

    assert response["statusCode"] == 403 and "The form expired" in response["body"]


def test_given_another_producers_batch_id_when_typed_into_the_url_then_a_404_page_answers(local_console: None) -> None:
    shop = Shop()
    browser = Browser()
    sign_in(browser, "producer-2")

    status, _, page = browser.request("GET", f"/console/batches/{shop.batch_id}")

    assert status == 404 and "không thuộc về tài khoản của bạn" in page
    assert shop.product["name"] not in page


def test_given_a_signed_in_producer_when_signing_out_then_the_session_ends(local_console: None) -> None:
    Shop()
    browser = Browser()
    sign_in(browser, "producer")
    _, _, page = browser.request("GET", "/console")

    status, headers, _ = browser.request("POST", "/console/sign-out", {"csrf": _field(page, "csrf")})

    assert status == 303 and headers["Location"] == "/console/signed-out"
    assert browser.request("GET", "/console")[0] == 303  # back to sign-in


def test_given_a_copy_of_the_cookie_kept_when_its_owner_signs_out_then_the_copy_is_refused_too(
    local_console: None,
) -> None:
    Shop()
    browser = Browser()
    sign_in(browser, "producer")
    _, _, page = browser.request("GET", "/console")
    stolen = Browser()
    stolen.jar = dict(browser.jar)  # a copy of the cookie taken before sign-out (a shared computer)

    browser.request("POST", "/console/sign-out", {"csrf": _field(page, "csrf")})
    status, headers, _ = stolen.request("GET", "/console")

    assert status == 303 and headers["Location"].startswith("/console/sign-in")
    assert "ocop_console" not in stolen.jar  # and the dead cookie is cleared
    status, _, _ = stolen.request("POST", "/console/batches", {"csrf": _field(page, "csrf"), "product_id": "x"})
    assert status == 403  # nor can it post


def test_given_two_devices_when_signing_out_everywhere_then_both_end_and_a_new_sign_in_works(
    local_console: None,
) -> None:
    Shop()
    phone, computer = Browser(), Browser()
    sign_in(phone, "producer")
    sign_in(computer, "producer")
    other_person = Browser()
    sign_in(other_person, "producer-2")
    _, _, page = phone.request("GET", "/console")
    assert "Đăng xuất trên mọi thiết bị" in page

    status, _, _ = phone.request("POST", "/console/sign-out", {"csrf": _field(page, "csrf"), "everywhere": "1"})

    assert status == 303
    assert computer.request("GET", "/console")[0] == 303  # the other device is signed out
    assert other_person.request("GET", "/console")[0] == 200  # nobody else is
    time.sleep(0.002)  # a sign-in after the sign-out
    sign_in(computer, "producer")
    assert computer.request("GET", "/console")[0] == 200


def test_given_dynamodb_throttles_the_session_check_when_a_page_opens_then_a_503_page_not_the_page(
    local_console: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    Shop()
    browser = Browser()
    sign_in(browser, "producer")
    real = BaseClient._make_api_call

    def throttled(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "BatchGetItem" and any(
            "SESSION#" in json.dumps(k) for t in params["RequestItems"].values() for k in t["Keys"]
        ):
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, operation)
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", throttled)
    status, headers, page = browser.request("GET", "/console")

    assert status == 503 and "Retry-After" in headers
    assert "Tổng quan" not in page or "hoan-hoa" not in page


def test_given_english_asked_when_a_page_renders_then_it_is_english_and_stays_so(local_console: None) -> None:
    browser = Browser()

    _, _, first = browser.request("GET", "/console/sign-in", query={"lang": "en"})
    _, _, again = browser.request("GET", "/console/sign-in")

    assert '<html lang="en">' in first and '<html lang="en">' in again and "Sign in as producer" in again


def test_given_an_inspector_when_the_overview_opens_then_no_producer_data_and_a_pointer_to_the_api(
    local_console: None,
) -> None:
    Shop()
    browser = Browser()
    sign_in(browser, "inspector")

    status, _, page = browser.request("GET", "/console")
    form = browser.request("GET", "/console/batches/new")

    assert status == 200 and "/docs/inspector" in page
    assert form[0] == 403


# --- Cognito's hosted sign-in: code + PKCE against a stub token endpoint -----------------------
class _TokenEndpoint(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, list[str]]]] = []
    claims: ClassVar[dict[str, Any]] = {}

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        type(self).seen.append(form)
        payload = base64.urlsafe_b64encode(json.dumps(self.claims).encode()).decode().rstrip("=")
        body = json.dumps({"id_token": f"e30.{payload}.sig", "token_type": "Bearer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def cognito(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    domain = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.delenv("OCOP_CONSOLE_LOCAL_USERS", raising=False)
    monkeypatch.setenv("CONSOLE_URL", "https://tem.example.vn/console")
    monkeypatch.setenv("CONSOLE_AUTH_DOMAIN", domain)
    monkeypatch.setenv("CONSOLE_CLIENT_ID", "console-client")
    monkeypatch.setenv("USER_POOL_ID", "ap-southeast-1_pool")
    get_settings.cache_clear()
    _TokenEndpoint.seen = []
    _TokenEndpoint.claims = {
        "iss": "https://cognito-idp.ap-southeast-1.amazonaws.com/ap-southeast-1_pool",
        "aud": "console-client",
        "token_use": "id",
        "exp": 4_102_444_800,
        "sub": "u-9",
        "email": "hoa@example.vn",
        "cognito:groups": ["producer"],
        "custom:producer_id": "hoan-hoa",
    }
    yield domain
    server.shutdown()


def test_given_cognito_when_signing_in_then_code_and_verifier_are_exchanged_and_a_session_made(cognito: str) -> None:
    Shop()
    browser = Browser()

    status, headers, _ = browser.request("GET", "/console/sign-in")
    sent = parse_qs(urlsplit(headers["Location"]).query)
    back = browser.request("GET", "/console/callback", query={"code": "the-code", "state": sent["state"][0]})
    session_cookies = browser.set_cookies
    overview = browser.request("GET", "/console")

    assert status == 303 and headers["Location"].startswith(f"{cognito}/oauth2/authorize?")
    assert sent["code_challenge_method"] == ["S256"] and sent["redirect_uri"] == [
        "https://tem.example.vn/console/callback"
    ]
    exchanged = _TokenEndpoint.seen[0]
    assert exchanged["code"] == ["the-code"] and exchanged["grant_type"] == ["authorization_code"]
    assert oauth.challenge_of(exchanged["code_verifier"][0]) == sent["code_challenge"][0]
    assert back[0] == 303 and back[1]["Location"] == "/console"
    assert overview[0] == 200 and "hoa@example.vn" in overview[2]
    session = next(c for c in session_cookies if c.startswith("ocop_console="))
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/console"} <= {p.strip() for p in session.split(";")}


def test_given_a_callback_with_another_state_when_received_then_no_session_and_no_exchange(cognito: str) -> None:
    browser = Browser()
    browser.request("GET", "/console/sign-in")

    status, _, page = browser.request("GET", "/console/callback", query={"code": "c", "state": "forged"})

    assert status == 401 and _TokenEndpoint.seen == []
    assert browser.request("GET", "/console")[0] == 303


def test_given_a_signed_in_cognito_user_when_signing_out_then_cognito_logout_is_next(cognito: str) -> None:
    browser = Browser()
    _, headers, _ = browser.request("GET", "/console/sign-in")
    state = parse_qs(urlsplit(headers["Location"]).query)["state"][0]
    browser.request("GET", "/console/callback", query={"code": "c", "state": state})
    Shop()
    _, page_headers, page = browser.request("GET", "/console")

    status, headers, _ = browser.request("POST", "/console/sign-out", {"csrf": _field(page, "csrf")})

    assert status == 303 and headers["Location"].startswith(f"{cognito}/logout?client_id=console-client")
    assert cognito in page_headers["Content-Security-Policy"]  # the sign-out form may end there


def test_given_people_scanned_a_batch_when_its_page_opens_then_the_scans_are_counted_there(
    local_console: None, detector: Any
) -> None:
    from helpers.handlers import scan

    shop = Shop()
    shop.activate(1, 10)
    for code in shop.codes(1, 3):
        assert scan(code)[0] == 200
    detector()
    browser = Browser()
    sign_in(browser, "producer")

    status, _, page = browser.request("GET", f"/console/batches/{shop.batch_id}")

    assert status == 200
    assert re.search(r"Đã kích hoạt</dt><dd>10</dd><dt>Lượt quét</dt><dd>3</dd>", page)


def test_given_a_producer_with_more_batches_when_the_overview_opens_then_its_requests_do_not_grow_with_them(
    local_console: None, ddb_calls: list[tuple[str, str]]
) -> None:
    shop = Shop()
    browser = Browser()
    sign_in(browser, "producer")
    browser.request("GET", "/console")  # warm: the code keys read once per process
    ddb_calls.clear()
    browser.request("GET", "/console")
    with_one = [op for service, op in ddb_calls if service == "dynamodb"]
    for _ in range(5):
        shop.issue(10)
    ddb_calls.clear()
    status, _, page = browser.request("GET", "/console")
    with_six = [op for service, op in ddb_calls if service == "dynamodb"]

    assert status == 200 and len(re.findall(r'href="/console/batches/\d+"', page)) == 6
    # 3 Queries (products, lots, batches), the batches' scan counts, the session's revocation check
    assert sorted(with_one) == sorted(with_six) == sorted(["Query", "Query", "Query", "BatchGetItem", "BatchGetItem"])


@pytest.mark.parametrize("next_path", ["/console%0A", "/console\r\nSet-Cookie: x=1", "/console/\x00", "/console/\x7f"])
def test_given_a_sign_in_link_whose_next_holds_a_control_character_then_sign_in_lands_on_the_console(
    local_console: None, next_path: str
) -> None:
    browser = Browser()
    _, _, page = browser.request("GET", "/console/sign-in", query={"next": next_path.replace("%0A", "\n")})

    status, headers, _ = browser.request(
        "POST", "/console/sign-in", {"csrf": _field(page, "csrf"), "user": "producer", "next": _field(page, "next")}
    )

    assert status == 303 and headers["Location"] == "/console"


def test_given_two_tabs_when_both_sign_out_then_the_second_lands_on_signed_out_too(local_console: None) -> None:
    Shop()
    browser = Browser()
    sign_in(browser, "producer")
    _, _, page = browser.request("GET", "/console")
    token = _field(page, "csrf")

    first = browser.request("POST", "/console/sign-out", {"csrf": token})
    second = browser.request("POST", "/console/sign-out", {"csrf": token})

    assert first[0] == second[0] == 303
    assert first[1]["Location"] == second[1]["Location"] == "/console/signed-out"


def test_given_other_methods_when_sent_then_head_is_get_without_a_body_and_the_rest_405_with_allow(
    local_console: None,
) -> None:
    Shop()
    browser = Browser()
    sign_in(browser, "producer")

    got = browser.request("GET", "/console")
    head = browser.request("HEAD", "/console")
    put = browser.request("PUT", "/console/batches")
    css = browser.request("POST", "/console/console.css", {})

    assert head[0] == got[0] == 200 and head[2] == "" and head[1]["Content-Type"] == got[1]["Content-Type"]
    assert put[0] == 405 and put[1]["Allow"] == "GET, HEAD, POST" and 'lang="en"' in put[2]
    assert css[0] == 405 and css[1]["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("size", ["１０", "١٢", "²"])
def test_given_a_batch_size_in_digits_of_another_script_then_the_form_refuses_it_and_issues_nothing(
    local_console: None, size: str
) -> None:
    shop = Shop()
    browser = Browser()
    sign_in(browser, "producer")
    _, _, form = browser.request("GET", "/console/batches/new")
    fields = {"csrf": _field(form, "csrf"), "idempotency_key": _field(form, "idempotency_key")}

    status, _, page = browser.request(
        "POST", "/console/batches", {**fields, "product_id": shop.product["product_id"], "size": quote(size)}
    )
    _, _, overview = browser.request("GET", "/console")

    assert status == 422 and 'id="size-err"' in page
    assert len(re.findall(r'href="/console/batches/\d+"', overview)) == 1
