"""Secrets held outside the code: the stamp code keys and the client-address salt.

Deployed, both are SSM SecureString parameters read once per cold start. Locally they
come from an environment variable or a file under ``.local/`` that the dev setup
creates; the repository never holds them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from .codes import CodeKeys
from .settings import Settings, get_settings


class SecretMissing(RuntimeError):
    pass


def _ssm_value(name: str) -> str:
    import boto3

    resp = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)
    return str(resp["Parameter"]["Value"])


def parse_code_keys(text: str) -> CodeKeys:
    """``{"1": "<hex>", "2": "<hex>", "current": 2}`` -> CodeKeys (current defaults to newest)."""
    data = json.loads(text)
    current = data.pop("current", None)
    keys = {int(version): bytes.fromhex(hexkey) for version, hexkey in data.items()}
    return CodeKeys(keys, current=None if current is None else int(current))


def load_code_keys(settings: Settings) -> CodeKeys:
    if settings.code_keys:
        return parse_code_keys(settings.code_keys)
    if settings.code_keys_file:
        return parse_code_keys(Path(settings.code_keys_file).read_text(encoding="utf-8"))
    if settings.code_keys_parameter:
        return parse_code_keys(_ssm_value(settings.code_keys_parameter))
    raise SecretMissing("no code keys: set OCOP_CODE_KEYS, OCOP_CODE_KEYS_FILE or CODE_KEYS_PARAMETER")


def load_ip_hash_salt(settings: Settings) -> bytes:
    if settings.ip_hash_salt:
        return settings.ip_hash_salt.encode()
    if settings.ip_hash_salt_parameter:
        return _ssm_value(settings.ip_hash_salt_parameter).encode()
    raise SecretMissing("no client-address salt: set OCOP_IP_HASH_SALT or IP_HASH_SALT_PARAMETER")


@lru_cache(maxsize=1)
def code_keys() -> CodeKeys:
    return load_code_keys(get_settings())


@lru_cache(maxsize=1)
def ip_hash_salt() -> bytes:
    return load_ip_hash_salt(get_settings())


def reset_caches() -> None:
    """Forget cached settings and secrets (tests, key rotation in the local stack)."""
    code_keys.cache_clear()
    ip_hash_salt.cache_clear()
    get_settings.cache_clear()
