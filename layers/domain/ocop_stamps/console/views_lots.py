"""The lot pages: register a lot (a two-step form without script), one lot. Render only.

Step 1 is a GET form with the 34 provinces; choosing one reloads the page with that
province's communes, wards and special zones in a ``<select>`` grouped by kind
(``<optgroup>``), so a phone's picker shows three short lists, not one of a hundred names.
Step 2 is the lot's own form (POST, CSRF token). ``console.lots`` reads the lists and the lot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ocop_stamps.console import fields
from ocop_stamps.console.fields import Option
from ocop_stamps.console.frame import e, t
from ocop_stamps.console.views import number
from ocop_stamps.core import dates

MAX_LIST_TEXT = 2_000  # standards / certifications: 20 lines of up to 100 characters
MAX_STEP_TEXT = 200  # a process step's words (catalog.schemas.Text)


class Steps(NamedTuple):
    """The form's process-step rows: how many, and the row whose first field takes the focus
    (the one "add another step" just added)."""

    rows: int = 2
    focus: int | None = None
    can_add: bool = True  # False at the console's most rows: the "add another step" button is left out


NO_STEPS_ADDED = Steps()


def _step_row(lang: str, i: int, values: Mapping[str, str], problems: Mapping[str, str]) -> str:
    """One step: what was done, the day, the commune (a name, suggested from the lot's province by
    one shared ``<datalist>``: a ``<select>`` per row would repeat the list), where in words, who, why."""

    def name(field: str) -> str:
        return f"s{i}_{field}"

    words_attr = f'maxlength="{MAX_STEP_TEXT}"'
    return (
        f'<fieldset class="step"><legend>{t("step_n", lang, n=i + 1)}</legend>'
        + fields.text(
            name("step"),
            t("step_what", lang),
            values,
            problems,
            required=False,
            extra=words_attr,
            hint=t("step_what_hint", lang) if i == 0 else None,
        )
        + fields.text(name("when"), t("step_when", lang), values, problems, kind="date", required=False)
        + fields.text(
            name("commune"),
            t("step_commune", lang),
            values,
            problems,
            required=False,
            extra='list="step-communes" autocomplete="off" maxlength="100"',
            hint=t("step_commune_hint", lang) if i == 0 else None,
        )
        + fields.text(name("where"), t("step_where", lang), values, problems, required=False, extra=words_attr)
        + fields.text(name("who"), t("step_who", lang), values, problems, required=False, extra=words_attr)
        + fields.text(name("why"), t("step_why", lang), values, problems, required=False, extra=words_attr)
        + "</fieldset>"
    )


def _steps(
    lang: str,
    steps: Steps,
    communes: Mapping[str, Sequence[Option]],
    values: Mapping[str, str],
    problems: Mapping[str, str],
) -> str:
    rows = "".join(_step_row(lang, i, values, problems) for i in range(steps.rows))
    if steps.focus is not None:  # the row just added: its first field, so the keyboard lands there
        first = f'id="s{steps.focus}_step"'
        rows = rows.replace(first, f"{first} autofocus", 1)
    names = "".join(f'<option value="{e(shown)}"></option>' for group in communes.values() for _, shown in group)
    return (
        f'<h3 id="h-steps">{t("steps", lang)}</h3><p class="muted hint">{t("steps_hint", lang)}</p>'
        f'<input type="hidden" name="step_rows" value="{int(steps.rows)}">{rows}'
        f'<datalist id="step-communes">{names}</datalist>'
    )


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
    steps: Steps = NO_STEPS_ADDED,
) -> str:
    """The register-a-lot page: step 1 (province, GET), then, once a province is chosen, step 2
    (the lot, POST). ``communes``: ``{group label: [(code, name)]}`` of the chosen province.
    ``steps``: the process-step rows; the register button comes first in the form's order so that
    Enter registers, "add another step" (``action=add_step``, no validation) after it."""
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
        + _steps(lang, steps, communes, values, problems)
        + f'<div class="actions"><button type="submit">{t("submit_lot", lang)}</button>'
        + (
            f'<button type="submit" name="action" value="add_step" class="quiet" formnovalidate>'
            f"{t('add_step', lang)}</button>"
            if steps.can_add
            else ""
        )
        + "</div></form></section>"
    )
    return f"{fields.summary(lang, problems, 'lot_invalid')}<p>{t('new_lot_d', lang)}</p>{step1}{step2}"


def _origin(origin: Mapping[str, Any]) -> str:
    parts = [origin.get(k) for k in ("area_name", "hamlet", "commune", "district", "province")]
    return e(", ".join(str(p) for p in parts if p))


def _steps_done(lang: str, steps: Sequence[Mapping[str, Any]]) -> str:
    """The lot's process steps as recorded, in order: what, when, where (words, then the place), who, why."""
    if not steps:
        return ""
    items = []
    for step in steps:
        place = _origin({**(step.get("place") or {}), "area_name": step.get("where")})
        bits = [
            f"<strong>{e(step.get('step'))}</strong>",
            e(dates.show(step.get("when"))[-10:]) if step.get("when") else "",
        ]
        bits += [place, e(step.get("who") or ""), e(step.get("why") or "")]
        items.append(f"<li>{' · '.join(b for b in bits if b)}</li>")
    return f'<section aria-labelledby="h-steps"><h2 id="h-steps">{t("steps", lang)}</h2><ol>{"".join(items)}</ol></section>'


def _batches(lang: str, batch_nos: Sequence[int]) -> str:
    """Links to the batches whose stamps are bound to the lot (the lot's own ``batch_nos``: no read)."""
    if not batch_nos:
        inner = f'<p class="muted">{t("lot_no_batches", lang)}</p>'
    else:
        links = "".join(
            f'<li><a href="/console/batches/{int(n)}">{t("batch", lang, id=int(n))}</a></li>' for n in batch_nos
        )
        inner = f'<ul class="links">{links}</ul>'
    return f'<section aria-labelledby="h-lot-batches"><h2 id="h-lot-batches">{t("lot_batches", lang)}</h2>{inner}</section>'


def lot_page(
    lang: str, lot: Mapping[str, Any], product_name: str, flash: str | None, batch_nos: Sequence[int] = ()
) -> str:
    """One lot: product, dates, quantity, origin, standards, process steps, its recall state and
    what to do (recall, or lift the recall), and the batches bound to it."""
    recall = lot.get("recall") or {}
    recalled = recall.get("status") == "recalled"
    note = f'<p class="note" role="status">{flash}</p>' if flash else ""
    lot_id = e(lot.get("lot_id"))
    state = (
        f'<p class="bad">{t("recalled_since", lang, date=dates.show(recall.get("at")))}</p>'
        f'<p><a class="button" href="/console/lots/{lot_id}/lift">{t("lift_lot", lang)}</a></p>'
        if recalled
        else f'<p><a class="button" href="/console/lots/{lot_id}/recall">{t("recall_lot", lang)}</a></p>'
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
        + _steps_done(lang, lot.get("process_steps") or [])
        + _batches(lang, batch_nos)
        + f'<p><a href="/console">{t("back", lang)}</a></p>'
    )
