"""Which province's inspectors a scan record belongs to (``storage.keys.jurisdiction``): where
it was scanned when the edge says so, else the province a consumer's report names as the
place of purchase (``places.scopes.named_in``), else the producer's province, else none."""

from __future__ import annotations

import pytest

from ocop_stamps.places.scopes import NO_PLACE, named_in
from ocop_stamps.storage.keys import jurisdiction


@pytest.mark.parametrize(
    ("where", "province"),
    [
        ("Chợ Đồng Xuân, Hà Nội", "01"),
        ("cho dong xuan, ha noi", "01"),  # typed without diacritics
        ("Số 5 đường Lạng Sơn, Hà Nội", "01"),  # the province comes last in an address
        ("Chợ Bến Thành, TP HCM", "79"),
        ("TP. Hồ Chí Minh", "79"),
        ("Huế", "46"),
        ("Thừa Thiên Huế", "46"),  # the old name: today's city
        ("Chợ Thái, quầy 12, Thái Nguyên", "19"),
        ("Chợ Đồng Văn, Hà Giang", "08"),  # an old province: the one it is part of today
        ("Thủ Dầu Một, Bình Dương", "79"),
        ("Quầy 12 chợ Thái", None),  # no province named
        ("", None),
        (None, None),
    ],
)
def test_given_where_a_consumer_bought_it_then_the_province_it_names(where, province):
    assert named_in(where) == province


@pytest.mark.parametrize(
    ("scan_place", "named", "producer", "expected"),
    [
        ("01", "79", "Thái Nguyên", "01"),  # the edge's place wins
        (None, "79", "Thái Nguyên", "79"),  # then the place the consumer named
        (None, None, "Thái Nguyên", "19"),  # then the producer's province
        ("VN-03", None, "Thái Nguyên", "08"),  # an old ISO code: today's province (issue 12)
        (None, None, "Hà Giang", "08"),  # a producer's address from before 2025
        ("US-CA", None, None, NO_PLACE),  # a place abroad is no province: nobody's but national inspectors'
        (None, None, None, NO_PLACE),
    ],
)
def test_given_what_a_record_knows_of_places_then_its_jurisdiction(scan_place, named, producer, expected):
    assert jurisdiction(scan_place, producer, named) == expected
