"""The scratch-off PIN of a two-layer stamp ("tem cào", issue 14; docs/PIN.md).

A PIN is derived, never stored: ``HMAC-SHA256(pin key[v], "ocop-stamps/pin/v1|v|batch|serial")``
read as an unsigned 64-bit number, modulo 10^8, written as ``PIN_DIGITS`` digits (leading
zeros kept). The PIN keys are a secret of their own (``storage.parameters.pin_keys``), not
the code keys: a leak of one tells nothing of the other, and the code keys' holders (every
function that decodes a code) need not hold it. The version ``v`` is the batch's
``pin_key_version``, fixed when the batch is issued, so a rotation never changes a PIN
already printed under a coating.

The odds (docs/PIN.md, tested in tests/unit/test_pins.py): a guesser allowed at most
``MAX_WRONG_TRIES`` wrong entries on one code over its whole life, then locked out, finds the
PIN with probability at most ``MAX_WRONG_TRIES / 10**PIN_DIGITS`` = 10 / 100,000,000 = 1e-7,
below one in a million (``GUESS_ODDS``). The modulo bias of 2^64 mod 10^8 is < 10^8 / 2^64
(5e-12) per PIN: negligible.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import NamedTuple

PIN_DIGITS = 8
MAX_WRONG_TRIES = 10
"""Wrong PINs one code accepts over its whole life; past them its PIN can no longer be checked."""
GUESS_ODDS = MAX_WRONG_TRIES / 10**PIN_DIGITS
"""The most a guesser's odds can be, for one code, over the stamp's life (1e-7)."""
_LABEL = b"ocop-stamps/pin/v1"
# digits as phones and Vietnamese keyboards may send them: ASCII, full-width, Arabic-Indic...
_SEPARATORS = str.maketrans("", "", " -_.\t\u00a0")


class PinKeys(NamedTuple):
    """The PIN secret by version (16 or 32 bytes each); new batches use ``current``."""

    keys: Mapping[int, bytes]
    current: int


def make_pin_keys(keys: Mapping[int, bytes], current: int | None = None) -> PinKeys:
    """PinKeys, checked: at least one key of 16 or 32 bytes, ``current`` (default newest) among them."""
    if not keys:
        raise ValueError("at least one PIN key is needed")
    for version, key in keys.items():
        if version < 1 or len(key) not in (16, 32):
            raise ValueError(f"PIN key version {version}: need a version >= 1 and 16 or 32 bytes")
    chosen = max(keys) if current is None else current
    if chosen not in keys:
        raise ValueError(f"current PIN key version {chosen} has no key")
    return PinKeys(dict(keys), chosen)


def derive(keys: PinKeys, version: int, batch: int, serial: int) -> str:
    """The PIN of (batch, serial) under PIN key ``version``: ``PIN_DIGITS`` decimal digits.

    KeyError if the version has no key (a batch issued under a key since removed)."""
    message = b"%s|%d|%d|%d" % (_LABEL, version, batch, serial)
    digest = hmac.new(keys.keys[version], message, hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**PIN_DIGITS).zfill(PIN_DIGITS)


def read_pin(text: str | None) -> str | None:
    """What a buyer typed, as ``PIN_DIGITS`` ASCII digits (spaces, dashes and dots dropped,
    any Unicode decimal digit read as its value); None if it cannot be a PIN."""
    if not text:
        return None
    cleaned = str(text).translate(_SEPARATORS)[: PIN_DIGITS * 4]
    if not cleaned or not all(c.isdecimal() for c in cleaned):
        return None
    digits = "".join(str(int(c)) for c in cleaned)
    return digits if len(digits) == PIN_DIGITS else None


def same(expected: str, given: str) -> bool:
    """Constant-time comparison of two PINs (no timing tells how many digits were right)."""
    return hmac.compare_digest(expected.encode(), given.encode())
