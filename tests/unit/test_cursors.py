"""List cursors (issue 13, kind 3): a cursor is good only for the route, query and caller that
got it; anything else -- made up, altered, cut short, from elsewhere -- is an ``InvalidCursor``
(400 in both languages), never a read with a foreign key."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from ocop_stamps.core.cursors import CursorKeys, InvalidCursor, seal, unseal
from ocop_stamps.storage.parameters import parse_cursor_keys

KEYS = CursorKeys(1, {1: b"k" * 32})
BINDING = "GET /scans|abc123|VN-01"
STATE = {"0": ["2026-11-23T06:00:00.000Z#000001", "1ABCDEFGHJKMNPQR"], "1": None}


def test_given_a_cursor_then_it_opens_for_its_own_binding_only():
    cursor = seal(KEYS, BINDING, STATE)

    assert unseal(KEYS, BINDING, cursor) == STATE
    for other in (
        "GET /alerts|abc123|VN-01",
        "GET /scans|def456|VN-01",
        "GET /scans|abc123|*",
        "GET /scans.csv|abc123|VN-01",
    ):
        with pytest.raises(InvalidCursor):
            unseal(KEYS, other, cursor)


def _plain(state: object) -> str:
    """What a client could make: base64 of well-formed state, as cursors were before they were signed."""
    return base64.urlsafe_b64encode(zlib.compress(json.dumps(state).encode())).decode().rstrip("=")


@pytest.mark.parametrize(
    "forged",
    [
        _plain(STATE),
        _plain({"f": "abc123", "s": STATE}),
        "1." + _plain(STATE) + ".AAAAAAAAAAAAAAAAAAAAAA",
        "",
        "...",
        "1.2",
        "é.é.é",
        "\udcff",
        "99999.a.b",
        "-1.a.b",
    ],
)
def test_given_a_cursor_the_service_did_not_sign_then_it_is_invalid(forged: str):
    with pytest.raises(InvalidCursor):
        unseal(KEYS, BINDING, forged)


def test_given_a_cursor_altered_or_cut_short_then_it_is_invalid():
    cursor = seal(KEYS, BINDING, STATE)
    version, data, mac = cursor.split(".")
    flipped = data[:-1] + ("A" if data[-1] != "A" else "B")
    for bad in (cursor[:-1], cursor[: len(cursor) // 2], f"{version}.{flipped}.{mac}", f"2.{data}.{mac}", cursor + "."):
        with pytest.raises(InvalidCursor):
            unseal(KEYS, BINDING, bad)


def test_given_a_signed_cursor_whose_state_inflates_past_the_limit_then_it_is_invalid():
    cursor = seal(KEYS, BINDING, {"x": "0" * 100_000})  # deflates to little; a client cannot sign one
    with pytest.raises(InvalidCursor):
        unseal(KEYS, BINDING, cursor)


def test_given_a_key_rotation_then_a_cursor_in_flight_still_opens_and_new_ones_use_the_new_key():
    old = seal(KEYS, BINDING, STATE)
    rotated = CursorKeys(2, {1: b"k" * 32, 2: b"n" * 32})

    assert unseal(rotated, BINDING, old) == STATE
    assert seal(rotated, BINDING, STATE).startswith("2.")


def test_invalid_cursor_is_a_400_in_both_languages():
    error = InvalidCursor()
    assert error.status == 400
    body = error.body()["error"]
    assert body["code"] == "invalid_cursor"
    assert "cursor" in body["message"].lower() and "cursor" in body["message_vi"]
    assert "không hợp lệ" in body["message_vi"]


def test_cursor_keys_derive_from_every_code_key_version_and_are_not_the_code_keys():
    code_key = "00112233445566778899aabbccddeeff"
    keys = parse_cursor_keys(json.dumps({"1": code_key, "2": "ff" * 16, "current": 1}))

    assert keys.current == 1 and set(keys.keys) == {1, 2}
    assert keys.keys[1] != bytes.fromhex(code_key) and keys.keys[1] != keys.keys[2]
    assert len(keys.keys[1]) == 32
