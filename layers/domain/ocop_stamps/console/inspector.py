"""The inspector's console pages: the verification log (filters, pages, CSV) and the alert queue.

Every rule is the inspector API's, through the same functions (``functions/inspector_api``):
``inspection.queries.Scope.of`` (the role and the provinces; a producer is refused there, 403),
``make_filters`` / ``query`` / ``view`` / ``province_note`` / ``export_csv`` for the log, and
``inspection.alerts.list_alerts`` / ``get_alert`` / ``change_status`` with the API's body schema
``AlertStatusChange`` for the queue. A refusal of a filter is shown next to the field it is
about, in both languages: the field is found by asking ``make_filters`` about each value alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlencode

from pydantic import ValidationError

from ocop_stamps.console import views_inspector as views
from ocop_stamps.console.frame import t
from ocop_stamps.console.lots import province_options
from ocop_stamps.console.outcome import Ctx, Moved, Outcome, Sent, Shown
from ocop_stamps.core import words
from ocop_stamps.core.cursors import InvalidCursor
from ocop_stamps.core.errors import BadRequest, Conflict, DomainError, Forbidden, NotFound
from ocop_stamps.core.limits import BODY_BUDGET
from ocop_stamps.core.text import is_digits
from ocop_stamps.inspection import alerts, summary
from ocop_stamps.inspection import queries as scan_query
from ocop_stamps.inspection.schemas import AlertStatusChange
from ocop_stamps.places import provinces

PAGE_SIZE = 50
MAX_EXPORT_ROWS = 20_000  # as the API's GET /scans.csv
# the console sends a file base64-encoded (4 bytes per 3): the part's text must fit in 3/4 of the budget
EXPORT_BUDGET = BODY_BUDGET // 4 * 3
ALERT_ID = re.compile(r"al_[0-9a-f]{1,37}")  # as the API's path: ^al_[0-9a-f]+$, 40 characters at most
_ARG = {"from": "since", "to": "until"}  # the form's names -> make_filters' keywords


def _both(exc: DomainError, lang: str) -> views.Problem:
    return (exc.message, exc.message_vi) if lang == "en" else (exc.message_vi, exc.message)


def _values(query: Mapping[str, str]) -> dict[str, str]:
    return {k: query.get(k, "").strip()[:64] for k in views.SCAN_FILTERS}


def _filters(values: Mapping[str, str], lang: str) -> tuple[scan_query.Filters | None, dict[str, views.Problem]]:
    """The API's filters from the form, or the problems: each value asked about alone first
    (so the refusal lands at its field), then all together (``from`` after ``to``: at ``to``)."""
    problems: dict[str, views.Problem] = {}
    for name, value in values.items():
        if not value:
            continue
        try:
            scan_query.make_filters(**{_ARG.get(name, name): value})
        except BadRequest as exc:
            problems[name] = _both(exc, lang)
    if problems:
        return None, problems
    try:
        return scan_query.make_filters(**{_ARG.get(k, k): v or None for k, v in values.items()}), {}
    except BadRequest as exc:
        return None, {"to": _both(exc, lang)}


def _scans(ctx: Ctx) -> Outcome:
    lang = ctx.lang
    scope = scan_query.Scope.of(ctx.principal)
    values = _values(ctx.query)
    title = words.text("console.insp.scans", lang)
    filters, problems = _filters(values, lang)
    if filters is None:
        return Shown(400, title, views.scans_page(lang, values, problems, [], None))
    try:
        page = scan_query.query(filters, scope, PAGE_SIZE, ctx.query.get("cursor") or None)
    except Forbidden as exc:  # a province outside the inspector's
        return Shown(403, title, views.scans_page(lang, values, {"province": _both(exc, lang)}, [], None))
    except InvalidCursor as exc:
        return Shown(400, title, views.scans_page(lang, values, {"code": _both(exc, lang)}, [], None))
    note = scan_query.province_note(values["province"] or None)
    said = (note.get("note_en") if lang == "en" else note.get("note_vi")) if note else None
    rows = [scan_query.view(item) for item in page.items]
    return Shown(200, title, views.scans_page(lang, values, {}, rows, page.next_cursor, said))


def _export(ctx: Ctx) -> Outcome:
    """The CSV of the API's ``GET /scans.csv`` for the same filters (one part: 20,000 rows or
    what fits the response; a ``Link: rel=next`` header names the rest, as the API does)."""
    scope = scan_query.Scope.of(ctx.principal)
    values = _values(ctx.query)
    filters, problems = _filters(values, ctx.lang)
    if filters is None:
        return Shown(
            400, words.text("console.insp.scans", ctx.lang), views.scans_page(ctx.lang, values, problems, [], None)
        )
    cursor = ctx.query.get("cursor") or None
    chunks, state = scan_query.export_csv(filters, scope, MAX_EXPORT_ROWS, cursor, budget=EXPORT_BUDGET)
    body = "".join(chunks).encode("utf-8")
    headers = {"X-Row-Count": str(state["rows"])}
    if state["next_cursor"]:
        rest = urlencode({**{k: v for k, v in values.items() if v}, "cursor": state["next_cursor"]})
        headers["Link"] = f'</console/scans.csv?{rest}>; rel="next"'
    return Sent("text/csv; charset=utf-8", body, "scans.csv", headers)


def _queue(ctx: Ctx) -> Outcome:
    """The queue of one status, by the API's type and province filter (``list_alerts``): an
    unknown type is refused at its field (400), a province outside the scope at its (403)."""
    lang = ctx.lang
    scope = scan_query.Scope.of(ctx.principal)
    status = ctx.query.get("status") or "open"
    if status not in views.STATUSES:
        status = "open"
    values = {k: ctx.query.get(k, "").strip()[:64] for k in ("type", "province")}
    title = words.text("console.insp.alerts", lang)
    choices = _provinces_of(scope)

    def refused(code: int, name: str, exc: DomainError) -> Shown:
        form = views.queue_filters(lang, status, values, {name: _both(exc, lang)}, choices)
        return Shown(code, title, views.alerts_page(lang, status, [], None, filters=form, kept=values))

    try:
        province = scan_query.province_filter(values["province"]) if values["province"] else None
    except BadRequest as exc:
        return refused(400, "province", exc)
    try:
        page = alerts.list_alerts(
            scope,
            status=status,
            kind=values["type"] or None,
            province=province,
            limit=PAGE_SIZE,
            cursor=ctx.query.get("cursor") or None,
        )
    except Forbidden as exc:
        return refused(403, "province", exc)
    except BadRequest as exc:  # the type (the status was made valid above); a stale cursor too
        return refused(400, "type", exc)
    form = views.queue_filters(lang, status, values, {}, choices)
    body = views.alerts_page(lang, status, page["items"], page["next_cursor"], filters=form, kept=values)
    return Shown(200, title, body)


def _provinces_of(scope: scan_query.Scope) -> list[tuple[str, str]]:
    """The provinces a filter may offer: the caller's (all 34 for everywhere), in Vietnamese order."""
    return [(code, name) for code, name in province_options() if scope.provinces is None or code in scope.provinces]


def _summary(ctx: Ctx) -> Outcome:
    """``GET /console/summary[?days&province]``: ``inspection.summary.summarize`` (the API's
    ``GET /summary``) for the caller's Scope, or one province of it, and its three charts
    (``inspection.summary.chart``, the API's ``GET /summary/chart.svg``) inline."""
    lang = ctx.lang
    scope = scan_query.Scope.of(ctx.principal)
    values = {"days": ctx.query.get("days", "30").strip()[:4] or "30", "province": ctx.query.get("province", "")[:64]}
    choices = _provinces_of(scope)
    title = words.text("console.insp.summary", lang)
    problems: dict[str, views.Problem] = {}
    status = 200
    narrowed = scope
    if values["province"]:
        code = values["province"]
        if code not in provinces.CURRENT or not scope.allows(code):  # the choices are the scope's
            problems["province"], status = _pair("insp.err.province_scope", lang), 403
        else:
            narrowed = scan_query.Scope(frozenset({code}))
    days = int(values["days"]) if is_digits(values["days"]) else 0
    if not 1 <= days <= summary.MAX_DAYS:
        problems["days"], status = _pair("insp.err.days", lang), 400
    if problems:
        return Shown(status, title, views.summary_page(lang, values, problems, choices, None, {}))
    data = summary.summarize(narrowed, days=days)
    charts = {kind: summary.chart(data, kind) for kind in ("verdicts", "provinces", "alerts")}
    return Shown(200, title, views.summary_page(lang, values, {}, choices, data, charts))


def _pair(key: str, lang: str) -> views.Problem:
    return words.text(f"console.{key}", lang), words.text(f"console.{key}", "en" if lang == "vi" else "vi")


def _parts(ctx: Ctx) -> Outcome:
    """``GET /console/scans/export?{filters}[&cursor&part]``: one part of the CSV export, read
    as the file is (``export_csv``, same limits) to count its lines and name the next part's
    cursor; the part's own link downloads it (a second read of the part)."""
    lang = ctx.lang
    scope = scan_query.Scope.of(ctx.principal)
    values = _values(ctx.query)
    filters, problems = _filters(values, lang)
    title = words.text("console.insp.export", lang)
    if filters is None:
        return Shown(400, title, views.scans_page(lang, values, problems, [], None))
    cursor = ctx.query.get("cursor") or None
    part = int(ctx.query["part"]) if is_digits(ctx.query.get("part", "")) and len(ctx.query["part"]) < 6 else 1
    try:
        chunks, state = scan_query.export_csv(filters, scope, MAX_EXPORT_ROWS, cursor, budget=EXPORT_BUDGET)
        for _ in chunks:  # the part is read as it is written: its count and cursor are known at the end
            pass
    except Forbidden as exc:
        return Shown(403, title, views.scans_page(lang, values, {"province": _both(exc, lang)}, [], None))
    except InvalidCursor as exc:
        return Shown(400, title, views.scans_page(lang, values, {"code": _both(exc, lang)}, [], None))
    filled = {k: v for k, v in values.items() if v}
    body = views.export_page(lang, filled, max(part, 1), int(state["rows"]), cursor, state["next_cursor"])
    return Shown(200, title, body)


def _alert(
    ctx: Ctx,
    alert_id: str,
    values: Mapping[str, str] | None = None,
    problems: Mapping[str, views.Problem] | None = None,
    status: int = 200,
) -> Shown:
    scope = scan_query.Scope.of(ctx.principal)
    if not ALERT_ID.fullmatch(alert_id):  # the API's path pattern; anything else is no alert
        raise NotFound("No such alert in your scope.", "Không có cảnh báo này trong phạm vi của bạn.")
    item = alerts.view(alerts.get_alert(alert_id, scope))
    steps = [s for s in views.STATUSES if s in alerts.NEXT.get(item["status"], set())]
    done = ctx.query.get("done")
    flash = t("insp.moved", ctx.lang, status=t(f"insp.status.{done}", ctx.lang)) if done in views.STATUSES else None
    body = views.alert_page(ctx.lang, item, steps, ctx.csrf, values or {}, problems or {}, flash)
    return Shown(status, views.alert_type_words(item.get("type"), ctx.lang), body)


def _move(ctx: Ctx, alert_id: str) -> Outcome:
    """``POST /console/alerts/{id}/status``: the API's ``AlertStatusChange`` and ``change_status``."""
    lang = ctx.lang
    values = {"status": ctx.form.get("status", ""), "note": ctx.form.get("note", "")}
    try:
        change = AlertStatusChange.model_validate({"status": values["status"], "note": values["note"] or None})
    except ValidationError as exc:
        fields = {str(err["loc"][0]) for err in exc.errors() if err.get("loc")} or {"status"}
        problems = {
            f: (
                words.text(f"console.insp.err.{f}", lang),
                words.text(f"console.insp.err.{f}", "en" if lang == "vi" else "vi"),
            )
            for f in fields & {"status", "note"}
        }
        return _alert(ctx, alert_id, values, problems, 422)
    who = ctx.principal
    try:
        alerts.change_status(alert_id, change.status, change.note, who.subject, scan_query.Scope.of(who))
    except Conflict as exc:  # moved meanwhile by someone else, or already closed
        if exc.retry_after:
            raise  # lost races until the retries ran out: the error page, with Retry-After
        return _alert(ctx, alert_id, values, {"status": _both(exc, lang)}, 409)
    except BadRequest as exc:  # the schema passed: what is left is the note a closing needs
        return _alert(ctx, alert_id, values, {"note": _both(exc, lang)}, 422)
    return Moved(f"/console/alerts/{alert_id}?{urlencode({'done': change.status})}")


def route(ctx: Ctx) -> Outcome | None:
    """``GET /console/scans``, ``GET /console/scans.csv``, ``GET /console/scans/export``,
    ``GET /console/alerts``, ``GET /console/alerts/{id}``, ``POST /console/alerts/{id}/status``,
    ``GET /console/summary``."""
    parts, method = ctx.parts, ctx.method
    if parts == ("scans",) and method == "GET":
        return _scans(ctx)
    if parts == ("scans.csv",) and method == "GET":
        return _export(ctx)
    if parts == ("alerts",) and method == "GET":
        return _queue(ctx)
    if parts == ("summary",) and method == "GET":
        return _summary(ctx)
    if parts == ("scans", "export") and method == "GET":
        return _parts(ctx)
    if len(parts) == 2 and parts[0] == "alerts" and method == "GET":
        return _alert(ctx, parts[1])
    if len(parts) == 3 and parts[0] == "alerts" and parts[2] == "status" and method == "POST":
        return _move(ctx, parts[1])
    return None
