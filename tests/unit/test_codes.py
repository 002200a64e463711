"""The code scheme: the contract printed on every label (DESIGN.md, "Code")."""

from __future__ import annotations

import hashlib
import itertools
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocop_stamps.codes import scheme as codes
from ocop_stamps.codes.scheme import ALPHABET, CodeKeys, InvalidCode, decode, encode, encode_many

KEYS = CodeKeys({1: bytes.fromhex("00112233445566778899aabbccddeeff"), 2: bytes(range(32))})
batches = st.integers(1, codes.MAX_BATCH)
serials = st.integers(1, codes.MAX_SERIAL)
versions = st.sampled_from([1, 2])


@given(versions, batches, serials)
def test_given_any_stamp_when_encoded_then_it_decodes_to_the_same_version_batch_and_serial(v, b, s):
    code = encode(KEYS, b, s, version=v)
    assert len(code) == 16 and set(code) <= set(ALPHABET)
    assert decode(KEYS, code) == codes.StampId(v, b, s)


@given(versions, batches, serials, st.sampled_from(["lower", "hyphens", "spaces", "o-for-0"]))
def test_given_a_code_typed_loosely_when_decoded_then_it_is_still_recognised(v, b, s, style):
    code = encode(KEYS, b, s, version=v)
    typed = {
        "lower": code.lower(),
        "hyphens": codes.group(code),
        "spaces": " ".join(codes.group(code).split("-")),
        "o-for-0": code.replace("0", "O").replace("1", "l"),
    }[style]
    assert decode(KEYS, typed) == codes.StampId(v, b, s)


@given(st.tuples(versions, batches, serials), st.tuples(versions, batches, serials))
def test_given_two_different_stamps_when_encoded_then_their_codes_differ(a, b):
    if a != b:
        assert encode(KEYS, a[1], a[2], version=a[0]) != encode(KEYS, b[1], b[2], version=b[0])


def test_given_many_stamps_across_batches_and_key_versions_then_no_two_codes_collide():
    seen = set()
    for v in (1, 2):
        for b in (1, 2, 3, 1000, codes.MAX_BATCH):
            seen.update(encode_many(KEYS, b, 1, 20_000, version=v))
    assert len(seen) == 2 * 5 * 20_000


@settings(max_examples=200)
@given(versions, batches, serials, st.integers(0, 15), st.integers(1, 31))
def test_given_any_single_character_substitution_then_the_check_symbol_rejects_it(v, b, s, pos, delta):
    code = encode(KEYS, b, s, version=v)
    wrong = ALPHABET[(ALPHABET.index(code[pos]) + delta) % 32]
    typo = code[:pos] + wrong + code[pos + 1 :]
    with pytest.raises(InvalidCode) as err:
        decode(KEYS, typo)
    assert err.value.reason == "check symbol mismatch"


@settings(max_examples=200)
@given(versions, batches, serials, st.integers(0, 14))
def test_given_any_adjacent_transposition_then_the_check_symbol_rejects_it(v, b, s, pos):
    code = encode(KEYS, b, s, version=v)
    if code[pos] == code[pos + 1]:
        return  # swapping equal characters changes nothing
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    with pytest.raises(InvalidCode) as err:
        decode(KEYS, swapped)
    assert err.value.reason == "check symbol mismatch"


def test_every_substitution_and_transposition_of_one_code_exhaustively():
    code = encode(KEYS, 42, 4242)
    for pos in range(16):
        for ch in ALPHABET:
            if ch != code[pos]:
                with pytest.raises(InvalidCode):
                    decode(KEYS, code[:pos] + ch + code[pos + 1 :])
    for pos in range(15):
        if code[pos] != code[pos + 1]:
            with pytest.raises(InvalidCode):
                decode(KEYS, code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :])


@given(st.text(alphabet=ALPHABET, min_size=15, max_size=15))
def test_given_a_random_code_with_a_valid_check_symbol_then_it_is_almost_never_accepted(body):
    digits = [ALPHABET.index(c) for c in body]
    forged = body + ALPHABET[codes.check_symbol(digits)]
    # 26 tag bits: a random forgery passes with odds 2^-26; hypothesis' few hundred
    # tries never should. (Forgeries that name an unknown key version fail earlier.)
    with pytest.raises(InvalidCode):
        decode(KEYS, forged)


def test_given_codes_of_one_batch_then_holding_them_reveals_no_pattern_in_the_next():
    run = encode_many(KEYS, 7, 1, 1000)
    # Consecutive serials share no visible structure beyond the version character.
    shared = [sum(a == b for a, b in zip(x[1:], y[1:], strict=True)) for x, y in itertools.pairwise(run)]
    assert max(shared) < 8 and sum(shared) / len(shared) < 1.5


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "wrong length"),
        ("ABC", "wrong length"),
        ("1" * 17, "wrong length"),
        ("1234567890ABCDE!", "character outside the code alphabet"),
        ("123456789OABCDEU", "character outside the code alphabet"),
        ("x" * 100, "too long"),
    ],
)
def test_given_a_malformed_code_then_it_is_rejected_with_a_reason(raw, reason):
    with pytest.raises(InvalidCode) as err:
        decode(KEYS, raw)
    assert err.value.reason == reason


def test_given_a_code_of_a_key_version_we_do_not_hold_then_it_is_rejected():
    other = CodeKeys({5: bytes(16)})
    code = encode(other, 1, 1)
    with pytest.raises(InvalidCode):
        decode(KEYS, code)


def test_given_a_rotated_key_then_codes_of_the_old_version_still_decode():
    old = CodeKeys({1: bytes.fromhex("00112233445566778899aabbccddeeff")})
    printed = encode(old, 9, 99)
    assert printed[0] == "1"
    assert KEYS.current == 2 and encode(KEYS, 9, 99)[0] == "2"
    assert decode(KEYS, printed) == codes.StampId(1, 9, 99)


@given(versions, batches, st.integers(1, codes.MAX_SERIAL - 300), st.integers(0, 300))
@settings(max_examples=50)
def test_bulk_encoding_is_identical_to_single_encoding(v, b, first, count):
    bulk = encode_many(KEYS, b, first, count, version=v)
    assert bulk == [encode(KEYS, b, s, version=v) for s in range(first, first + count)]


# Two bulk paths (issue 10): numpy for large ranges where the print layer provides it, plain
# Python for small ranges and wherever numpy is missing. They must give the same codes.
@given(versions, batches, st.integers(1, codes.MAX_SERIAL - 600), st.integers(1, 600))
@settings(max_examples=60, deadline=None)
def test_given_any_range_when_encoded_by_the_plain_and_the_numpy_path_then_the_codes_are_identical(v, b, first, n):
    plain = codes._encode_many_python(KEYS, v, b, first, n)
    vectorised = codes._encode_many_numpy(KEYS, v, b, first, n)
    assert plain == vectorised
    assert plain[:: max(1, n // 7)] == [encode(KEYS, b, s, version=v) for s in range(first, first + n, max(1, n // 7))]


def test_given_the_edges_of_the_code_space_when_encoded_by_both_paths_then_identical():
    for b, first, n in [(1, 1, 300), (codes.MAX_BATCH, codes.MAX_SERIAL - 299, 300), (2**23, 2**19 - 150, 300)]:
        for v in (1, 2):
            assert codes._encode_many_python(KEYS, v, b, first, n) == codes._encode_many_numpy(KEYS, v, b, first, n)


def test_given_a_large_range_when_numpy_is_missing_then_encode_many_falls_back_to_plain_python(monkeypatch):
    expected = codes._encode_many_numpy(KEYS, 2, 9, 1, 3 * codes.NUMPY_MIN_COUNT)

    def no_numpy(*_args):
        raise AssertionError("the numpy path must not run")

    monkeypatch.setattr(codes, "_numpy_found", False)
    monkeypatch.setattr(codes, "_encode_many_numpy", no_numpy)
    assert encode_many(KEYS, 9, 1, 3 * codes.NUMPY_MIN_COUNT) == expected


def test_given_a_small_range_when_encoded_then_numpy_is_never_asked_for(monkeypatch):
    def no_numpy(*_args):
        raise AssertionError("a small range must not touch numpy")

    monkeypatch.setattr(codes, "_numpy_available", no_numpy)
    monkeypatch.setattr(codes, "_encode_many_numpy", no_numpy)
    n = codes.NUMPY_MIN_COUNT - 1
    assert encode_many(KEYS, 3, 5, n) == [encode(KEYS, 3, s) for s in range(5, 5 + n)]


def test_given_out_of_range_batch_or_serial_then_encoding_refuses():
    for b, s in [(0, 1), (1, 0), (codes.MAX_BATCH + 1, 1), (1, codes.MAX_SERIAL + 1)]:
        with pytest.raises(ValueError):
            encode(KEYS, b, s)
    with pytest.raises(ValueError):
        encode_many(KEYS, 1, codes.MAX_SERIAL, 2)


# The numpy path works in passes of NUMPY_PASS codes (issue 16): with passes of 1 to 50 codes
# every range crosses pass boundaries, and must still be the plain path's codes.
@given(versions, batches, st.integers(1, codes.MAX_SERIAL - 400), st.integers(1, 400), st.integers(1, 50))
@settings(max_examples=40, deadline=None)
def test_given_any_pass_size_when_a_range_is_encoded_by_numpy_then_it_is_the_plain_paths_codes(v, b, first, n, size):
    saved = codes.NUMPY_PASS
    codes.NUMPY_PASS = size
    try:
        vectorised = codes._encode_many_numpy(KEYS, v, b, first, n)
    finally:
        codes.NUMPY_PASS = saved
    assert vectorised == codes._encode_many_python(KEYS, v, b, first, n)


def test_given_a_range_of_several_full_passes_when_encoded_then_identical_to_single_encoding():
    n = 2 * codes.NUMPY_PASS + 3
    bulk = encode_many(KEYS, 77, 1000, n, version=2)
    assert bulk == codes._encode_many_python(KEYS, 2, 77, 1000, n)
    assert bulk[:: n // 9] == [encode(KEYS, 77, s, version=2) for s in range(1000, 1000 + n, n // 9)]


def _lines_one_by_one(v: int, b: int, first: int, n: int, pieces: tuple[str, ...]) -> str:
    return "".join(
        str(s) + "".join(p + encode(KEYS, b, s, version=v) for p in pieces[:-1]) + pieces[-1]
        for s in range(first, first + n)
    )


PIECES = (",", ",https://tem.example.vn/01/08930000000019/21/", ",42,prod_Chè Thái\r\n")


# codes.csv rows are assembled as bytes on the numpy path (issue 16): the same text as one
# f-string per code, across serial widths (9 -> 10, ..., 999,999 -> 1,000,000) and with
# non-ASCII pieces.
@given(versions, batches, st.sampled_from([1, 5, 95, 990, 9_990, 99_990, 999_990, codes.MAX_SERIAL - 300]))
@settings(max_examples=20, deadline=None)
def test_given_a_range_when_written_as_lines_then_each_line_is_the_serial_and_its_code_between_the_pieces(v, b, first):
    n = min(codes.NUMPY_MIN_COUNT + 30, codes.MAX_SERIAL - first + 1)
    expected = _lines_one_by_one(v, b, first, n, PIECES)
    assert codes.code_lines(KEYS, b, first, n, PIECES, version=v) == expected  # numpy path
    small = min(40, n)  # the plain path
    assert codes.code_lines(KEYS, b, first, small, PIECES, version=v) == _lines_one_by_one(v, b, first, small, PIECES)


def test_given_no_numpy_when_lines_are_written_then_the_plain_path_gives_the_same_text(monkeypatch):
    n = codes.NUMPY_MIN_COUNT + 5
    expected = codes.code_lines(KEYS, 9, 95, n, PIECES, version=1)
    monkeypatch.setattr(codes, "_numpy_found", False)
    assert codes.code_lines(KEYS, 9, 95, n, PIECES, version=1) == expected == _lines_one_by_one(1, 9, 95, n, PIECES)


def test_given_out_of_range_serials_or_too_few_pieces_when_lines_are_asked_then_refused():
    for b, first, n in [(0, 1, 300), (1, codes.MAX_SERIAL - 10, 300), (1, 0, 300)]:
        with pytest.raises(ValueError):
            codes.code_lines(KEYS, b, first, n, PIECES)
    with pytest.raises(ValueError):
        codes.code_lines(KEYS, 1, 1, 300, ("only one",))


# --- issue 16, second pass: the numpy path in 64-bit words and one translate + split ----------
# Printed labels never change (DESIGN.md, "Code"): these codes and digests were computed with
# the encoder on main before the rewrite (commit 30ccda4), and must stay exactly these.
GOLDEN = {
    (1, 1, 1): "1V5A8GRQ049FX92F",
    (1, codes.MAX_BATCH, codes.MAX_SERIAL): "1RFB1V37F5DBCB6R",
    (2, 42, 1): "2Q4XKVANNNMF67DC",
    (2, 42, codes.MAX_SERIAL): "2KCGKF4HQEA1G8FC",
}
GOLDEN_RANGES = {
    (1, 42, 1, 20_000): "4f158bd43f5aab896f0b6905b4a76af5e11ed9fddca02702608659049b11ed05",
    (
        2,
        codes.MAX_BATCH,
        codes.MAX_SERIAL - 19_999,
        20_000,
    ): "7240a332f2b3e8483c0b2366524e47a86f3a2700a823ecabc9b61fb63ba9571f",
}


def test_given_the_keys_of_the_golden_codes_when_encoded_by_every_path_then_the_printed_codes_are_unchanged():
    for (v, b, s), printed in GOLDEN.items():
        assert encode(KEYS, b, s, version=v) == printed
        assert codes._encode_many_numpy(KEYS, v, b, s, 1) == [printed]
    for (v, b, first, n), digest in GOLDEN_RANGES.items():
        bulk = encode_many(KEYS, b, first, n, version=v)
        assert hashlib.sha256("\n".join(bulk).encode()).hexdigest() == digest
        assert bulk[0] == encode(KEYS, b, first, version=v) and bulk[-1] == encode(KEYS, b, first + n - 1, version=v)


# Every key version the alphabet allows at its ends (0 and 31), AES-128 and AES-256 keys.
ALL_VERSIONS = CodeKeys({0: bytes(range(100, 116)), 1: KEYS._keys[1], 2: KEYS._keys[2], 31: bytes(range(200, 232))})


def _ranges() -> list[tuple[int, int, int]]:
    """(batch, first, count): the edges of the code space and of the passes, and random ones."""
    rng = random.Random(16)
    edge_batches = [1, 2, 2**23 - 1, 2**23, codes.MAX_BATCH - 1, codes.MAX_BATCH]
    out = []
    for b in edge_batches:
        out += [(b, 1, 1), (b, 1, 700), (b, codes.MAX_SERIAL, 1), (b, codes.MAX_SERIAL - 699, 700)]
    out += [(7, 2**19 - 350, 700), (9, 511, 3), (9, 1, codes.NUMPY_PASS + 257)]
    for _ in range(25):
        n = rng.choice([1, 2, 17, 255, 256, 1000, 4097])
        out.append((rng.randint(1, codes.MAX_BATCH), rng.randint(1, codes.MAX_SERIAL - n + 1), n))
    return out


def test_given_many_batches_ranges_and_key_versions_when_encoded_by_numpy_then_each_code_is_the_references():
    for v in (0, 1, 2, 31):
        for b, first, n in _ranges():
            vectorised = codes._encode_many_numpy(ALL_VERSIONS, v, b, first, n)
            assert vectorised == codes._encode_many_python(ALL_VERSIONS, v, b, first, n), (v, b, first, n)
            step = max(1, n // 5)
            assert vectorised[::step] == [encode(ALL_VERSIONS, b, s, version=v) for s in range(first, first + n, step)]
            assert vectorised[-1] == encode(ALL_VERSIONS, b, first + n - 1, version=v)


def test_given_serial_zero_or_past_the_last_when_encoded_in_bulk_then_refused():
    for first, n in [(0, 1), (0, 300), (codes.MAX_SERIAL, 2), (codes.MAX_SERIAL - 298, 300)]:
        with pytest.raises(ValueError):
            encode_many(KEYS, 1, first, n)


def test_given_the_same_layout_chunk_after_chunk_when_lines_are_written_then_no_chunk_keeps_the_last_ones_text():
    # the rows' buffer is reused while the layout stays (serial width, pieces, count): only the
    # serials and codes are written again, so every byte of them must be written each time
    for v, first in [(1, 100_000), (2, 100_300), (2, 200_000), (1, 100_000)]:
        expected = _lines_one_by_one(v, 5, first, 300, PIECES)
        assert codes.code_lines(KEYS, 5, first, 300, PIECES, version=v) == expected
    wider = (";", "", "|" + "é" * 40 + "\n")  # two codes side by side, a longer tail
    assert codes.code_lines(KEYS, 5, 999_900, 300, wider, version=2) == _lines_one_by_one(2, 5, 999_900, 300, wider)


# The numpy path reuses a workspace per thread (arrays, AES blocks, encryptors): threads encoding
# at once, ranges growing and shrinking and key versions alternating must not see each other's.
def test_given_threads_encoding_at_once_when_compared_with_the_reference_then_every_code_is_right():
    jobs = [(v, b, first, n) for v in (1, 2) for b, first, n in [(5, 1, 3000), (6, 900_000, 700), (7, 10, 20_000)]]
    expected = {job: codes._encode_many_python(KEYS, *job) for job in jobs}

    def run(job: tuple[int, int, int, int]) -> bool:
        return all(codes._encode_many_numpy(KEYS, *job) == expected[job] for _ in range(3))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(run, jobs * 2))


def test_given_ranges_growing_and_shrinking_across_key_versions_when_encoded_then_each_is_the_references():
    for v, n in [(1, 300), (2, 5000), (1, 260), (31, 20_000), (0, 257), (2, 1)]:
        assert codes._encode_many_numpy(ALL_VERSIONS, v, 77, 33, n) == codes._encode_many_python(
            ALL_VERSIONS, v, 77, 33, n
        )
