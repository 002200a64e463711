"""Cognito's hosted sign-in for the console: authorization code with PKCE (RFC 7636).

1. ``start``: a random ``state`` and code verifier; the challenge is
   base64url(SHA-256(verifier)) (``S256``). Both go into the pre-session cookie
   (``session.LOGIN_COOKIE``, signed, 10 minutes); the browser is sent to
   ``{domain}/oauth2/authorize`` with the state and the challenge only.
2. The callback checks the returned ``state`` against the cookie's (constant time): a
   callback the browser did not start here is refused.
3. ``exchange``: ``POST {domain}/oauth2/token`` with the code, the same redirect URI and
   the verifier. The ID token in the answer came straight from Cognito over TLS, so its
   issuer is proven by the connection (OpenID Connect Core 1.0, 3.1.3.7, item 6); its
   claims are still checked (``check_claims``): issuer, audience, ``token_use``, expiry.

The app client is public (no secret: nothing to leak from the function's environment);
PKCE is what binds the code to this browser. Standard library only (``urllib``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode

from ocop_stamps.core.text import same_secret

TOKEN_TIMEOUT_SECONDS = 5.0
SCOPES = "openid email"


class SignInFailed(Exception):
    """The callback cannot sign anyone in; ``str()`` says why (for the log, not the page)."""


class Config(NamedTuple):
    """Where the hosted sign-in is and who the console is to it."""

    domain: str  # https://{prefix}.auth.{region}.amazoncognito.com (or a test server)
    client_id: str
    redirect_uri: str  # {console_url}/callback, exactly as registered on the app client
    issuer: str  # https://cognito-idp.{region}.amazonaws.com/{user_pool_id}


def domain_url(domain: str, region: str) -> str:
    """The hosted domain's origin: a prefix becomes Cognito's own domain; a URL stays itself."""
    if domain.startswith(("https://", "http://")):
        return domain.rstrip("/")
    return f"https://{domain}.auth.{region}.amazoncognito.com"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def challenge_of(verifier: str) -> str:
    """The S256 code challenge of a verifier: base64url(SHA-256(ASCII verifier)), no padding."""
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


class Start(NamedTuple):
    url: str  # where to send the browser
    state: str
    verifier: str


def start(config: Config) -> Start:
    """A new sign-in: the authorize URL, and the state and verifier to keep in the signed cookie."""
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)  # 64 characters of [A-Za-z0-9_-]: within RFC 7636's 43..128
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": config.redirect_uri,
            "scope": SCOPES,
            "state": state,
            "code_challenge": challenge_of(verifier),
            "code_challenge_method": "S256",
        }
    )
    return Start(f"{config.domain}/oauth2/authorize?{query}", state, verifier)


def state_matches(expected: str | None, returned: str | None) -> bool:
    """The callback's state is the one this browser's cookie holds (constant time)."""
    return bool(expected) and bool(returned) and same_secret(str(returned), str(expected))


def logout_url(config: Config, signed_out_uri: str) -> str:
    """Cognito's ``/logout``: ends the hosted session too, then returns to ``signed_out_uri``."""
    return f"{config.domain}/logout?{urlencode({'client_id': config.client_id, 'logout_uri': signed_out_uri})}"


def exchange(config: Config, code: str, verifier: str, timeout: float = TOKEN_TIMEOUT_SECONDS) -> dict[str, Any]:
    """Trade the code for tokens; the ID token's checked claims. SignInFailed on any refusal."""
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "client_id": config.client_id,
            "code": code,
            "redirect_uri": config.redirect_uri,
            "code_verifier": verifier,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 -- the configured https domain (a test server in tests)
        f"{config.domain}/oauth2/token",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer = json.loads(response.read(65_536))
    except urllib.error.HTTPError as exc:
        raise SignInFailed(f"token endpoint answered {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise SignInFailed(f"token endpoint unreachable or unreadable: {type(exc).__name__}") from None
    token = answer.get("id_token") if isinstance(answer, dict) else None
    if not isinstance(token, str):
        raise SignInFailed("no id_token in the token endpoint's answer")
    return check_claims(payload_of(token), config)


def payload_of(token: str) -> dict[str, Any]:
    """The claims part of a JWT, read (the signature is not checked: see the module's note)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise SignInFailed("the id_token is not a JWT")
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        raise SignInFailed("the id_token's claims cannot be read") from None
    if not isinstance(claims, dict):
        raise SignInFailed("the id_token's claims are not an object")
    return claims


def check_claims(claims: Mapping[str, Any], config: Config, now: float | None = None) -> dict[str, Any]:
    """The claims, if they are an ID token of this pool for this client that has not expired."""
    now = time.time() if now is None else now
    if claims.get("iss") != config.issuer:
        raise SignInFailed("issuer is not this user pool")
    audience = claims.get("aud")
    if config.client_id not in (audience if isinstance(audience, list) else [audience]):
        raise SignInFailed("audience is not the console's app client")
    if claims.get("token_use") != "id":
        raise SignInFailed("not an ID token")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now:
        raise SignInFailed("the ID token has expired")
    return dict(claims)
