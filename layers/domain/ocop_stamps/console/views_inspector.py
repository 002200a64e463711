"""The inspector's pages (render only): home links, the verification log with its filters,
the alert queue and one alert with its workflow form.

A problem is ``(here, there)``: the words in the page's language, then in the other (marked
``lang``), shown next to its field (``aria-invalid``, ``aria-describedby``). Every value goes
through ``frame.e``; texts are ``console.*`` words. Standard library and ``core`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from ocop_stamps.console.frame import e, other, t
from ocop_stamps.core import dates
from ocop_stamps.core.vocabulary import ALERT_TYPE_LABELS, LOG_VERDICT_LABELS, AlertStatus, AlertType

Problem = tuple[str, str]  # (in the page's language, in the other)

SCAN_FILTERS = ("code", "batch", "lot", "product", "producer", "province", "verdict", "from", "to")
STATUSES = tuple(AlertStatus)  # the queue's tabs, in workflow order


def minute(value: object) -> str:
    """A stored UTC time as ``dd/mm/yyyy HH:MM`` in Vietnam time (``core.dates``); else as written."""
    precise = dates.show_precise(value)
    return precise[:16] if len(precise) == 19 else precise


def verdict_words(verdict: str | None, lang: str) -> str:
    """A log line's verdict in words (``core.vocabulary.LOG_VERDICT_LABELS``); unknown: as written."""
    pair = LOG_VERDICT_LABELS.get(verdict or "")
    return (pair[1] if lang == "en" else pair[0]) if pair else (verdict or "")


def alert_type_words(kind: str | None, lang: str) -> str:
    """An alert type in words; an unknown type as written."""
    if kind in tuple(AlertType):
        vi, en = ALERT_TYPE_LABELS[AlertType(str(kind))]
        return en if lang == "en" else vi
    return kind or ""


def _error(name: str, found: Problem | None, lang: str) -> tuple[str, str]:
    """(attributes for the control, the problem's HTML below it)."""
    if found is None:
        return "", ""
    return (
        f' aria-invalid="true" aria-describedby="{e(name)}-err"',
        f'<div class="err" id="{e(name)}-err"><p>{e(found[0])}</p>'
        f'<p class="muted" lang="{other(lang)}">{e(found[1])}</p></div>',
    )


def _summary(lang: str, problems: Mapping[str, Problem], key: str, prefix: str = "") -> str:
    """The top of a refused form: what happened, then each problem linked to its control (id ``prefix + name``)."""
    if not problems:
        return ""
    items = "".join(f'<li><a href="#{e(prefix + n)}">{e(p[0])}</a></li>' for n, p in problems.items())
    return f'<div class="alert" role="alert"><p>{t(key, lang)}</p><ul>{items}</ul></div>'


def home(lang: str) -> str:
    """The inspector's overview: the log and the alert queue."""
    return (
        f"<p>{t('insp.home_intro', lang)}</p>"
        '<ul class="cards">'
        f'<li class="card"><h2><a href="/console/alerts">{t("insp.alerts", lang)}</a></h2>'
        f"<p>{t('insp.alerts_hint', lang)}</p></li>"
        f'<li class="card"><h2><a href="/console/scans">{t("insp.scans", lang)}</a></h2>'
        f"<p>{t('insp.scans_hint', lang)}</p></li></ul>"
        f'<p><a href="/docs/inspector">{t("api_docs", lang)}</a></p>'
    )


def _filter_field(name: str, lang: str, values: Mapping[str, str], problems: Mapping[str, Problem]) -> str:
    attr, err = _error(name, problems.get(name), lang)
    label = f'<label for="f-{name}">{t(f"insp.f.{name}", lang)}</label>'
    value = values.get(name, "")
    if name == "verdict":
        options = "".join(
            f'<option value="{e(v)}"{" selected" if v == value else ""}>{e(verdict_words(v, lang))}</option>'
            for v in LOG_VERDICT_LABELS
        )
        control = (
            f'<select id="f-{name}" name="{name}"{attr}><option value="">{t("insp.any", lang)}</option>'
            f"{options}</select>"
        )
    else:
        kind = "date" if name in ("from", "to") else "text"
        control = f'<input id="f-{name}" name="{name}" type="{kind}" value="{e(value)}" maxlength="64"{attr}>'
    return f"<div>{label}{control}{err}</div>"


def scans_page(
    lang: str,
    values: Mapping[str, str],
    problems: Mapping[str, Problem],
    rows: Sequence[Mapping[str, Any]],
    next_cursor: str | None,
    note: str | None = None,
) -> str:
    """The log's filter form (GET), then the lines newest first, the next page and the CSV link."""
    filled = {k: v for k, v in values.items() if k in SCAN_FILTERS and v}
    fields = "".join(_filter_field(n, lang, values, problems) for n in SCAN_FILTERS)
    form = (
        f'<form class="stack filters" method="get" action="/console/scans">'
        f"<fieldset><legend>{t('insp.filters', lang)}</legend>{fields}</fieldset>"
        f'<button type="submit">{t("insp.search", lang)}</button>'
        f'<p><a href="/console/scans">{t("insp.clear", lang)}</a></p></form>'
    )
    csv_link = (
        f'<p><a class="button" href="/console/scans.csv?{e(urlencode(filled))}" download>{t("insp.csv", lang)}</a></p>'
    )
    shown = "" if problems else _table(lang, rows, next_cursor, filled)
    noted = f'<p class="note">{e(note)}</p>' if note else ""
    return (
        _summary(lang, problems, "insp.filters_invalid", "f-") + form + noted + ("" if problems else csv_link) + shown
    )


def _table(lang: str, rows: Sequence[Mapping[str, Any]], next_cursor: str | None, filled: Mapping[str, str]) -> str:
    if not rows:
        return f"<p>{t('insp.no_scans', lang)}</p>"
    heads = ("time", "code", "verdict", "province", "lot", "product")
    head = "".join(f'<th scope="col">{t(f"insp.col.{h}", lang)}</th>' for h in heads)
    body = "".join(
        "<tr>"
        f"<td>{e(minute(r.get('scanned_at')))}</td>"
        f"<td><code>{e(r.get('code'))}</code></td>"
        f"<td>{e(verdict_words(r.get('verdict'), lang))}</td>"
        f"<td>{e(r.get('jurisdiction_name') or r.get('jurisdiction') or '')}</td>"
        f"<td>{e(r.get('lot_code') or r.get('lot_id') or '')}</td>"
        f"<td>{e(r.get('product_name') or r.get('product_id') or '')}</td>"
        "</tr>"
        for r in rows
    )
    more = ""
    if next_cursor:
        query = urlencode({**filled, "cursor": next_cursor})
        more = f'<p><a class="button" href="/console/scans?{e(query)}">{t("insp.next", lang)}</a></p>'
    return (
        f'<div class="scroll" role="region" aria-label="{t("insp.results", lang)}" tabindex="0">'
        f"<table><caption>{t('insp.results', lang)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>{more}"
    )


def alerts_page(
    lang: str, status: str, items: Sequence[Mapping[str, Any]], next_cursor: str | None, flash: str | None = None
) -> str:
    """The queue of one status (tabs for the others), newest first, each alert linked."""
    tabs = "".join(
        f'<li><a href="/console/alerts?status={s}"{" aria-current=page" if s == status else ""}>'
        f"{t(f'insp.status.{s}', lang)}</a></li>"
        for s in STATUSES
    )
    nav = f'<nav aria-label="{t("insp.queue", lang)}"><ul class="actions tabs">{tabs}</ul></nav>'
    noted = f'<p class="note" role="status">{e(flash)}</p>' if flash else ""
    if not items:
        return nav + noted + f"<p>{t('insp.no_alerts', lang)}</p>"
    cards = "".join(
        '<li class="card">'
        f'<h2><a href="/console/alerts/{e(a.get("alert_id"))}">{e(alert_type_words(a.get("type"), lang))}</a></h2>'
        f"<p>{e(a.get('summary_en') if lang == 'en' else a.get('summary_vi'))}</p>"
        f"<dl><dt>{t('insp.raised', lang)}</dt><dd>{e(minute(a.get('raised_at')))}</dd>"
        f"<dt>{t('insp.col.province', lang)}</dt><dd>{e(a.get('province_name') or '')}</dd>"
        f"<dt>{t('insp.occurrences', lang)}</dt><dd>{e(a.get('occurrences'))}</dd></dl></li>"
        for a in items
    )
    more = ""
    if next_cursor:
        query = urlencode({"status": status, "cursor": next_cursor})
        more = f'<p><a class="button" href="/console/alerts?{e(query)}">{t("insp.next", lang)}</a></p>'
    return nav + noted + f'<ul class="cards">{cards}</ul>{more}'


def alert_page(
    lang: str,
    alert: Mapping[str, Any],
    steps: Sequence[str],
    csrf: str,
    values: Mapping[str, str],
    problems: Mapping[str, Problem],
    flash: str | None = None,
) -> str:
    """One alert: what, where, when, its history, and the form to move it on (``steps``: the
    statuses it may go to now; none when it is closed)."""
    status = str(alert.get("status", ""))
    noted = f'<p class="note" role="status">{e(flash)}</p>' if flash else ""
    facts = (
        f"<p>{e(alert.get('summary_en') if lang == 'en' else alert.get('summary_vi'))}</p><dl>"
        f"<dt>{t('insp.col.status', lang)}</dt><dd>{t(f'insp.status.{status}', lang) if status in STATUSES else e(status)}</dd>"
        f"<dt>{t('insp.raised', lang)}</dt><dd>{e(minute(alert.get('raised_at')))}</dd>"
        f"<dt>{t('insp.last_seen', lang)}</dt><dd>{e(minute(alert.get('last_seen')))}</dd>"
        f"<dt>{t('insp.col.province', lang)}</dt><dd>{e(alert.get('province_name') or '')}</dd>"
        f"<dt>{t('insp.occurrences', lang)}</dt><dd>{e(alert.get('occurrences'))}</dd>"
        f"<dt>{t('insp.col.code', lang)}</dt><dd><code>{e(alert.get('code') or '')}</code></dd>"
        f"<dt>{t('insp.col.lot', lang)}</dt><dd>{e(alert.get('lot_code') or alert.get('lot_id') or '')}</dd>"
        f"<dt>{t('insp.col.product', lang)}</dt><dd>{e(alert.get('product_name') or '')}</dd></dl>"
    )
    history = "".join(
        f"<li>{e(minute(h.get('at')))} · "
        f"{t(f'insp.status.{h.get("status")}', lang) if h.get('status') in STATUSES else e(h.get('status'))}"
        f" · {e(h.get('by'))}{(' — ' + e(h.get('note'))) if h.get('note') else ''}</li>"
        for h in alert.get("history") or ()
    )
    body = noted + facts + f"<h2>{t('insp.history', lang)}</h2><ol>{history}</ol>"
    if steps:
        body += _status_form(lang, str(alert.get("alert_id")), steps, csrf, values, problems)
    return body + f'<p><a href="/console/alerts">{t("insp.back_queue", lang)}</a></p>'


def _status_form(
    lang: str,
    alert_id: str,
    steps: Sequence[str],
    csrf: str,
    values: Mapping[str, str],
    problems: Mapping[str, Problem],
) -> str:
    chosen = values.get("status") or steps[0]
    s_attr, s_err = _error("status", problems.get("status"), lang)
    radios = "".join(
        f'<div class="choice"><input type="radio" id="st-{e(s)}" name="status" value="{e(s)}"'
        f"{' checked' if s == chosen else ''}{s_attr}>"
        f'<label for="st-{e(s)}">{t(f"insp.do.{s}", lang)}</label></div>'
        for s in steps
    )
    n_attr, n_err = _error("note", problems.get("note"), lang)
    return (
        f"<h2>{t('insp.move', lang)}</h2>"
        + _summary(lang, problems, "insp.move_invalid")
        + f'<form class="stack" method="post" action="/console/alerts/{e(alert_id)}/status">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        f'<fieldset id="status"><legend>{t("insp.action", lang)}</legend>{radios}{s_err}</fieldset>'
        f'<label for="note">{t("insp.note", lang)}</label>'
        f'<p class="muted hint" id="note-hint">{t("insp.note_hint", lang)}</p>'
        f'<textarea id="note" name="note" rows="3" maxlength="1000"'
        f"{n_attr.replace('-err"', '-err note-hint"') if n_attr else ' aria-describedby="note-hint"'}>"
        f"{e(values.get('note', ''))}</textarea>{n_err}"
        f'<button type="submit">{t("insp.save", lang)}</button></form>'
    )
