"""The console's pages render what they are given, escaped, labelled, in the chosen language."""

from __future__ import annotations

import re

from ocop_stamps.console import frame, views

EVIL = '<script>alert("x")</script>'
PRODUCT = {"product_id": "p1", "name": EVIL, "ocop": {"stars": 4, "status": "valid", "valid_until": "2028-01-31"}}
LOT = {
    "lot_id": "l1",
    "lot_code": EVIL,
    "product_id": "p1",
    "production_date": "2026-11-01",
    "recall": {"status": "recalled"},
}
BATCH = {
    "batch_id": "7",
    "product_id": "p1",
    "size": 12000,
    "activated_count": 500,
    "voided_count": 3,
    "created_at": "2026-11-02T01:00:00Z",
    "activations": [],
}


def test_given_values_with_markup_when_the_overview_renders_then_none_reaches_the_page_raw() -> None:
    body = views.producer_home("vi", [PRODUCT], [LOT], [BATCH], {7: 42})

    assert "<script>" not in body and "&lt;script&gt;" in body


def test_given_a_batch_when_the_overview_renders_then_its_four_counts_show_the_vietnamese_way() -> None:
    body = views.producer_home("vi", [PRODUCT], [LOT], [BATCH], {7: 4200})

    assert re.search(
        r"Đã cấp</dt><dd>12\.000</dd>.*Đã kích hoạt</dt><dd>500</dd>.*Lượt quét</dt><dd>4\.200</dd>.*Đã hủy</dt><dd>3</dd>",
        body,
    )
    assert "4 sao" in body and "Còn hiệu lực đến 31/01/2028" in body and "Đã thu hồi" in body


def test_given_english_when_the_overview_renders_then_the_words_and_numbers_are_english() -> None:
    body = views.producer_home("en", [PRODUCT], [], [BATCH], {})

    assert "Issued</dt><dd>12,000</dd>" in body and "4 stars" in body and "No production lots yet." in body


def test_given_the_batch_form_when_rendered_then_every_control_is_labelled_and_the_form_carries_its_keys() -> None:
    body = views.batch_form("vi", [PRODUCT], "tok", "key-123", {"size": "x"}, {"size": "Số lượng sai"})
    ids = re.findall(r'<(?:select|input|textarea) id="([^"]+)"', body)

    assert ids and all(f'<label for="{i}">' in body for i in ids)
    assert 'name="csrf" value="tok"' in body and 'name="idempotency_key" value="key-123"' in body
    assert 'aria-invalid="true" aria-describedby="size-err"' in body


def test_given_a_page_when_framed_then_its_policy_allows_this_origin_only_and_no_inline_style_or_script() -> None:
    document = frame.page("vi", "Tổng quan", "<p>x</p>", who=EVIL, csrf="t")
    policy = frame.csp()

    assert "default-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert "<script" not in document and "style=" not in document and "<style" not in document
    assert '<html lang="vi">' in document and 'href="?lang=en"' in document and "&lt;script&gt;" in document
