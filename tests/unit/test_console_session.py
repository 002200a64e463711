"""The console's session cookie, CSRF tokens and the PKCE/state logic of its Cognito sign-in."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from ocop_stamps.console import oauth, session
from ocop_stamps.console.app import _next_path
from ocop_stamps.console.session import Session
from ocop_stamps.core.auth import Principal
from ocop_stamps.core.cursors import CursorKeys
from ocop_stamps.core.errors import Forbidden

KEYS = CursorKeys(2, {1: b"k" * 32, 2: b"q" * 32})
CLAIMS = {"sub": "u-1", "cognito:username": "hoa", "cognito:groups": ["producer"], "custom:producer_id": "hoan-hoa"}
CONFIG = oauth.Config(
    "https://auth.example", "client-1", "https://tem.example.vn/console/callback", "https://issuer/pool"
)


def test_given_a_session_when_sealed_and_read_back_then_the_same_claims_reach_the_apis_principal() -> None:
    sealed = Session.from_claims(CLAIMS).seal(KEYS)

    back = Session.unseal(KEYS, sealed)
    who = Principal.from_claims(back.claims())

    assert who.own_producer_id() == "hoan-hoa" and who.groups == {"producer"} and who.subject == "u-1"


def test_given_an_inspector_session_when_acting_as_a_producer_then_the_apis_rule_refuses() -> None:
    back = Session.unseal(KEYS, Session.from_claims({"sub": "i", "cognito:groups": ["inspector"]}).seal(KEYS))

    with pytest.raises(Forbidden):
        Principal.from_claims(back.claims()).own_producer_id()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v.replace(v.split(".")[1], v.split(".")[1][:-2] + "AA"),  # payload changed
        lambda v: v[:-2] + "AA",  # MAC changed
        lambda v: "v9" + v[2:],  # a key version nobody has
        lambda v: v.split(".")[0],  # cut short
        lambda v: "",
    ],
)
def test_given_a_tampered_session_cookie_when_read_then_nobody_is_signed_in(tamper) -> None:  # type: ignore[no-untyped-def]
    sealed = Session.from_claims(CLAIMS).seal(KEYS)

    assert Session.unseal(KEYS, tamper(sealed)) is None


def test_given_a_session_past_its_day_when_read_then_it_has_expired() -> None:
    sealed = Session.from_claims(CLAIMS, now=time.time() - session.SESSION_SECONDS - 1).seal(KEYS)

    assert Session.unseal(KEYS, sealed) is None


def test_given_a_login_cookie_when_read_as_a_session_then_it_is_refused() -> None:
    login = session.seal(KEYS, "login", {"sid": "x", "sub": "u", "exp": int(time.time()) + 60})

    assert Session.unseal(KEYS, login) is None


def test_given_an_older_key_version_when_a_session_signed_with_it_is_read_then_it_still_holds() -> None:
    old = CursorKeys(1, {1: b"k" * 32})
    sealed = Session.from_claims(CLAIMS).seal(old)

    assert Session.unseal(KEYS, sealed) is not None


def test_given_a_csrf_token_when_checked_then_only_its_own_session_accepts_it() -> None:
    token = session.csrf_token(KEYS, "sid-1")

    assert session.csrf_ok(KEYS, "sid-1", token)
    assert not session.csrf_ok(KEYS, "sid-2", token)
    assert not session.csrf_ok(KEYS, "sid-1", None)
    assert not session.csrf_ok(KEYS, None, token)


def test_given_a_cookie_when_written_then_it_is_httponly_secure_lax_and_scoped_to_the_console() -> None:
    parts = session.cookie("ocop_console", "v", 60).split("; ")

    assert parts[0] == "ocop_console=v"
    assert {"Path=/console", "Max-Age=60", "HttpOnly", "SameSite=Lax", "Secure"} <= set(parts)


def test_given_rfc_7636s_example_verifier_when_its_challenge_is_made_then_it_is_the_rfcs() -> None:
    assert (
        oauth.challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_given_a_new_sign_in_when_started_then_the_url_carries_state_and_s256_challenge_never_the_verifier() -> None:
    begun = oauth.start(CONFIG)
    query = parse_qs(urlsplit(begun.url).query)

    assert begun.url.startswith("https://auth.example/oauth2/authorize?")
    assert query["state"] == [begun.state] and query["code_challenge"] == [oauth.challenge_of(begun.verifier)]
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]
    assert begun.verifier not in begun.url and 43 <= len(begun.verifier) <= 128
    assert oauth.start(CONFIG).state != begun.state


def test_given_a_returned_state_when_compared_then_only_the_one_sent_matches() -> None:
    assert oauth.state_matches("abc", "abc")
    assert not oauth.state_matches("abc", "abd")
    assert not oauth.state_matches(None, "abc") and not oauth.state_matches("abc", None)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"iss": "https://other"}, "issuer"),
        ({"aud": "another-client"}, "audience"),
        ({"token_use": "access"}, "ID token"),
        ({"exp": 1}, "expired"),
    ],
)
def test_given_an_id_token_not_for_this_console_when_checked_then_sign_in_fails(
    change: dict[str, object], why: str
) -> None:
    claims = {"iss": "https://issuer/pool", "aud": "client-1", "token_use": "id", "exp": time.time() + 60, **change}

    with pytest.raises(oauth.SignInFailed, match=why):
        oauth.check_claims(claims, CONFIG)


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        ("/console/batches/7", "/console/batches/7"),
        ("https://evil.example/console", "/console"),
        ("//evil.example/console", "/console"),
        ("/v/abc", "/console"),
        (None, "/console"),
    ],
)
def test_given_a_next_address_when_signing_in_then_only_console_paths_are_followed(
    asked: str | None, goes: str
) -> None:
    assert _next_path(asked) == goes


def test_given_a_hosted_domain_prefix_when_read_then_it_becomes_cognitos_domain() -> None:
    assert oauth.domain_url("ocop-1", "ap-southeast-1") == "https://ocop-1.auth.ap-southeast-1.amazoncognito.com"
    assert oauth.domain_url("http://127.0.0.1:9/", "x") == "http://127.0.0.1:9"


def test_given_a_session_when_read_back_then_it_knows_when_it_began_to_the_millisecond() -> None:
    begun = 1_796_000_000.1234
    sealed = Session.from_claims(CLAIMS, now=begun).seal(KEYS)

    back = Session.unseal(KEYS, sealed, now=begun + 1)

    assert back is not None and back.issued_at_ms == 1_796_000_000_123
    assert back.exp == int(begun) + session.SESSION_SECONDS


def test_given_a_cookie_made_before_sessions_knew_their_start_when_read_then_its_expiry_dates_it() -> None:
    old = session.seal(KEYS, "session", {"sid": "s", "sub": "u-1", "groups": ["producer"], "exp": 1_796_028_800})

    back = Session.unseal(KEYS, old, now=1_796_000_000)

    assert back is not None and back.issued_at_ms == (1_796_028_800 - session.SESSION_SECONDS) * 1000


NOT_ASCII = ["é", "\ufffd\ufffd", "ｔｏｋｅｎ", "\ud800", "токен", "a\x00b"]


@pytest.mark.parametrize("given", NOT_ASCII)
def test_given_a_secret_a_client_sent_with_non_ascii_text_when_checked_then_it_is_refused_never_an_error(
    given: str,
) -> None:
    # found by a break tester: hmac.compare_digest raises TypeError on two str with non-ASCII
    # characters, so a CSRF token "%C3%A9" was a 500 on every console form
    from ocop_stamps.core.text import same_secret
    from ocop_stamps.scanning import view_tokens

    version, payload, _ = Session.from_claims(CLAIMS).seal(KEYS).split(".")

    assert session.csrf_ok(KEYS, "sid-1", given) is False
    assert Session.unseal(KEYS, f"{version}.{payload}.{given}") is None
    assert oauth.state_matches("state-1", given) is False
    assert view_tokens.check(b"k" * 32, f"eyJ9.{given}", "CODE", dt.datetime.now(dt.UTC)) is None
    assert same_secret(given, given) is True and same_secret(given, "x") is False
