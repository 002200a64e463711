"""Communes, wards and special zones (xã, phường, đặc khu): the 3,321 since 1 July 2025, the
10,051 before, and the official conversion from old to new, read from vietnam-provinces.

Nothing is loaded at import. The first call that needs today's list loads it (~0.15 s of
CPU, ~1.5 MB); the first that needs the old list or the conversion loads those too (~0.35 s,
~10 MB more); both stay for the life of the process (docs/ADMINISTRATIVE-UNITS.md, "Cost").
A current address carries its codes, so showing it needs none of this.

Codes are the GSO's, five digits as text ("05953": Xã Kha Sơn).
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import NamedTuple

from ocop_stamps.core.text import is_digits
from ocop_stamps.places.names import fold_commune, fold_district, fold_full


class Commune(NamedTuple):
    """A commune, ward or special zone since 1 July 2025: code, official name, GSO code of its province."""

    code: str
    name: str
    province: str


class OldCommune(NamedTuple):
    """A commune, ward or township before 1 July 2025, with its district and (old) province code."""

    code: str
    name: str
    district: str
    province: str


class _Index(NamedTuple):
    by_code: dict[str, Commune]
    by_province: dict[str, tuple[Commune, ...]]


class _OldIndex(NamedTuple):
    by_code: dict[str, OldCommune]
    by_province: dict[str, tuple[OldCommune, ...]]


@cache
def _current() -> _Index:
    from vietnam_provinces import Ward

    by_code: dict[str, Commune] = {}
    by_province: defaultdict[str, list[Commune]] = defaultdict(list)
    for ward in Ward.iter_all():
        commune = Commune(f"{ward.code.value:05d}", ward.name, f"{ward.province_code.value:02d}")
        by_code[commune.code] = commune
        by_province[commune.province].append(commune)
    return _Index(by_code, {k: tuple(v) for k, v in by_province.items()})


@cache
def _old() -> _OldIndex:
    from vietnam_provinces.legacy import District, Ward

    districts = {d.code.value: d for d in District.iter_all()}
    by_code: dict[str, OldCommune] = {}
    by_province: defaultdict[str, list[OldCommune]] = defaultdict(list)
    for ward in Ward.iter_all():
        district = districts[ward.district_code.value]
        old = OldCommune(f"{ward.code.value:05d}", ward.name, district.name, f"{district.province_code.value:02d}")
        by_code[old.code] = old
        by_province[old.province].append(old)
    return _OldIndex(by_code, {k: tuple(v) for k, v in by_province.items()})


def commune(code: str) -> Commune | None:
    """Today's commune with this GSO code ("5953" or "05953"); None if there is none."""
    return _current().by_code.get(code.strip().zfill(5)) if is_digits(code.strip()) else None


def in_province(province: str) -> tuple[Commune, ...]:
    """Today's communes, wards and special zones of a province (GSO code), in the GSO's order."""
    return _current().by_province.get(province, ())


def _match[T: (Commune, OldCommune)](value: str, units: tuple[T, ...]) -> tuple[T, ...]:
    """Units named ``value``: with its unit word when it has one ('Phường An Phú' is not 'Xã An Phú')."""
    full = fold_full(value)
    exact = tuple(u for u in units if fold_full(u.name) == full)
    if exact:
        return exact
    short = fold_commune(value)
    return tuple(u for u in units if fold_commune(u.name) == short) if short else ()


def find(value: str, province: str) -> tuple[Commune, ...]:
    """Today's communes of ``province`` (GSO code) that ``value`` names: a code ("05953") or a
    name with or without its unit word and diacritics ('Xã Kha Sơn', 'kha son'). Several when a
    name without its unit word fits several ('An Phú': a xã and a phường)."""
    value = value.strip()
    if is_digits(value):
        found = commune(value)
        return (found,) if found is not None and found.province == province else ()
    return _match(value, in_province(province))


def find_old(value: str, provinces: tuple[str, ...], district: str | None = None) -> tuple[OldCommune, ...]:
    """Communes of before 1 July 2025 in the old ``provinces`` (GSO codes of then) that ``value``
    names (a code or a name), narrowed to ``district`` when one is given and it fits."""
    value = value.strip()
    index = _old()
    if is_digits(value):
        found = index.by_code.get(value.zfill(5))
        return (found,) if found is not None and found.province in provinces else ()
    units = tuple(u for p in provinces for u in index.by_province.get(p, ()))
    matches = _match(value, units)
    if district and len(matches) > 1:
        narrowed = tuple(m for m in matches if fold_district(m.district) == fold_district(district))
        matches = narrowed or matches
    return matches


def successors(old: OldCommune) -> tuple[Commune, ...]:
    """Today's communes an old one became part of (several when it was split), by the official
    conversion table; empty for the few the table does not list."""
    from vietnam_provinces import Ward

    found = Ward.search_from_legacy(code=int(old.code))
    index = _current().by_code
    return tuple(dict.fromkeys(index[f"{w.ward.code.value:05d}"] for w in found))
