"""The 34 provinces and centrally-run cities since 1 July 2025, and the 63 before (with their ISO codes).

Province level only, from ``places.table`` (generated from vietnam-provinces, checked against
it by the unit tests): importing this module costs well under a millisecond and loads no
commune table, so the scan path may use it (docs/ADMINISTRATIVE-UNITS.md, "Cost").

Codes are the General Statistics Office's (GSO), two digits as text ("19": Tỉnh Thái Nguyên).
Old provinces are also found by the ISO 3166-2:VN code CloudFront sends ("VN-03": Hà Giang).
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from ocop_stamps.core.text import is_digits
from ocop_stamps.places.names import fold_province
from ocop_stamps.places.table import OLD_PROVINCES, PROVINCES


class Province(NamedTuple):
    """A province or centrally-run city since 1 July 2025: GSO code and official name."""

    code: str
    name: str


class OldProvince(NamedTuple):
    """A province before 1 July 2025: GSO code, ISO 3166-2:VN code, name, and the code of its province now."""

    code: str
    iso: str
    name: str
    now: str


CURRENT: dict[str, Province] = {code: Province(code, name) for code, name in PROVINCES.items()}
OLD: dict[str, OldProvince] = {code: OldProvince(code, *row) for code, row in OLD_PROVINCES.items()}
_OLD_BY_ISO = {p.iso: p for p in OLD.values()}

# What people write for a province besides its name (folded): TP HCM, Sài Gòn, HN ...
_ALIASES = {"hcm": "79", "tphcm": "79", "saigon": "79", "hn": "01"}
# Old names, and the names in ISO 3166-2 ('Thừa Thiên Huế' for the GSO list's 'Thành phố Huế').
_OLD_ALIASES = {"thuathienhue": "46", "tthue": "46"}


@cache
def _by_name() -> tuple[dict[str, str], dict[str, str]]:
    """Folded names -> codes, today's and old: built on the first lookup by name (~2 ms), not
    at import, so a scan that only maps an ISO code never pays for it."""
    now = {fold_province(p.name): p.code for p in CURRENT.values()} | _ALIASES
    return now, {fold_province(p.name): p.code for p in OLD.values()} | _OLD_ALIASES


def current(value: object) -> Province | None:
    """A province of today by GSO code ("19", 19) or name ('Thái Nguyên', 'tinh thai nguyen',
    'TP HCM', 'Hồ Chí Minh', 'Huế'); None when ``value`` names no province of today."""
    text = str(value or "").strip()
    if is_digits(text):
        return CURRENT.get(text.zfill(2))
    code = _by_name()[0].get(fold_province(text))
    return CURRENT[code] if code else None


def old(value: object) -> OldProvince | None:
    """A province before 1 July 2025 by ISO code ('VN-03'), GSO code of then ("02") or name
    ('Hà Giang', 'Thừa Thiên Huế'); None when it names none."""
    text = str(value or "").strip()
    if text.upper() in _OLD_BY_ISO:
        return _OLD_BY_ISO[text.upper()]
    if is_digits(text):
        return OLD.get(text.zfill(2))
    code = _by_name()[1].get(fold_province(text))
    return OLD[code] if code else None


def now_of(value: object) -> Province | None:
    """The province of today that ``value`` is or became: a current code or name first, then
    an old one ('VN-03' -> Tỉnh Tuyên Quang, 'Thừa Thiên Huế' -> Thành phố Huế)."""
    iso = _OLD_BY_ISO.get(str(value or "").strip().upper())
    if iso is not None:  # what the edge sends: no name to fold
        return CURRENT[iso.now]
    found = current(value)
    if found is not None:
        return found
    before = old(value)
    return CURRENT[before.now] if before else None


def same_today(value: object) -> Province | None:
    """The province of today that an old spelling names when it is still the same province:
    one left whole (Hà Nội, Cao Bằng; 'Thừa Thiên Huế' is Thành phố Huế), or whose name the
    merged province kept (old Tuyên Quang in today's Tuyên Quang): 'VN-HN', 'VN-26',
    'Thừa Thiên Huế', 'VN-07'. None for a province merged under another name ('Hà Giang',
    'VN-03': a record of today names Tuyên Quang) or for no province at all."""
    before = old(value)
    if before is None:
        return None
    now = CURRENT[before.now]
    if merged_into(now) == (before,) or fold_province(before.name) == fold_province(now.name):
        return now
    return None


def merged_into(province: Province) -> tuple[OldProvince, ...]:
    """The old provinces that are part of ``province`` today (one for those left whole)."""
    return tuple(p for p in OLD.values() if p.now == province.code)


def current_name(value: object) -> str | None:
    """The official name today of what ``value`` names (an ISO code such as 'VN-26' gives
    'Thành phố Huế'); None when it names no province."""
    found = now_of(value)
    return found.name if found else None
