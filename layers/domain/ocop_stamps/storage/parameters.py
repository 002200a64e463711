"""Secrets held outside the code: the stamp code keys, the scratch-off PIN keys (issue 14,
held exactly like the code keys, ``pin_keys``), the client-address salt, the
origin secret CloudFront sends (issue 11), and the list-cursor keys, derived from the code
keys (``cursor_keys``).

Deployed, both are SSM SecureString parameters read through the Powertools parameters
utility and cached for ``SECRET_MAX_AGE`` seconds, so a rotation (a new key version
added to the parameter) reaches every warm function within five minutes without a
redeploy. Locally they come from an environment variable or a file under ``.local/``
that the dev setup creates; the repository never holds them.

Rotation never breaks printed labels: a code carries its key version, and every
version ever used stays in the parameter; only ``current`` (or the newest) issues.

The origin secret is a Secrets Manager secret (the template generates it), read through
the same utility and cached the same ``SECRET_MAX_AGE``. Its value is JSON:
``{"current": "<value>"}``, and while a rotation is under way also ``"previous"``: both are
accepted until the operator drops ``previous`` (docs/OPERATIONS.md, "Origin secret").
The SMS gateway's shared secret (issue 14, ``sms_secrets``; docs/SMS.md) is held, cached and
parsed exactly like it.

Only the SSM and Secrets Manager reads are traced (``_ssm_value``, ``_secret_value``):
``code_keys()``, ``ip_hash_salt()`` and ``origin_secrets()`` run on every scan, nearly
always from a cache.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from ocop_stamps.codes.pins import PinKeys, make_pin_keys
from ocop_stamps.codes.scheme import CodeKeys
from ocop_stamps.core.cursors import CursorKeys
from ocop_stamps.core.settings import Settings, get_settings
from ocop_stamps.observability import tracer

SECRET_MAX_AGE = 300


class SecretMissing(RuntimeError):
    pass


@tracer.capture_method(capture_response=False)
def _ssm_value(name: str) -> str:
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_parameter(name, decrypt=True, max_age=SECRET_MAX_AGE))


@tracer.capture_method(capture_response=False)
def _secret_value(secret_id: str) -> str:
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(secret_id, max_age=SECRET_MAX_AGE))


@lru_cache(maxsize=8)
def parse_code_keys(text: str) -> CodeKeys:
    """``{"1": "<hex>", "2": "<hex>", "current": 2}`` -> CodeKeys (current defaults to newest)."""
    data = json.loads(text)
    current = data.pop("current", None)
    keys = {int(version): bytes.fromhex(hexkey) for version, hexkey in data.items()}
    return CodeKeys(keys, current=None if current is None else int(current))


@lru_cache(maxsize=4)
def _file_text(path: str, _mtime_ns: int) -> str:  # the file's mtime is part of the cache key
    return Path(path).read_text(encoding="utf-8")


def code_keys_text(settings: Settings) -> str:
    if settings.code_keys:
        return settings.code_keys
    if settings.code_keys_file:
        path = Path(settings.code_keys_file)
        return _file_text(str(path), path.stat().st_mtime_ns)
    if settings.code_keys_parameter:
        return _ssm_value(settings.code_keys_parameter)
    raise SecretMissing("no code keys: set OCOP_CODE_KEYS, OCOP_CODE_KEYS_FILE or CODE_KEYS_PARAMETER")


@lru_cache(maxsize=8)
def parse_pin_keys(text: str) -> PinKeys:
    """``{"1": "<hex>", "current": 1}`` -> PinKeys (current defaults to the newest version)."""
    data = json.loads(text)
    current = data.pop("current", None)
    keys = {int(version): bytes.fromhex(hexkey) for version, hexkey in data.items()}
    return make_pin_keys(keys, None if current is None else int(current))


def pin_keys_text(settings: Settings) -> str:
    if settings.pin_keys:
        return settings.pin_keys
    if settings.pin_keys_file:
        path = Path(settings.pin_keys_file)
        return _file_text(str(path), path.stat().st_mtime_ns)
    if settings.pin_keys_parameter:
        return _ssm_value(settings.pin_keys_parameter)
    raise SecretMissing("no PIN keys: set OCOP_PIN_KEYS, OCOP_PIN_KEYS_FILE or PIN_KEYS_PARAMETER")


def pin_keys() -> PinKeys:
    """The scratch-off PIN keys in force now (issue 14, ``codes.pins``); never logged."""
    return parse_pin_keys(pin_keys_text(get_settings()))


def load_ip_hash_salt(settings: Settings) -> bytes:
    if settings.ip_hash_salt:
        return settings.ip_hash_salt.encode()
    if settings.ip_hash_salt_parameter:
        return _ssm_value(settings.ip_hash_salt_parameter).encode()
    raise SecretMissing("no client-address salt: set OCOP_IP_HASH_SALT or IP_HASH_SALT_PARAMETER")


class OriginSecrets(NamedTuple):
    """The origin secret: what CloudFront sends now, and every value a request may carry."""

    current: bytes
    accepted: tuple[bytes, ...]


@lru_cache(maxsize=4)
def parse_origin_secrets(text: str) -> OriginSecrets:
    """``{"current": "<v>", "previous": "<v>"}`` (``previous`` optional) or a bare value ->
    OriginSecrets. SecretMissing when there is no non-empty current value."""
    text = text.strip()
    try:
        data = json.loads(text) if text.startswith("{") else {"current": text}
    except ValueError:
        raise SecretMissing("the origin secret is not JSON") from None
    values = [data.get(name) for name in ("current", "previous")]
    if not isinstance(values[0], str) or not values[0]:
        raise SecretMissing('the origin secret has no "current" value')
    accepted = tuple(v.encode() for v in values if isinstance(v, str) and v)
    return OriginSecrets(accepted[0], accepted)


def load_origin_secret_text(settings: Settings) -> str:
    if settings.origin_secret:
        return settings.origin_secret
    if settings.origin_secret_id:
        return _secret_value(settings.origin_secret_id)
    raise SecretMissing("no origin secret: set OCOP_ORIGIN_SECRET or ORIGIN_SECRET_ID")


def load_sms_secret_text(settings: Settings) -> str:
    if settings.sms_secret:
        return settings.sms_secret
    if settings.sms_secret_id:
        return _secret_value(settings.sms_secret_id)
    raise SecretMissing("no SMS gateway secret: set OCOP_SMS_SECRET or SMS_SECRET_ID")


def sms_secrets() -> OriginSecrets:
    """The SMS gateway's shared secret in force now (issue 14, docs/SMS.md): the same JSON shape
    and rotation as the origin secret (``current``, and ``previous`` during a rotation)."""
    return parse_origin_secrets(load_sms_secret_text(get_settings()))


def code_keys() -> CodeKeys:
    """The keys in force now (parsed once per distinct parameter value)."""
    return parse_code_keys(code_keys_text(get_settings()))


# Domain separation: a cursor key is HMAC-SHA256(code key, label), so it reveals nothing of the
# code key and no new secret has to be deployed, rotated or granted (decision, issue 13).
CURSOR_KEY_LABEL = b"ocop-stamps/list-cursor/v1"


@lru_cache(maxsize=8)
def derived_keys(text: str, label: bytes) -> CursorKeys:
    """The code-keys parameter's text -> one key HMAC-SHA256(code key, ``label``) per code-key
    version, with the same current version (cursor keys, the console's signing keys)."""
    data = json.loads(text)
    current = data.pop("current", None)
    keys = {
        int(version): hmac.new(bytes.fromhex(hexkey), label, hashlib.sha256).digest()
        for version, hexkey in data.items()
    }
    return CursorKeys(max(keys) if current is None else int(current), keys)


def parse_cursor_keys(text: str) -> CursorKeys:
    """The code-keys parameter's text -> one cursor key per code-key version (same current)."""
    return derived_keys(text, CURSOR_KEY_LABEL)


def cursor_keys() -> CursorKeys:
    """The keys that sign list cursors (``core.cursors``), from the code keys in force now."""
    return parse_cursor_keys(code_keys_text(get_settings()))


def ip_hash_salt() -> bytes:
    return load_ip_hash_salt(get_settings())


def origin_secrets() -> OriginSecrets:
    """The origin secret in force now (parsed once per distinct secret value)."""
    return parse_origin_secrets(load_origin_secret_text(get_settings()))


def reset_caches() -> None:
    """Forget cached settings and secrets (tests, key rotation in the local stack)."""
    get_settings.cache_clear()
    _file_text.cache_clear()
    try:
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()
    except ImportError:  # pragma: no cover
        pass


# The console's sessions, CSRF tokens and sign-in state (issue 15, docs/CONSOLE.md) are signed
# with keys derived like the cursor keys, under their own label: nothing new to deploy or rotate.
CONSOLE_KEY_LABEL = b"ocop-stamps/console-session/v1"


def console_keys() -> CursorKeys:
    """The keys that sign the console's cookies (``console.session``), from the code keys in force."""
    return derived_keys(code_keys_text(get_settings()), CONSOLE_KEY_LABEL)
