"""Province scope since 1 July 2025 (issue 12, ``places.scopes``): any code or name, of today or
of the 63 before, reads as one of the 34 provinces of today by its GSO code; each province is
read under every code its records may carry; CloudFront's old ISO codes name today's province."""

from __future__ import annotations

import pytest

from ocop_stamps.places import provinces
from ocop_stamps.places.scopes import NO_PLACE, code_of, is_old, name_of, spellings, spellings_of
from ocop_stamps.scanning.privacy import coarse_place


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("Tuyên Quang", "08"),
        ("Tỉnh Tuyên Quang", "08"),
        ("08", "08"),
        ("8", "08"),
        ("VN-03", "08"),  # Hà Giang's ISO code
        ("vn-03", "08"),
        ("Hà Giang", "08"),
        ("ha giang", "08"),
        ("VN-26", "46"),
        ("Thừa Thiên Huế", "46"),
        ("Huế", "46"),
        ("01", "01"),  # bare digits are today's GSO codes: Hà Nội ...
        ("VN-01", "12"),  # ... and VN-01 the ISO code of old Lai Châu
        ("VN-HN", "01"),
        ("TP HCM", "79"),
        ("Bình Dương", "79"),
        ("02", None),  # a GSO code of before, not of today: not read as one
        ("VN-99", None),
        ("Atlantis", None),
        (NO_PLACE, None),
        ("", None),
        (None, None),
    ],
)
def test_given_a_province_as_people_or_records_name_it_then_its_code_today(given, code):
    assert code_of(given) == code


def test_given_every_old_province_then_its_iso_code_and_name_read_as_the_province_it_is_part_of():
    for old in provinces.OLD.values():
        assert code_of(old.iso) == code_of(old.name) == old.now
        assert old.iso in spellings(old.now)


def test_given_a_province_of_today_then_it_is_read_under_its_code_and_its_old_parts_codes_only():
    assert spellings("08") == ("08", "VN-03", "VN-07")
    assert spellings("46") == ("46", "VN-26")
    assert "VN-DN" not in spellings("46") and "VN-27" in spellings("48")  # Quảng Nam is Đà Nẵng's
    assert max(len(spellings(code)) for code in provinces.CURRENT) == 4  # constant work per province
    assert spellings_of(["VN-03", "08", "46"]) == ["08", "VN-03", "VN-07", "46", "VN-26"]


def test_given_names_then_old_ones_say_so_and_todays_do_not():
    assert is_old("Hà Giang") and is_old("VN-03") and is_old("Thừa Thiên Huế")
    assert not is_old("Tuyên Quang") and not is_old("08") and not is_old("Huế") and not is_old("Atlantis")
    assert name_of("VN-26") == name_of("46") == "Thành phố Huế"
    assert name_of(None) == "không rõ" and name_of("TH-10") == "TH-10"


@pytest.mark.parametrize(
    ("region", "province"),
    [
        ("26", "46"),
        ("VN-26", "46"),
        ("03", "08"),
        ("HN", "01"),
        ("01", "12"),  # CloudFront means ISO: old Lai Châu
        ("08", "08"),  # no ISO code reads 08: today's GSO code
        ("99", "VN-99"),  # unknown: kept, nobody's province
    ],
)
def test_given_cloudfronts_region_header_then_the_scan_is_placed_in_todays_province(region, province):
    assert coarse_place({"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": region}) == (
        "VN",
        province,
    )
    assert coarse_place({"cloudfront-viewer-country": "TH", "cloudfront-viewer-country-region": "10"}) == (
        "TH",
        "TH-10",
    )
