"""The SMS channel's reading and writing (issue 14, docs/SMS.md), no AWS: what a text asks
(code, PIN, keyword), the sender's number, the scan's time, and replies that fit one GSM-7
segment -- Vietnamese without diacritics, every character in GSM-7's basic set."""

from __future__ import annotations

import datetime as dt
import string
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.keyboards import TELEX, type_with
from ocop_stamps.codes.scheme import CodeKeys, encode, group
from ocop_stamps.core import words
from ocop_stamps.scanning import sms

KEYS = CodeKeys({1: bytes.fromhex("00112233445566778899aabbccddeeff")})
CODE = encode(KEYS, 7, 4242)

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
PRODUCTS = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " -–—“”‘’…()[]{}|~^€®™&<>0123456789", max_size=300)


# --- GSM-7 --------------------------------------------------------------------------------------
def test_given_the_basic_set_then_it_is_the_127_one_septet_characters_of_gsm_03_38() -> None:
    assert len(sms.GSM7_BASIC) == 127  # 128 code points less ESC (0x1B), the way to the extension table
    assert set(string.ascii_letters + string.digits + " @$_!?.,;:'\"()+-*/=<>&%#") <= sms.GSM7_BASIC
    assert not set("[]{}|^~€\\`") & sms.GSM7_BASIC  # extension characters: two septets each
    assert not set("ăâđêôơưáảãạ") & sms.GSM7_BASIC  # (à is one of GSM's own: folded all the same)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_given_any_text_when_folded_then_every_character_is_in_the_gsm7_basic_set(text: str) -> None:
    assert set(sms.gsm7(text)) <= sms.GSM7_BASIC


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper(), min_size=1, max_size=12), min_size=1, max_size=8).map(
        " ".join  # words with one space between them: runs of spaces are folded to one (another test)
    )
)
def test_given_vietnamese_when_folded_then_each_letter_is_its_base_letter_and_d_stroke_is_d(text: str) -> None:
    folded = sms.gsm7(text, strip=False)

    assert len(folded) == len(text)  # one letter for one letter
    for ch, out in zip(text, folded, strict=True):
        base = "d" if ch == "đ" else "D" if ch == "Đ" else unicodedata.normalize("NFD", ch)[0]
        assert out == base


def test_given_typographic_marks_when_folded_then_their_plain_forms() -> None:
    assert sms.gsm7("Mật ong — “rừng” […] Đắk Lắk ®\n 蜂蜜") == 'Mat ong - "rung" (...) Dak Lak'


# --- replies ------------------------------------------------------------------------------------
REPLIES = sorted(key for key in words.CATALOGUES["vi"] if key.startswith("sms.") and "{product}" in words.text(key))
VALUES = {
    "checked": words.text("sms.checked_n", n=123456),
    "s": 256,
    "when": words.text("sms.on_date", date="31/12/2026"),
    "where": words.text("sms.in_place", province="Thành phố Hồ Chí Minh"),
    "tries": 10,
    "label": "tem đã được người mua xác nhận",
    "head": words.text("sms.head_repeat"),
    "url": "https://tem.ocop.example.vn/v/ABCDEFGHJKMNPQRS",
}


@settings(max_examples=60, deadline=None)
@given(product=PRODUCTS)
@pytest.mark.parametrize("key", REPLIES)
def test_given_any_product_name_then_every_reply_is_one_segment_of_gsm7_and_keeps_its_own_words(
    key: str, product: str
) -> None:
    reply = sms.render(key, product, **VALUES)

    assert len(reply) <= sms.MAX_SMS
    assert set(reply) <= sms.GSM7_BASIC
    # what the reply says around the name is never cut
    before, after = words.text(key).format_map({**VALUES, "product": "\0"}).split("\0")
    assert reply.startswith(sms.gsm7(before).rstrip(" ("))
    assert reply.endswith(sms.gsm7(after).lstrip(")"))  # (the brackets go with a name cut to nothing)


def test_given_a_long_product_name_then_it_is_cut_at_a_word_with_two_dots() -> None:
    name = "Mật ong hoa cà phê rừng nguyên chất Đắk Lắk loại đặc biệt chai thủy tinh 500 ml quà biếu cao cấp"

    reply = sms.render("sms.repeat", name, s=7)

    assert reply.startswith("Canh bao: ma nay da duoc kiem tra tu it nhat 7 may khac nhau")
    assert "(Mat ong hoa" in reply and ".." in reply and len(reply) <= 160


@pytest.mark.parametrize("key", sorted(k for k in words.CATALOGUES["vi"] if k.startswith("sms.")))
def test_given_each_reply_with_its_longest_values_then_it_fits_one_segment_with_room_for_a_name(key: str) -> None:
    text = words.text(
        key,
        **{
            **VALUES,
            "product": "",
            "code": group(CODE),
            "minutes": 60,
            "n": 123456,
            "date": "31/12/2026",
            "province": "Thành phố Hồ Chí Minh",
        },
    )

    assert len(sms.gsm7(text)) <= sms.MAX_SMS - (12 if "{product}" in words.text(key) and key != "sms.pin_web" else 0)


# --- what a text asks ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"OCOP {CODE}", (CODE, None)),
        (f"ocop {group(CODE).lower()}", (group(CODE).lower(), None)),
        (f"Ocop  {CODE[:8]} {CODE[8:]}\n", (f"{CODE[:8]} {CODE[8:]}", None)),
        (f"{CODE}", (CODE, None)),
        (f"OCOP {group(CODE)} 123456", (group(CODE), "123456")),
        (f"{CODE} 12345678", (CODE, "12345678")),
        (f"{CODE}123456", (CODE, "123456")),
        (f"{group(CODE)}123456", (CODE, "123456")),
        ("ÔCÔP " + CODE, (CODE, None)),  # the keyword typed on a Telex keyboard (OO -> Ô)
        (f"OCOP https://tem.example.vn/v/{CODE}", (f"https://tem.example.vn/v/{CODE}", None)),
        ("OCOP", ("", None)),
        ("   ", ("", None)),
        ("xin chào", ("xin chào", None)),
    ],
)
def test_given_a_text_then_its_code_and_pin(text: str, expected: tuple[str, str | None]) -> None:
    assert tuple(sms.parse_text(text, KEYS)) == expected


def test_given_a_code_whose_last_group_is_digits_then_it_stays_the_code() -> None:
    digits_last = next(code for serial in range(1, 5000) if (code := encode(KEYS, 7, serial))[-4:].isdigit())
    text = group(digits_last).replace("-", " ")

    assert sms.parse_text(text, KEYS) == (text, None)


def test_given_a_mistyped_code_and_a_pin_then_the_pin_is_split_off_anyway() -> None:
    typo = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")

    assert sms.parse_text(f"OCOP {typo} 97531864", KEYS) == (typo, "97531864")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"OCOP {CODE} 1234 5678", (CODE, "12345678")),  # the PIN as the label prints it
        (f"OCOP {CODE} 1234-5678", (CODE, "12345678")),
        (f"OCOP {group(CODE)} 1234.5678.", (group(CODE), "12345678")),
        (f"OCOP {CODE} 12345678 😀", (CODE, "12345678")),
        (f"OCOP {CODE}12345678😀", (CODE, "12345678")),
        (f"{CODE[:8]} {CODE[8:]}12345678", (CODE, "12345678")),
        (f"OCOP {CODE} 12345678 cảm ơn", (CODE, "12345678cảmơn")),  # a PIN of the wrong shape: not logged
        (f"OCOP {CODE} {CODE}", (CODE, CODE)),  # two codes: the first one
        ("OCOP 1234 5678", ("", "12345678")),  # the PIN sent alone: the help
        ("😀😀", ("", None)),
    ],
)
def test_given_a_pin_written_as_people_write_it_then_it_never_joins_the_code(
    text: str, expected: tuple[str, str | None]
) -> None:
    assert tuple(sms.parse_text(text, KEYS)) == expected


def test_given_a_mistyped_code_and_a_pin_in_two_groups_then_the_code_keeps_no_digit_of_the_pin() -> None:
    digits_last = next(code for serial in range(1, 5000) if (code := encode(KEYS, 7, serial))[-4:].isdigit())
    typo = group(digits_last[:-5] + ("0" if digits_last[-5] != "0" else "1") + digits_last[-4:]).replace("-", " ")

    query = sms.parse_text(f"OCOP {typo} 9753 1864", KEYS)

    assert query == (typo, "97531864")


def test_given_a_code_whose_last_group_is_digits_and_a_pin_in_two_groups_then_both_are_read() -> None:
    digits_last = next(code for serial in range(1, 5000) if (code := encode(KEYS, 7, serial))[-4:].isdigit())
    typed = group(digits_last).replace("-", " ")

    assert sms.parse_text(f"{typed} 9753 1864", KEYS) == (typed, "97531864")


def test_given_a_code_typed_on_a_vietnamese_keyboard_then_it_is_read_back() -> None:
    typed = next(
        shown
        for serial in range(1, 5000)
        if not (shown := type_with(TELEX, code := encode(KEYS, 7, serial))).isascii() and shown != code
    )

    query = sms.parse_text(f"OCOP {typed} 123456", KEYS)

    assert query.pin == "123456"
    assert sms.read(query.code, KEYS).stamp is not None


# --- the sender and the time ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0912345678", "+84912345678"),
        ("+84 91 234 5678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0084912345678", "+84912345678"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("VIETTEL", "viettel"),
    ],
)
def test_given_a_sender_in_any_format_then_one_e164_number(raw: str, e164: str) -> None:
    assert sms.normalize_phone(raw) == e164
    assert sms.sender_address(raw) == "sms/" + e164


def test_given_a_received_time_then_it_dates_the_scan_only_within_the_last_day() -> None:
    now = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    hour_ago = now - dt.timedelta(hours=1)

    assert sms.scan_time(hour_ago.astimezone(dt.timezone(dt.timedelta(hours=7))), now) == hour_ago
    assert sms.scan_time(now - dt.timedelta(days=2), now) == now
    assert sms.scan_time(now + dt.timedelta(hours=1), now) == now
    assert sms.scan_time(None, now) == now
