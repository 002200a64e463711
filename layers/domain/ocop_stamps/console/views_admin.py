"""The OCOP office's pages (render only): home, producers (list, onboarding, one producer),
products (register, one product with its rating history) and the rating forms (record / renew /
downgrade, withdraw with its confirmation).

Problems are ``fields.Both`` (the page's language, then the other) next to their field. Every
value goes through ``frame.e``; texts are ``console.adm.*`` words. Standard library and ``core`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ocop_stamps.console import fields
from ocop_stamps.console.fields import Option
from ocop_stamps.console.frame import e, other, t
from ocop_stamps.console.views_lots import MAX_LIST_TEXT, commune_picker, province_step
from ocop_stamps.core import dates, words

RATING_ACTIONS = ("record", "renew", "downgrade")  # the rating form's choices (withdraw has its own page)
LEVELS = ("district", "province", "central")


def _day(value: Any) -> str:
    return e(dates.show(value)[-10:]) if value else ""


def _word(section: str, key: Any, lang: str) -> str:
    """A catalogue word (``producer_kind.household``...); an unknown stored key shown as written."""
    if not key:
        return ""
    try:
        return e(words.text(f"{section}.{key}", lang))
    except KeyError:
        return e(key)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _flash(flash: str | None) -> str:
    return f'<p class="note" role="status">{flash}</p>' if flash else ""


def home(lang: str) -> str:
    """The office's overview: its own jobs, then the inspectors' pages it may read."""
    cards = (
        ("/console/producers", "adm.producers", "adm.producers_hint"),
        ("/console/producers/new", "adm.onboard", "adm.onboard_hint"),
        ("/console/products/new", "adm.new_product", "adm.new_product_hint"),
        ("/console/producers", "adm.ratings", "adm.ratings_hint"),
    )
    reads = (
        ("/console/scans", "insp.scans", "insp.scans_hint"),
        ("/console/alerts", "insp.alerts", "insp.alerts_hint"),
        ("/console/summary", "adm.summary", "adm.summary_hint"),
    )

    def card(href: str, title: str, hint: str) -> str:
        return f'<li class="card"><h3><a href="{href}">{t(title, lang)}</a></h3><p>{t(hint, lang)}</p></li>'

    return (
        f"<p>{t('adm.home_intro', lang)}</p>"
        f'<section aria-labelledby="h-office"><h2 id="h-office">{t("adm.office", lang)}</h2>'
        f'<ul class="cards">{"".join(card(*c) for c in cards)}</ul></section>'
        f'<section aria-labelledby="h-reads"><h2 id="h-reads">{t("adm.reads", lang)}</h2>'
        f'<ul class="cards">{"".join(card(*c) for c in reads)}</ul></section>'
        f'<p><a href="/docs/admin">{t("api_docs", lang)}</a></p>'
    )


def _place(address: Mapping[str, Any]) -> str:
    parts = [address.get(k) for k in ("street", "hamlet", "commune", "district", "province")]
    return e(", ".join(str(p) for p in parts if p))


def producers_page(lang: str, producers: Sequence[Mapping[str, Any]], limit: int) -> str:
    """The newest producers, each linked to its page, and the way to onboard one."""
    button = f'<p class="actions"><a class="button" href="/console/producers/new">{t("adm.onboard", lang)}</a></p>'
    if not producers:
        return button + f'<p class="muted">{t("adm.no_producers", lang)}</p>'
    cards = "".join(
        f'<li class="card"><h2><a href="/console/producers/{e(p.get("producer_id"))}">{e(p.get("name"))}</a></h2><dl>'
        f"<dt>{t('adm.kind', lang)}</dt><dd>{_word('producer_kind', p.get('kind'), lang)}</dd>"
        f"<dt>{t('province', lang)}</dt><dd>{e((p.get('address') or {}).get('province'))}</dd>"
        f"<dt>{t('adm.registered_on', lang)}</dt><dd>{_day(p.get('created_at'))}</dd></dl></li>"
        for p in producers
    )
    return button + f"<p class='muted'>{t('adm.newest', lang, n=limit)}</p>" + f'<ul class="cards">{cards}</ul>'


def producer_form(
    lang: str,
    kinds: Sequence[Option],
    provinces: Sequence[Option],
    communes: Mapping[str, Sequence[Option]],
    csrf: str,
    values: Mapping[str, str],
    problems: fields.Problems,
) -> str:
    """Onboarding, step 1 (province, GET) then step 2 (the producer and its sign-in, POST). The
    form carries ``producer_id``, made when it was shown: a second send of it is the same producer."""
    province = values.get("province", "")
    step1 = province_step(lang, "/console/producers/new", t("adm.step_province", lang), provinces, province, problems)
    intro = f"<p>{t('adm.onboard_d', lang)}</p>"
    if not communes:
        return intro + step1
    step2 = (
        f'<section aria-labelledby="h-step2"><h2 id="h-step2">{t("adm.step_producer", lang)}</h2>'
        '<form class="stack" method="post" action="/console/producers">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("producer_id", values.get("producer_id", ""))
        + fields.text("name", t("adm.name", lang), values, problems, extra='maxlength="200"')
        + fields.select(
            "kind", t("adm.kind", lang), kinds, values.get("kind", ""), problems, placeholder=t("adm.choose", lang)
        )
        + fields.text("owner", t("adm.owner", lang), values, problems, required=False, extra='maxlength="200"')
        + fields.text(
            "tax_code",
            t("adm.tax_code", lang),
            values,
            problems,
            required=False,
            extra='inputmode="numeric" maxlength="14"',
            hint=t("adm.tax_code_hint", lang),
        )
        + fields.text(
            "phone", t("adm.phone", lang), values, problems, kind="tel", required=False, extra='maxlength="20"'
        )
        + f"<h3>{t('adm.address', lang)}</h3>"
        + commune_picker(lang, provinces, province, communes, values, problems)
        + fields.text("hamlet", t("adm.hamlet", lang), values, problems, required=False, extra='maxlength="100"')
        + fields.text("street", t("adm.street", lang), values, problems, required=False, extra='maxlength="200"')
        + f"<h3>{t('adm.sign_in', lang)}</h3>"
        + fields.text(
            "account_email",
            t("adm.email", lang),
            values,
            problems,
            kind="email",
            extra='maxlength="254" autocomplete="off"',
            hint=t("adm.email_hint", lang),
        )
        + f'<button type="submit">{t("adm.submit_producer", lang)}</button></form></section>'
    )
    return fields.summary(lang, problems, "adm.invalid") + intro + step1 + step2


def _stars(ocop: Mapping[str, Any] | None, lang: str) -> str:
    if not ocop:
        return f'<span class="muted">{t("not_rated", lang)}</span>'
    status = str(ocop.get("status") or "")
    if status in ("withdrawn", "lapsed"):
        return f'<span class="bad">{t(f"cert.{status}", lang)}</span>'
    return (
        f"{t('stars_n', lang, n=ocop.get('stars'))} · "
        f'<span class="ok">{t("cert.valid_until", lang, date=dates.show(ocop.get("valid_until"))[-10:])}</span>'
    )


def producer_page(
    lang: str, producer: Mapping[str, Any], products: Sequence[Mapping[str, Any]], flash: str | None
) -> str:
    """One producer: who, where, its products with their ratings, and "register a product"."""
    pid = e(producer.get("producer_id"))
    facts = (
        f"<dl><dt>{t('adm.kind', lang)}</dt><dd>{_word('producer_kind', producer.get('kind'), lang)}</dd>"
        f"<dt>{t('adm.owner', lang)}</dt><dd>{e(producer.get('owner'))}</dd>"
        f"<dt>{t('adm.tax_code', lang)}</dt><dd>{e(producer.get('tax_code'))}</dd>"
        f"<dt>{t('adm.phone', lang)}</dt><dd>{e(producer.get('phone'))}</dd>"
        f"<dt>{t('adm.address', lang)}</dt><dd>{_place(producer.get('address') or {})}</dd>"
        f"<dt>{t('adm.producer_id', lang)}</dt><dd><code>{pid}</code></dd>"
        f"<dt>{t('adm.registered_on', lang)}</dt><dd>{_day(producer.get('created_at'))}</dd></dl>"
    )
    cards = "".join(
        f'<li class="card"><h3><a href="/console/products/{e(p.get("product_id"))}">{e(p.get("name"))}</a></h3>'
        f"<dl><dt>{t('adm.group', lang)}</dt><dd>{e((p.get('group_name') or {}).get(lang, p.get('group')))}</dd>"
        f"<dt>{t('stars', lang)}</dt><dd>{_stars(p.get('ocop'), lang)}</dd></dl></li>"
        for p in products
    )
    listed = f'<ul class="cards">{cards}</ul>' if cards else f'<p class="muted">{t("no_products", lang)}</p>'
    return (
        _flash(flash) + facts + f'<section aria-labelledby="h-products"><h2 id="h-products">{t("products", lang)}</h2>'
        f'<p class="actions"><a class="button" href="/console/products/new?producer={pid}">'
        f"{t('adm.new_product', lang)}</a></p>{listed}</section>"
        f'<p><a href="/console/producers">{t("adm.back_producers", lang)}</a></p>'
    )


def product_form(
    lang: str,
    producers: Sequence[Option],
    groups: Sequence[Option],
    countries: Sequence[Option],
    csrf: str,
    values: Mapping[str, str],
    problems: fields.Problems,
) -> str:
    """Register a product: the producer (fixed when the form came from its page, else a list),
    name, group of Decision 148, GTIN (optional), origin, standards, description, picture. The
    form carries ``product_id``, made when it was shown: a second send of it is the same product."""
    chosen = values.get("producer_id", "")
    if len(producers) == 1 and producers[0][0] == chosen:
        who = fields.hidden("producer_id", chosen) + f"<p>{t('adm.for_producer', lang, name=producers[0][1])}</p>"
    else:
        who = fields.select(
            "producer_id", t("adm.producer", lang), producers, chosen, problems, placeholder=t("adm.choose", lang)
        )
    return (
        fields.summary(lang, problems, "adm.invalid")
        + '<form class="stack" method="post" action="/console/products">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("product_id", values.get("product_id", ""))
        + who
        + fields.text("name", t("adm.product_name", lang), values, problems, extra='maxlength="200"')
        + fields.text("name_en", t("adm.name_en", lang), values, problems, required=False, extra='maxlength="200"')
        + fields.text("brand", t("adm.brand", lang), values, problems, required=False, extra='maxlength="200"')
        + fields.select(
            "group", t("adm.group", lang), groups, values.get("group", ""), problems, placeholder=t("adm.choose", lang)
        )
        + fields.text(
            "gtin",
            t("adm.gtin", lang),
            values,
            problems,
            required=False,
            extra='inputmode="numeric" maxlength="20"',
            hint=t("adm.gtin_hint", lang),
        )
        + fields.select(
            "made_in_country", t("adm.made_in", lang), countries, values.get("made_in_country", ""), problems
        )
        + fields.text(
            "made_in_place", t("adm.made_in_place", lang), values, problems, required=False, extra='maxlength="100"'
        )
        + fields.area(
            "standards",
            t("standards", lang),
            values,
            problems,
            maxlength=MAX_LIST_TEXT,
            hint=t("adm.standards_hint", lang),
        )
        + fields.area("description", t("adm.description", lang), values, problems, rows=4, maxlength=2000)
        + fields.text(
            "image_url", t("adm.image_url", lang), values, problems, kind="url", required=False, extra='maxlength="500"'
        )
        + f"<p class='muted'>{t('adm.rating_later', lang)}</p>"
        + f'<button type="submit">{t("adm.submit_product", lang)}</button></form>'
    )


def _decision(d: Mapping[str, Any], lang: str) -> str:
    level = _word("issuing_level", d.get("issuing_level"), lang)
    body = e(d.get("issuing_body")) or level
    return t("adm.decision_text", lang, number=d.get("number") or "", date=_day(d.get("date"))) + f" — {body}"


def _history(lang: str, steps: Sequence[Mapping[str, Any]]) -> str:
    if not steps:
        return f'<p class="muted">{t("adm.no_history", lang)}</p>'
    heads = ("at", "action", "stars", "decision", "valid_until", "reason")
    head = "".join(f'<th scope="col">{t(f"adm.col.{h}", lang)}</th>' for h in heads)
    rows = "".join(
        "<tr>"
        f"<td>{_day(s.get('at'))}</td>"
        f"<td>{_capital(_word('rating_action', s.get('action'), lang))}</td>"
        f"<td>{e(s.get('stars'))}</td>"
        f"<td>{_decision(s.get('decision') or {}, lang)}</td>"
        f"<td>{_day(s.get('valid_until'))}</td>"
        f"<td>{e(s.get('reason') or s.get('withdrawal_reason') or '')}</td>"
        "</tr>"
        for s in reversed(steps)
    )
    return (
        f'<div class="scroll" role="region" aria-labelledby="h-history" tabindex="0">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _rating_now(lang: str, ocop: Mapping[str, Any] | None) -> str:
    if not ocop:
        return f'<p class="muted">{t("not_rated", lang)}</p>'
    notice = ocop.get("notice") or {}
    said = f'<p class="bad">{e(notice.get(lang))}</p>' if notice.get(lang) else ""
    return said + (
        f"<dl><dt>{t('stars', lang)}</dt><dd>{t('stars_n', lang, n=ocop.get('stars'))}</dd>"
        f"<dt>{t('adm.decision', lang)}</dt><dd>{_decision(ocop.get('decision') or {}, lang)}</dd>"
        f"<dt>{t('adm.certificate_number', lang)}</dt><dd>{e((ocop.get('certificate') or {}).get('number'))}</dd>"
        f"<dt>{t('adm.valid_until', lang)}</dt><dd>{_day(ocop.get('valid_until'))}</dd>"
        f"<dt>{t('certificate', lang)}</dt><dd>{_stars(ocop, lang)}</dd></dl>"
    )


def product_page(lang: str, product: Mapping[str, Any], producer_name: str, flash: str | None) -> str:
    """One product: its facts, its rating now, the steps to take on it, and its rating history."""
    pid = e(product.get("product_id"))
    ocop = product.get("ocop") or None
    live = ocop is not None and ocop.get("status") != "withdrawn"
    actions = [f'<a class="button" href="/console/products/{pid}/rating?action=record">{t("adm.do_record", lang)}</a>']
    if live:
        actions.append(
            f'<a class="button" href="/console/products/{pid}/rating?action=renew">{t("adm.do_renew", lang)}</a>'
        )
        actions.append(f'<a class="button" href="/console/products/{pid}/withdraw">{t("adm.do_withdraw", lang)}</a>')
    made_in = (product.get("made_in") or {}).get("name") or {}
    facts = (
        f"<dl><dt>{t('adm.producer', lang)}</dt><dd>"
        f'<a href="/console/producers/{e(product.get("producer_id"))}">{e(producer_name)}</a></dd>'
        f"<dt>{t('adm.group', lang)}</dt><dd>{e((product.get('group_name') or {}).get(lang, product.get('group')))}</dd>"
        f"<dt>{t('adm.gtin', lang)}</dt><dd>{e(product.get('gtin') or '—')}</dd>"
        f"<dt>{t('adm.made_in', lang)}</dt><dd>{e(made_in.get(lang) or '—')}</dd>"
        f"<dt>{t('standards', lang)}</dt><dd>{e(', '.join(product.get('standards') or []) or '—')}</dd></dl>"
    )
    return (
        _flash(flash)
        + facts
        + f'<section aria-labelledby="h-rating"><h2 id="h-rating">{t("adm.rating_now", lang)}</h2>'
        + _rating_now(lang, ocop)
        + f'<p class="actions">{" ".join(actions)}</p></section>'
        + f'<section aria-labelledby="h-history"><h2 id="h-history">{t("adm.history", lang)}</h2>'
        + _history(lang, product.get("ocop_history") or [])
        + "</section>"
    )


def _radios(
    name: str, legend: str, options: Sequence[Option], chosen: str, problems: fields.Problems, lang: str
) -> str:
    attr = f' aria-invalid="true" aria-describedby="{name}-err"' if name in problems else ""
    err = fields.error(name, problems)
    radios = "".join(
        f'<div class="choice"><input type="radio" id="{name}-{e(v)}" name="{name}" value="{e(v)}"'
        f"{' checked' if v == chosen else ''}{attr} required>"
        f'<label for="{name}-{e(v)}">{e(shown)}</label></div>'
        for v, shown in options
    )
    return f'<fieldset id="{name}"><legend>{legend}</legend>{radios}{err}</fieldset>'


def rating_form(
    lang: str,
    product: Mapping[str, Any],
    actions: Sequence[str],
    csrf: str,
    values: Mapping[str, str],
    problems: fields.Problems,
) -> str:
    """Record, renew (công nhận lại) or downgrade: the decision's facts, one field each, as the
    API's ``RatingIn`` takes them; the rules (level for the stars on that date, 36 months, a
    renewal after the decision in force) are the domain's, their refusals shown at the field."""
    pid = e(product.get("product_id"))
    action_options = [(a, _capital(words.text(f"rating_action.{a}", lang))) for a in actions]
    star_options = [(str(n), t("stars_n", lang, n=n)) for n in (3, 4, 5)]
    levels = [(lv, words.text(f"issuing_level.{lv}", lang)) for lv in LEVELS]
    return (
        fields.summary(lang, problems, "adm.invalid")
        + _rating_now(lang, product.get("ocop") or None)
        + f'<form class="stack" method="post" action="/console/products/{pid}/rating">'
        + fields.hidden("csrf", csrf)
        + _radios("action", t("adm.action", lang), action_options, values.get("action", ""), problems, lang)
        + _radios("stars", t("stars", lang), star_options, values.get("stars", ""), problems, lang)
        + fields.text(
            "decision_number",
            t("adm.decision_number", lang),
            values,
            problems,
            extra='maxlength="100"',
            hint=t("adm.decision_number_hint", lang),
        )
        + fields.text("decision_date", t("adm.decision_date", lang), values, problems, kind="date")
        + fields.select(
            "issuing_level",
            t("adm.issuing_level", lang),
            levels,
            values.get("issuing_level", ""),
            problems,
            placeholder=t("adm.choose", lang),
            hint=t("adm.issuing_level_hint", lang),
        )
        + fields.text(
            "issuing_body",
            t("adm.issuing_body", lang),
            values,
            problems,
            required=False,
            extra='maxlength="200"',
            hint=t("adm.issuing_body_hint", lang),
        )
        + fields.text(
            "certificate_number", t("adm.certificate_number", lang), values, problems, extra='maxlength="100"'
        )
        + fields.text(
            "valid_until",
            t("adm.valid_until", lang),
            values,
            problems,
            kind="date",
            required=False,
            hint=t("adm.valid_until_hint", lang),
        )
        + fields.area("reason", t("adm.reason", lang), values, problems, maxlength=500, hint=t("adm.reason_hint", lang))
        + f'<button type="submit">{t("adm.submit_rating", lang)}</button></form>'
        + f'<p><a href="/console/products/{pid}">{t("adm.back_product", lang)}</a></p>'
    )


def withdraw_form(
    lang: str, product: Mapping[str, Any], csrf: str, values: Mapping[str, str], problems: fields.Problems
) -> str:
    """Withdraw the rating: the reason, then a confirmation (``withdraw_confirm``)."""
    pid = e(product.get("product_id"))
    return (
        fields.summary(lang, problems, "adm.invalid")
        + _rating_now(lang, product.get("ocop") or None)
        + f'<form class="stack" method="post" action="/console/products/{pid}/withdraw">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "confirm")
        + fields.area("reason", t("adm.withdraw_reason", lang), values, problems, maxlength=500, required=True)
        + f'<button type="submit">{t("adm.continue", lang)}</button></form>'
        + f'<p><a href="/console/products/{pid}">{t("adm.back_product", lang)}</a></p>'
    )


def withdraw_confirm(lang: str, product: Mapping[str, Any], csrf: str, reason: str, seen: Mapping[str, str]) -> str:
    """What will change and what a buyer's scan page will say of the rating afterwards (``seen``:
    {vi, en}: the scan page's own sentence), then the button that withdraws."""
    pid = e(product.get("product_id"))
    there = other(lang)
    return (
        f"<p>{t('adm.withdraw_what', lang, name=product.get('name'), n=(product.get('ocop') or {}).get('stars'))}</p>"
        f'<div class="seen"><p>{t("adm.buyers_will_see", lang)}</p>'
        f'<p class="seen-title">{e(seen.get(lang))}</p>'
        f'<p class="muted" lang="{there}">{e(seen.get(there))}</p>'
        f"<p>{t('adm.withdraw_stamps', lang)}</p></div>"
        f"<dl><dt>{t('adm.withdraw_reason', lang)}</dt><dd>{e(reason)}</dd></dl>"
        f'<form class="stack" method="post" action="/console/products/{pid}/withdraw">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "do")
        + fields.hidden("reason", reason)
        + f'<button class="danger" type="submit">{t("adm.withdraw_now", lang)}</button></form>'
        f'<form class="stack" method="post" action="/console/products/{pid}/withdraw">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "edit")
        + fields.hidden("reason", reason)
        + f'<button class="quiet" type="submit">{t("adm.edit", lang)}</button></form>'
        f'<p><a href="/console/products/{pid}">{t("adm.cancel", lang)}</a></p>'
    )
