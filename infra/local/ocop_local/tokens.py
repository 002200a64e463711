"""Local stand-in for Cognito: an RS256 key under ``.local/`` and ID tokens signed with it.

The tokens look like Cognito ID tokens (``token_use: id``, ``cognito:groups``,
``custom:producer_id``, ``custom:provinces``) so the handlers see the same claims as
deployed; the local gateway (``server.py``) verifies them the way the HTTP API's JWT
authorizer does: signature, issuer, audience, expiry.

The key is made once, with mode 600, in the state folder (``.local/`` at the repository
root unless told otherwise; git-ignored). Delete the folder to start over.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ocop_stamps.core.auth import ROLES

ISSUER = "http://127.0.0.1:3000/local-cognito"
AUDIENCE = "ocop-local-client"
ALGORITHM = "RS256"
DEV_TTL_SECONDS = 30 * 24 * 3600
KEY_FILE = "jwt-key.pem"
DEV_TOKENS_FILE = "dev-tokens.json"
STATE_DIR_ENV = "OCOP_STATE_DIR"
_SUB_NAMESPACE = uuid.UUID("6f1c0d8e-0c2b-4f43-9a57-6f0c3d1e2b4a")


class InvalidToken(Exception):
    """The token would not get past the HTTP API's JWT authorizer; ``str()`` says why."""


def default_state_dir() -> Path:
    """$OCOP_STATE_DIR, else ``.local`` at the repository root, else ``./.local``."""
    if env := os.environ.get(STATE_DIR_ENV):
        return Path(env)
    root = Path(__file__).resolve().parents[3]
    if (root / "infra" / "template.yaml").is_file():
        return root / ".local"
    return Path.cwd() / ".local"


def _state_dir(state_dir: str | os.PathLike[str] | None) -> Path:
    return Path(state_dir) if state_dir is not None else default_state_dir()


# --- the key ------------------------------------------------------------------------------
def key_path(state_dir: str | os.PathLike[str] | None = None) -> Path:
    return _state_dir(state_dir) / KEY_FILE


def ensure_key(state_dir: str | os.PathLike[str] | None = None) -> Path:
    """The private key file, generated on first use (mode 600, never overwritten)."""
    path = key_path(state_dir)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(pem)
        try:
            os.link(tmp, path)  # atomic: two processes starting at once keep one key
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
    return path


@lru_cache(maxsize=8)
def _keys(path: Path, _mtime_ns: int) -> tuple[Any, Any, str]:
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    public = private.public_key()
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = uuid.uuid5(_SUB_NAMESPACE, der.hex()).hex[:16]
    return private, public, kid


def _load(state_dir: str | os.PathLike[str] | None) -> tuple[Any, Any, str]:
    path = ensure_key(state_dir).resolve()
    return _keys(path, path.stat().st_mtime_ns)


# --- issuing ------------------------------------------------------------------------------
def sign(claims: Mapping[str, Any], *, state_dir: str | os.PathLike[str] | None = None) -> str:
    """Any claims, signed with the local key (tests use it for wrong-audience tokens)."""
    private, _, kid = _load(state_dir)
    return jwt.encode(dict(claims), private, algorithm=ALGORITHM, headers={"kid": kid})


def subject(role: str, producer_id: str | None = None) -> str:
    """A stable uuid per role (and producer): the same dev user across restarts."""
    return str(uuid.uuid5(_SUB_NAMESPACE, f"{role}/{producer_id or ''}"))


def token_claims(
    role: str,
    *,
    producer_id: str | None = None,
    provinces: Iterable[str] = (),
    ttl_seconds: int = DEV_TTL_SECONDS,
    now: int | None = None,
) -> dict[str, Any]:
    """The claims of a Cognito ID token for a user in group ``role``."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    now = int(time.time()) if now is None else now
    username = f"local-{role}" + (f"-{producer_id}" if producer_id else "")
    claims: dict[str, Any] = {
        "sub": subject(role, producer_id),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "token_use": "id",
        "cognito:username": username,
        "cognito:groups": [role],
        "auth_time": now,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": str(uuid.uuid4()),
    }
    if producer_id:
        claims["custom:producer_id"] = producer_id
    joined = ",".join(p.strip() for p in provinces if p.strip())
    if joined:
        claims["custom:provinces"] = joined
    return claims


def issue_token(
    role: str,
    *,
    producer_id: str | None = None,
    provinces: Iterable[str] = (),
    ttl_seconds: int = DEV_TTL_SECONDS,
    state_dir: str | os.PathLike[str] | None = None,
) -> str:
    """A signed ID token for ``role``; a negative ``ttl_seconds`` makes an expired one."""
    claims = token_claims(role, producer_id=producer_id, provinces=provinces, ttl_seconds=ttl_seconds)
    return sign(claims, state_dir=state_dir)


# --- verifying, as the HTTP API JWT authorizer does ---------------------------------------
def verify(token: str, *, state_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The token's claims if API Gateway would let it through, else ``InvalidToken``.

    Like the JWT authorizer: RS256 only, ``kid`` must be the issuer's key, the signature
    must verify, ``iss`` must match exactly, ``aud`` (or ``client_id`` of an access token)
    must be the app client, and ``exp``/``nbf``/``iat`` must hold.
    """
    _, public, kid = _load(state_dir)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed token: {exc}") from None
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"algorithm {header.get('alg')!r} is not {ALGORITHM}")
    if header.get("kid") != kid:
        raise InvalidToken("signed by an unknown key (kid)")
    try:
        claims = jwt.decode(
            token,
            public,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss"], "verify_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc) or type(exc).__name__) from None
    audience = claims.get("aud", claims.get("client_id"))
    audiences = audience if isinstance(audience, list) else [audience]
    if AUDIENCE not in audiences:
        raise InvalidToken(f"audience {audience!r} is not {AUDIENCE!r}")
    return claims


# --- the dev tokens file ------------------------------------------------------------------
def write_dev_tokens(
    path: str | os.PathLike[str] | None = None,
    *,
    producer_id: str | None = None,
    provinces: Iterable[str] | None = None,
    state_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """``.local/dev-tokens.json``: {"admin": …, "producer": …, "inspector": …} (30 days).

    The producer token acts for the demo producer that has batches; the inspector's
    provinces are those of the demo data.
    """
    from . import demo

    state = _state_dir(state_dir)
    target = Path(path) if path is not None else state / DEV_TOKENS_FILE
    producer_id = producer_id or demo.DEMO_PRODUCER
    provinces = list(provinces) if provinces is not None else demo.demo_provinces()
    tokens = {
        "admin": issue_token("admin", state_dir=state),
        "producer": issue_token("producer", producer_id=producer_id, state_dir=state),
        "inspector": issue_token("inspector", provinces=provinces, state_dir=state),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        json.dump(tokens, stream, indent=2)
        stream.write("\n")
    return target


# --- the console's local sign-in (issue 15) -------------------------------------------------
CONSOLE_SECOND_PRODUCER = "tam-hoa"  # another demo producer: its batches are not the first's


def console_users() -> dict[str, dict[str, Any]]:
    """The demo users the local console's sign-in page lists: the claims of their ID tokens
    (the same ``token_claims`` as dev-tokens.json), keyed by a short name."""
    from . import demo

    return {
        "producer": token_claims("producer", producer_id=demo.DEMO_PRODUCER),
        "producer-2": token_claims("producer", producer_id=CONSOLE_SECOND_PRODUCER),
        "inspector": token_claims("inspector", provinces=demo.demo_provinces()),
        "admin": token_claims("admin"),
    }
