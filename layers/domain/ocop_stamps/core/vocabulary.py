"""Stable words of the public contract, importable without pydantic (hot path)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

VN_TZ = dt.timezone(dt.timedelta(hours=7), "Asia/Ho_Chi_Minh")

# Crockford base32 (no I, L, O, U): the characters of stamp codes (DESIGN.md, "Code") and of ids.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class Verdict(StrEnum):
    """The public verdict vocabulary (DESIGN.md): stable strings, most serious first."""

    unknown = "unknown"
    recalled = "recalled"
    void = "void"
    expired = "expired"
    not_activated = "not_activated"
    repeat = "repeat"
    genuine = "genuine"


SEVERITY = {v: i for i, v in enumerate(Verdict)}
