"""Codes as people and phones send them (issue 11, kinds 3 and 4): separators, case, Unicode
forms, percent-encoding, and codes typed on a Vietnamese keyboard (Telex, VNI, VIQR), read back
to the printed code -- and never into another code. The keyboards are simulated by
tests/helpers/keyboards.py. No AWS here."""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.keyboards import METHODS, TELEX, VIQR, VNI, type_with
from ocop_stamps.codes import scheme, typed
from ocop_stamps.codes.scheme import ALPHABET, CodeKeys, InvalidCode, StampId, encode, encode_many, group
from ocop_stamps.codes.typed import KEYBOARD, PLAIN, REPAIRED, read

KEYS = CodeKeys({1: bytes.fromhex("00112233445566778899aabbccddeeff")})
codes = st.builds(lambda b, s: encode(KEYS, b, s), st.integers(1, scheme.MAX_BATCH), st.integers(1, scheme.MAX_SERIAL))
FORMS = {
    "printed": lambda c: c,
    "grouped": group,  # ABCD-EFGH-JKMN-PQR7, as under the QR
    "spaced": lambda c: " ".join(group(c).split("-")),
    "lower": str.lower,
}
VIETNAMESE_LETTERS = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"


MANY = encode_many(KEYS, 7, 1, 20_000)


def _code_with(pair: str) -> str:
    return next(c for c in MANY if pair in c)


def _code_typed_as(method: str, shown: str, keys: str = "") -> tuple[str, str]:
    """A code with ``keys`` in it that ``method`` turns into text showing ``shown``, and that text."""
    return next((c, t) for c in MANY if keys in c and shown in (t := type_with(method, c)))


# --- a Vietnamese keyboard ---------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(codes, st.sampled_from(METHODS), st.sampled_from(sorted(FORMS)))
def test_given_a_genuine_code_typed_on_a_vietnamese_keyboard_then_it_reads_back_to_itself(code, method, form):
    shown = FORMS[form](code)
    sent = type_with(method, shown)

    reading = read(sent, KEYS)

    if reading.code is None:  # a rare chain of rewrites the repair does not undo: ask to retype
        assert (reading.outcome, sent != shown) == (KEYBOARD, True)
    else:
        assert reading.code == code
        assert reading.stamp == scheme.decode(KEYS, code)
        assert reading.outcome == (PLAIN if sent == shown else REPAIRED)


@pytest.mark.parametrize("method", METHODS)
def test_given_thousands_of_codes_of_a_batch_typed_with_each_method_then_every_one_reads_back(method):
    rewritten, repaired = 0, 0
    for code in encode_many(KEYS, 42, 1, 1500):
        sent = type_with(method, group(code))
        if sent == group(code):
            continue
        rewritten += 1
        reading = read(sent, KEYS)
        assert reading.code in (code, None), (method, code, sent)
        repaired += reading.code == code
    assert rewritten > {TELEX: 650, VNI: 250, VIQR: 110}[method]  # the keyboards did rewrite them
    assert repaired >= 0.995 * rewritten, (repaired, rewritten)


@pytest.mark.parametrize(
    ("method", "shown"),
    [
        (TELEX, "Ê"),  # EE
        (TELEX, "Ă"),  # AW
        (TELEX, "Đ"),  # DD
        (TELEX, "Á"),  # AS
        (TELEX, "Ỵ"),  # YJ
        (TELEX, "Ư"),  # W
        (TELEX, "Ế"),  # EES, ESE
        (VNI, "Â"),  # A6
        (VNI, "É"),  # E1
        (VNI, "Đ"),  # D9
        (VNI, "Ạ"),  # A5
        (VNI, "Ấ"),  # A61, A16
        (VIQR, "Đ"),  # DD, or D- in a grouped code
    ],
)
def test_given_an_example_from_the_issue_then_the_accented_letter_reads_back_to_its_keys(method, shown):
    code, sent = _code_typed_as(method, shown)
    assert len(sent) < len(code)

    for text in (sent, sent.lower(), unicodedata.normalize("NFD", sent)):  # any case, NFC or NFD
        reading = read(text, KEYS)
        assert (reading.code, reading.outcome) == (code, REPAIRED)


@pytest.mark.parametrize(
    ("method", "keys", "shown"),
    [
        (TELEX, "ANS", "ÁN"),  # the tone key typed after the final consonant
        (TELEX, "AYF", "ÀY"),  # ... after the vowel group
        (TELEX, "EMJ", "ẸM"),
        (TELEX, "ASF", "À"),  # a second tone replaced the first
        (VNI, "AN1", "ÁN"),
        (VNI, "A12", "À"),
    ],
)
def test_given_a_tone_typed_late_or_replaced_then_the_code_reads_back(method, keys, shown):
    code, sent = _code_typed_as(method, shown, keys)

    assert (read(sent, KEYS).code, read(sent, KEYS).outcome) == (code, REPAIRED)


@pytest.mark.parametrize(
    ("method", "keys"),
    [
        (TELEX, "WW"),  # W -> Ư, W again -> W: one W is gone
        (TELEX, "ASS"),  # Á, then S again -> AS
        (TELEX, "ASZ"),  # Á, then Z takes the tone off -> A
        (VNI, "A66"),
        (VNI, "E10"),
    ],
)
def test_given_keys_that_left_no_accent_behind_then_the_lost_characters_are_found(method, keys):
    code, sent = next((c, t) for c in MANY if keys in c and (t := type_with(method, c)).isascii() and len(t) < 16)

    assert (read(sent, KEYS).code, read(sent, KEYS).outcome) == (code, REPAIRED)


def _twin(method: str, codes: list[str]) -> tuple[str, str, str]:
    """A code, what ``method`` makes of it, and another reading of that text that passes the
    check symbol too (so only the 26-bit tag tells them apart)."""
    for code in codes:
        sent = type_with(method, code)
        if sent.isascii():
            continue
        passing, _ = typed._checked_readings(typed._options(typed._letters(sent)))
        others = [r for r in passing if r != code]
        if others:
            return code, sent, others[0]
    raise AssertionError("no code with a twin reading")


def test_given_two_readings_that_are_both_codes_then_neither_is_chosen_and_the_keyboard_is_named(monkeypatch):
    code, sent, other = _twin(TELEX, MANY)
    genuine = {code: scheme.decode(KEYS, code), other: StampId(1, 7, 999)}

    def two_codes(keys: CodeKeys, text: str) -> StampId:  # as if the twin had been issued too
        if text in genuine:
            return genuine[text]
        raise InvalidCode("not issued by us")

    monkeypatch.setattr(typed, "decode", two_codes)
    reading = read(sent, KEYS)

    assert (reading.code, reading.outcome) == (None, KEYBOARD)
    assert reading.reason == "several keyboard readings are codes"


def test_given_accented_text_that_reads_as_no_code_then_the_keyboard_is_named():
    for text in ("ABCDÊFGH", "Xin chào các bạn", "1ỄỄ2ẶẶ3ỮỮ4ỢỢ5ỸỸ"):
        reading = read(text, KEYS)
        assert (reading.code, reading.outcome) == (None, KEYBOARD), text


def test_given_letters_no_vietnamese_keyboard_makes_then_an_ordinary_unknown_code():
    for text in ("中文中文", "ÄBCDEFGH12345678", "🙂"):
        reading = read(text, KEYS)
        assert (reading.code, reading.outcome, reading.reason) == (None, PLAIN, "character outside the code alphabet")


@pytest.mark.parametrize("text", ["ẾẾẾẾẾẾẾẾ", "Y79ÁACẶYY", "BFẰQAĂEC", "ẠẠẠẠẠẠẠẠẠẠẠẠẠẠẠ"])
def test_given_accented_text_with_too_many_readings_or_none_then_the_repair_gives_up_quickly(text):
    started = time.process_time()
    reading = read(text, KEYS)

    assert (reading.code, reading.outcome) == (None, KEYBOARD)
    assert reading.candidates <= typed.MAX_CANDIDATES + 1
    assert time.process_time() - started < 1.0  # bounded (measured: under 0.1 s of CPU)


# --- never another code ------------------------------------------------------------------------
@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=16, max_size=16), st.sampled_from(METHODS))
def test_given_a_random_string_typed_on_a_keyboard_then_it_never_reads_as_another_code(text, method):
    reading = read(type_with(method, text), KEYS)

    assert reading.code is None or reading.code == text  # only a string that was itself a code


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=ALPHABET + VIETNAMESE_LETTERS, min_size=10, max_size=18).filter(lambda t: not t.isascii()))
def test_given_random_accented_text_then_it_never_reads_as_a_code(text):
    assert read(text, KEYS).code is None


@settings(max_examples=200, deadline=None)
@given(codes, st.integers(0, 15), st.integers(1, 31), st.sampled_from(METHODS))
def test_given_a_mistyped_code_typed_on_a_keyboard_then_it_never_reads_as_another_code(code, pos, delta, method):
    wrong = code[:pos] + ALPHABET[(ALPHABET.index(code[pos]) + delta) % 32] + code[pos + 1 :]

    # Only the code meant can come back: when the slip was a key of another method that makes
    # the same accent (VNI 4 for Telex X: YX and Y4 both show Ỹ), the accent reads as the code.
    assert read(type_with(method, wrong), KEYS).code in (None, code)


# --- the shapes of a URL or a form -------------------------------------------------------------
@pytest.mark.parametrize(
    "shape",
    [
        lambda c: "%20".join(group(c).split("-")),  # /v/ABCD%20EFGH%20JKMN%20PQR7
        lambda c: group(c).replace("-", "\u2013"),  # en dash
        lambda c: group(c).replace("-", "\u00a0"),  # no-break space
        lambda c: group(c).replace("-", "."),
        lambda c: group(c).replace("-", "\u200b"),  # zero-width space, pasted from a chat
        lambda c: unicodedata.normalize("NFKC", c).translate({ord(x): ord(x) + 0xFEE0 for x in c}),  # full width
        lambda c: "  " + c.lower() + "\n",
        lambda c: c.replace("0", "O").replace("1", "I"),
    ],
)
def test_given_a_genuine_code_in_the_shape_a_person_or_a_url_gives_then_it_reads_as_typed(shape):
    code = _code_with("1")
    reading = read(shape(code), KEYS)

    assert (reading.code, reading.outcome) == (code, PLAIN)


def test_given_the_check_symbol_alone_then_it_needs_no_key():
    code = _code_with("A")
    assert scheme.check_passes(code) and scheme.check_passes(code.lower())
    assert not scheme.check_passes(code[:-1] + ALPHABET[(ALPHABET.index(code[-1]) + 1) % 32])
    assert not scheme.check_passes(code[:15]) and not scheme.check_passes(code[:15] + "U")


def test_given_text_before_a_key_is_at_hand_then_looks_typed_says_whether_read_understands_it():
    assert typed.looks_typed("ABCD EFGH-ÊFGH") and typed.looks_typed("abcd%20ef")
    assert not typed.looks_typed("ABC^D") and not typed.looks_typed("中文") and not typed.looks_typed("")
