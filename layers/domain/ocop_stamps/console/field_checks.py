"""A field check from a phone (kiểm tra thực địa): the inspector scans the stamps on a shelf,
sees what each one is, then records the check in the lot's EPCIS history.

Routes: ``GET /console/field-checks/new[?province=]`` (the form: province first, as the lot
form), ``POST /console/field-checks`` with ``step``: ``check`` (what each code is, and the lot
they name: the list before recording), ``edit`` (the form again, filled), ``do`` (record).

Every rule is the inspector API's: ``inspection.queries.Scope.of`` (a producer session is
refused, 403), the API's body schema ``FieldCheck`` and ``inspection.field_checks.record_check``
(the function behind ``POST /field-checks``: a place outside the scope whose lot's producer is
outside it too is refused there; so is a stamp not of the lot), through ``record_once`` so a
double tap or a reload of the recording records one check. What a code is comes from
``scanning.verification.standing``: the verdict a buyer would see now, without counting or
logging a scan. The lot checked is the one the activated codes name; codes of no lot
(unknown, not activated) cannot be listed as the lot's stamps and go into the note.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ocop_stamps.console import assets
from ocop_stamps.console import views_field_checks as views
from ocop_stamps.console.frame import t
from ocop_stamps.console.lots import commune_groups, province_options
from ocop_stamps.console.outcome import Ctx, Outcome, Shown
from ocop_stamps.console.views_inspector import Problem
from ocop_stamps.core import words
from ocop_stamps.core.errors import DomainError, Forbidden
from ocop_stamps.core.vocabulary import VN_TZ
from ocop_stamps.inspection import field_checks
from ocop_stamps.inspection.queries import Scope
from ocop_stamps.inspection.schemas import FieldCheck
from ocop_stamps.places import provinces
from ocop_stamps.scanning.verification import standing

HEADERS = {"Permissions-Policy": "camera=(self), microphone=(), geolocation=()"}
"""The field check's pages may ask for the camera (as the activation pages)."""
MAX_CODES = field_checks.MAX_CODES
BUSY_RETRIES = 6  # a double tap's second send waits for the first (0.5 s apart), then shows its check
BUSY_WAIT_SECONDS = 0.5
_TYPED = ("province", "codes", "commune", "place", "date", "result", "note")
# a domain error's details field -> the form's field (``places.addresses``, ``record_check``)
_DETAIL_FIELD = {"date": "date", "commune": "commune", "district": "commune", "province": "province", "codes": "codes"}
_RECORD = ("province", "lot_id", "lot_code", "codes", "commune", "place", "date", "result", "note", "key")


def _pair(key: str, lang: str, **values: Any) -> Problem:
    other = "en" if lang == "vi" else "vi"
    return words.text(f"console.fc.{key}", lang, **values), words.text(f"console.fc.{key}", other, **values)


def _both(exc: DomainError, lang: str) -> Problem:
    return (exc.message, exc.message_vi) if lang == "en" else (exc.message_vi, exc.message)


def _lines(text: str) -> list[str]:
    """The codes field: one code a line (commas and semicolons separate too); a code typed
    with spaces inside stays one code (``codes.typed.read`` drops them)."""
    return [part.strip() for line in text.splitlines() for part in line.replace(";", ",").split(",") if part.strip()]


def _form(ctx: Ctx, values: Mapping[str, str], problems: Mapping[str, Problem], status: int = 200) -> Shown:
    lang = ctx.lang
    province = values.get("province", "")
    groups = commune_groups(province, lang) if province in provinces.CURRENT else {}
    problems = dict(problems)
    if province and not groups:
        problems.setdefault("province", _pair("err.province", lang))
    shown = dict(values)
    shown.setdefault("date", dt.datetime.now(VN_TZ).date().isoformat())
    body = views.check_form(
        lang,
        province_options(),
        province,
        groups,
        ctx.csrf,
        assets.url("scan.js"),
        assets.url("jsqr.js"),
        shown,
        problems,
    )
    return Shown(status, words.text("console.fc.title", lang), body, headers=HEADERS)


def _new(ctx: Ctx, scope: Scope) -> Shown:
    province = ctx.query.get("province", "")[:8]
    if not province and scope.provinces is not None and len(scope.provinces) == 1:
        province = next(iter(scope.provinces))  # an inspector of one province starts there
    return _form(ctx, {"province": province}, {})


def _schema_problems(exc: ValidationError, lang: str) -> dict[str, Problem]:
    """``FieldCheck``'s refusals at their fields (the lot and the codes: at the codes)."""
    found: dict[str, Problem] = {}
    for err in exc.errors():
        name = str(err["loc"][0]) if err.get("loc") else "codes"
        field = name if name in views.FIELDS else "codes"
        found.setdefault(field, _pair(f"err.{field}", lang))
    return found


def _domain_problem(exc: DomainError, lang: str) -> dict[str, Problem]:
    """A refusal of ``record_check`` at the field it is about."""
    named = [_DETAIL_FIELD.get(str(d.get("field", ""))) for d in exc.details if isinstance(d, Mapping)]
    field = next((f for f in named if f), "")
    if not field:  # a refusal without details: the scope's (403) and "not a province" are the province's
        field = "province" if isinstance(exc, Forbidden) or exc.message.startswith("province") else "codes"
    return {field: _both(exc, lang)}


def _body(values: Mapping[str, str]) -> dict[str, Any]:
    """The API's ``POST /field-checks`` body from the recorded values (text as sent; the schema decides)."""
    body: dict[str, Any] = {k: values.get(k, "").strip() for k in ("lot_id", "date", "place", "province", "result")}
    body["codes"] = [c for c in values.get("codes", "").splitlines() if c.strip()]
    body["commune"] = values.get("commune", "").strip() or None
    body["note"] = values.get("note", "").strip() or None
    return body


def _check(ctx: Ctx) -> Shown:
    """What each code is, the lot they name, then the list before recording (or the form with
    each refusal at its field)."""
    lang = ctx.lang
    typed = {k: ctx.form.get(k, "") for k in _TYPED}
    problems: dict[str, Problem] = {}
    given = _lines(typed["codes"])
    if len(given) > MAX_CODES:
        return _form(ctx, typed, {"codes": _pair("err.too_many", lang)}, 422)
    seen = standing(given) if given else []
    unread = [s["given"][:32] for s in seen if s["code"] is None]
    bound = [s for s in seen if s["lot_id"]]
    lots = dict.fromkeys(s["lot_id"] for s in bound)
    if unread:
        problems["codes"] = _pair("err.bad_code", lang, codes=", ".join(unread))
    elif not given:
        problems["codes"] = _pair("err.codes", lang)
    elif len(lots) > 1:
        names = ", ".join(dict.fromkeys(str(s["lot_code"] or s["lot_id"]) for s in bound))
        problems["codes"] = _pair("err.many_lots", lang, n=len(lots), lots=names)
    elif not lots:
        problems["codes"] = _pair("err.no_lot", lang)
    outside = [
        f"{s['code']} ({views.verdict_words(s['verdict'], 'vi')})"
        for s in seen
        if s["code"] and not s["lot_id"]  # never issued, or bound to no lot (void before activation too)
    ]
    note = typed["note"].strip()
    if outside:
        note = (note + "\n" if note else "") + words.text("console.fc.note_outside", "vi", codes=", ".join(outside))
    lot_id = next(iter(lots), "")
    codes = list(dict.fromkeys(str(s["code"]) for s in bound))
    record = {
        "province": typed["province"],
        "lot_id": lot_id,
        "lot_code": str(next((s["lot_code"] for s in bound), "") or ""),
        "codes": "\n".join(codes),
        "commune": typed["commune"],
        "place": typed["place"],
        "date": typed["date"],
        "result": typed["result"],
        "note": note,
    }
    try:
        FieldCheck.model_validate({**_body(record), "lot_id": lot_id or "x"})
    except ValidationError as exc:
        for field, found in _schema_problems(exc, lang).items():
            problems.setdefault(field, found)
    if problems:
        return _form(ctx, typed, problems, 422)
    record["key"] = uuid.uuid4().hex  # this list's recording: a double tap sends it twice, records once
    body = views.preview(lang, seen, record["lot_code"], outside, ctx.csrf, record, typed)
    return Shown(200, words.text("console.fc.title", lang), body, headers=HEADERS)


def _record(ctx: Ctx, scope: Scope) -> Shown:
    """``record_once`` with the list's key: the check recorded (or the one this key recorded)."""
    lang = ctx.lang
    values = {k: ctx.form.get(k, "") for k in _RECORD}
    typed = {k: values[k] for k in _TYPED}
    try:
        data = FieldCheck.model_validate(_body(values)).model_dump(mode="json")
    except ValidationError as exc:
        return _form(ctx, typed, _schema_problems(exc, lang), 422)
    for attempt in range(BUSY_RETRIES + 1):
        try:
            done = field_checks.record_once(values["key"], data, ctx.principal.subject, scope, ctx.base_url)
            break
        except field_checks.CheckInProgress as exc:
            if attempt == BUSY_RETRIES:
                return _form(ctx, typed, {"codes": _both(exc, lang)}, exc.status)
            time.sleep(BUSY_WAIT_SECONDS)  # the same list's first send is still being recorded
        except DomainError as exc:
            if exc.status >= 500 or exc.retry_after:
                raise  # busy store: the console's page for a refusal that may pass later
            return _form(ctx, typed, _domain_problem(exc, lang), exc.status)
    body = views.done(lang, values["lot_code"] or data["lot_id"], len(data["codes"]), data["result"], done["event_id"])
    return Shown(200, t("fc.title", lang), body)


def route(ctx: Ctx) -> Outcome | None:
    """``GET /console/field-checks/new``, ``POST /console/field-checks`` (``step``: check, edit, do)."""
    parts, method = ctx.parts, ctx.method
    if parts == ("field-checks", "new") and method == "GET":
        return _new(ctx, Scope.of(ctx.principal))
    if parts == ("field-checks",) and method == "POST":
        scope = Scope.of(ctx.principal)
        step = ctx.form.get("step", "check")
        if step == "do":
            return _record(ctx, scope)
        if step == "edit":
            return _form(ctx, {k: ctx.form.get(k, "") for k in _TYPED}, {})
        return _check(ctx)
    return None
