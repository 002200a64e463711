"""QR codes for many label URLs at once, fast enough for a million labels.

Every URL of one print job has the same length and shape (same origin, same route, a
16-character code, maybe a GTIN), so every symbol has the same version, the same function
patterns and the same module order. This module builds that layout once with segno's own
ISO/IEC 18004 routines (``segno.encoder``), then does the per-code work with numpy over a
group of codes, the codes innermost (every step is an operation over rows of ``GROUP``
values; numpy runs those fastest):

* data codewords: byte mode, terminator and pad codewords as segno writes them (the
  content shifted 4 bits into a template of the empty content's codewords);
* Reed-Solomon error correction: the remainder is linear, so one table lookup per data
  codeword and an XOR reduction;
* placement: each module of the rows and of the columns gathered from the message bits
  (or a function-pattern constant), packed eight symbols to a 64-bit word;
* mask selection: all eight masks are scored with the penalty rules of ISO/IEC
  18004:2015 §7.8.3.1 (N1 runs, N2 blocks, N3 finder-like patterns, N4 balance; Table 11)
  exactly as segno 1.6 scores them, its N3 scan included, and the lowest score wins --
  the same choice segno makes. The mask search is what made segno slow (~200 symbols/s);
  here it is ~35 bitwise numpy operations on 32-bit words of module changes (``_penalties``).

A test compares the matrices with ``segno.make`` module for module on a sample, and
decodes rendered symbols with an independent decoder (zxing-cpp).
"""

from __future__ import annotations

import math
import threading
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
_N3 = 40  # ISO/IEC 18004:2015 Table 11: points per finder-like pattern
# Symbols encoded together: the mask scoring's arrays (8 masks x rows and columns of every
# symbol) stay in the CPU cache up to a few hundred symbols; 1,000 at once ran 2.4x slower
# (issue 16, docs/PERFORMANCE.md). A multiple of 8 (eight symbols a 64-bit word).
GROUP = 256


@dataclass(frozen=True)
class QrLayout:
    """Everything that is the same for every symbol of one data length."""

    version: int
    error: int
    size: int  # modules per side, without the quiet zone
    data_length: int  # bytes of content
    template: np.ndarray  # data codewords of empty content: header, terminator, padding
    head: int  # the codeword whose low 4 bits hold the content's first 4
    blocks: tuple[tuple[int, int], ...]  # (data codewords, ecc codewords) per block
    gather_rows: np.ndarray  # (size * width,) per module (i, j < width): its bit, or a constant
    gather_cols: np.ndarray  # (size * width,) the same for module (j, i): the columns
    final_rows: np.ndarray  # (8, size) uint64: XORed into a symbol's rows under each mask,
    # the mask on the encoding region and the format/version information (and dark module)
    mask_d: np.ndarray  # (size, 8, 2) the masks' line words (``_line_words``): changes
    mask_p: np.ndarray  # (size, 8, 2) the same: modules

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
    # the information modules hold constants before masking (the base's): XOR them to their values
    flat = masks.reshape(8, -1).copy()
    flat[:, info_index] ^= base.ravel()[info_index] ^ np.array(info_values, dtype=np.uint8)
    final = flat.reshape(8, size, size)
    mask_d, mask_p = _line_words(_pack(masks).T, _pack(masks.transpose(0, 2, 1)).T, size)
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
    pad = [0xEC if k % 2 == 0 else 0x11 for k in range(data_cw - first_pad)]
    # the content starts 4 bits into codeword len(header) // 8 (a 12- or 20-bit header)
    assert len(header) % 8 == 4
    stream = header + [0] * (8 * data_length + terminator + padding)
    template = np.concatenate([np.packbits(np.array(stream, dtype=np.uint8)), np.array(pad, dtype=np.uint8)])
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
    positions = np.array(order[:message_bits], dtype=np.intp)  # remainder bits stay 0
    # the interleaving folded into the module order: bit b of codeword c (data blocks, then
    # ECC blocks, as computed) goes where bit b of its interleaved position goes
    placement = np.empty(message_bits, dtype=np.intp)
    placement[(8 * np.array(interleave)[:, None] + np.arange(8)).ravel()] = positions
    # the matrix as a gather from [message bits..., 0, 1]: each module's bit, or a constant
    # (function patterns, remainder bits 0); rows and columns padded to whole bytes with 0
    source = base.ravel().astype(np.intp) + message_bits
    source[placement] = np.arange(message_bits)
    width = 8 * -(-size // 8)
    square = np.full((size, width), message_bits, dtype=np.intp)
    square[:, :size] = source.reshape(size, size)
    gather_cols = np.full((size, width), message_bits, dtype=np.intp)
    gather_cols[:, :size] = source.reshape(size, size).T
    return QrLayout(
        version=version,
        error=level,
        size=size,
        data_length=data_length,
        template=template,
        head=len(header) // 8,
        blocks=tuple(blocks),
        gather_rows=square.ravel(),
        gather_cols=gather_cols.ravel(),
        final_rows=_pack(final),
        mask_d=mask_d,
        mask_p=mask_p,
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


def _ecc_slow(data: np.ndarray, ecc_len: int) -> np.ndarray:
    """The Reed-Solomon remainder by long division, one data codeword at a time."""
    table = _rs_table(ecc_len)
    rem = np.zeros((data.shape[0], ecc_len), dtype=np.uint8)
    for k in range(data.shape[1]):
        coef = data[:, k] ^ rem[:, 0]
        rem[:, :-1] = rem[:, 1:]
        rem[:, -1] = 0
        rem ^= table[coef]
    return rem


@lru_cache(maxsize=64)
def _ecc_table(data_len: int, ecc_len: int) -> np.ndarray:
    """Row 256 k + c: the remainder of a block holding byte c at position k and zeros
    elsewhere, as little-endian uint64 words."""
    probe = np.zeros((data_len * 256, data_len), dtype=np.uint8)
    k, c = np.divmod(np.arange(data_len * 256), 256)
    probe[np.arange(data_len * 256), k] = c
    words = -(-ecc_len // 8)
    table = np.zeros((data_len * 256, 8 * words), dtype=np.uint8)
    table[:, :ecc_len] = _ecc_slow(probe, ecc_len)
    return table.view("<u8")  # (data_len * 256, words)


def _ecc(data: np.ndarray, ecc_len: int) -> np.ndarray:
    """Reed-Solomon error correction codewords (ecc_len, n) of n blocks (data_len, n).

    The remainder is linear over GF(2^8), whose addition is XOR: it is the XOR of the
    remainders of each codeword alone, looked up in a table -- one gather and one
    reduction over 64-bit words instead of a division step per codeword (issue 16)."""
    data_len = data.shape[0]
    table = _ecc_table(data_len, ecc_len)
    rows = data + (256 * np.arange(data_len, dtype=np.intp))[:, None]
    words = np.bitwise_xor.reduce(np.take(table, rows, axis=0), axis=0)  # (n, words)
    return words.view(np.uint8)[:, :ecc_len].T


def _word(size: int) -> type[np.unsignedinteger[Any]]:
    """The unsigned integer that holds a line's module changes (``size - 1`` bits) and its
    first modules: 32 bits up to version 4 (33 modules), 64 beyond. Numpy's bitwise
    operations cost per byte, so half-width words score twice as fast (issue 16)."""
    return np.uint32 if size <= 33 else np.uint64


def _line_words(rows: np.ndarray, cols: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Words ``(d, p)`` (size, N, 2) of N matrices' packed rows and columns (size, N) uint64
    (module j of a line as bit j): ``[i, k, 0]`` is row i of matrix k, ``[i, k, 1]`` column i. ``d`` bit j: modules j and
    j + 1 differ (j < size - 1); ``p`` bit j: module j is dark (j < the word's bits: a
    33-module line keeps its modules 0-31, module 32 is ``p`` bit 31 xor ``d`` bit 31).

    Both are linear over GF(2): the words of a masked line are the line's XOR the mask's."""
    u = np.uint64
    word = _word(size)
    lines = np.empty((size, rows.shape[1], 2), dtype=np.uint64)
    lines[:, :, 0], lines[:, :, 1] = rows, cols
    d = (lines ^ (lines >> u(1))) & u((1 << (size - 1)) - 1)
    p = lines & u((1 << min(size, 8 * np.dtype(word).itemsize)) - 1)
    return d.astype(word, order="C"), p.astype(word, order="C")


class _Work(threading.local):
    """Scratch arrays of the mask scoring, reused from one group of symbols to the next.

    Fresh ~1 MB numpy arrays come from ``mmap`` and are paged in anew each time: allocating
    them cost more than the bit operations done on them (issue 16). One set per thread, grown
    to the largest (group, size) seen; ``get`` hands out contiguous views of the size needed."""

    def __init__(self) -> None:
        self.key: tuple[int, int] = (0, 0)
        self.store: dict[str, np.ndarray] = {}

    def ready(self, n: int, size: int) -> _Work:
        if self.key[0] < n or self.key[1] != size:
            elements = size * n * 8 * 2  # lines x matrices (8 masks each) x (row, column)
            word = _word(size)
            dtypes: dict[str, Any] = {k: word for k in ("d", "p", "s1", "o", "o2", "t", "a", "b", "q")}
            dtypes |= {"c5": np.uint8, "c6": np.uint8, "c3": np.uint8, "cq": np.uint8}
            dtypes |= {"total": np.uint16, "x": np.uint16}
            self.store = {name: np.empty(elements, dtype=dt) for name, dt in dtypes.items()}
            self.key = (n, size)
        return self

    def get(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        return self.store[name][: math.prod(shape)].reshape(shape)


_WORK = _Work()


def _penalties(d: np.ndarray, p: np.ndarray, size: int, work: _Work) -> np.ndarray:
    """Penalty (N,) of N matrices, with the rules of ISO/IEC 18004:2015 §7.8.3.1 (Table 11)
    exactly as segno 1.6 scores them (``segno.encoder.mask_scores``).

    ``d`` and ``p`` are the (size, N, 2) words of ``_line_words``: every rule reads the
    module changes ``d`` (plus ``p`` where a colour matters), all lines of all matrices at
    once, one numpy operation per step. The rules (ISO/IEC 18004:2015 §7.8.3.1, Table 11;
    N1 = 3, N2 = 3, N3 = 40, N4 = 10), per row and per column:

    * N1, "adjacent modules in row/column in same color": N1 + i points for a run of 5 + i.
      A run of L >= 5 holds L - 4 windows of 5 equal modules and L - 5 of 6, so the rule is
      3 x windows of 5 - 2 x windows of 6.
    * N2, "block of modules in same color": N2 x (m - 1) x (n - 1) for an m x n block,
      counted as segno (and most encoders) count it, 3 per 2 x 2 block, blocks overlapping:
      rows i and i + 1 unchanged at j and of one colour at j.
    * N3, "1:1:3:1:1 (dark:light:dark:light:dark) pattern in row/column, preceded or followed
      by light area 4 modules wide": the changes 1 1 0 0 1 1 starting on a dark module; the
      light side read off ``p`` before the pattern and off ``d`` after it (beyond the edge
      counts as light, as in segno). segno looks for the next pattern 7 modules after a
      counted one, 4 after a rejected one: a pattern 4 or 6 modules after a counted one is
      not counted; those lines are rare and resolved one by one.
    * N4, "proportion of dark modules in entire symbol": N4 x k for 50 +- 5 (k + 1) %; the
      dark modules counted on the rows and the columns, the proportion computed as segno
      does in floating point (dark / modules x 100).

    Every step writes into the scratch arrays of ``work``. Popcounts take a row and its
    column as one 64-bit word when the words are 32-bit (issue 16)."""
    word = d.dtype.type
    shape = d.shape
    lines, n = shape[0], shape[1]
    pairs = word is np.uint32  # a row's and its column's words side by side = one uint64
    cshape = (lines, n) if pairs else shape
    s1, o, o2, t, a, b = (work.get(k, shape) for k in ("s1", "o", "o2", "t", "a", "b"))
    c5, c6, c3 = (work.get(k, cshape) for k in ("c5", "c6", "c3"))
    total, x = work.get("total", cshape), work.get("x", cshape)

    def count(bits: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.bitwise_count(bits.view(np.uint64).reshape(cshape) if pairs else bits, out=out)

    one = word(1)
    # N1: windows of 5 equal modules (no change in p..p+3, p <= size - 5) and of 6
    np.right_shift(d, one, out=s1)
    np.bitwise_or(d, s1, out=o)  # o, bit p: a change at p or p+1
    np.right_shift(o, word(2), out=o2)
    np.bitwise_or(o, o2, out=a)
    np.invert(a, out=a)
    a &= word((1 << (size - 4)) - 1)
    np.right_shift(a, one, out=b)
    b &= a
    count(a, c5)
    count(b, c6)
    np.multiply(c5, np.uint16(3), out=total)
    np.multiply(c6, np.uint16(2), out=x)
    total -= x  # never below 0: each run adds its length - 2
    # N3: changes at p, p+1, none at p+2, p+3, changes at p+4, p+5, and module p dark
    np.bitwise_and(d, s1, out=t)
    np.right_shift(t, word(4), out=s1)
    t &= s1
    t &= p
    np.invert(o2, out=o2)
    t &= o2
    # ... not counted if dark modules both among p-4..p-1 (two doublings of p) and among
    # p+7..p+10: module p+6 is dark, so p+7 is light when d changes at p+6, then no change
    # at p+7..p+9 (beyond the line d is 0: light); at either edge always counted
    np.left_shift(p, one, out=a)
    a |= p
    np.left_shift(a, word(2), out=b)
    a |= b
    a <<= one
    np.right_shift(d, word(6), out=b)
    np.invert(b, out=b)
    np.right_shift(o, word(7), out=o2)
    b |= o2
    np.right_shift(d, word(9), out=o2)
    b |= o2
    a &= b
    np.invert(a, out=a)
    a |= word(1 | (1 << (size - 7)))
    t &= a  # t = the counted patterns (before segno's resume rule)
    count(t, c3)
    np.multiply(c3, np.uint16(40), out=x)
    total += x
    # N2, rows only: no change at j in rows i and i+1, and one colour at j
    q = work.get("q", (lines - 1, n))
    np.bitwise_xor(p[:-1, :, 0], p[1:, :, 0], out=q)
    q |= d[:-1, :, 0]
    q |= d[1:, :, 0]
    np.invert(q, out=q)
    q &= word((1 << (size - 1)) - 1)
    blocks = np.bitwise_count(q, out=work.get("cq", q.shape))
    row_total, row_x = (total[:-1], x[:-1]) if pairs else (total[:-1, :, 0], x[:-1, :, 0])
    np.multiply(blocks, np.uint16(3), out=row_x)
    np.add(row_total, row_x, out=row_total)  # (a view of ``total``)
    score: np.ndarray = total.sum(axis=0, dtype=np.int32)
    if not pairs:
        score = score.sum(axis=-1)
    # N4: every module is in one row and one column; a 33-module line's words hold
    # modules 0-31, so the last row and column are added once more (their words' modules
    # 0-31 are counted once) and the last module (32, 32) from its row's words
    count(p, c5)
    dark: np.ndarray = c5.sum(axis=0, dtype=np.int32)
    if not pairs:
        dark = dark.sum(axis=-1)
    if size > 8 * np.dtype(word).itemsize:
        dark += c5[-1]
        dark //= 2
        dark += ((p[-1, :, 0] ^ d[-1, :, 0]) >> word(size - 2)).astype(np.int32)
    else:
        dark //= 2
    score += 10 * (np.abs(dark / float(size * size) * 100 - 50) / 5).astype(np.int32)
    # segno's resume rule: only lines with a counted pattern 4 or 6 modules after another
    # can lose one; they are rare, and resolved one by one
    np.left_shift(t, word(4), out=a)
    np.left_shift(t, word(6), out=b)
    a |= b
    a &= t
    # (np.flatnonzero of a bool array: ~8x faster than of an integer one)
    near = np.flatnonzero((a.view(np.uint64) if pairs else a).reshape(-1) != 0)
    if near.size:
        if pairs:  # the 64-bit words found: a row and its column, take each
            near = (2 * near[:, None] + np.arange(2)).ravel()
            near = near[a.reshape(-1)[near] != 0]
        valid, index = t.reshape(-1)[near], near // 2 % n
        if valid.size:
            examined = np.full(valid.shape, ~word(0), dtype=word)
            for _ in range(size):
                counted = valid & examined
                new = ~((counted << word(4)) | (counted << word(6)))
                if np.array_equal(new, examined):
                    break
                examined = new
            lost = np.bitwise_count(valid & ~examined).astype(np.int32)
            np.subtract.at(score, index, _N3 * lost)
    return score


def encode_matrices(contents: Sequence[bytes], error: str = "M") -> tuple[QrLayout, np.ndarray]:
    """QR matrices (n, size, size) of 0/1, no quiet zone, for contents of one length.

    Encoded ``GROUP`` symbols at a time (the CPU cache), into one array."""
    if not contents:
        raise ValueError("nothing to encode")
    length = len(contents[0])
    if any(len(c) != length for c in contents):
        raise ValueError("encode_matrices needs contents of one length; group them first")
    lay = layout(length, error)
    data = np.frombuffer(b"".join(contents), dtype=np.uint8).reshape(len(contents), length).T
    out = np.empty((len(contents), lay.size, lay.size), dtype=np.uint8)
    work = _WORK.ready(8 * -(-min(GROUP, len(contents)) // 8), lay.size)
    for start in range(0, len(contents), GROUP):
        _encode_group(lay, data[:, start : start + GROUP], out[start : start + GROUP], work)
    return lay, out


def _under_masks(words: np.ndarray, masks: np.ndarray, out: np.ndarray) -> None:
    """``out`` (size, 8, n, 2) = ``words`` (size, n, 2) of n symbols XOR ``masks`` (size, 8, 2).

    Symbols innermost, so that numpy runs long inner loops (a row's and its column's 32-bit
    words XORed as one 64-bit word)."""
    if words.dtype == np.uint32:
        np.bitwise_xor(words.view(np.uint64)[:, None, :, 0], masks.view(np.uint64), out=out.view(np.uint64)[..., 0])
    else:
        for side in (0, 1):
            np.bitwise_xor(words[:, None, :, side], masks[:, :, None, side], out=out[..., side])


_LANES = np.uint64(0x0101010101010101)  # bit 0 of each byte of a 64-bit word


def _unpacked(codewords: np.ndarray) -> np.ndarray:
    """The bits (8 c + t: bit t, most significant first, of codeword c) of codewords (c, n),
    n a multiple of 8, followed by a row of 0 and a row of 1: (8 c + 2, n) uint8.

    Eight symbols a 64-bit word (one a byte): a shift and a mask per bit."""
    count, n = codewords.shape
    out = np.empty((8 * count + 2, n), dtype=np.uint8)
    lanes = out[: 8 * count].view(np.uint64).reshape(count, 8, n // 8)
    words = codewords.view(np.uint64)
    for t in range(8):
        np.bitwise_and(words >> np.uint64(7 - t), _LANES, out=lanes[:, t])
    out[-2], out[-1] = 0, 1
    return out


def _packed(bits: np.ndarray, size: int) -> np.ndarray:
    """Lines (size, n) uint64, module j as bit j, of modules (size * width, n) of 0/1 (width
    a multiple of 8, modules past ``size`` 0; n a multiple of 8): eight symbols a 64-bit
    word for the bytes (a shift and an OR per bit), then a line's bytes into one word."""
    width = bits.shape[0] // size
    lanes = bits.view(np.uint64).reshape(size * width // 8, 8, -1)
    octets = lanes[:, 0].copy()
    for t in range(1, 8):
        octets |= lanes[:, t] << np.uint64(t)
    octets_by_line = octets.view(np.uint8).reshape(size, width // 8, -1)
    words = octets_by_line[:, 0].astype(np.uint64)
    for k in range(1, width // 8):
        words |= octets_by_line[:, k].astype(np.uint64) << np.uint64(8 * k)
    return words


def _encode_group(lay: QrLayout, data: np.ndarray, out: np.ndarray, work: _Work) -> None:
    """Matrices of ``data`` (data_length, n) uint8 into ``out`` (n, size, size), n <= ``GROUP``.

    Symbols innermost throughout: every step is a numpy operation over rows of n values,
    and gathers move whole rows (issue 16)."""
    length, n = data.shape
    if n % 8:  # eight symbols a 64-bit word: pad the group with empty content
        padded = np.zeros((length, n + 8 - n % 8), dtype=np.uint8)
        padded[:, :n] = data
        data, n = padded, padded.shape[1]
    size = lay.size
    # data codewords: the content shifted 4 bits into the template
    codewords = np.empty((lay.template.size, n), dtype=np.uint8)
    codewords[:] = lay.template[:, None]
    head = lay.head
    codewords[head : head + length] |= data >> np.uint8(4)
    codewords[head + 1 : head + length + 1] |= data << np.uint8(4)
    parts = []
    ecc_parts = []
    offset = 0
    for nd, ne in lay.blocks:
        block = codewords[offset : offset + nd]
        parts.append(block)
        ecc_parts.append(_ecc(block, ne))
        offset += nd
    source = _unpacked(np.concatenate(parts + ecc_parts))
    rows = _packed(np.take(source, lay.gather_rows, axis=0), size)
    cols = _packed(np.take(source, lay.gather_cols, axis=0), size)
    # the words of every row and column of each symbol under each mask: (size, 8, n, 2)
    changes, modules = _line_words(rows, cols, size)
    d, p = work.get("d", (size, 8, n, 2)), work.get("p", (size, 8, n, 2))
    _under_masks(changes, lay.mask_d, d)
    _under_masks(modules, lay.mask_p, p)
    scores = _penalties(d.reshape(size, 8 * n, 2), p.reshape(size, 8 * n, 2), size, work)
    best = np.argmin(scores.reshape(8, n), axis=0)
    # the chosen mask's rows, unpacked into the matrices (module j = bit j of the word)
    final = np.bitwise_xor(rows.T, lay.final_rows[best]).astype("<u8", copy=False)
    unpacked = np.unpackbits(final.view(np.uint8), axis=1, bitorder="little").reshape(n, size, 64)
    out[:] = unpacked[: len(out), :, :size]


def encode_urls(urls: Sequence[str], error: str = "M") -> tuple[QrLayout, np.ndarray]:
    return encode_matrices([u.encode("utf-8") for u in urls], error)
