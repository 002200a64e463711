"""Addresses of producers, raw-material origins and process steps, before and since 1 July 2025.

Since 1 July 2025 Vietnam has two levels of local government: 34 provinces and centrally-run
cities, then 3,321 communes, wards and special zones; districts are gone. So:

* **A record dated from 1 July 2025** (``CUTOVER``) gives a province and a commune (ward,
  special zone), checked against the official list (``places.provinces``, ``places.communes``);
  a village or street is free text. A district is refused (``InvalidAddress``, 400) with a
  message saying districts no longer exist and naming the commune field. It is stored under
  the official names with both GSO codes: ``{"province": "Tỉnh Thái Nguyên", "province_code":
  "19", "commune": "Xã Kha Sơn", "commune_code": "05953", "hamlet": ...}``.
* **A record dated before** keeps its address exactly as entered (it is what the paper
  documents say) and carries the units of today under ``current``: ``{"province_code",
  "province", "commune_code", "commune"}``, or, when the old commune was split across several
  new ones, ``"candidates": [{"code", "name"}, ...]`` and ``"split": true`` instead of one
  commune (never a guess); when the name fits several old communes (no district given),
  candidates and ``"ambiguous": true``.

Which date decides, per record (docs/ADMINISTRATIVE-UNITS.md): a producer's registration day;
a lot's production date for its raw-material origin; each process step's own time for its
place. Records stored before this change are converted when read (``with_current``) and by
the migration (``migrate_address``), so nothing depends on the migration having run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ocop_stamps.core.errors import BadRequest
from ocop_stamps.core.vocabulary import VN_TZ
from ocop_stamps.places import provinces
from ocop_stamps.places.provinces import Province

# The day the two-level local government took effect (Resolution 202/2025/QH15 on the
# provinces; the National Assembly Standing Committee's resolutions of June 2025 on communes).
CUTOVER = dt.date(2025, 7, 1)
EXAMPLE_COMMUNE = "Xã Kha Sơn"


class InvalidAddress(BadRequest):
    """400: an address that is not one of Vietnam's units as they are on the record's date."""

    code = "invalid_address"


def day_of(moment: dt.date | dt.datetime) -> dt.date:
    """The day in Vietnam of a date or a time (a time without a zone is Vietnam time)."""
    if isinstance(moment, dt.datetime):
        return (moment.astimezone(VN_TZ) if moment.tzinfo else moment).date()
    return moment


def _at(field: str, name: str) -> str:
    """The path of a part of the address in the request: 'origin.commune', or 'commune' for a
    body whose address fields are its own (a field check)."""
    return f"{field}.{name}" if field else name


def _mid(name: str) -> str:
    """An official name inside a Vietnamese sentence: its unit word in lower case ('tỉnh Thái Nguyên')."""
    return name[:1].lower() + name[1:]


def _refuse(field: str, problem: str, message: str, message_vi: str) -> InvalidAddress:
    return InvalidAddress(message, message_vi, details=[{"field": field, "problem": problem}])


def record(address: dict[str, Any], on: dt.date, field: str) -> dict[str, Any]:
    """The address to store for a record dated ``on``; ``field`` is its path in the request
    ('address', 'origin', 'process_steps.0.place'; '' when the parts are the body's own
    fields, as in a field check), named in errors.

    From ``CUTOVER``: checked and stored under official names and codes (see the module doc).
    Before: as entered, plus ``current``. Raises ``InvalidAddress`` (400, English and
    Vietnamese, ``details`` naming the field) for a district after ``CUTOVER``, a province or
    commune that is not one of the list, or a commune name that fits several.
    """
    if on < CUTOVER:
        if provinces.now_of(address.get("province")) is None:
            raise _not_a_province(address.get("province"), field)
        return {**address, "current": current_units(address, prefer_old=True)}
    return _checked(address, field)


def _not_a_province(value: object, field: str) -> InvalidAddress:
    shown = str(value or "")[:60]
    return _refuse(
        f"{_at(field, 'province')}",
        "not a province of Vietnam",
        f"{_at(field, 'province')}: '{shown}' is not a province or centrally-run city of Vietnam.",
        f"Tỉnh, thành phố (`{_at(field, 'province')}`): “{shown}” không phải là tỉnh, thành phố của Việt Nam.",
    )


def _checked(address: dict[str, Any], field: str) -> dict[str, Any]:
    from ocop_stamps.places import communes

    if address.get("district"):
        raise _refuse(
            f"{_at(field, 'district')}",
            "districts no longer exist since 1 July 2025",
            f"{_at(field, 'district')}: districts no longer exist since 1 July 2025 (two levels now: province, "
            f"then commune, ward or special zone). Leave the district out and give the commune, ward or "
            f"special zone in {_at(field, 'commune')}, e.g. '{EXAMPLE_COMMUNE}'.",
            f"Từ ngày 1/7/2025 không còn cấp huyện (nay chỉ có hai cấp: tỉnh, thành phố và xã, phường, "
            f"đặc khu). Hãy bỏ huyện (`{_at(field, 'district')}`) và ghi xã, phường hoặc đặc khu vào trường "
            f"`{_at(field, 'commune')}`, ví dụ “{EXAMPLE_COMMUNE}”.",
        )
    province = provinces.current(address.get("province")) or provinces.same_today(address.get("province"))
    if province is None:
        before = provinces.old(address.get("province"))
        if before is None:
            raise _not_a_province(address.get("province"), field)
        now = provinces.CURRENT[before.now].name
        raise _refuse(
            f"{_at(field, 'province')}",
            "a province before 1 July 2025",
            f"{_at(field, 'province')}: {before.name} has been part of {now} since 1 July 2025; give {now}.",
            f"Tỉnh, thành phố (`{_at(field, 'province')}`): từ ngày 1/7/2025, {_mid(before.name)} đã hợp nhất vào "
            f"{_mid(now)}; hãy ghi {now}.",
        )
    commune_text = str(address.get("commune") or "")
    if not commune_text:
        raise _refuse(
            f"{_at(field, 'commune')}",
            "missing",
            f"{_at(field, 'commune')} is required: the commune, ward or special zone of {province.name}.",
            f"Thiếu xã, phường hoặc đặc khu (`{_at(field, 'commune')}`) thuộc {_mid(province.name)}.",
        )
    found = communes.find(commune_text, province.code)
    if len(found) > 1:
        listed = ", ".join(f"{c.name} ({c.code})" for c in found)
        raise _refuse(
            f"{_at(field, 'commune')}",
            "fits several communes",
            f"{_at(field, 'commune')}: '{commune_text[:60]}' fits several units of {province.name}: {listed}. "
            "Give the full name (Xã, Phường, Đặc khu) or the code.",
            f"Xã, phường, đặc khu (`{_at(field, 'commune')}`): “{commune_text[:60]}” ứng với nhiều đơn vị của "
            f"{_mid(province.name)}: {listed}. "
            "Hãy ghi đủ tên (Xã, Phường, Đặc khu) hoặc mã.",
        )
    if not found:
        raise _unknown_commune(commune_text, province, field)
    (commune,) = found
    return {
        **address,
        "province": province.name,
        "province_code": province.code,
        "commune": commune.name,
        "commune_code": commune.code,
    }


def _unknown_commune(text: str, province: Province, field: str) -> InvalidAddress:
    from ocop_stamps.places import communes

    olds = communes.find_old(text, tuple(p.code for p in provinces.merged_into(province)))
    now = sorted({c.name for old in olds for c in communes.successors(old)})
    if now:
        names = ", ".join(now)
        return _refuse(
            f"{_at(field, 'commune')}",
            "a commune before 1 July 2025",
            f"{_at(field, 'commune')}: {olds[0].name} no longer exists since 1 July 2025; its area is now in {names}. "
            "Give the commune, ward or special zone as it is now.",
            f"Xã, phường, đặc khu (`{_at(field, 'commune')}`): từ ngày 1/7/2025 không còn {_mid(olds[0].name)}; "
            f"địa bàn này nay thuộc {names}. "
            "Hãy ghi tên xã, phường, đặc khu hiện nay.",
        )
    return _refuse(
        f"{_at(field, 'commune')}",
        "not a commune of the province",
        f"{_at(field, 'commune')}: '{text[:60]}' is not a commune, ward or special zone of {province.name}.",
        f"Xã, phường, đặc khu (`{_at(field, 'commune')}`): “{text[:60]}” không phải là xã, phường hoặc đặc khu của "
        f"{_mid(province.name)}.",
    )


def current_units(address: dict[str, Any], *, prefer_old: bool) -> dict[str, Any]:
    """Today's province and commune of an address as entered (old or new names, codes, with or
    without a district): ``{"province_code", "province"}`` plus ``"commune_code", "commune"``
    when one fits, or ``"candidates"`` with ``"split"`` / ``"ambiguous"`` when several do.
    ``prefer_old``: look the commune up in the lists of before 1 July 2025 first (the record is
    older, or names a district). Province-only addresses load no commune table.
    """
    text = address.get("province")
    before = provinces.old(text)
    now = provinces.current(text)
    if before is not None and (prefer_old or now is None):
        now = provinces.CURRENT[before.now]
    if now is None:
        return {"province_code": None, "province": None}
    out: dict[str, Any] = {"province_code": now.code, "province": now.name}
    commune_text = str(address.get("commune") or "")
    if not commune_text:
        return out
    from ocop_stamps.places import communes

    old_provinces = (before.code,) if before is not None else tuple(p.code for p in provinces.merged_into(now))
    olds: tuple[communes.OldCommune, ...] = ()
    news: tuple[communes.Commune, ...] = ()
    for old_first in (True, False) if prefer_old else (False, True):
        if old_first:
            olds = communes.find_old(commune_text, old_provinces, address.get("district"))
            news = tuple(dict.fromkeys(c for old in olds for c in communes.successors(old)))
        else:
            olds, news = (), communes.find(commune_text, now.code)
        if news:
            break
    if len(news) == 1:
        out |= {"commune_code": news[0].code, "commune": news[0].name}
    elif news:
        out["candidates"] = [{"code": c.code, "name": c.name} for c in news]
        out["split" if len(olds) == 1 else "ambiguous"] = True
    return out


def migrate_address(address: Any, *, recorded_on: dt.date | None = None) -> dict[str, Any] | None:
    """The stored address brought to the current shape, or None when it already is (it has
    codes, or ``current``) or is no address. The entered fields are never changed: ``current``
    is added (see the module doc). ``recorded_on``: the record's date when known (a record
    from ``CUTOVER`` without a district looks its commune up in today's list first).
    Pure: no I/O but the package's tables. Called by the migration and on every read.
    """
    if not isinstance(address, dict) or not address.get("province"):
        return None
    if "province_code" in address or "current" in address:
        return None
    prefer_old = bool(address.get("district")) or recorded_on is None or recorded_on < CUTOVER
    return {**address, "current": current_units(address, prefer_old=prefer_old)}


def with_current(address: Any) -> Any:
    """``address`` as a reader shows it: unchanged when current, else with ``current`` computed."""
    return migrate_address(address) or address
