"""The console's pages: given plain data (the API's views), they return HTML. Render only.

Each function takes the language and what the page shows, already read by ``console.app``
through the domain's own functions; it reads nothing and decides no rule. Every value is
escaped (``frame.e``); numbers are written the Vietnamese way (1.000) or the English (1,000).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ocop_stamps.console.frame import e, t
from ocop_stamps.core import dates, words

MAX_NOTE = 500


def number(n: Any, lang: str) -> str:
    """An integer with thousands separators: ``1.000`` in Vietnamese, ``1,000`` in English."""
    try:
        text = f"{int(n):,}"
    except (TypeError, ValueError):
        return ""
    return text if lang == "en" else text.replace(",", ".")


def _day(value: Any) -> str:
    return e(dates.show(value)[-10:]) if value else ""


def _certificate(ocop: Mapping[str, Any] | None, lang: str) -> str:
    if not ocop:
        return f'<span class="muted">{t("not_rated", lang)}</span>'
    status = str(ocop.get("status") or "")
    if status == "withdrawn":
        return f'<span class="bad">{t("cert.withdrawn", lang)}</span>'
    if status == "lapsed":
        return f'<span class="bad">{t("cert.lapsed", lang)}</span>'
    if ocop.get("valid_until"):
        return f'<span class="ok">{t("cert.valid_until", lang, date=dates.show(ocop["valid_until"])[-10:])}</span>'
    return f'<span class="ok">{t("cert.valid", lang)}</span>'


def _product_card(p: Mapping[str, Any], lang: str) -> str:
    ocop = p.get("ocop") or None
    stars = t("stars_n", lang, n=ocop.get("stars")) if ocop and ocop.get("stars") else t("not_rated", lang)
    name = p.get("name_en") if lang == "en" and p.get("name_en") else p.get("name")
    return (
        f'<li class="card"><h3>{e(name)}</h3><dl>'
        f"<dt>{t('stars', lang)}</dt><dd>{stars}</dd>"
        f"<dt>{t('certificate', lang)}</dt><dd>{_certificate(ocop, lang)}</dd>"
        "</dl></li>"
    )


def _lot_card(lot: Mapping[str, Any], products: Mapping[str, str], lang: str) -> str:
    recalled = (lot.get("recall") or {}).get("status") == "recalled"
    flag = f'<p class="bad">{t("recalled", lang)}</p>' if recalled else ""
    expiry = (
        f"<dt>{t('expiry_date', lang)}</dt><dd>{_day(lot.get('expiry_date'))}</dd>" if lot.get("expiry_date") else ""
    )
    return (
        f'<li class="card"><h3><a href="/console/lots/{e(lot.get("lot_id"))}">{e(lot.get("lot_code"))}</a></h3>{flag}<dl>'
        f"<dt>{t('product', lang)}</dt><dd>{e(products.get(str(lot.get('product_id')), ''))}</dd>"
        f"<dt>{t('production_date', lang)}</dt><dd>{_day(lot.get('production_date'))}</dd>{expiry}"
        "</dl></li>"
    )


def counts(b: Mapping[str, Any], scanned: int, lang: str) -> str:
    """Issued, activated, scans, voided: four figures in a row."""
    return (
        '<dl class="counts">'
        f"<dt>{t('issued', lang)}</dt><dd>{number(b.get('size'), lang)}</dd>"
        f"<dt>{t('activated', lang)}</dt><dd>{number(b.get('activated_count'), lang)}</dd>"
        f"<dt>{t('scanned', lang)}</dt><dd>{number(scanned, lang)}</dd>"
        f"<dt>{t('voided', lang)}</dt><dd>{number(b.get('voided_count'), lang)}</dd>"
        "</dl>"
    )


def _batch_card(b: Mapping[str, Any], products: Mapping[str, str], scanned: int, lang: str) -> str:
    batch_id = e(b.get("batch_id"))
    return (
        f'<li class="card"><h3><a href="/console/batches/{batch_id}">{t("batch", lang, id=b.get("batch_id"))}</a></h3>'
        f"<p>{e(products.get(str(b.get('product_id')), ''))} · {_day(b.get('created_at'))}</p>"
        f"{counts(b, scanned, lang)}</li>"
    )


def _list(items: Sequence[str], empty: str) -> str:
    return f'<ul class="cards">{"".join(items)}</ul>' if items else f'<p class="muted">{empty}</p>'


def producer_home(
    lang: str,
    products: Sequence[Mapping[str, Any]],
    lots: Sequence[Mapping[str, Any]],
    batches: Sequence[Mapping[str, Any]],
    scanned: Mapping[int, int],
) -> str:
    """The producer's overview: products (stars, certificate), lots, batches with their counts."""
    names = {str(p.get("product_id")): str(p.get("name") or "") for p in products}
    return (
        f'<p class="actions"><a class="button" href="/console/batches/new">{t("new_batch", lang)}</a>'
        f' <a class="button" href="/console/lots/new">{t("new_lot", lang)}</a>'
        f' <a class="button" href="/console/stamps/void">{t("void_by_code", lang)}</a></p>'
        f'<section aria-labelledby="h-products"><h2 id="h-products">{t("products", lang)}</h2>'
        f"{_list([_product_card(p, lang) for p in products], t('no_products', lang))}</section>"
        f'<section aria-labelledby="h-batches"><h2 id="h-batches">{t("batches", lang)}</h2>'
        + _list(
            [_batch_card(b, names, scanned.get(int(b["batch_id"]), 0), lang) for b in batches],
            t("no_batches", lang),
        )
        + "</section>"
        f'<section aria-labelledby="h-lots"><h2 id="h-lots">{t("lots", lang)}</h2>'
        f"{_list([_lot_card(lot, names, lang) for lot in lots], t('no_lots', lang))}</section>"
    )


def batch_page(lang: str, batch: Mapping[str, Any], product_name: str, scanned: int, issued_now: bool) -> str:
    """One batch: its counts, the product, when it was issued, its activated ranges."""
    flash = (
        f'<p class="note" role="status">{t("batch_issued", lang, id=batch.get("batch_id"), n=number(batch.get("size"), lang))}</p>'
        if issued_now
        else ""
    )
    ranges = [
        f"<li>{t('serials', lang, first=number(a.get('first_serial'), lang), last=number(a.get('last_serial'), lang))}"
        f" · {_day(a.get('activated_at'))}</li>"
        for a in batch.get("activations") or []
    ]
    activations = f"<ul>{''.join(ranges)}</ul>" if ranges else f'<p class="muted">{t("no_activations", lang)}</p>'
    note = f"<dt>{t('note', lang)}</dt><dd>{e(batch.get('note'))}</dd>" if batch.get("note") else ""
    return (
        f"{flash}{counts(batch, scanned, lang)}"
        f'<p class="actions"><a class="button" href="/console/batches/{e(batch.get("batch_id"))}/print">{t("print_tem", lang)}</a>'
        f' <a class="button" href="/console/batches/{e(batch.get("batch_id"))}/void">{t("void_tem", lang)}</a></p>'
        f"<h2>{t('product', lang)}</h2><dl>"
        f"<dt>{t('product', lang)}</dt><dd>{e(product_name)}</dd>"
        f"<dt>{t('created_at', lang)}</dt><dd>{_day(batch.get('created_at'))}</dd>{note}</dl>"
        f"<h2>{t('activations', lang)}</h2>{activations}"
        f'<p><a class="button" href="/console/batches/{e(batch.get("batch_id"))}/activate">{t("act.link", lang)}</a></p>'
        f'<p><a href="/console">{t("back", lang)}</a></p>'
    )


def batch_form(
    lang: str,
    products: Sequence[Mapping[str, Any]],
    csrf: str,
    idempotency_key: str,
    values: Mapping[str, str] | None = None,
    problems: Mapping[str, str] | None = None,
) -> str:
    """The request-a-batch form. ``idempotency_key`` is made once per form shown, so sending the
    same form twice (a double tap, a reload) issues one batch."""
    values = values or {}
    problems = problems or {}

    def problem(name: str) -> tuple[str, str]:
        if name not in problems:
            return "", ""
        return (
            f' aria-invalid="true" aria-describedby="{name}-err"',
            f'<p class="err" id="{name}-err">{e(problems[name])}</p>',
        )

    chosen = values.get("product_id", "")
    options = "".join(
        f'<option value="{e(p.get("product_id"))}"{" selected" if str(p.get("product_id")) == chosen else ""}>'
        f"{e(p.get('name'))}</option>"
        for p in products
    )
    p_attr, p_err = problem("product_id")
    s_attr, s_err = problem("size")
    n_attr, n_err = problem("note")
    summary = f'<p class="alert" role="alert">{t("form_invalid", lang)}</p>' if problems else ""
    return (
        f"{summary}<p>{t('new_batch_d', lang)}</p>"
        '<form class="stack" method="post" action="/console/batches">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        f'<input type="hidden" name="idempotency_key" value="{e(idempotency_key)}">'
        f'<label for="product_id">{t("product", lang)}</label>'
        f'<select id="product_id" name="product_id" required{p_attr}>{options}</select>{p_err}'
        f'<label for="size">{t("size", lang)}</label>'
        f'<input id="size" name="size" type="number" inputmode="numeric" min="1" max="1000000" required'
        f' value="{e(values.get("size", ""))}"{s_attr}>{s_err}'
        f'<label for="note">{t("note", lang)}</label>'
        f'<textarea id="note" name="note" rows="2" maxlength="{MAX_NOTE}"{n_attr}>{e(values.get("note", ""))}</textarea>{n_err}'
        f'<button type="submit">{t("submit_batch", lang)}</button></form>'
    )


def local_sign_in(lang: str, users: Mapping[str, Mapping[str, Any]], csrf: str, next_path: str, failed: bool) -> str:
    """The local stack's sign-in: one button per demo user (never served deployed)."""
    items = "".join(
        '<li><form method="post" action="/console/sign-in">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        f'<input type="hidden" name="next" value="{e(next_path)}">'
        f'<input type="hidden" name="user" value="{e(key)}">'
        # the user's name inside the button: two producers' buttons must not share one name
        f'<button type="submit">{t("sign_in_as", lang, role=_role(claims, lang))}: '
        f"{e(claims.get('cognito:username'))}</button></form></li>"
        for key, claims in users.items()
    )
    warn = f'<p class="alert" role="alert">{t("sign_in_failed", lang)}</p>' if failed else ""
    return f'{warn}<p>{t("sign_in_d", lang)}</p><p>{t("sign_in_local", lang)}</p><ul class="users">{items}</ul>'


def _role(claims: Mapping[str, Any], lang: str) -> str:
    groups = claims.get("cognito:groups") or []
    role = next((g for g in ("producer", "inspector", "admin") if g in groups), "producer")
    return words.text(f"console.role.{role}", lang)  # raw: ``t`` escapes it once


def message(lang: str, text: str, link: tuple[str, str] | None = None) -> str:
    """A page with one sentence (already escaped text from ``t``) and maybe one link."""
    more = f'<p><a href="{e(link[0])}">{link[1]}</a></p>' if link else ""
    return f"<p>{text}</p>{more}"


def other_role_home(lang: str, role: str) -> str:
    """Inspectors and the OCOP office, until their pages exist: where to work meanwhile."""
    docs = {"inspector": "/docs/inspector", "admin": "/docs/admin"}.get(role, "/docs/producer")
    return f'<p>{t("not_producer", lang)}</p><p><a href="{docs}">{t("api_docs", lang)}</a></p>'
