"""Issue 13: when the service is too busy to check a stamp or keep a report, the consumer is
told so, in their language, with no verdict and a way to try again; the API says it in the
error shape with Retry-After."""

from __future__ import annotations

import unicodedata

import pytest

from ocop_stamps.core.errors import NotFound, busy, unavailable
from ocop_stamps.core.vocabulary import Verdict
from ocop_stamps.pages import scan_page

CODE = "7K2M9QXR4TBV8WHP"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_given_a_stamp_that_could_not_be_checked_then_the_page_claims_no_verdict_and_offers_to_try_again(lang):
    page = scan_page.render_unavailable(CODE, lang)

    assert f"<html lang={lang}>" in page and CODE in page
    assert f'href="/v/{CODE}?lang={lang}"' in page
    title = "Chưa kiểm tra được tem lúc này" if lang == "vi" else "This stamp could not be checked just now"
    assert title in page
    verdict_titles = [scan_page.TEXT[v.value][lang == "en"] for v in Verdict]
    assert not [t for t in verdict_titles if t in page] and 'data-verdict="unavailable"' in page
    assert unicodedata.is_normalized("NFC", page)


def test_given_a_report_that_could_not_be_kept_then_the_page_asks_to_send_it_again_from_the_form():
    page = scan_page.render_unavailable(CODE, "vi", report=True)

    assert "Chưa gửi được báo cáo" in page and "chưa được lưu" in page
    assert f'href="/v/{CODE}/report?lang=vi"' in page


def test_given_a_code_with_markup_then_the_page_escapes_it():
    page = scan_page.render_unavailable('<script>"x"', "en")

    assert "<script>" not in page and "&lt;script&gt;" in page


def test_given_retryable_errors_then_they_say_when_to_retry_and_others_do_not():
    assert unavailable().status == 503 and unavailable().headers() == {"Retry-After": "5"}
    assert busy().status == 409 and busy().headers() == {"Retry-After": "1"}
    assert NotFound("x", "y").headers() == {}
    body = unavailable().body()["error"]
    assert body["code"] == "unavailable" and body["message"] and body["message_vi"]
