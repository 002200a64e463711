"""Who is signed in to the console, kept in a signed cookie, and the CSRF token of its forms.

Decision (docs/CONSOLE.md, "Sessions"): the session is a cookie the server signs, not a
record the server stores. ``v{version}.{payload}.{mac}``: the payload is the caller's claims
(subject, groups, producer, provinces), a random session id and the expiry, as JSON in
base64url; the MAC is HMAC-SHA256 over ``{purpose}|{payload}`` with the console key of
``version`` (``storage.parameters.console_keys``: derived from the code keys, so a key
rotation keeps sessions in flight valid). Signed, not encrypted: it holds only the
signed-in person's own claims, and it is ``HttpOnly``, so no script reads it.

A session lasts ``SESSION_SECONDS`` (a working day) from sign-in. Signing out clears the
cookie (and, deployed, Cognito's own session) and puts the session id on the server's
revocation list (``storage.sessions``), so a copy of the cookie is dead as well; "sign out
on every device" ends every session of the person issued until then.

CSRF: every form carries ``csrf_token(keys, sid)``, an HMAC of the session id under its own
purpose -- a synchronizer token bound to the session without server storage. Before
sign-in the pre-session cookie (``LOGIN_COOKIE``) carries the id the sign-in form is bound to.
Standard library only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ocop_stamps.core.cursors import CursorKeys as Keys  # signing keys by version, current signs
from ocop_stamps.core.text import is_digits, same_secret

SESSION_COOKIE = "ocop_console"
LOGIN_COOKIE = "ocop_console_login"
LANG_COOKIE = "ocop_console_lang"
COOKIE_PATH = "/console"
SESSION_SECONDS = 8 * 3600  # a working day; then sign in again
LOGIN_SECONDS = 600  # from the sign-in page (or Cognito's) back to the callback
_MAC_BYTES = 32


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, payload: str) -> str:
    return _b64(hmac.new(key, f"{purpose}|{payload}".encode(), hashlib.sha256).digest()[:_MAC_BYTES])


def seal(keys: Keys, purpose: str, data: Mapping[str, Any]) -> str:
    """``data`` as a cookie value signed for ``purpose`` with the current key."""
    payload = _b64(json.dumps(dict(data), separators=(",", ":"), ensure_ascii=False).encode())
    return f"v{keys.current}.{payload}.{_mac(keys.keys[keys.current], purpose, payload)}"


def unseal(keys: Keys, purpose: str, value: str | None, now: float | None = None) -> dict[str, Any] | None:
    """The data of a value ``seal`` made for ``purpose``, if its MAC holds and ``exp`` is in the
    future; None for anything else (absent, damaged, forged, another purpose, expired)."""
    if not value or value.count(".") != 2 or len(value) > 4096:
        return None
    version_text, payload, mac = value.split(".")
    if not version_text.startswith("v") or not is_digits(version_text[1:]):
        return None
    key = keys.keys.get(int(version_text[1:]))
    if key is None or not same_secret(mac, _mac(key, purpose, payload)):
        return None
    try:
        data = json.loads(_unb64(payload))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("exp"), int | float):
        return None
    if data["exp"] <= (time.time() if now is None else now):
        return None
    return data


@dataclass(frozen=True)
class Session:
    """One signed-in person: the claims the API's authorizer would pass on, and the session id."""

    sid: str
    sub: str
    name: str
    groups: tuple[str, ...]
    producer_id: str | None = None
    provinces: tuple[str, ...] = field(default_factory=tuple)
    exp: int = 0
    iat_ms: int = 0  # when it began, epoch milliseconds (a sign-out everywhere ends those before)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], now: float | None = None) -> Session:
        """A new session for an ID token's claims (Cognito's, or the local stack's)."""
        groups = claims.get("cognito:groups") or []
        if isinstance(groups, str):
            groups = [g for g in groups.strip("[]").replace(",", " ").split() if g]
        provinces = claims.get("custom:provinces") or ""
        if isinstance(provinces, str):
            provinces = [p.strip() for p in provinces.split(",") if p.strip()]
        name = claims.get("email") or claims.get("cognito:username") or claims.get("sub") or ""
        begun = time.time() if now is None else now
        return cls(
            sid=secrets.token_urlsafe(16),
            sub=str(claims.get("sub", "")),
            name=str(name)[:120],
            groups=tuple(str(g) for g in groups),
            producer_id=str(claims["custom:producer_id"]) if claims.get("custom:producer_id") else None,
            provinces=tuple(str(p) for p in provinces),
            exp=int(begun) + SESSION_SECONDS,
            iat_ms=int(begun * 1000),
        )

    @property
    def issued_at_ms(self) -> int:
        """When the session began, epoch milliseconds (a cookie made before ``iat`` was kept:
        its expiry less ``SESSION_SECONDS``)."""
        return self.iat_ms or (self.exp - SESSION_SECONDS) * 1000

    def claims(self) -> dict[str, Any]:
        """The session as ID-token claims, for ``core.auth.Principal.from_claims`` (the API's rules)."""
        claims: dict[str, Any] = {"sub": self.sub, "cognito:groups": list(self.groups)}
        if self.producer_id:
            claims["custom:producer_id"] = self.producer_id
        if self.provinces:
            claims["custom:provinces"] = ",".join(self.provinces)
        return claims

    def seal(self, keys: Keys) -> str:
        return seal(
            keys,
            "session",
            {
                "sid": self.sid,
                "sub": self.sub,
                "name": self.name,
                "groups": list(self.groups),
                "pid": self.producer_id,
                "prov": list(self.provinces),
                "exp": self.exp,
                "iat": self.issued_at_ms,
            },
        )

    @classmethod
    def unseal(cls, keys: Keys, value: str | None, now: float | None = None) -> Session | None:
        data = unseal(keys, "session", value, now)
        if data is None:
            return None
        return cls(
            sid=str(data.get("sid", "")),
            sub=str(data.get("sub", "")),
            name=str(data.get("name", "")),
            groups=tuple(str(g) for g in data.get("groups") or ()),
            producer_id=str(data["pid"]) if data.get("pid") else None,
            provinces=tuple(str(p) for p in data.get("prov") or ()),
            exp=int(data["exp"]),
            iat_ms=int(data["iat"]) if isinstance(data.get("iat"), int) else 0,
        )


def csrf_token(keys: Keys, sid: str) -> str:
    """The CSRF token of every form in the session (or pre-session) ``sid``."""
    return _mac(keys.keys[keys.current], "csrf", sid)


def csrf_ok(keys: Keys, sid: str | None, token: str | None) -> bool:
    """Whether ``token`` is the CSRF token of ``sid`` under any key in force (constant time)."""
    if not sid or not token or len(token) > 100:
        return False
    return any(same_secret(token, _mac(key, "csrf", sid)) for key in keys.keys.values())


def cookie(name: str, value: str, max_age: int, *, secure: bool = True) -> str:
    """A ``Set-Cookie`` value: ``HttpOnly``, ``SameSite=Lax``, ``Secure``, path ``/console``;
    ``max_age`` 0 deletes it. ``secure`` is False only for the local stack over plain http."""
    parts = [f"{name}={value}", f"Path={COOKIE_PATH}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def read_cookies(headers: Mapping[str, str], cookies: list[str] | None = None) -> dict[str, str]:
    """Cookies of a request: API Gateway's payload 2.0 ``cookies`` list, else the Cookie header."""
    pairs = list(cookies or [])
    if not pairs and headers.get("cookie"):
        pairs = headers["cookie"].split(";")
    found: dict[str, str] = {}
    for pair in pairs:
        name, _, value = pair.strip().partition("=")
        if name and name not in found:
            found[name] = value
    return found
