"""The pages of the producer's remaining console jobs render what they are given: process-step
rows on the lot form (labelled, grouped, the refusal in both languages at its field), the lot
page's steps and batch links, lifting a recall, voiding stamps by code; every value escaped."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from ocop_stamps.catalog.schemas import LotIn
from ocop_stamps.console import lots, views_lifecycle, views_lots, views_stamp_voids
from ocop_stamps.console.fields import Both
from ocop_stamps.console.views_stamp_voids import Stamp

EVIL = '<script>alert("x")</script>'
PROVINCES = [("19", "Tỉnh Thái Nguyên")]
COMMUNES = {"Xã": [("05953", "Xã Kha Sơn"), ("00000", EVIL)]}
PRODUCTS = [{"product_id": "p1", "name": "Chè"}]
SEEN = {"vi": ("Tem chính hãng", ["<p>x</p>"]), "en": ("Genuine", ["<p>x</p>"])}
REASONS = [("lost", "tem thất lạc"), ("damaged", "tem hư hỏng")]


def _controls_labelled(html: str) -> list[str]:
    ids = re.findall(r'<(?:input|select|textarea) id="([^"]+)"', html)
    return [i for i in ids if f'<label for="{i}">' not in html]


def _pages() -> dict[str, str]:
    values = {"province": "19", "s0_step": EVIL, "s1_who": EVIL, "codes": EVIL, "reason": EVIL}
    lot = {
        "lot_id": "l1",
        "lot_code": "HH-1",
        "quantity": 3,
        "unit": "hộp",
        "process_steps": [{"step": EVIL, "when": "2026-11-10", "where": EVIL, "place": {"commune": EVIL}}],
        "recall": {"status": "recalled", "at": "2026-11-20T01:00:00Z"},
    }
    stamps = [Stamp(7, 12, "ABCDEFGHJKMNPQRS")]
    return {
        "lot_form": views_lots.lot_form(
            "vi", PRODUCTS, PROVINCES, COMMUNES, "c", values, {"s0_when": Both(EVIL, EVIL, "en")}, views_lots.Steps(3)
        ),
        "lot_page": views_lots.lot_page("vi", lot, EVIL, None, [7, 9]),
        "lift_form": views_lifecycle.lift_form("vi", "l1", EVIL, "20/11/2026", "c", values, {"reason": EVIL}),
        "lift_confirm": views_lifecycle.lift_confirm("vi", "l1", EVIL, "c", values, SEEN),
        "void_codes": views_stamp_voids.form("vi", REASONS, "c", "/s.js", "/q.js", values, {"codes": EVIL}, 10),
        "void_codes_confirm": views_stamp_voids.confirm("vi", stamps, EVIL, "c", values, SEEN),
        "void_codes_done": views_stamp_voids.done("vi", stamps, SEEN),
    }


@pytest.mark.parametrize("name", list(_pages()))
def test_given_values_with_markup_when_a_page_renders_then_none_reaches_it_raw_and_every_control_is_labelled(
    name: str,
) -> None:
    html = _pages()[name]

    assert "<script>alert" not in html
    assert _controls_labelled(html) == []


def test_given_three_step_rows_when_the_lot_form_renders_then_each_is_a_fieldset_and_register_comes_before_add() -> (
    None
):
    html = _pages()["lot_form"]

    assert html.count('<fieldset class="step">') == 3 and "<legend>Công đoạn 3</legend>" in html
    assert '<input type="hidden" name="step_rows" value="3">' in html
    assert '<input id="s2_commune" name="s2_commune" type="text" value="" list="step-communes"' in html  # optional
    assert html.count("<datalist") == 1 and '<option value="Xã Kha Sơn"></option>' in html  # one list for all rows
    assert html.index('<button type="submit">') < html.index(
        'name="action" value="add_step"'
    )  # Enter registers; it never adds a row
    assert 'value="add_step" class="quiet" formnovalidate>' in html
    assert "autofocus" not in html


def test_given_a_step_refusal_in_both_languages_when_rendered_then_both_show_at_its_field() -> None:
    html = views_lots.lot_form(
        "vi", PRODUCTS, PROVINCES, COMMUNES, "c", {"province": "19"}, {"s1_when": Both("Ngày sai", "Bad day", "en")}
    )

    assert re.search(
        r'id="s1_when" name="s1_when" type="date"[^>]*aria-invalid="true" aria-describedby="s1_when-err"', html
    )
    assert '<div class="err" id="s1_when-err"><p>Ngày sai</p><p class="muted" lang="en">Bad day</p></div>' in html
    assert '<a href="#s1_when">Ngày sai</a>' in html


def test_given_pydantic_errors_of_the_second_filled_step_then_they_land_on_that_row_of_the_form() -> None:
    body = {
        "product_id": "p1",
        "lot_code": "HH-1",
        "production_date": "2026-11-20",
        "quantity": 1,
        "origin": {"province": "19"},
        "process_steps": [{"step": "Thu hoạch", "when": "2026-11-10"}, {"step": "", "when": "2999-01-01"}],
    }
    with pytest.raises(ValidationError) as caught:
        LotIn.model_validate(body)

    found = lots.validation_problems(caught.value, "vi", rows=[0, 3])

    assert set(found) == {"s3_step", "s3_when"}
    assert isinstance(found["s3_when"], Both) and found["s3_when"].there_lang == "en"
    assert found["s3_when"].startswith("Hãy nhập ngày làm") and found["s3_when"].there.startswith("Enter the day")


def test_given_rows_filled_beyond_the_count_then_the_form_keeps_them_and_never_exceeds_its_limit() -> None:
    assert lots.step_rows({}) == 2
    assert lots.step_rows({"step_rows": "2", "s4_who": "x"}) == 5
    assert lots.step_rows({"step_rows": "3"}, more=1) == 4
    assert lots.step_rows({"step_rows": "99"}, more=1) == lots.MAX_STEP_ROWS


def test_given_a_recalled_lot_with_batches_then_its_page_offers_the_lift_and_links_each_batch() -> None:
    html = _pages()["lot_page"]

    assert '<a class="button" href="/console/lots/l1/lift">Gỡ lệnh thu hồi</a>' in html
    assert '/console/lots/l1/recall"' not in html
    assert '<a href="/console/batches/7">Đợt cấp tem số 7</a>' in html and 'href="/console/batches/9"' in html
    assert "<ol><li><strong>&lt;script&gt;" in html and "10/11/2026" in html


def test_given_the_void_by_code_form_then_the_camera_button_appends_and_waits_for_the_script() -> None:
    html = _pages()["void_codes"]

    assert '<button type="button" class="scan" hidden data-field="codes" data-append="1"' in html
    assert '<div id="camera" class="camera" hidden data-decoder="/q.js"' in html
    assert '<script src="/s.js" defer></script>' in html
    assert '<textarea id="codes" name="codes" rows="4" maxlength="1000" required' in html


def test_given_the_void_by_code_confirmation_then_it_names_batch_serial_code_and_carries_canonical_codes() -> None:
    html = _pages()["void_codes_confirm"]

    assert "Đợt số 7, sê-ri 12 · <code>ABCD-EFGH-JKMN-PQRS</code>" in html
    assert '<input type="hidden" name="codes" value="ABCDEFGHJKMNPQRS">' in html
    assert '<input type="hidden" name="step" value="do">' in html and 'class="danger">Hủy 1 tem</button>' in html


def test_given_the_most_rows_when_the_lot_form_renders_then_no_row_can_be_added() -> None:
    html = views_lots.lot_form(
        "vi", PRODUCTS, PROVINCES, COMMUNES, "c", {"province": "19"}, {}, views_lots.Steps(20, None, can_add=False)
    )

    assert html.count('<fieldset class="step">') == 20 and 'value="add_step"' not in html
