"""Vietnam's administrative units since 1 July 2025 (issue 12): provinces, communes, old -> new,
and addresses checked as of each record's date (ocop_stamps.places)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ocop_stamps.places import addresses, communes, generate, provinces
from ocop_stamps.places.addresses import InvalidAddress, migrate_address, record
from ocop_stamps.places.generate import ISO_NAMES
from ocop_stamps.places.names import fold_province

ROOT = Path(__file__).resolve().parents[2]
AFTER = dt.date(2026, 3, 2)
BEFORE = dt.date(2025, 5, 20)


# --- the lists ---------------------------------------------------------------------------------
def test_given_the_installed_package_then_the_generated_province_table_is_exactly_what_it_gives():
    assert generate.TABLE.read_text(encoding="utf-8") == generate.table_text(), (
        "places/table.py differs from vietnam-provinces: run python -m ocop_stamps.places.generate"
    )


def test_given_the_lists_then_there_are_34_provinces_and_3321_communes_wards_and_special_zones():
    assert len(provinces.CURRENT) == 34
    assert len(provinces.OLD) == 63
    assert sum(len(communes.in_province(code)) for code in provinces.CURRENT) == 3321


@pytest.mark.parametrize(
    ("iso", "now"),
    [
        ("VN-03", "Tỉnh Tuyên Quang"),  # Hà Giang
        ("VN-26", "Thành phố Huế"),  # Thừa Thiên Huế in ISO 3166-2
        ("VN-53", "Tỉnh Thái Nguyên"),  # Bắc Kạn
        ("VN-43", "Thành phố Hồ Chí Minh"),  # Bà Rịa - Vũng Tàu
        ("VN-46", "Tỉnh Đồng Tháp"),  # Tiền Giang
        ("VN-HN", "Thành phố Hà Nội"),
    ],
)
def test_given_an_old_iso_code_a_cdn_sends_then_it_maps_to_the_province_of_today(iso: str, now: str):
    assert provinces.current_name(iso) == now


def test_given_every_iso_code_of_the_63_then_each_maps_to_one_of_the_34():
    assert {provinces.now_of(code) for code in ISO_NAMES} == set(provinces.CURRENT.values())


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Thái Nguyên", "19"),
        ("thai nguyen", "19"),
        ("Tỉnh Thái Nguyên", "19"),
        ("TP HCM", "79"),
        ("Hồ Chí Minh", "79"),
        ("tp. hồ chí minh", "79"),
        ("Huế", "46"),
        ("Thành phố Huế", "46"),
        ("19", "19"),
    ],
)
def test_given_a_province_as_people_write_it_then_it_is_found(typed: str, code: str):
    found = provinces.current(typed)
    assert found is not None and found.code == code


def test_given_an_old_province_name_then_it_is_no_province_of_today_but_maps_to_one():
    assert provinces.current("Hà Giang") is None
    assert provinces.current("Thừa Thiên Huế") is None
    assert provinces.current_name("Thừa Thiên Huế") == "Thành phố Huế"
    assert provinces.current_name("Atlantis") is None


def test_given_a_commune_by_its_name_without_accents_or_by_its_code_then_it_is_found():
    (by_name,) = communes.find("kha son", "19")
    (by_code,) = communes.find("5953", "19")
    assert by_name == by_code == communes.Commune("05953", "Xã Kha Sơn", "19")
    assert communes.find("Kha Sơn", "04") == ()  # not a commune of Cao Bằng


@pytest.mark.parametrize(
    ("typed", "code", "commune"),
    [
        ("Thừa Thiên Huế", "46", "Phường Thuận Hóa"),  # the ISO name of Thành phố Huế, left whole
        ("TT Huế", "46", "Phường Thuận Hóa"),
        ("VN-26", "46", "Phường Thuận Hóa"),
        ("VN-HN", "01", "Phường Hoàn Kiếm"),  # Hà Nội by its ISO code
        ("VN-13", "22", "Phường Hạ Long"),  # Tỉnh Quảng Ninh then, Thành phố Quảng Ninh now
        ("VN-07", "08", "Xã Lũng Cú"),  # old Tuyên Quang, whose name today's Tuyên Quang kept
        ("T.P Hồ Chí Minh", "79", "Phường Thủ Dầu Một"),
    ],
)
def test_given_a_record_from_july_2025_naming_its_province_as_it_was_but_still_the_same_then_accepted(
    typed: str, code: str, commune: str
):
    stored = record({"commune": commune, "province": typed}, AFTER, "address")
    assert stored["province_code"] == code and stored["commune"] == commune


def test_given_every_old_province_on_a_record_from_july_2025_then_accepted_or_refused_never_merged_into_itself():
    for old in provinces.OLD.values():
        now = provinces.CURRENT[old.now]
        (commune, *_) = communes.in_province(now.code)
        for typed in (old.iso, old.name):
            try:
                stored = record({"commune": commune.name, "province": typed}, AFTER, "address")
            except InvalidAddress as refused:
                assert len(provinces.merged_into(now)) > 1 and fold_province(old.name) != fold_province(now.name)
                assert f"part of {now.name}" in refused.message and old.name in refused.message
            else:
                assert stored["province_code"] == now.code, typed


# --- addresses of records from 1 July 2025 -----------------------------------------------------
def test_given_a_record_from_july_2025_with_a_thai_nguyen_commune_under_its_current_name_then_it_is_accepted_with_codes():
    stored = record({"hamlet": "Xóm Phẩm 1", "commune": "Kha Sơn", "province": "thai nguyen"}, AFTER, "address")

    assert stored == {
        "hamlet": "Xóm Phẩm 1",
        "commune": "Xã Kha Sơn",
        "commune_code": "05953",
        "province": "Tỉnh Thái Nguyên",
        "province_code": "19",
    }


def test_given_a_record_from_july_2025_with_a_district_then_it_is_refused_saying_districts_no_longer_exist():
    with pytest.raises(InvalidAddress) as refused:
        record(
            {"commune": "Xã Kha Sơn", "district": "Huyện Phú Bình", "province": "Thái Nguyên"},
            addresses.CUTOVER,
            "address",
        )

    error = refused.value
    assert error.status == 400 and error.code == "invalid_address"
    assert "districts no longer exist since 1 July 2025" in error.message and "address.commune" in error.message
    assert "không còn cấp huyện" in error.message_vi and "address.commune" in error.message_vi
    assert error.details == [{"field": "address.district", "problem": "districts no longer exist since 1 July 2025"}]


@pytest.mark.parametrize(
    ("address", "field", "says"),
    [
        ({"province": "Thái Nguyên"}, "address.commune", "required"),
        ({"commune": "Xã Kha Sơn", "province": "Atlantis"}, "address.province", "not a province"),
        ({"commune": "Xã Kha Sơn", "province": "Bắc Kạn"}, "address.province", "part of Tỉnh Thái Nguyên"),
        ({"commune": "Xã Dương Thành", "province": "Thái Nguyên"}, "address.commune", "now in Xã Kha Sơn"),
        ({"commune": "Xã Kha Sơn", "province": "Cao Bằng"}, "address.commune", "not a commune"),
    ],
)
def test_given_a_record_from_july_2025_whose_place_is_not_on_the_list_then_it_is_refused_naming_the_field(
    address: dict[str, str], field: str, says: str
):
    with pytest.raises(InvalidAddress) as refused:
        record(address, AFTER, "address")

    assert refused.value.details[0]["field"] == field
    assert says in refused.value.message and refused.value.message_vi


# --- addresses of records from before ---------------------------------------------------------
def test_given_a_record_from_before_july_2025_then_its_address_is_kept_as_entered_with_the_current_units():
    entered = {
        "hamlet": "Xóm Phẩm 1",
        "commune": "Xã Dương Thành",
        "district": "Huyện Phú Bình",
        "province": "Thái Nguyên",
    }

    stored = record(entered, BEFORE, "origin")

    assert {k: stored[k] for k in entered} == entered
    assert stored["current"] == {
        "province_code": "19",
        "province": "Tỉnh Thái Nguyên",
        "commune_code": "05953",
        "commune": "Xã Kha Sơn",
    }


def test_given_an_old_commune_split_across_several_new_ones_then_every_candidate_is_kept_and_flagged():
    stored = record({"commune": "Xã Đại Dực", "district": "Huyện Tiên Yên", "province": "Quảng Ninh"}, BEFORE, "origin")

    assert stored["current"] == {
        "province_code": "22",
        "province": "Thành phố Quảng Ninh",
        "candidates": [{"code": "06862", "name": "Xã Tiên Yên"}, {"code": "06877", "name": "Xã Đông Ngũ"}],
        "split": True,
    }


def test_given_an_old_province_code_of_an_edge_then_a_pre_2025_address_maps_to_the_province_of_today():
    stored = record({"province": "Hà Giang"}, BEFORE, "address")
    assert stored == {"province": "Hà Giang", "current": {"province_code": "08", "province": "Tỉnh Tuyên Quang"}}


# --- migration and reading ----------------------------------------------------------------------
def test_given_a_stored_old_address_then_migrate_adds_current_units_once_and_then_answers_none():
    old = {"commune": "Xã Dương Thành", "district": "Huyện Phú Bình", "province": "Thái Nguyên"}

    migrated = migrate_address(old)

    assert migrated is not None and migrated["current"]["commune_code"] == "05953"
    assert {k: migrated[k] for k in old} == old
    assert migrate_address(migrated) is None
    assert migrate_address(record({"commune": "Xã Kha Sơn", "province": "Thái Nguyên"}, AFTER, "a")) is None
    assert migrate_address({}) is None and migrate_address(None) is None


def test_given_a_stored_address_from_july_2025_without_district_then_migrate_reads_it_in_todays_list_first():
    migrated = migrate_address({"commune": "Xã Phú Bình", "province": "Thái Nguyên"}, recorded_on=AFTER)
    assert migrated is not None and migrated["current"]["commune"] == "Xã Phú Bình"


def _fresh_python(code: str) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "layers" / "domain"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_given_a_current_address_when_shown_then_no_commune_table_is_loaded():
    loaded = _fresh_python(
        "import json, sys\n"
        "from ocop_stamps.places.addresses import with_current\n"
        "from ocop_stamps.places.provinces import current_name\n"
        "with_current({'province': 'Tỉnh Thái Nguyên', 'province_code': '19', 'commune': 'Xã Kha Sơn',"
        " 'commune_code': '05953'})\n"
        "current_name('VN-26'); with_current({'province': 'Thừa Thiên Huế'})\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('vietnam_provinces'))))"
    )
    assert loaded == []
