"""The pages a Digital Link without a stamp walks up to (issue 11): a product's page
(``/01/{gtin}``) and a lot's page (``/01/{gtin}/10/{lot}``).

They say what the catalog says -- product, producer, OCOP rating; for a lot its dates,
origin, process and recall -- and never a verdict: there is no stamp here to check, so the
page says so and asks the reader to scan the stamp. Every value is escaped by the shared
section renderers of ``scan_page``; Vietnamese first, English by ``?lang=en``.
"""

from __future__ import annotations

from typing import Any

from ocop_stamps.core import words
from ocop_stamps.core.vocabulary import LANGS
from ocop_stamps.pages.scan_page import (
    _certs,
    _dl,
    _e,
    _origin,
    _producer,
    _product,
    _row,
    _steps,
    _time,
    check_form,
    lot_standards,
    page,
    quantity_text,
)

TEXT: dict[str, tuple[str, str]] = {
    **words.section("catalog"),
    **{
        k: words.pair("page." + k)
        for k in (
            *("lot", "lot_code", "production_date", "expiry_date", "quantity", "standards"),
            *("recalled", "recall_msg"),
        )
    },
}


def _t(key: str, lang: str) -> str:
    vi, en = TEXT[key]
    return en if lang == "en" else vi


def _lot(lot: dict[str, Any], product: dict[str, Any], lang: str) -> str:
    quantity = quantity_text(lot, lang)
    rows = [
        _row(_t("lot_code", lang), _e(lot.get("lot_code"))),
        _row(_t("production_date", lang), _time(lot.get("production_date"), lang)),
        _row(_t("expiry_date", lang), _time(lot.get("expiry_date"), lang)),
        _row(_t("quantity", lang), _e(quantity)),
        _row(_t("standards", lang), lot_standards(lot, product)),
    ]
    return f"<section id=lot><h2>{_t('lot', lang)}</h2>{_dl(rows)}</section>"


def _recall(lot: dict[str, Any], lang: str) -> str:
    recall = lot.get("recall")
    if not isinstance(recall, dict) or recall.get("status") != "recalled":
        return ""
    notice = recall.get("message_en") if lang == "en" and recall.get("message_en") else recall.get("message_vi")
    quote = f"<p>{_t('recall_msg', lang)}</p><blockquote>{_e(notice)}</blockquote>" if notice else ""
    return f'<section class="v bad" role=alert><div><h2>{_t("recalled", lang)}</h2>{quote}</div></section>'


def render_catalog(found: dict[str, Any], lang: str = "vi", *, path: str) -> str:
    """The product's page, or the lot's page when ``found`` has a ``lot``
    (``verification.catalog_at``). ``path``: this page's own path, for the language switch."""
    lang = lang if lang in LANGS else "vi"
    product = found.get("product") or {}
    lot = found.get("lot")
    name = product.get("name_en") if lang == "en" and product.get("name_en") else product.get("name")
    parts = [f"<h1>{_e(name)}</h1>"]
    if isinstance(lot, dict):
        parts.append(_recall(lot, lang))
    parts.append(f"<p class=muted>{_t('no_verdict', lang)}</p>")
    parts += [_product(product, lang), _producer(found.get("producer") or {}, lang)]
    if isinstance(lot, dict):
        parts += [
            _lot(lot, product, lang),
            _origin(lot.get("origin"), lang),
            _certs(lot.get("certifications"), lang),
            _steps(lot.get("process_steps"), lang),
        ]
    parts.append(check_form(lang))
    title = f"{_t('lot_title' if isinstance(lot, dict) else 'product_title', lang)}: {_e(name)}"
    return page(title, "".join(parts), lang, path)
