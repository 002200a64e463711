"""Which province's inspectors a scan record belongs to (``storage.keys.jurisdiction``): where
it was scanned when the edge says so, else the province a consumer's report names as the
place of purchase (``core.provinces.named_in``), else the producer's province, else none."""

from __future__ import annotations

import pytest

from ocop_stamps.core.provinces import NO_PLACE, named_in
from ocop_stamps.storage.keys import jurisdiction


@pytest.mark.parametrize(
    ("where", "province"),
    [
        ("Chợ Đồng Xuân, Hà Nội", "VN-HN"),
        ("cho dong xuan, ha noi", "VN-HN"),  # typed without diacritics
        ("Số 5 đường Lạng Sơn, Hà Nội", "VN-HN"),  # the province comes last in an address
        ("Chợ Bến Thành, TP HCM", "VN-SG"),
        ("TP. Hồ Chí Minh", "VN-SG"),
        ("Huế", "VN-26"),
        ("Chợ Thái, quầy 12, Thái Nguyên", "VN-69"),
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
        ("VN-HN", "VN-SG", "Thái Nguyên", "VN-HN"),  # the edge's place wins
        (None, "VN-SG", "Thái Nguyên", "VN-SG"),  # then the place the consumer named
        (None, None, "Thái Nguyên", "VN-69"),  # then the producer's province
        ("US-CA", None, None, NO_PLACE),  # a place abroad is no province: nobody's but national inspectors'
        (None, None, None, NO_PLACE),
    ],
)
def test_given_what_a_record_knows_of_places_then_its_jurisdiction(scan_place, named, producer, expected):
    assert jurisdiction(scan_place, producer, named) == expected
