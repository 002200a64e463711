"""QR codes for many label URLs at once, fast enough for a million labels.

Every URL of one print job has the same length and shape (same origin, same route, a
16-character code, maybe a GTIN), so every symbol has the same version, the same function
patterns and the same module order. This module builds that layout once with segno's own
ISO/IEC 18004 routines (``segno.encoder``), then does the per-code work with numpy over a
whole chunk of codes:

* data codewords: byte mode, terminator and pad codewords as segno writes them;
* Reed-Solomon error correction: the long division vectorised over all codes, one
  table lookup per data codeword;
* placement: one fancy-index assignment with the precomputed module order;
* mask selection: all eight masks are scored with the full ISO penalty rules (N1 runs,
  N2 blocks, N3 finder-like patterns, N4 balance) on rows and columns packed into 64-bit
  integers, and the lowest score wins -- the same choice segno makes, including segno's
  exact N3 scan. The mask search is what made segno slow (~300 symbols/s); here it is a
  few dozen bitwise numpy operations per chunk.

A test compares the matrices with ``segno.make`` module for module on a sample, and
decodes rendered symbols with an independent decoder (zxing-cpp).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from segno import consts
from segno import encoder as _enc

_CAPACITY: dict[int, dict[int, int]] = consts.SYMBOL_CAPACITY  # type: ignore[assignment]
_ECC: dict[int, dict[int, Any]] = consts.ECC  # type: ignore[assignment]
ErrorLevel = Literal["M", "Q", "H"]
"""The error-correction levels a print request may ask for (L is too weak for a label)."""
ERROR_LEVELS: dict[str, int] = {"M": consts.ERROR_LEVEL_M, "Q": consts.ERROR_LEVEL_Q, "H": consts.ERROR_LEVEL_H}
_BOOST_ORDER = [consts.ERROR_LEVEL_L, consts.ERROR_LEVEL_M, consts.ERROR_LEVEL_Q, consts.ERROR_LEVEL_H]
_ERROR_NAMES = {consts.ERROR_LEVEL_L: "L", **{v: k for k, v in ERROR_LEVELS.items()}}
QUIET_ZONE = 4  # modules of light margin on every side (ISO/IEC 18004 minimum)
_N3 = 40


@dataclass(frozen=True)
class QrLayout:
    """Everything that is the same for every symbol of one data length."""

    version: int
    error: int
    size: int  # modules per side, without the quiet zone
    data_length: int  # bytes of content
    header_bits: np.ndarray  # mode indicator + character count
    tail_bits: int  # terminator + padding bits after the data
    pad_codewords: np.ndarray
    blocks: tuple[tuple[int, int], ...]  # (data codewords, ecc codewords) per block
    interleave: np.ndarray  # column order of the final message
    positions: np.ndarray  # flat matrix index of each message bit, in placement order
    base: np.ndarray  # (size*size,) function patterns, reserved areas 0, data 0
    mask_rows: np.ndarray  # (8, size) uint64: mask bits on the encoding region, packed by row
    mask_cols: np.ndarray  # (8, size) uint64: the same, packed by column
    mask_full: np.ndarray  # (8, size*size) uint8
    info_index: np.ndarray  # flat index of format/version/dark modules
    info_values: np.ndarray  # (8, len(info_index)) their values for each mask

    @property
    def error_name(self) -> str:
        return _ERROR_NAMES[self.error]


def _count_bits(version: int) -> int:
    return 8 if version < 10 else 16


def choose_version(data_length: int, error: str = "M", *, boost: bool = True) -> tuple[int, int]:
    """The smallest version holding ``data_length`` bytes at ``error``, and the error level
    raised as far as that version allows (segno's ``boost_error``)."""
    level = ERROR_LEVELS[error]
    for version in range(1, 41):
        need = 4 + _count_bits(version) + 8 * data_length
        if _CAPACITY[version][level] >= need:
            if boost:
                for better in _BOOST_ORDER[_BOOST_ORDER.index(level) + 1 :]:
                    if _CAPACITY[version][better] >= need:
                        level = better
                    else:
                        break
            return version, level
    raise ValueError(f"{data_length} bytes do not fit a QR code at level {error}")


def _pack(bits: np.ndarray) -> np.ndarray:
    """(..., S) of 0/1 -> (...) uint64 with module j as bit j."""
    size = bits.shape[-1]
    padded = np.zeros((*bits.shape[:-1], 64), dtype=np.uint8)
    padded[..., :size] = bits
    return np.packbits(padded, axis=-1, bitorder="little").view(np.uint64)[..., 0]


@lru_cache(maxsize=16)
def layout(data_length: int, error: str = "M") -> QrLayout:
    version, level = choose_version(data_length, error)
    size = _enc.calc_matrix_size(version)
    if size > 64:
        raise ValueError("URLs this long are not supported on labels")
    matrix = _enc.make_matrix(size, size)
    _enc.add_finder_patterns(matrix, size, size)
    _enc.add_alignment_patterns(matrix, size, size)
    base = np.array([list(row) for row in matrix], dtype=np.uint8)
    free = base == 2
    # module order, exactly as segno.encoder.add_codewords walks the matrix
    order: list[int] = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(size):
            for z in range(2):
                j = right - z
                upwards = (right & 2) == 0
                upwards ^= j < 6
                i = (size - 1 - vertical) if upwards else vertical
                if free[i, j]:
                    order.append(i * size + j)
    base[free] = 0
    # encoding region: free modules, less the dark module (segno marks it as function)
    region = free.copy()
    region[size - 8, 8] = False
    functions = _enc.get_data_mask_functions(False)
    ii, jj = np.indices((size, size))
    masks = np.zeros((8, size, size), dtype=np.uint8)
    for m, fn in enumerate(functions):
        pattern = np.vectorize(lambda i, j, fn=fn: bool(fn(int(i), int(j))))(ii, jj)
        masks[m] = (pattern & region).astype(np.uint8)
    # format / version information and the dark module, per mask
    info_values = []
    info_index: np.ndarray | None = None
    for m in range(8):
        probe = tuple(bytearray([7] * size) for _ in range(size))
        _enc.add_format_info(probe, version, level, m)
        _enc.add_version_info(probe, version)
        arr = np.array([list(row) for row in probe], dtype=np.uint8).ravel()
        if info_index is None:
            info_index = np.flatnonzero(arr != 7)
        info_values.append(arr[info_index])
    assert info_index is not None
    # codewords
    capacity = _CAPACITY[version][level]
    header = [0, 1, 0, 0] + [(data_length >> k) & 1 for k in reversed(range(_count_bits(version)))]
    used = len(header) + 8 * data_length
    terminator = min(capacity - used, 4)
    # as segno writes it: 1 to 8 zero bits up to the next codeword boundary (a full zero
    # codeword when already aligned -- still valid, decoders stop at the terminator)
    # (segno then cuts the stream at the capacity, so a full symbol gets none)
    padding = min(8 - (used + terminator) % 8, capacity - used - terminator)
    data_cw = capacity // 8
    first_pad = (used + terminator + padding) // 8
    pad = np.array([0xEC if k % 2 == 0 else 0x11 for k in range(data_cw - first_pad)], dtype=np.uint8)
    blocks: list[tuple[int, int]] = []
    for ec in _ECC[version][level]:
        blocks += [(ec.num_data, ec.num_total - ec.num_data)] * ec.num_blocks
    # final message = data codewords interleaved across blocks, then ecc likewise
    data_cols: list[list[int]] = []
    ecc_cols: list[list[int]] = []
    offset = 0
    for nd, _ in blocks:
        data_cols.append(list(range(offset, offset + nd)))
        offset += nd
    for _, ne in blocks:
        ecc_cols.append(list(range(offset, offset + ne)))
        offset += ne
    interleave = [b[k] for k in range(max(len(b) for b in data_cols)) for b in data_cols if k < len(b)]
    interleave += [b[k] for k in range(max(len(b) for b in ecc_cols)) for b in ecc_cols if k < len(b)]
    message_bits = 8 * len(interleave)
    if message_bits > len(order):
        raise AssertionError("QR layout: message longer than the matrix")  # pragma: no cover
    return QrLayout(
        version=version,
        error=level,
        size=size,
        data_length=data_length,
        header_bits=np.array(header, dtype=np.uint8),
        tail_bits=terminator + padding,
        pad_codewords=pad,
        blocks=tuple(blocks),
        interleave=np.array(interleave, dtype=np.intp),
        positions=np.array(order[:message_bits], dtype=np.intp),  # remainder bits stay 0
        base=base.ravel(),
        mask_rows=_pack(masks),
        mask_cols=_pack(masks.transpose(0, 2, 1)),
        mask_full=masks.reshape(8, -1),
        info_index=info_index,
        info_values=np.array(info_values, dtype=np.uint8),
    )


@lru_cache(maxsize=64)
def _rs_table(ecc_len: int) -> np.ndarray:
    """MUL[c] = c * generator (without its leading 1), for every byte c."""
    exp = np.array(consts.GALIOS_EXP, dtype=np.uint8)
    log = np.array(consts.GALIOS_LOG, dtype=np.int64)
    gen = np.array(consts.GEN_POLY[ecc_len], dtype=np.int64)
    table = np.zeros((256, ecc_len), dtype=np.uint8)
    for c in range(1, 256):
        table[c] = exp[(log[c] + gen) % 255]
    return table


def _ecc(data: np.ndarray, ecc_len: int) -> np.ndarray:
    table = _rs_table(ecc_len)
    rem = np.zeros((data.shape[0], ecc_len), dtype=np.uint8)
    for k in range(data.shape[1]):
        coef = data[:, k] ^ rem[:, 0]
        rem[:, :-1] = rem[:, 1:]
        rem[:, -1] = 0
        rem ^= table[coef]
    return rem


def _popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x).astype(np.int64).sum(axis=-1)


def _line_penalties(lines: np.ndarray, size: int) -> np.ndarray:
    """N1 + N3 of packed lines (..., size) uint64, as segno scores them."""
    full = np.uint64((1 << size) - 1)
    one = np.uint64(1)

    def shr(x: np.ndarray, k: int) -> np.ndarray:
        return x >> np.uint64(k)

    def shl(x: np.ndarray, k: int) -> np.ndarray:
        return (x << np.uint64(k)) & full

    # N1: runs of >= 5 equal modules score run - 2 = (windows of 5) + 2 per run
    eq = ~(lines ^ shr(lines, 1)) & np.uint64((1 << (size - 1)) - 1)
    win = eq & shr(eq, 1) & shr(eq, 2) & shr(eq, 3)
    starts = win & ~shl(eq, 1)
    n1 = _popcount(win) + 2 * _popcount(starts)
    # N3: 1011101 with 4 light modules before or after it (or at either edge)
    inv = ~lines & full
    match = lines & shr(inv, 1) & shr(lines, 2) & shr(lines, 3) & shr(lines, 4) & shr(inv, 5) & shr(lines, 6)
    match &= np.uint64((1 << (size - 6)) - 1)
    dark_before = shl(lines, 1) | shl(lines, 2) | shl(lines, 3) | shl(lines, 4)
    dark_after = shr(lines, 7) | shr(lines, 8) | shr(lines, 9) | shr(lines, 10)
    edges = one | (one << np.uint64(size - 7))
    valid = match & ((~dark_before | ~dark_after) | edges)
    # segno resumes its search 7 modules after a counted pattern, 4 after a rejected one:
    # a match 4 or 6 modules after a counted one is never looked at.
    examined = np.full(lines.shape, full, dtype=np.uint64)
    for _ in range(size):
        counted = valid & examined
        new = full & ~(shl(counted, 4) | shl(counted, 6))
        if np.array_equal(new, examined):
            break
        examined = new
    n3 = _N3 * _popcount(valid & examined)
    return n1 + n3


def _penalties(rows: np.ndarray, cols: np.ndarray, size: int) -> np.ndarray:
    """Total penalty of (..., size) packed rows and columns of the same symbols."""
    score = _line_penalties(rows, size) + _line_penalties(cols, size)
    # N2: 2x2 blocks of one colour, 3 each
    full = np.uint64((1 << (size - 1)) - 1)
    one = np.uint64(1)
    h_eq = ~(rows ^ (rows >> one)) & full
    v_eq = ~(rows[..., :-1] ^ rows[..., 1:]) & full
    blocks = h_eq[..., :-1] & h_eq[..., 1:] & v_eq
    score += 3 * _popcount(blocks)
    # N4: balance of dark and light
    dark = _popcount(rows)
    percent = dark / float(size * size)
    score += 10 * (np.abs(percent * 100 - 50) / 5).astype(np.int64)
    return score


def encode_matrices(contents: Sequence[bytes], error: str = "M") -> tuple[QrLayout, np.ndarray]:
    """QR matrices (n, size, size) of 0/1, no quiet zone, for contents of one length."""
    if not contents:
        raise ValueError("nothing to encode")
    length = len(contents[0])
    if any(len(c) != length for c in contents):
        raise ValueError("encode_matrices needs contents of one length; group them first")
    lay = layout(length, error)
    n = len(contents)
    data = np.frombuffer(b"".join(contents), dtype=np.uint8).reshape(n, length)
    bits = np.concatenate(
        [
            np.broadcast_to(lay.header_bits, (n, lay.header_bits.size)),
            np.unpackbits(data, axis=1),
            np.zeros((n, lay.tail_bits), dtype=np.uint8),
        ],
        axis=1,
    )
    codewords = np.concatenate(
        [np.packbits(bits, axis=1), np.broadcast_to(lay.pad_codewords, (n, lay.pad_codewords.size))], axis=1
    )
    parts = []
    ecc_parts = []
    offset = 0
    for nd, ne in lay.blocks:
        block = codewords[:, offset : offset + nd]
        parts.append(block)
        ecc_parts.append(_ecc(block, ne))
        offset += nd
    message = np.concatenate(parts + ecc_parts, axis=1)[:, lay.interleave]
    flat = np.broadcast_to(lay.base, (n, lay.base.size)).copy()
    flat[:, lay.positions] = np.unpackbits(message, axis=1)
    size = lay.size
    square = flat.reshape(n, size, size)
    rows = _pack(square)[:, None, :] ^ lay.mask_rows[None]
    cols = _pack(square.transpose(0, 2, 1))[:, None, :] ^ lay.mask_cols[None]
    best = np.argmin(_penalties(rows, cols, size), axis=1)
    flat ^= lay.mask_full[best]
    flat[:, lay.info_index] = lay.info_values[best]
    return lay, flat.reshape(n, size, size)


def encode_urls(urls: Sequence[str], error: str = "M") -> tuple[QrLayout, np.ndarray]:
    return encode_matrices([u.encode("utf-8") for u in urls], error)
