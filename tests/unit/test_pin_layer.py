"""The PIN layer of a two-layer batch (issue 14): the PIN of each label printed exactly in its
label's scratch-off panel, on the same sheet as the QR labels, clear of QR, code and name."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest

from ocop_stamps.codes import pins
from ocop_stamps.printing import render, sheets
from ocop_stamps.printing.qr import layout as qr_layout

KEYS = pins.make_pin_keys({1: bytes(range(16))})
URL_LENGTH = len("https://tem.example.vn/01/08930000000019/21/1ABCDEFGHJKMNPQR")


def _layout(sheet: sheets.Sheet) -> sheets.LabelLayout:
    return sheets.label_layout(sheet.label_w, sheet.label_h, qr_layout(URL_LENGTH, "M").size)


def _overlap(a: sheets.Box, b: sheets.Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


@pytest.mark.parametrize("preset", list(sheets.PRESETS))
def test_given_each_sheet_then_the_pin_panel_is_on_the_label_clear_of_the_qr_and_the_code(preset: str) -> None:
    lay = _layout(sheets.PRESETS[preset])
    box = sheets.pin_box(lay)
    assert box.x >= 0 and box.y >= 0 and box.x + box.w <= lay.width and box.y + box.h <= lay.height
    assert box.w > 8 and box.h >= 3  # room for eight digits a person can read
    assert not _overlap(box, lay.qr) and not _overlap(box, lay.code)


@pytest.mark.parametrize("preset", list(sheets.PRESETS))
def test_given_a_two_layer_label_then_the_product_name_and_stars_end_above_the_panel(preset: str) -> None:
    lay = _layout(sheets.PRESETS[preset])
    info = render.LabelText("Chè Tân Cương Thái Nguyên hảo hạng đặc biệt", 5, pin_panel=True)
    lines, size, stars, star_r = render._text_block(lay, info)
    panel_top = sheets.pin_box(lay).y
    assert lay.text.y + len(lines) * size * 1.2 <= panel_top + 1e-6
    assert all(y + star_r <= panel_top + 1e-6 for _, y in stars)
    one_layer = render._text_block(lay, render.LabelText(info.product_name, 5))
    assert len(one_layer[0]) >= len(lines)  # a one-layer label keeps its whole text area


def test_given_a_sheet_of_pins_then_each_pin_is_printed_inside_its_own_labels_panel() -> None:
    sheet = sheets.PRESETS["a4-65"]
    lay = _layout(sheet)
    serials = list(range(1, 71))  # a page and five labels more
    codes = [pins.derive(KEYS, 1, 42, s) for s in serials]
    out = io.BytesIO()
    n = render.write_pin_pdf(out, [(serials, codes)], sheet, lay, cut_marks=True)
    pdf = pdfium.PdfDocument(out.getvalue())
    assert n == 70 and len(pdf) == 2
    box, k = sheets.pin_box(lay), 72 / 25.4
    for index, pin in enumerate(codes):
        page = pdf[index // sheet.per_page].get_textpage()
        text = page.get_text_range()
        at = text.index(f"{pin[:4]} {pin[4:]}")
        left, bottom, right, top = page.get_charbox(at)
        ox, oy = sheet.origin(index)
        panel_left, panel_top = (ox + box.x) * k, (sheet.page_h - oy - box.y) * k
        assert panel_left <= left and panel_top >= top
        assert bottom >= panel_top - box.h * k and left <= panel_left + box.w * k


def test_given_a_pin_layer_then_nothing_but_pins_and_cut_marks_is_printed() -> None:
    sheet = sheets.PRESETS["a4-24"]
    out = io.BytesIO()
    render.write_pin_pdf(out, [([1, 2], ["01234567", "89012345"])], sheet, _layout(sheet), cut_marks=False)
    text = pdfium.PdfDocument(out.getvalue())[0].get_textpage().get_text_range()
    assert text.split() == ["0123", "4567", "8901", "2345"]
