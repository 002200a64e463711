"""The GS1 Digital Link path parser, on plain strings (the resolver itself: tests/integration)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ocop_stamps.scanning import digital_link as dl


def test_given_the_parser_then_valid_paths_read_back_to_their_canonical_form():
    link = dl.parse_path("/01/8930000000019/22/A1/10/HH%2F2026/21/ABC/")

    assert link == dl.DigitalLink("08930000000019", "A1", "HH/2026", "ABC")
    assert link.path() == "/01/08930000000019/22/A1/10/HH%2F2026/21/ABC"


def test_given_a_lot_with_a_slash_then_the_encoded_and_the_decoded_path_read_alike():
    # the local stack sends rawPath as the client sent it; API Gateway's HTTP API decodes it
    encoded = dl.parse_path("/01/08930000000019/10/L2026%2F11.A/21/ABC")
    decoded = dl.parse_path("/01/08930000000019/10/L2026/11.A/21/ABC")

    assert encoded == decoded == dl.DigitalLink("08930000000019", lot="L2026/11.A", serial="ABC")
    assert decoded.path() == "/01/08930000000019/10/L2026%2F11.A/21/ABC"
    assert dl.parse_path("/01/08930000000019/22/A/B/10/C/D/") == dl.DigitalLink("08930000000019", "A/B", "C/D")


@pytest.mark.parametrize(
    "path",
    [
        "/01/08930000000019/21",
        "/01/08930000000019/10",
        "/01/08930000000019/21/ABC/foo",  # a serial is one segment
        "/01/08930000000019/10/L1/10/L2/21/ABC",  # a decoded value never hides an AI
        "/01/08930000000019/10//x/21/ABC",
        "/01/08930000000019/10/" + "L" * 15 + "/" + "L" * 5,  # 21 characters once decoded
    ],
)
def test_given_a_path_no_reading_fits_then_bad_link(path: str):
    with pytest.raises(dl.BadLink):
        dl.parse_path(path)


def test_given_link_types_then_gs1_spellings_read_alike_and_others_name_nothing_offered():
    assert {dl.link_type_name(v) for v in ("gs1:pip", "https://gs1.org/voc/pip", "http://gs1.org/voc/pip")} == {"pip"}
    assert dl.link_type_name("all") == dl.link_type_name("linkset") == "linkset"
    links = dl.stamp_links("https://x.vn", "ABC")
    for other in ("gs1:", "", "https://example.com/voc/pip", "gs1:nutritionalInfo"):
        assert dl.redirect_target(links, dl.link_type_name(other), []) is None


def test_given_a_linkset_of_three_levels_then_it_validates_against_gs1s_schema():
    schema = json.loads((Path(__file__).resolve().parents[1] / "data/gs1-linkset/gs1-linkset-schema.json").read_text())
    link = dl.DigitalLink("08930000000019", lot="L2026/11.A", serial="ABC")
    data = dl.linkset("https://tem.example.vn", [(level, "Cao ngựa bạch") for level in dl.levels(link, "L2026/11.A")])

    assert [c["anchor"] for c in data["linkset"]] == [
        "https://tem.example.vn/01/08930000000019/10/L2026%2F11.A/21/ABC",
        "https://tem.example.vn/01/08930000000019/10/L2026%2F11.A",
        "https://tem.example.vn/01/08930000000019",
    ]
    assert list(jsonschema.Draft7Validator(schema).iter_errors(data)) == []
    assert data["linkset"][0]["https://gs1.org/voc/defaultLink"] == [
        {"href": "https://tem.example.vn/v/ABC", "title": "Thông tin sản phẩm và kết quả kiểm tra tem"}
    ]
