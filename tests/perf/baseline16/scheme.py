"""The stamp code scheme: the public contract printed on every label (DESIGN.md, "Code").

A code is 16 Crockford base32 characters::

    V DDDDDDDDDDDDDD C
    | |              +-- check symbol over GF(32): catches every single-character
    | |                  error and every adjacent transposition
    | +-- 14 characters = 70 bits, a keyed pseudo-random permutation of
    |     (batch: 24 bits, serial: 20 bits, tag: 26 zero bits)
    +-- key version (0..31), in clear so the right key is picked without trying all

Why a permutation and not a MAC: a forger chooses ciphertexts, never plaintexts, so
each try lands on a uniformly random (batch, serial, tag). It is valid only if the tag
is zero *and* the (batch, serial) was issued: the odds per try are
issued_stamps / 2^70 -- 2^-40 with a billion stamps issued. The 26-bit tag alone
rejects all but one forgery in 67 million before any I/O.

The permutation is a balanced Feistel network over two 35-bit halves with AES-128 as
round function and ten rounds (as NIST FF1 uses for small domains). ``encode_many``
runs the same rounds over a whole range with one AES call per round: vectorised with numpy
for large ranges (a million codes take a second, not a minute), in plain Python for small
ones or where numpy is not installed. numpy ships in the print layer only (issue 10): the
functions without it (public scan, admin, inspector, ...) reach ``encode_many`` through
EPCIS events of at most ``MAX_EPC_LIST`` codes and always take the plain path. Property
tests keep ``encode``, the plain path and the numpy path identical.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ocop_stamps.core.vocabulary import CROCKFORD

if TYPE_CHECKING:  # numpy is only needed for bulk encoding, off the scan path
    import numpy as np

ALPHABET = CROCKFORD
CODE_LENGTH = 16
BATCH_BITS = 24
SERIAL_BITS = 20
TAG_BITS = 26
HALF_BITS = 35
ROUNDS = 10
MAX_BATCH = (1 << BATCH_BITS) - 1
MAX_SERIAL = (1 << SERIAL_BITS) - 1
MAX_KEY_VERSION = len(ALPHABET) - 1
_HALF_MASK = (1 << HALF_BITS) - 1
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford decoding is forgiving: O reads as 0, I and L as 1, case does not matter.
_VALUE.update({"O": 0, "I": 1, "L": 1})
_SEPARATORS = str.maketrans("", "", " -_\t.")

# --- GF(32) check symbol ------------------------------------------------------------
# Field GF(2^5) with x^5 + x^2 + 1; the element x (=2) generates all 31 non-zero elements.
_EXP = [0] * 62
_LOG = [0] * 32
_v = 1
for _i in range(31):
    _EXP[_i] = _EXP[_i + 31] = _v
    _LOG[_v] = _i
    _v <<= 1
    if _v & 0x20:
        _v ^= 0x25


def _gf_mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


# Data position i (0..14) has weight x^(15-i), the check symbol weight x^0 = 1; weights
# are distinct and non-zero, so a substitution (e*w != 0) and a swap of neighbours
# ((a-b)(w_i - w_j) != 0 in characteristic 2) always change the sum.
_WEIGHTS = [_EXP[15 - i] for i in range(CODE_LENGTH - 1)]
_MUL_TABLE = [[_gf_mul(w, d) for d in range(32)] for w in _WEIGHTS]


# For a check computed as the characters come: row p gives w_p * d for the character at
# position p (the check symbol's own weight is 1); a whole code sums (XOR) to 0.
CHECK_ROWS: tuple[tuple[int, ...], ...] = (*(tuple(row) for row in _MUL_TABLE), tuple(range(32)))
DIGITS: Mapping[str, int] = _VALUE  # a code character's value (O, I, L read as 0, 1, 1)


def check_symbol(data: Sequence[int]) -> int:
    """The value that makes sum(w_i * d_i) + check == 0 over GF(32)."""
    acc = 0
    for row, d in zip(_MUL_TABLE, data, strict=True):
        acc ^= row[d]
    return acc


# --- errors ---------------------------------------------------------------------------


class InvalidCode(ValueError):
    """A code that is not one we could have issued; ``reason`` says why, for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StampId(NamedTuple):
    """What a code decodes to."""

    key_version: int
    batch: int
    serial: int


# --- keys -----------------------------------------------------------------------------


class CodeKeys:
    """The secret keys, by version. Issuing uses ``current``; decoding any known version."""

    def __init__(self, keys: Mapping[int, bytes], current: int | None = None) -> None:
        if not keys:
            raise ValueError("at least one code key is needed")
        for version, key in keys.items():
            if not 0 <= version <= MAX_KEY_VERSION:
                raise ValueError(f"key version {version} outside 0..{MAX_KEY_VERSION}")
            if len(key) not in (16, 32):
                raise ValueError(f"key version {version}: need 16 or 32 bytes, got {len(key)}")
        self.current = max(keys) if current is None else current
        if self.current not in keys:
            raise ValueError(f"current key version {self.current} has no key")
        self._keys = dict(keys)
        self._ciphers: dict[int, Cipher[modes.ECB]] = {}

    def cipher(self, version: int) -> Cipher[modes.ECB]:
        c = self._ciphers.get(version)
        if c is None:
            if version not in self._keys:
                raise InvalidCode("unknown key version")
            c = self._ciphers[version] = Cipher(algorithms.AES(self._keys[version]), modes.ECB())
        return c


# --- the permutation ------------------------------------------------------------------


def _round_block(version: int, rnd: int, half: int) -> bytes:
    # Domain separation: a constant label, key version and round number before the half.
    return b"OCOPv1" + bytes((version, rnd)) + half.to_bytes(8, "big")


def _feistel(keys: CodeKeys, version: int, value: int, *, decrypt: bool) -> int:
    enc = keys.cipher(version).encryptor()
    left, right = value >> HALF_BITS, value & _HALF_MASK
    if not decrypt:
        for rnd in range(ROUNDS):
            f = int.from_bytes(enc.update(_round_block(version, rnd, right))[:5], "big") >> 5
            left, right = right, left ^ f
    else:
        for rnd in reversed(range(ROUNDS)):
            f = int.from_bytes(enc.update(_round_block(version, rnd, left))[:5], "big") >> 5
            left, right = right ^ f, left
    return (left << HALF_BITS) | right


def _to_chars(version: int, block: int) -> str:
    data = [version] + [(block >> (5 * (13 - i))) & 31 for i in range(14)]
    data.append(check_symbol(data))
    return "".join(ALPHABET[d] for d in data)


def encode(keys: CodeKeys, batch: int, serial: int, *, version: int | None = None) -> str:
    """The printed code of stamp ``serial`` of ``batch`` (both from 1)."""
    version = keys.current if version is None else version
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"batch {batch} outside 1..{MAX_BATCH}")
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial {serial} outside 1..{MAX_SERIAL}")
    plain = ((batch << SERIAL_BITS) | serial) << TAG_BITS
    return _to_chars(version, _feistel(keys, version, plain, decrypt=False))


def normalize(raw: str) -> str:
    """Canonical form of what a person typed: upper case, no separators, O->0, I/L->1."""
    text = raw.translate(_SEPARATORS).upper()
    return text.replace("O", "0").replace("I", "1").replace("L", "1")


def check_passes(code: str) -> bool:
    """Whether ``code`` (16 characters, canonical or not) carries its right check symbol; no key needed.

    The cheap first test of a candidate: 1 in 32 random strings pass it, and only those are
    worth a ``decode`` (ten AES rounds).
    """
    if len(code) != CODE_LENGTH:
        return False
    try:
        digits = [_VALUE[ch] for ch in code.upper()]
    except KeyError:
        return False
    return check_symbol(digits[:-1]) == digits[-1]


def decode(keys: CodeKeys, raw: str) -> StampId:
    """(key version, batch, serial) of a code, or ``InvalidCode`` -- with no I/O at all."""
    if len(raw) > 64:
        raise InvalidCode("too long")
    text = normalize(raw)
    if len(text) != CODE_LENGTH:
        raise InvalidCode("wrong length")
    try:
        digits = [_VALUE[ch] for ch in text]
    except KeyError:
        raise InvalidCode("character outside the code alphabet") from None
    if check_symbol(digits[:-1]) != digits[-1]:
        raise InvalidCode("check symbol mismatch")
    version = digits[0]
    block = 0
    for d in digits[1:-1]:
        block = (block << 5) | d
    plain = _feistel(keys, version, block, decrypt=True)
    if plain & ((1 << TAG_BITS) - 1):
        raise InvalidCode("not issued by us (authentication tag mismatch)")
    ident = plain >> TAG_BITS
    batch, serial = ident >> SERIAL_BITS, ident & MAX_SERIAL
    if batch == 0 or serial == 0:
        raise InvalidCode("not issued by us (zero batch or serial)")
    return StampId(version, batch, serial)


def group(code: str, size: int = 4) -> str:
    """``ABCD-EFGH-JKMN-PQR7``: the readable form printed under the QR."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


# --- bulk encoding --------------------------------------------------------------------


# Both paths make one AES call per round; the plain one costs ~25 us a code, numpy's ~1-2 us
# plus ~0.7 ms of set-up (measured crossover ~50 codes). Below this count the plain path
# takes < 8 ms, less than the ~150 ms a cold function would spend importing numpy, so small
# ranges never import it -- including every EPCIS event list (MAX_EPC_LIST = 100).
NUMPY_MIN_COUNT = 256


def encode_many(keys: CodeKeys, batch: int, first: int, count: int, *, version: int | None = None) -> list[str]:
    """Codes of serials ``first .. first+count-1`` of ``batch``; identical to ``encode``.

    Each Feistel round is one AES-ECB call over all blocks. Ranges of ``NUMPY_MIN_COUNT``
    codes or more use numpy when it can be imported (the print layer); everything else,
    and every range where numpy is missing, runs the same rounds in plain Python.
    """
    version = keys.current if version is None else version
    last = first + count - 1
    if count < 0 or (count and not (1 <= first and last <= MAX_SERIAL)):
        raise ValueError(f"serials {first}..{last} outside 1..{MAX_SERIAL}")
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"batch {batch} outside 1..{MAX_BATCH}")
    if count == 0:
        return []
    if count >= NUMPY_MIN_COUNT and _numpy_available():
        return _encode_many_numpy(keys, version, batch, first, count)
    return _encode_many_python(keys, version, batch, first, count)


_numpy_found: bool | None = None


def _numpy_available() -> bool:
    """Whether ``import numpy`` works here; asked once per process, and only for a large range."""
    global _numpy_found
    if _numpy_found is None:
        try:
            import numpy  # noqa: F401
        except ImportError:
            _numpy_found = False
        else:
            _numpy_found = True
    return _numpy_found


def _encode_many_python(keys: CodeKeys, version: int, batch: int, first: int, count: int) -> list[str]:
    """The rounds of ``_feistel`` over a range, one AES call per round, without numpy."""
    low = HALF_BITS - TAG_BITS  # serial bits that fall in the right half
    serials = range(first, first + count)
    left = [(batch << (SERIAL_BITS - low)) | (s >> low) for s in serials]
    right = [(s & ((1 << low) - 1)) << TAG_BITS for s in serials]
    enc = keys.cipher(version).encryptor()
    for rnd in range(ROUNDS):
        head = b"OCOPv1" + bytes((version, rnd))
        out = enc.update(b"".join([head + r.to_bytes(8, "big") for r in right]))
        f = [int.from_bytes(out[i : i + 5], "big") >> 5 for i in range(0, 16 * count, 16)]
        left, right = right, [a ^ b for a, b in zip(left, f, strict=True)]
    return [_to_chars(version, (a << HALF_BITS) | b) for a, b in zip(left, right, strict=True)]


def _encode_many_numpy(keys: CodeKeys, version: int, batch: int, first: int, count: int) -> list[str]:
    """The same rounds vectorised: a handful of numpy operations per round, none per code."""
    import numpy as np

    # 70-bit plaintexts do not fit a uint64: build the two 35-bit halves directly.
    serials = np.arange(first, first + count, dtype=np.uint64)
    low = HALF_BITS - TAG_BITS  # serial bits that fall in the right half
    left = (np.uint64(batch) << np.uint64(SERIAL_BITS - low)) | (serials >> np.uint64(low))
    right = (serials & np.uint64((1 << low) - 1)) << np.uint64(TAG_BITS)
    enc = keys.cipher(version).encryptor()
    blocks = np.zeros((count, 16), dtype=np.uint8)
    blocks[:, :6] = np.frombuffer(b"OCOPv1", dtype=np.uint8)
    blocks[:, 6] = version
    shifts = np.arange(56, -8, -8, dtype=np.uint64)  # big-endian bytes 8..15
    for rnd in range(ROUNDS):
        blocks[:, 7] = rnd
        blocks[:, 8:] = ((right[:, None] >> shifts) & np.uint64(0xFF)).astype(np.uint8)
        out = np.frombuffer(enc.update(blocks.tobytes()), dtype=np.uint8).reshape(count, 16)
        head = out[:, :5].astype(np.uint64)
        f = (
            (head[:, 0] << np.uint64(32))
            | (head[:, 1] << np.uint64(24))
            | (head[:, 2] << np.uint64(16))
            | (head[:, 3] << np.uint64(8))
            | head[:, 4]
        ) >> np.uint64(5)
        left, right = right, left ^ f
    return _chars_many(version, left, right)


def _chars_many(version: int, left: np.ndarray, right: np.ndarray) -> list[str]:
    import numpy as np

    n = left.shape[0]
    digits = np.empty((n, CODE_LENGTH), dtype=np.uint8)
    digits[:, 0] = version
    for i in range(7):
        shift = np.uint64(5 * (6 - i))
        digits[:, 1 + i] = ((left >> shift) & np.uint64(31)).astype(np.uint8)
        digits[:, 8 + i] = ((right >> shift) & np.uint64(31)).astype(np.uint8)
    table = np.array(_MUL_TABLE, dtype=np.uint8)
    check = np.zeros(n, dtype=np.uint8)
    for i in range(CODE_LENGTH - 1):
        check ^= table[i][digits[:, i]]
    digits[:, -1] = check
    chars = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)[digits]
    return chars.view(f"S{CODE_LENGTH}").ravel().astype(str).tolist()
