"""The scratch-off PIN (issue 14, docs/PIN.md): derived from (key version, batch, serial) with
its own secret, 8 digits, and few enough wrong tries that guessing one code's PIN over the
stamp's whole life stays below one in a million."""

from __future__ import annotations

import json

import pytest

from ocop_stamps.codes import pins
from ocop_stamps.core.settings import Settings
from ocop_stamps.storage import parameters

KEYS = pins.make_pin_keys({1: bytes(range(16)), 2: bytes(range(32))}, current=2)


def test_the_try_limit_keeps_one_codes_guessing_odds_below_one_in_a_million():
    # a guesser who never repeats a PIN: each wrong try removes one of the 10^8 candidates, so
    # the chance that one of MAX_WRONG_TRIES tries hits is at most MAX_WRONG_TRIES / 10^8
    space = 10**pins.PIN_DIGITS
    odds = 0.0
    for tried in range(pins.MAX_WRONG_TRIES):
        odds += (1 - odds) * 1 / (space - tried)
    assert odds <= pins.GUESS_ODDS < 1e-6
    assert pins.PIN_DIGITS == 8 and pins.MAX_WRONG_TRIES == 10


def test_given_a_stamp_then_its_pin_is_eight_digits_the_same_every_time():
    pin = pins.derive(KEYS, 2, 17, 42)
    assert len(pin) == 8 and pin.isdigit() and pin.isascii()
    assert pins.derive(KEYS, 2, 17, 42) == pin


def test_given_another_serial_batch_or_key_version_then_the_pin_differs():
    pin = pins.derive(KEYS, 2, 17, 42)
    others = {pins.derive(KEYS, 2, 17, 43), pins.derive(KEYS, 2, 18, 42), pins.derive(KEYS, 1, 17, 42)}
    assert pin not in others and len(others) == 3


def test_given_a_thousand_stamps_then_their_pins_spread_over_every_leading_digit():
    leading = [pins.derive(KEYS, 2, 1, s)[0] for s in range(1, 1001)]
    counts = [leading.count(str(d)) for d in range(10)]
    assert min(counts) > 60 and max(counts) < 140  # about 100 each; a biased derivation would skew


def test_given_a_pin_typed_with_spaces_dashes_or_full_width_digits_then_it_reads_as_eight_digits():
    assert pins.read_pin("1234 5678") == "12345678"
    assert pins.read_pin("1234-5678") == "12345678"
    assert pins.read_pin("１２３４５６７８") == "12345678"


@pytest.mark.parametrize("typed", ["", None, "1234567", "123456789", "1234567a", "12345678\n9"])
def test_given_something_that_is_not_eight_digits_then_it_is_not_read_as_a_pin(typed):
    assert pins.read_pin(typed) is None


def test_given_pin_keys_as_json_then_the_newest_is_current_and_keys_are_checked():
    keys = parameters.parse_pin_keys(json.dumps({"1": "00" * 16, "3": "11" * 32}))
    assert keys.current == 3
    with pytest.raises(ValueError):
        parameters.parse_pin_keys(json.dumps({"1": "00" * 8}))


def test_given_no_pin_keys_configured_then_the_secret_is_missing_not_guessed():
    with pytest.raises(parameters.SecretMissing):
        parameters.pin_keys_text(Settings())


def test_pins_compare_in_constant_time_and_exactly():
    assert pins.same("01234567", "01234567")
    assert not pins.same("01234567", "01234568")
