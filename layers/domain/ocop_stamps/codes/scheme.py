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
runs the same rounds over a whole range with one AES call per round (per pass of
``NUMPY_PASS`` codes): vectorised with numpy for large ranges (a million codes in ~0.2-0.3 s of
CPU on a shared 2-core EPYC, docs/PERFORMANCE.md "Issue 16"), in plain Python for small ones or
where numpy is not installed. numpy ships in the print layer only (issue 10): the
functions without it (public scan, admin, inspector, ...) reach ``encode_many`` through
EPCIS events of at most ``MAX_EPC_LIST`` codes and always take the plain path. Property
tests keep ``encode``, the plain path and the numpy path identical.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

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
            c = self._ciphers[version] = Cipher(algorithms.AES(self._keys[version]), modes.ECB())  # noqa: S305 -- single-block PRF, not message encryption
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


# Both paths make one AES call per round; the plain one costs ~20 us a code, numpy's ~0.2 us
# plus ~0.2 ms a call (~80 numpy calls; measured crossover ~10 codes, issue 16). Below this
# count the plain path takes < 8 ms, less than the ~150 ms a cold function would spend
# importing numpy, so small ranges never import it -- including every EPCIS event list
# (MAX_EPC_LIST = 100).
NUMPY_MIN_COUNT = 256


def encode_many(keys: CodeKeys, batch: int, first: int, count: int, *, version: int | None = None) -> list[str]:
    """Codes of serials ``first .. first+count-1`` of ``batch``; identical to ``encode``.

    Each Feistel round is one AES-ECB call over all blocks (of a pass). Ranges of ``NUMPY_MIN_COUNT``
    codes or more use numpy when it can be imported (the print layer); everything else,
    and every range where numpy is missing, runs the same rounds in plain Python. Thread-safe:
    the numpy path keeps its arrays and encryptors per thread.
    """
    version = keys.current if version is None else version
    _check_range(first, count)
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"batch {batch} outside 1..{MAX_BATCH}")
    if count == 0:
        return []
    if count >= NUMPY_MIN_COUNT and _numpy_available():
        return _encode_many_numpy(keys, version, batch, first, count)
    return _encode_many_python(keys, version, batch, first, count)


def code_lines(
    keys: CodeKeys, batch: int, first: int, count: int, pieces: Sequence[str], *, version: int | None = None
) -> str:
    """Text with one line per serial of ``first .. first+count-1``: the serial in decimal, then
    ``pieces[0]``, the code, ``pieces[1]``, the code, ... ``pieces[-1]`` (at least two pieces;
    the last one usually ends the line). Identical to joining f-strings over ``encode_many``.

    codes.csv is ``code_lines(..., (",", "," + url_prefix, tail))``: on the numpy path the rows
    are assembled as bytes, column by column, without a Python string per code (issue 16)."""
    if len(pieces) < 2:
        raise ValueError("code_lines needs at least two pieces")
    version = keys.current if version is None else version
    if count < NUMPY_MIN_COUNT or not _numpy_available():
        codes = encode_many(keys, batch, first, count, version=version)
        return "".join(
            str(serial) + "".join(p + c for p in pieces[:-1]) + pieces[-1]
            for serial, c in zip(range(first, first + count), codes, strict=True)
        )
    _check_range(first, count)
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"batch {batch} outside 1..{MAX_BATCH}")
    import numpy as np

    encoded = [p.encode("utf-8") for p in pieces]
    groups = []
    lo = first
    while lo < first + count:
        width = len(str(lo))
        hi = min(first + count, 10**width)  # serials of one width: rows of one length
        groups.append((lo, hi, width, b"0" * width + (b"0" * 16).join(encoded)))
        lo = hi
    text = _workspace(count).csv_text([(hi - lo, template) for lo, hi, _, template in groups])
    offset = 0
    for lo, hi, width, template in groups:
        n, length = hi - lo, len(template)
        rows = np.frombuffer(text, dtype=np.uint8, count=n * length, offset=offset).reshape(n, length)
        rows[:, :width] = _decimal(np.arange(lo, hi, dtype=np.int64))[:, 8 - width :]
        columns = []
        col = width
        for part in encoded[:-1]:
            col += len(part)
            columns.append(offset + col)
            col += 16
        _code_words(keys, version, batch, lo, n, text, columns, length)
        offset += n * length
    return str(memoryview(text)[:offset], "utf-8")


_DIGITS4: np.ndarray | None = None


def _decimal(numbers: np.ndarray) -> np.ndarray:
    """(k, 8) uint8: ASCII decimal of numbers below 10^8, right-aligned, zero-padded."""
    import numpy as np

    global _DIGITS4
    if _DIGITS4 is None:  # "0000" .. "9999" as 4-byte words
        _DIGITS4 = np.frombuffer("".join(f"{i:04d}" for i in range(10_000)).encode(), dtype=np.uint32)
    words = np.empty((numbers.size, 2), dtype=np.uint32)
    high, low = np.divmod(numbers, 10_000)
    np.take(_DIGITS4, high, out=words[:, 0])
    np.take(_DIGITS4, low, out=words[:, 1])
    return words.view(np.uint8)


def _check_range(first: int, count: int) -> None:
    last = first + count - 1
    if count < 0 or (count and not (1 <= first and last <= MAX_SERIAL)):
        raise ValueError(f"serials {first}..{last} outside 1..{MAX_SERIAL}")


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
    """The same rounds vectorised over 64-bit words (``_code_words``), the codes written as ASCII
    into lines of 17 bytes; the list of strings is one ``decode`` and one ``split`` of the lines,
    with no Python code per code."""
    lines = _workspace(count).lines(count)
    _code_words(keys, version, batch, first, count, lines, [0], 17)
    codes = str(memoryview(lines)[: 17 * count], "ascii").split("\n")
    codes.pop()  # the empty string after the last newline
    return codes


# Codes per pass of the numpy path, at most: each round is one AES-ECB call over a pass's blocks.
# A pass makes ~80 numpy calls of ~1.7 us each on the issue-16 machine whatever its size, so
# passes are as long as the callers' chunks (codes.csv and the benchmark ask 10,000 at a time):
# 4,096 or 8,192 ran 10-60 % slower per code on 10,000-code calls (issue 16). The per-thread
# workspace (``_Workspace``) holds ~110 bytes a code of a pass in arrays, plus the lines and
# codes.csv rows it reuses (17 and ~110 bytes a code): ~4 MB at most.
NUMPY_PASS = 16_384
# "OCOPv1", key version and round number: the first 8 bytes of every round's block.
_HEAD = b"OCOPv1"


def _check_masks() -> list[tuple[int, int]]:
    """(left mask, right mask) per bit b of the check symbol: the check is linear over GF(2) in
    the bits of the 70-bit block, so bit b is the parity of the block's bits under the masks."""
    out = []
    for b in range(5):
        left = right = 0
        for i in range(1, CODE_LENGTH - 1):
            for j in range(5):
                if _MUL_TABLE[i][1 << j] >> b & 1:
                    if i <= 7:
                        left |= 1 << (5 * (7 - i) + j)
                    else:
                        right |= 1 << (5 * (14 - i) + j)
        out.append((left, right))
    return out


# Bit 8k of a word (k = 0..4) times this lands on bit 56 + k, and no two other products share a
# bit or carry into bits 56..63: the five parities of ``_check_digits`` gathered into one byte.
_GATHER = sum(1 << (56 - 7 * k) for k in range(5))
# ``_spread``: (mask of the low part, mask of the shifted high part, shift) per step; 40 bits
# as 2 x 20, then 4 x 10 bits, each group of two digits in the low bits of its 16-bit lane.
_SPREAD = (
    (0x00000000000FFFFF, 0x000FFFFF00000000, 12),
    (0x000003FF000003FF, 0x03FF000003FF0000, 6),
)


class _Workspace:
    """The arrays of a pass of ``_code_words`` and the text buffers of ``encode_many`` and
    ``code_lines``, kept per thread and reused from call to call (fresh buffers of this size
    are ``mmap``ed and paged in anew on every call: filling a fresh 1.1 MB took ~1.6 ms on the
    issue-16 machine, a reused one ~40 us), and the thread's AES encryptors (~40 us each)."""

    def __init__(self, size: int) -> None:
        import numpy as np

        self.size = size
        self.block = np.empty((size, 2), dtype=">u8")  # the AES blocks, big-endian as AES reads them
        self.data = memoryview(self.block.view(np.uint8)).cast("B")
        self.result = bytearray(16 * size + 15)  # update_into wants a block of room to spare
        self.head = np.frombuffer(self.result, dtype=">u8", count=2 * size)[0::2]  # first 8 bytes of each output
        self.serials, self.left, self.right, self.f = np.empty((4, size), dtype=np.uint64)
        self.words, self.spread = np.empty((2, 2, size), dtype=np.uint64)
        self.iota = np.arange(size, dtype=np.uint64)
        self.counts = np.zeros((size, 8), dtype=np.uint8)  # columns 5..7 stay 0
        self._encryptors: dict[Cipher[modes.ECB], CipherContext] = {}
        self._lines = bytearray()
        self._csv: tuple[list[tuple[int, bytes]], bytearray] = ([], bytearray())

    def lines(self, count: int) -> bytearray:
        """At least ``count`` lines of 16 bytes and a newline; the newlines stay in place from call
        to call (kept for up to ``size`` lines: a larger range gets a buffer of its own)."""
        if len(self._lines) >= 17 * count:
            return self._lines
        lines = bytearray(b"0" * 16 + b"\n") * count
        if count <= self.size:
            self._lines = lines
        return lines

    def csv_text(self, groups: list[tuple[int, bytes]]) -> bytearray:
        """Rows laid out as ``groups`` ((rows, template) each) one after another, reused while the
        layout stays the same (every chunk of a batch's codes.csv after the first few): only the
        serials and the codes are written again. Built with ``bytearray *=`` in place: a
        temporary ``template * n`` of a MB cost ~40x more on the issue-16 machine. Kept for up
        to ``size`` rows: a larger range gets a buffer of its own."""
        if groups == self._csv[0]:
            return self._csv[1]
        text = bytearray()
        for n, template in groups:
            part = bytearray(template)
            part *= n
            if text:
                text += part
            else:
                text = part
        if sum(n for n, _ in groups) <= self.size:
            self._csv = (groups, text)
        return text

    def encryptor(self, cipher: Cipher[modes.ECB]) -> CipherContext:
        """The thread's encryptor of ``cipher``: ECB carries nothing from one call to the next as
        long as every call is whole blocks, as the rounds' are."""
        enc = self._encryptors.get(cipher)
        if enc is None:
            if len(self._encryptors) >= 4:
                self._encryptors.clear()
            enc = self._encryptors[cipher] = cipher.encryptor()
        return enc


_workspaces = threading.local()


def _workspace(count: int) -> _Workspace:
    """The thread's workspace, for passes of at least ``min(count, NUMPY_PASS)`` codes and at most
    ``NUMPY_PASS``: sized by the largest range asked for so far (see ``NUMPY_PASS``)."""
    ws: _Workspace | None = getattr(_workspaces, "ws", None)
    if ws is None or ws.size < min(count, NUMPY_PASS) or ws.size > NUMPY_PASS:
        ws = _workspaces.ws = _Workspace(min(count, NUMPY_PASS))
    return ws


def _code_words(
    keys: CodeKeys,
    version: int,
    batch: int,
    first: int,
    count: int,
    out: bytearray,
    columns: Sequence[int],
    stride: int,
) -> None:
    """Write the 16 ASCII characters of the codes of serials ``first .. first+count-1`` of
    ``batch`` into ``out``: code i at ``column + i * stride`` for each of ``columns`` (numpy
    needed; ranges checked by the callers).

    Per pass of ``NUMPY_PASS`` codes, in 64-bit words: the ten Feistel rounds (one AES-ECB call
    each); the check symbol as five parities (``_check_digits``); the 70-bit block with the
    version and the check as two 40-bit words, spread to two digits per 16-bit lane
    (``_spread``), each lane turned into its two characters by one table lookup (``_pairs``),
    and the words stored big-endian (first character first) straight into ``out``. About 80
    numpy calls a pass, none per code."""
    import numpy as np

    u = np.uint64
    # Each code's 16 characters as two 8-byte words (unaligned, ``stride`` apart), big-endian.
    sinks = [
        np.ndarray((count,), dtype=">u8", buffer=out, offset=column + k, strides=(stride,))
        for column in columns
        for k in (0, 8)
    ]
    ws = _workspace(count)
    pairs = _pairs()
    head_word = int.from_bytes(_HEAD + bytes((version, 0)), "big")  # the round number in byte 7
    low = HALF_BITS - TAG_BITS  # serial bits that fall in the right half
    top35 = u(64 - HALF_BITS)
    enc = ws.encryptor(keys.cipher(version))
    for start in range(0, count, ws.size):
        m = min(ws.size, count - start)
        serials, left, right, f, head = (a[:m] for a in (ws.serials, ws.left, ws.right, ws.f, ws.head))
        block, data, words, spare = ws.block[:m], ws.data[: 16 * m], ws.words[:, :m], ws.spread[:, :m]
        np.add(ws.iota[:m], u(first + start), out=serials)
        # 70-bit plaintexts do not fit a uint64: build the two 35-bit halves directly.
        np.right_shift(serials, u(low), out=left)
        left |= u(batch << (SERIAL_BITS - low))
        np.bitwise_and(serials, u((1 << low) - 1), out=right)
        right <<= u(TAG_BITS)
        block[:, 0] = head_word
        round_byte, half_column = block.view(np.uint8)[:, 7], block[:, 1]
        for rnd in range(ROUNDS):
            round_byte.fill(rnd)
            np.copyto(half_column, right)
            enc.update_into(data, ws.result)
            np.copyto(f, head)
            f >>= top35  # the first 5 bytes, >> 5: 35 bits
            left ^= f
            left, right = right, left
        np.bitwise_or(left, u(version << HALF_BITS), out=words[0])
        np.left_shift(right, u(5), out=words[1])
        words[1] |= _check_digits(version, left, right, spare, ws.counts[:m], serials)
        _spread(words, spare)
        for word, chars in zip(words, spare, strict=True):
            np.take(pairs, word.view(np.uint16), out=chars.view(np.uint16), mode="wrap")
        for k, sink in enumerate(sinks):
            np.copyto(sink[start : start + m], spare[k % 2])


_PAIRS: np.ndarray | None = None


def _pairs() -> np.ndarray:
    """(1024,) uint16: two digits (the first in bits 5-9, the second in bits 0-4) -> their two
    characters, the first in the high byte (written big-endian, it comes first)."""
    import numpy as np

    global _PAIRS
    if _PAIRS is None:
        chars = np.frombuffer(ALPHABET.encode(), dtype=np.uint8).astype(np.uint16)
        values = np.arange(1024)
        _PAIRS = (chars[values >> 5] << 8) | chars[values & 31]
    return _PAIRS


def _check_digits(
    version: int, left: np.ndarray, right: np.ndarray, t: np.ndarray, counts: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """``out`` (m,) uint64: the check symbol of each block (halves ``left``, ``right``). Scratch:
    ``t`` (2, m) uint64, ``counts`` (m, 8) uint8 with columns 5..7 zero.

    Bit k of the check is the parity of the block's bits under ``_check_masks()[k]``: per bit the
    masked halves XORed and ``bitwise_count``ed into byte k of each code's word (arrays of one
    code each, which stay in the CPU cache: (5, m) arrays ran slower), then the five low bits
    gathered into one byte by one multiply (``_GATHER``)."""
    import numpy as np

    global _MASKS
    if _MASKS is None:
        _MASKS = [(np.uint64(left_mask), np.uint64(right_mask)) for left_mask, right_mask in _check_masks()]
    for k, (left_mask, right_mask) in enumerate(_MASKS):
        np.bitwise_and(left, left_mask, out=t[0])
        np.bitwise_and(right, right_mask, out=t[1])
        t[0] ^= t[1]
        np.bitwise_count(t[0], out=counts[:, k])
    np.bitwise_and(counts.view(np.uint64)[:, 0], np.uint64(0x0101010101), out=out)
    out *= np.uint64(_GATHER)
    out >>= np.uint64(56)
    out ^= np.uint64(_MUL_TABLE[0][version])  # the version's share (weight x^15)
    return out


_MASKS: list[tuple[np.uint64, np.uint64]] | None = None


def _spread(word: np.ndarray, t: np.ndarray) -> None:
    """In place: each 40-bit value of ``word`` (uint64) as four 10-bit values (two 5-bit digits
    each), one to a 16-bit lane, the least significant in the lowest lane; ``t`` scratch of the
    same shape."""
    import numpy as np

    u = np.uint64
    for low_mask, high_mask, shift in _SPREAD:
        np.left_shift(word, u(shift), out=t)
        t &= u(high_mask)
        word &= u(low_mask)
        word |= t
