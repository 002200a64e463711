"""Province scope since 1 July 2025: the 34 provinces by GSO code, and every old spelling.

A scope (an inspector's ``custom:provinces``, a ``province=`` filter, an alert's audience, a
summary's counters) names provinces of today by their GSO code, two digits as text ("08": Tỉnh
Tuyên Quang). Records written before the change carry the ISO 3166-2:VN code of one of the 63
old provinces ("VN-03": Hà Giang); nothing rewrites them. A province of today reads its own
code and the ISO codes of its old parts (``spellings``: at most 4 keys, as many as 3 provinces
merged into one), so its inspectors see everything recorded under the old parts without a
table scan (docs/DATA-MODEL.md, "Provinces since 1 July 2025").

How a value is read (``code_of``): ``VN-xx`` is always an ISO code of the 63 (what CloudFront
sends and what old records hold); bare digits are always a GSO code of the 34 ("01" is Hà Nội,
never ISO VN-01 Lai Châu); any other text is a name of today or before, with or without
diacritics or the unit word ('Hà Giang', 'Thừa Thiên Huế', 'tp hcm').

Standard library and ``places.provinces`` only: the scan path imports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from ocop_stamps.core.text import is_digits
from ocop_stamps.core.vocabulary import ascii_text
from ocop_stamps.places.provinces import CURRENT, OLD, current, merged_into, now_of

# A scan whose place the edge did not tell, nor the producer's address: only national scopes see it.
NO_PLACE = "-"
# ``custom:provinces`` of a national inspector (the central market-surveillance office).
EVERYWHERE = "*"

_ISO = re.compile(r"^VN-[0-9A-Z]{2}$")


def code_of(value: object) -> str | None:
    """The GSO code of today's province that ``value`` is or became: 'VN-03' (ISO, old Hà
    Giang) -> '08', '08' or 8 -> '08', 'Hà Giang' -> '08', 'Thừa Thiên Huế' -> '46'; None when
    it names no province (``NO_PLACE`` included). Bare digits are read as GSO codes of the 34
    only; an old province is named by its ISO code or its name."""
    text = str(value if value is not None else "").strip()
    if not text or text == NO_PLACE:
        return None
    if _ISO.match(text.upper()):
        found = now_of(text.upper())
        return found.code if found else None
    if is_digits(text):
        return text.zfill(2) if text.zfill(2) in CURRENT else None
    found = now_of(text)
    return found.code if found else None


def is_old(value: object) -> bool:
    """Whether ``value`` names a province as it was before 1 July 2025 and not as it is now
    ('VN-03', 'Hà Giang', 'Thừa Thiên Huế'; not '08', 'Tuyên Quang')."""
    text = str(value if value is not None else "").strip()
    if not text or is_digits(text) or code_of(text) is None:
        return False
    if _ISO.match(text.upper()):
        return True
    return current(text) is None


@cache
def spellings(code: str) -> tuple[str, ...]:
    """Every value a record of today's province ``code`` may carry in a scope attribute or key:
    its GSO code first, then the ISO codes of the old provinces that are part of it ('08' ->
    ('08', 'VN-03', 'VN-07')). ``NO_PLACE`` stays itself; an unknown code, itself."""
    province = CURRENT.get(code)
    if province is None:
        return (code,)
    return (code, *sorted(p.iso for p in merged_into(province)))


def spellings_of(codes: Iterable[str]) -> list[str]:
    """``spellings`` of several provinces (an old code counts as its province of today),
    flattened, each once, in order."""
    out: dict[str, None] = {}
    for code in codes:
        out.update(dict.fromkeys(spellings(code_of(code) or code)))
    return list(out)


def name_of(value: object) -> str:
    """The official name today of a stored or sent place ('VN-26' and '46' -> 'Thành phố Huế');
    'không rõ' for none; the value itself when it names no province (a foreign region)."""
    if value is None or str(value).strip() in ("", NO_PLACE):
        return "không rõ"
    code = code_of(value)
    return CURRENT[code].name if code else str(value)


# --- a province named in free text (a consumer's "where I bought it") -------------------------
_UNIT_WORDS = (("tinh",), ("thanh", "pho"), ("tp",))
_EXTRA = {
    ("hue",): "46",
    ("thua", "thien", "hue"): "46",
    ("tt", "hue"): "46",
    ("hanoi",): "01",
    ("tphcm",): "79",
    ("hcm",): "79",
    ("sai", "gon"): "79",
    ("saigon",): "79",
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", ascii_text(text).lower()))


def _bare(name: str) -> tuple[str, ...]:
    words = _words(name)
    for unit in _UNIT_WORDS:
        if words[: len(unit)] == unit:
            return words[len(unit) :]
    return words


@cache
def _named() -> tuple[tuple[tuple[str, ...], str], ...]:
    found = {_bare(p.name): p.code for p in CURRENT.values()}
    for p in OLD.values():
        found.setdefault(_bare(p.name), p.now)
    found.update(_EXTRA)
    return tuple(found.items())


def named_in(text: str | None) -> str | None:
    """The province of today a free text names, as a GSO code; None if none.

    Names of today and before count, compared without diacritics or case ("chợ Đồng Văn, Hà
    Giang" names '08', Tuyên Quang today). Vietnamese addresses end with the province, so
    when several are named the last one wins ("đường Lạng Sơn, Hà Nội" is in Hà Nội)."""
    words = _words(text or "")
    found: tuple[int, str] | None = None
    for name, code in _named():
        n = len(name)
        for i in range(len(words) - n + 1):
            if words[i : i + n] == name and (found is None or i + n > found[0]):
                found = (i + n, code)
    return found[1] if found else None
