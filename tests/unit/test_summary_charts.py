"""The inspectors' SVG charts are Vietnamese text like every page (docs/WORDS.md, rule 3): days
as dd/mm/yyyy (dd/mm on the axis), never ISO dates, and no English beside the Vietnamese."""

from __future__ import annotations

import re

from ocop_stamps.inspection.summary import chart_bars, chart_verdicts

SUMMARY = {
    "from": "2026-11-01",
    "to": "2026-11-03",
    "days": [
        {"day": "2026-11-01", "total": 2, "verdicts": {"genuine": 2}},
        {"day": "2026-11-02", "total": 0, "verdicts": {}},
        {"day": "2026-11-03", "total": 1, "verdicts": {"recalled": 1}},
    ],
    "totals": {"genuine": 2, "recalled": 1},
}


def _text(svg: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", svg).split()) + " " + " ".join(re.findall(r'aria-label="([^"]*)"', svg))


def test_given_a_month_of_scans_then_the_chart_names_its_days_as_vietnamese_readers_write_them():
    text = _text(chart_verdicts(SUMMARY))

    assert "01/11/2026 – 03/11/2026" in text
    assert "01/11/2026: 2" in text and "01/11" in text and "03/11" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\b\d{2}-\d{2}\b", text), text


def test_given_no_rows_then_the_bar_chart_says_so_in_vietnamese_only():
    text = _text(chart_bars("Cảnh báo đang mở theo loại", []))

    assert "Không có dữ liệu" in text and "no data" not in text
