"""Text as the service keeps it (issue 11, fault 5): whatever enters -- a body, a query or path
parameter, the public report form -- and whatever comes back from a table is NFC, so a name
pasted from a Mac (decomposed, NFD) reads, filters and prints like one typed on a phone."""

from __future__ import annotations

import unicodedata

from ocop_stamps.api.reading import with_text_parameters
from ocop_stamps.core.text import clean_text, nfc
from ocop_stamps.printing.render import LabelText
from ocop_stamps.scanning.reports import clean

NAME = "Mật ong bạc hà Đồng Văn"
DECOMPOSED = unicodedata.normalize("NFD", NAME)


def test_given_nested_stored_values_in_nfd_then_every_string_and_key_comes_back_nfc():
    stored = {
        "name": {"S": DECOMPOSED},
        "tags": {"SS": [DECOMPOSED]},
        "origin": {"M": {DECOMPOSED: {"L": [DECOMPOSED]}}},
    }

    read = nfc(stored)

    assert read == {"name": {"S": NAME}, "tags": {"SS": [NAME]}, "origin": {"M": {NAME: {"L": [NAME]}}}}


def test_given_values_already_nfc_then_nothing_is_copied():
    stored = {"name": {"S": NAME}, "n": {"N": "3"}, "photo": {"B": b"\xff"}, "steps": [{"who": NAME}]}

    assert nfc(stored) is stored


def test_given_a_query_parameter_typed_decomposed_then_the_route_reads_it_composed():
    event = {"queryStringParameters": {"province": DECOMPOSED}, "pathParameters": {"lot_id": "lot_1"}}

    read = with_text_parameters(event)

    assert read["queryStringParameters"] == {"province": NAME}
    assert event["queryStringParameters"] == {"province": DECOMPOSED}  # the caller's event is kept
    assert with_text_parameters(read) is read


def test_given_a_report_written_decomposed_with_invisible_characters_then_it_is_kept_composed_and_clean():
    assert clean(f"\u202e{DECOMPOSED}\u200b\r\n  chợ\tphiên ", 120) == f"{NAME}\n chợ phiên"
    assert clean("\ud800 chợ", 120) is None  # a lone surrogate is not text
    assert clean_text(DECOMPOSED) == NAME


def test_given_a_decomposed_product_name_then_the_label_draws_the_composed_one():
    assert LabelText(DECOMPOSED, 4).product_name == NAME
