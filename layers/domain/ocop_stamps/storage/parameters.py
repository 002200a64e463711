"""Secrets held outside the code: the stamp code keys and the client-address salt (and the
list-cursor keys, derived from the code keys: ``cursor_keys``).

Deployed, both are SSM SecureString parameters read through the Powertools parameters
utility and cached for ``SECRET_MAX_AGE`` seconds, so a rotation (a new key version
added to the parameter) reaches every warm function within five minutes without a
redeploy. Locally they come from an environment variable or a file under ``.local/``
that the dev setup creates; the repository never holds them.

Rotation never breaks printed labels: a code carries its key version, and every
version ever used stays in the parameter; only ``current`` (or the newest) issues.

Only the SSM read is traced (``_ssm_value``): ``code_keys()`` and ``ip_hash_salt()`` run
several times per scan, nearly always from a cache.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import lru_cache
from pathlib import Path

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


def load_ip_hash_salt(settings: Settings) -> bytes:
    if settings.ip_hash_salt:
        return settings.ip_hash_salt.encode()
    if settings.ip_hash_salt_parameter:
        return _ssm_value(settings.ip_hash_salt_parameter).encode()
    raise SecretMissing("no client-address salt: set OCOP_IP_HASH_SALT or IP_HASH_SALT_PARAMETER")


def code_keys() -> CodeKeys:
    """The keys in force now (parsed once per distinct parameter value)."""
    return parse_code_keys(code_keys_text(get_settings()))


# Domain separation: a cursor key is HMAC-SHA256(code key, label), so it reveals nothing of the
# code key and no new secret has to be deployed, rotated or granted (decision, issue 13).
CURSOR_KEY_LABEL = b"ocop-stamps/list-cursor/v1"


@lru_cache(maxsize=8)
def parse_cursor_keys(text: str) -> CursorKeys:
    """The code-keys parameter's text -> one cursor key per code-key version (same current)."""
    data = json.loads(text)
    current = data.pop("current", None)
    keys = {
        int(version): hmac.new(bytes.fromhex(hexkey), CURSOR_KEY_LABEL, hashlib.sha256).digest()
        for version, hexkey in data.items()
    }
    return CursorKeys(max(keys) if current is None else int(current), keys)


def cursor_keys() -> CursorKeys:
    """The keys that sign list cursors (``core.cursors``), from the code keys in force now."""
    return parse_cursor_keys(code_keys_text(get_settings()))


def ip_hash_salt() -> bytes:
    return load_ip_hash_salt(get_settings())


def reset_caches() -> None:
    """Forget cached settings and secrets (tests, key rotation in the local stack)."""
    get_settings.cache_clear()
    _file_text.cache_clear()
    try:
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()
    except ImportError:  # pragma: no cover
        pass
