"""Activation by camera, the parts that need no AWS: the pages as rendered, the verdict buyers
will see, and the static files (the vendored decoder is the npm tarball's, as SOURCE says)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from ocop_stamps.console import activation_views as views
from ocop_stamps.console import assets
from ocop_stamps.console.activation import verdict_words
from ocop_stamps.core import words

TODAY = dt.date.today()
LOTS = [views.LotChoice("lot-1", "HH-<b>", "2026-11-01", False), views.LotChoice("lot-2", "HH-R", "2026-10-01", True)]


def _form(**kwargs: object) -> str:
    return views.activation_form(
        "vi",
        "7",
        "Cao ngựa <bạch>",
        LOTS,
        "tok",
        "/console/static/scan.js?v=1",
        "/console/static/jsqr.js?v=2",
        **kwargs,
    )


def test_given_the_form_then_codes_can_be_typed_and_the_camera_buttons_wait_for_the_script() -> None:
    page = _form(values={"first": '"><script>', "lot_id": "lot-2"})

    assert '<input id="first" name="first" type="text"' in page and '<input id="last" name="last"' in page
    assert page.count('class="scan" hidden') == 2  # shown by scan.js only where a camera can be asked for
    assert 'Quét bằng camera<span class="vh"> (tem đầu cuộn)</span>' in page
    assert "&quot;&gt;&lt;script&gt;" in page and "<script>" not in page.replace('<script src="', "")
    assert "HH-&lt;b&gt;" in page and "Cao ngựa &lt;bạch&gt;" in page
    assert '<option value="lot-2" selected>HH-R · đã thu hồi</option>' in page
    assert re.search(r'<p id="camera-status" class="status" role="status" aria-live="polite"></p>', page)


def test_given_a_refused_field_then_its_words_in_both_languages_are_tied_to_it() -> None:
    page = _form(problems={"last": views.problem("reversed", "vi", first=50, last=10)})

    assert 'aria-invalid="true" aria-describedby="last-hint last-err"' in page
    error = re.search(r'<div class="err" id="last-err">(.*?)</div>', page)
    assert error and "quét ngược chiều cuộn" in error.group(1) and 'lang="en"' in error.group(1)
    assert "scanned backwards" in error.group(1)
    assert 'role="alert">Chưa kích hoạt' in page


def test_given_no_lot_of_the_product_then_the_form_says_to_register_one_first() -> None:
    page = views.activation_form("en", "7", "P", [], "tok", "/s.js", "/d.js")

    assert "Register a lot before activating stamps" in page and "<form" not in page


def test_given_a_lot_then_buyers_are_told_its_verdict_recalled_and_expired_first() -> None:
    fresh = {"expiry_date": (TODAY + dt.timedelta(days=30)).isoformat()}
    expired = {"expiry_date": (TODAY - dt.timedelta(days=1)).isoformat()}
    recalled = {**fresh, "recall": {"status": "recalled"}}

    assert verdict_words(fresh, "vi").startswith("Tem chính hãng")
    assert verdict_words(expired, "en") == words.text("verdict.expired", "en")
    assert verdict_words(recalled, "vi") == "Lô hàng này đã bị thu hồi"
    assert verdict_words(fresh, "vi", void=True) == "Tem đã bị nhà sản xuất hủy"


def test_given_the_static_files_then_urls_carry_their_hash_and_the_decoder_is_the_npm_tarballs() -> None:
    source = (assets.STATIC_DIR / "vendor" / "jsqr" / "SOURCE").read_text(encoding="utf-8")
    decoder = assets.asset("jsqr.js").body
    script = assets.asset("scan.js").body.decode()

    assert f"sha256 (jsQR.js):  {hashlib.sha256(decoder).hexdigest()}" in source
    assert "jsqr-1.4.0.tgz" in source and "Apache-2.0" in source
    assert assets.url("scan.js") == f"/console/static/scan.js?v={hashlib.sha256(script.encode()).hexdigest()[:16]}"
    assert "eval(" not in script and "innerHTML" not in script and "http" not in script
