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
from ocop_stamps.console.views import number
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


def field_error(name: str, found: Problem | None, lang: str) -> tuple[str, str]:
    """(attributes for the control, the problem's HTML below it)."""
    if found is None:
        return "", ""
    return (
        f' aria-invalid="true" aria-describedby="{e(name)}-err"',
        f'<div class="err" id="{e(name)}-err"><p>{e(found[0])}</p>'
        f'<p class="muted" lang="{other(lang)}">{e(found[1])}</p></div>',
    )


def problems_summary(lang: str, problems: Mapping[str, Problem], key: str, prefix: str = "") -> str:
    """The top of a refused form: what happened, then each problem linked to its control (id ``prefix + name``)."""
    if not problems:
        return ""
    items = "".join(f'<li><a href="#{e(prefix + n)}">{e(p[0])}</a></li>' for n, p in problems.items())
    return f'<div class="alert" role="alert"><p>{t(key, lang)}</p><ul>{items}</ul></div>'


HOME_LINKS = (
    ("/console/alerts", "alerts"),
    ("/console/scans", "scans"),
    ("/console/summary", "summary"),
    ("/console/field-checks/new", "fieldcheck"),
)


def home(lang: str) -> str:
    """The inspector's overview: the alert queue, the log, the summary and a field check."""
    cards = "".join(
        f'<li class="card"><h2><a href="{path}">{t(f"insp.{key}", lang)}</a></h2>'
        f"<p>{t(f'insp.{key}_hint', lang)}</p></li>"
        for path, key in HOME_LINKS
    )
    return (
        f"<p>{t('insp.home_intro', lang)}</p>"
        f'<ul class="cards">{cards}</ul>'
        f'<p><a href="/docs/inspector">{t("api_docs", lang)}</a></p>'
    )


def _filter_field(name: str, lang: str, values: Mapping[str, str], problems: Mapping[str, Problem]) -> str:
    attr, err = field_error(name, problems.get(name), lang)
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
        f'<p><a href="/console/scans/export?{e(urlencode(filled))}">{t("insp.csv_parts", lang)}</a></p>'
    )
    shown = "" if problems else _table(lang, rows, next_cursor, filled)
    noted = f'<p class="note">{e(note)}</p>' if note else ""
    return (
        problems_summary(lang, problems, "insp.filters_invalid", "f-")
        + form
        + noted
        + ("" if problems else csv_link)
        + shown
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
    lang: str,
    status: str,
    items: Sequence[Mapping[str, Any]],
    next_cursor: str | None,
    flash: str | None = None,
    filters: str = "",
    kept: Mapping[str, str] | None = None,
) -> str:
    """The queue of one status (tabs for the others, keeping the type and province filter
    ``kept``), then ``filters`` (the filter form's HTML), newest first, each alert linked."""
    kept = {k: v for k, v in (kept or {}).items() if v}
    tabs = "".join(
        f'<li><a href="/console/alerts?{e(urlencode({"status": s, **kept}))}"{" aria-current=page" if s == status else ""}>'
        f"{t(f'insp.status.{s}', lang)}</a></li>"
        for s in STATUSES
    )
    nav = f'<nav aria-label="{t("insp.queue", lang)}"><ul class="actions tabs">{tabs}</ul></nav>' + filters
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
        query = urlencode({"status": status, **kept, "cursor": next_cursor})
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
    s_attr, s_err = field_error("status", problems.get("status"), lang)
    radios = "".join(
        f'<div class="choice"><input type="radio" id="st-{e(s)}" name="status" value="{e(s)}"'
        f"{' checked' if s == chosen else ''}{s_attr}>"
        f'<label for="st-{e(s)}">{t(f"insp.do.{s}", lang)}</label></div>'
        for s in steps
    )
    n_attr, n_err = field_error("note", problems.get("note"), lang)
    return (
        f"<h2>{t('insp.move', lang)}</h2>"
        + problems_summary(lang, problems, "insp.move_invalid")
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


# --- the summary, the queue's filters, the CSV in parts ------------------------------------------
PERIODS = (7, 30, 92)  # the period picker's choices (the API takes any 1 to 92 days)


def _select(
    name: str,
    label: str,
    options: Sequence[tuple[str, str]],
    chosen: str,
    problems: Mapping[str, Problem],
    lang: str,
    prefix: str = "f-",
) -> str:
    """A labelled ``<select>`` of (value, already-plain text) with its problem below it."""
    attr, err = field_error(name, problems.get(name), lang)
    inner = "".join(
        f'<option value="{e(v)}"{" selected" if v == chosen else ""}>{e(shown)}</option>' for v, shown in options
    )
    return (
        f'<div><label for="{prefix}{name}">{label}</label>'
        f'<select id="{prefix}{name}" name="{name}"{attr}>{inner}</select>{err}</div>'
    )


def province_choices(lang: str, provinces: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The province filter's choices: all of the caller's first, then each one (code, name)."""
    return [("", t("insp.all_provinces", lang)), *provinces]


def _province_select(
    lang: str, provinces: Sequence[tuple[str, str]], values: Mapping[str, str], problems: Mapping[str, Problem]
) -> str:
    """The province filter of the summary and the alert queue (``province_choices``)."""
    return _select(
        "province",
        t("insp.province_pick", lang),
        province_choices(lang, provinces),
        values.get("province", ""),
        problems,
        lang,
    )


def _table_of(caption: str, heads: Sequence[str], rows: Sequence[tuple[object, object]]) -> str:
    """A two-column table: a row heading (a name), then its number."""
    head = "".join(f'<th scope="col">{h}</th>' for h in heads)
    body = "".join(f'<tr><th scope="row">{e(name)}</th><td class="num">{e(n)}</td></tr>' for name, n in rows)
    return f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(svg: str, caption: str, table: str) -> str:
    """A chart (inline SVG, ``role=img`` with its title) and its text alternative: a caption
    with the numbers' gist and a table of every number drawn."""
    return (
        f'<figure class="chart">{svg}<figcaption>{caption}</figcaption>'
        f'<div class="scroll" role="region" aria-label="{caption}" tabindex="0">{table}</div></figure>'
    )


def summary_page(
    lang: str,
    values: Mapping[str, str],
    problems: Mapping[str, Problem],
    provinces: Sequence[tuple[str, str]],
    data: Mapping[str, Any] | None,
    charts: Mapping[str, str],
) -> str:
    """The summary's filters (period, province: a GET form), then three charts, each with a
    caption and a table of its numbers (``data``: ``inspection.summary.summarize``'s answer;
    ``charts``: its SVG by kind, ``inspection.summary.chart``)."""
    periods = [(str(n), t("insp.days_n", lang, n=n)) for n in PERIODS]
    if values.get("days") and values["days"] not in {p for p, _ in periods}:
        periods.append((values["days"], t("insp.days_n", lang, n=values["days"])))
    form = (
        '<form class="stack filters" method="get" action="/console/summary">'
        + _select("days", t("insp.days", lang), periods, values.get("days", "30"), problems, lang)
        + _province_select(lang, provinces, values, problems)
        + f'<button type="submit">{t("insp.show", lang)}</button></form>'
    )
    top = problems_summary(lang, problems, "insp.filters_invalid", "f-")
    if data is None:
        return top + form
    period = t("insp.period", lang, first=dates.show(data["from"]), last=dates.show(data["to"]))
    totals: Mapping[str, int] = data["totals"]
    total = sum(totals.values())
    days = len(data["days"])
    said = f"<p>{period}. {t('insp.total', lang, n=total, days=days)}</p>"
    if lang == "en":
        said += f'<p class="muted">{t("insp.chart_words", lang)}</p>'
    verdict_rows = [(verdict_words(v, lang), n) for v, n in sorted(totals.items(), key=lambda kv: -kv[1])]
    day_rows = [(dates.show(d["day"]), d["total"]) for d in data["days"]]
    verdicts = _figure(
        charts["verdicts"],
        t("insp.t.verdicts", lang) + " — " + t("insp.total", lang, n=total, days=days),
        _table_of(t("insp.t.verdicts", lang), (t("insp.col.verdict", lang), t("insp.col.count", lang)), verdict_rows)
        if verdict_rows
        else f"<p>{t('insp.no_data', lang)}</p>",
    )
    per_day = (
        f"<details><summary>{t('insp.t.days', lang)}</summary>"
        f'<div class="scroll" role="region" aria-label="{t("insp.t.days", lang)}" tabindex="0">'
        + _table_of(t("insp.t.days", lang), (t("insp.col.day", lang), t("insp.col.count", lang)), day_rows)
        + "</div></details>"
    )
    province_rows = [(p["name"], p["scans"]) for p in data["top_provinces"]]
    top_provinces = _figure(
        charts["provinces"],
        t("insp.t.provinces", lang),
        _table_of(t("insp.t.provinces", lang), (t("insp.col.province", lang), t("insp.col.count", lang)), province_rows)
        if province_rows
        else f"<p>{t('insp.no_data', lang)}</p>",
    )
    alert_rows = [(alert_type_words(k, lang), n) for k, n in sorted(data["open_alerts"].items(), key=lambda kv: -kv[1])]
    open_alerts = _figure(
        charts["alerts"],
        t("insp.t.alerts", lang),
        _table_of(t("insp.t.alerts", lang), (t("insp.col.type", lang), t("insp.col.open", lang)), alert_rows)
        if alert_rows
        else f"<p>{t('insp.no_data', lang)}</p>",
    )
    return (
        top
        + form
        + said
        + f"<h2>{t('insp.t.verdicts', lang)}</h2>"
        + verdicts
        + per_day
        + f"<h2>{t('insp.t.provinces', lang)}</h2>"
        + top_provinces
        + f"<h2>{t('insp.t.alerts', lang)}</h2>"
        + open_alerts
    )


def queue_filters(
    lang: str,
    status: str,
    values: Mapping[str, str],
    problems: Mapping[str, Problem],
    provinces: Sequence[tuple[str, str]],
) -> str:
    """The queue's type and province filter (a GET form keeping the status tab)."""
    types = [("", t("insp.any", lang)), *((str(k), alert_type_words(str(k), lang)) for k in AlertType)]
    return (
        problems_summary(lang, problems, "insp.filters_invalid", "f-")
        + '<form class="stack filters" method="get" action="/console/alerts">'
        f'<input type="hidden" name="status" value="{e(status)}">'
        + _select("type", t("insp.f.type", lang), types, values.get("type", ""), problems, lang)
        + _province_select(lang, provinces, values, problems)
        + f'<button type="submit">{t("insp.filter", lang)}</button></form>'
    )


def export_page(
    lang: str, filled: Mapping[str, str], part: int, rows: int, cursor: str | None, next_cursor: str | None
) -> str:
    """One part of the CSV export: its line count, its download link, and the next part's page
    when the export was cut (``next_cursor``: the API's ``Link: rel=next`` cursor)."""
    here = urlencode({**filled, **({"cursor": cursor} if cursor else {})})
    said = t("insp.part", lang, n=part, rows=number(rows, lang))
    more = t("insp.part_more", lang) if next_cursor else t("insp.part_last", lang)
    links = (
        f'<p><a class="button" href="/console/scans.csv?{e(here)}" download>'
        f"{t('insp.part_download', lang, n=part)}</a></p>"
    )
    if next_cursor:
        after = urlencode({**filled, "cursor": next_cursor, "part": part + 1})
        links += f'<p><a class="button" href="/console/scans/export?{e(after)}">{t("insp.part_next", lang, n=part + 1)}</a></p>'
    back = urlencode(filled)
    return (
        f"<p>{said} {more}</p>{links}" + f'<p><a href="/console/scans?{e(back)}">{t("insp.back_scans", lang)}</a></p>'
    )
