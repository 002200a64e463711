"""GS1 identifiers: GTIN check digits (mod 10) and normalisation to GTIN-14."""

from __future__ import annotations

from ocop_stamps.core.text import is_digits


def gtin_check_digit(body: str) -> int:
    """Check digit for the digits before it (any GTIN length): weights 3,1,3,... from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_gtin(value: str) -> str:
    """GTIN-8/12/13/14 -> GTIN-14, or ValueError saying what is wrong."""
    digits = value.strip().replace(" ", "")
    if not is_digits(digits) or len(digits) not in (8, 12, 13, 14):
        raise ValueError("a GTIN has 8, 12, 13 or 14 digits")
    if gtin_check_digit(digits[:-1]) != int(digits[-1]):
        raise ValueError(f"GTIN check digit should be {gtin_check_digit(digits[:-1])}, not {digits[-1]}")
    return digits.zfill(14)
