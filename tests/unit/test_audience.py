"""Who sees a scan or an alert (issue 11, ``storage.keys.audience``): the inspectors of each place
it happened and of the producer's province. The index keys ``keys.fill`` writes reach exactly
those provinces' reads, and the scope check says the same."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ocop_stamps.core.auth import Principal
from ocop_stamps.inspection.queries import Scope
from ocop_stamps.places.scopes import NO_PLACE
from ocop_stamps.storage.keys import audience, fill


@pytest.mark.parametrize(
    ("places", "producer", "expected"),
    [
        (["01"], "Thái Nguyên", ("01", "19")),  # a clone in Hà Nội: both provinces
        (["19"], "Thai Nguyen", ("19",)),  # scanned at home: once
        ([None], "19", ("19",)),  # no place known
        (["01", "79", "01"], "Thái Nguyên", ("01", "19", "79")),  # an alert's places
        ([None], None, (NO_PLACE,)),  # an unknown code with no place: national scopes only
        (["US", NO_PLACE], "Hà Nội", ("01",)),  # not a province of Vietnam: not a place here
        # issue 12: places and producers recorded under the 63 old codes count as today's province
        (["VN-HN"], "VN-69", ("01", "19")),
        (["VN-03", "08"], "Hà Giang", ("08",)),  # old Hà Giang and today's Tuyên Quang: one province
        (["VN-26"], "Thừa Thiên Huế", ("46",)),
        (["VN-SG", "VN-57", "VN-43"], None, ("79",)),  # three old provinces, one city today
    ],
)
def test_given_where_a_scan_happened_and_its_producer_then_the_provinces_that_see_it(places, producer, expected):
    assert audience(places, producer) == expected


def _line(place: str | None, producer: str | None, report: str | None = None) -> SimpleNamespace:
    line = SimpleNamespace(code="ABCD", scan_key="2026-11-23T06:00:00.123Z#0000000002", verdict="genuine")
    line.__dict__.update(province=place, producer_province=producer, report_province=report)
    line.__dict__.update(lot_id=None, batch_no=None, product_id=None, producer_id=None, scanned_at=line.scan_key[:24])
    line.client_hash = None
    return line


@pytest.mark.parametrize(
    ("place", "producer", "report"),
    [
        ("01", "Tỉnh Thái Nguyên", None),
        ("19", "Thái Nguyên", None),
        (None, "Thái Nguyên", None),
        (None, "Thái Nguyên", "79"),  # a report naming where it was bought
        ("48", None, None),  # an unknown code
        (None, None, None),
        ("VN-03", "Tỉnh Tuyên Quang", None),  # an old place given: written as today's province
    ],
)
def test_given_a_line_then_the_index_keys_fill_writes_reach_exactly_its_audience(place, producer, report):
    line = _line(place, producer, report)
    fill(line, retention_days=1, salt_version="1")

    reached = {line.province_shard.split("#")[0]} | ({line.home_shard.split("#")[0]} if line.home_shard else set())
    assert reached == set(audience([line.jurisdiction], producer))
    assert line.home_shard is None or line.home_province != line.jurisdiction  # no line read twice
    for province in ("19", "01", "79", "48", "04", "08"):
        who = Principal(subject="i", groups=frozenset({"inspector"}), provinces=(province,))
        assert Scope.of(who).sees([line.jurisdiction], line.home_province) == (province in reached)
