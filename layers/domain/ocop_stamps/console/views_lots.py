"""The lot pages: register a lot (a two-step form without script), one lot. Render only.

Step 1 is a GET form with the 34 provinces; choosing one reloads the page with that
province's communes, wards and special zones in a ``<select>`` grouped by kind
(``<optgroup>``), so a phone's picker shows three short lists, not one of a hundred names.
Step 2 is the lot's own form (POST, CSRF token). ``console.lots`` reads the lists and the lot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ocop_stamps.console import fields
from ocop_stamps.console.fields import Option
from ocop_stamps.console.frame import e, t
from ocop_stamps.console.views import number
from ocop_stamps.core import dates

MAX_LIST_TEXT = 2_000  # standards / certifications: 20 lines of up to 100 characters


def _day(value: Any) -> str:
    return e(dates.show(value)[-10:]) if value else ""


def province_step(
    lang: str, action: str, heading: str, provinces: Sequence[Option], province: str, problems: fields.Problems
) -> str:
    """Step 1 of a form with an address (a lot's origin, a producer's address): a GET form to
    ``action`` with the province picker alone, so choosing one reloads the page with that
    province's communes (``commune_picker``) and no CSRF token travels in a URL."""
    return (
        f'<section aria-labelledby="h-step1"><h2 id="h-step1">{heading}</h2>'
        f'<form class="stack" method="get" action="{e(action)}">'
        + fields.select(
            "province",
            t("province", lang),
            provinces,
            province,
            {k: v for k, v in problems.items() if k == "province"},
            placeholder=t("choose_province", lang),
        )
        + f'<button type="submit">{t("show_communes", lang)}</button></form></section>'
    )


def commune_picker(
    lang: str,
    provinces: Sequence[Option],
    province: str,
    communes: Mapping[str, Sequence[Option]],
    values: Mapping[str, str],
    problems: fields.Problems,
) -> str:
    """Step 2's address part: the chosen province (shown, and sent as a hidden field) and its
    communes, wards and special zones grouped by kind."""
    return (
        fields.hidden("province", province)
        + f'<p class="muted">{t("province", lang)}: {e(dict(provinces).get(province, province))}</p>'
        + fields.select(
            "commune",
            t("commune", lang),
            communes,
            values.get("commune", ""),
            problems,
            placeholder=t("choose_commune", lang),
        )
    )


def lot_form(
    lang: str,
    products: Sequence[Mapping[str, Any]],
    provinces: Sequence[Option],
    communes: Mapping[str, Sequence[Option]],
    csrf: str,
    values: Mapping[str, str],
    problems: Mapping[str, str],
) -> str:
    """The register-a-lot page: step 1 (province, GET), then, once a province is chosen, step 2
    (the lot, POST). ``communes``: ``{group label: [(code, name)]}`` of the chosen province."""
    province = values.get("province", "")
    step1 = province_step(lang, "/console/lots/new", t("lot_step1", lang), provinces, province, problems)
    if not communes:
        return f"<p>{t('new_lot_d', lang)}</p>{step1}"
    product_options = [(str(p.get("product_id")), str(p.get("name") or "")) for p in products]
    step2 = (
        f'<section aria-labelledby="h-step2"><h2 id="h-step2">{t("lot_step2", lang)}</h2>'
        '<form class="stack" method="post" action="/console/lots">'
        + fields.hidden("csrf", csrf)
        + fields.select(
            "product_id",
            t("product", lang),
            product_options,
            values.get("product_id", ""),
            problems,
            placeholder=t("choose_product", lang),
        )
        + fields.text(
            "lot_code", t("lot_code", lang), values, problems, extra='maxlength="20"', hint=t("lot_code_hint", lang)
        )
        + fields.text("production_date", t("production_date", lang), values, problems, kind="date")
        + fields.text(
            "expiry_date",
            t("expiry_date", lang),
            values,
            problems,
            kind="date",
            required=False,
            hint=t("expiry_hint", lang),
        )
        + fields.text(
            "quantity",
            t("quantity", lang),
            values,
            problems,
            kind="number",
            extra='inputmode="numeric" min="1" max="100000000"',
        )
        + fields.text("unit", t("unit", lang), values, problems, extra='maxlength="20"', hint=t("unit_hint", lang))
        + f"<h3>{t('origin', lang)}</h3>"
        + commune_picker(lang, provinces, province, communes, values, problems)
        + fields.text("area_name", t("area_name", lang), values, problems, required=False, extra='maxlength="200"')
        + fields.area(
            "standards",
            t("standards", lang),
            values,
            problems,
            maxlength=MAX_LIST_TEXT,
            hint=t("standards_hint", lang),
        )
        + fields.area(
            "certifications",
            t("certifications", lang),
            values,
            problems,
            maxlength=MAX_LIST_TEXT,
            hint=t("certifications_hint", lang),
        )
        + f'<button type="submit">{t("submit_lot", lang)}</button></form></section>'
    )
    return f"{fields.summary(lang, problems, 'lot_invalid')}<p>{t('new_lot_d', lang)}</p>{step1}{step2}"


def _origin(origin: Mapping[str, Any]) -> str:
    parts = [origin.get(k) for k in ("area_name", "hamlet", "commune", "district", "province")]
    return e(", ".join(str(p) for p in parts if p))


def lot_page(lang: str, lot: Mapping[str, Any], product_name: str, flash: str | None) -> str:
    """One lot: product, dates, quantity, origin, standards, its recall state and what to do."""
    recall = lot.get("recall") or {}
    recalled = recall.get("status") == "recalled"
    note = f'<p class="note" role="status">{flash}</p>' if flash else ""
    state = (
        f'<p class="bad">{t("recalled_since", lang, date=dates.show(recall.get("at")))}</p>'
        if recalled
        else f'<p><a class="button" href="/console/lots/{e(lot.get("lot_id"))}/recall">{t("recall_lot", lang)}</a></p>'
    )
    expiry = (
        f"<dt>{t('expiry_date', lang)}</dt><dd>{_day(lot.get('expiry_date'))}</dd>" if lot.get("expiry_date") else ""
    )
    lists = "".join(
        f"<dt>{t(key, lang)}</dt><dd>{e(', '.join(lot.get(key) or []))}</dd>"
        for key in ("standards", "certifications")
        if lot.get(key)
    )
    return (
        f"{note}{state}<dl>"
        f"<dt>{t('product', lang)}</dt><dd>{e(product_name)}</dd>"
        f"<dt>{t('production_date', lang)}</dt><dd>{_day(lot.get('production_date'))}</dd>{expiry}"
        f"<dt>{t('quantity', lang)}</dt><dd>{number(lot.get('quantity'), lang)} {e(lot.get('unit'))}</dd>"
        f"<dt>{t('origin', lang)}</dt><dd>{_origin(lot.get('origin') or {})}</dd>{lists}</dl>"
        f'<p><a href="/console">{t("back", lang)}</a></p>'
    )
