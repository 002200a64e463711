"""Void a serial range of a batch (``lifecycle.voids.void``, as ``POST /batches/{id}/voids``) and
recall a lot (``lifecycle.recalls.recall``, as ``POST /lots/{id}/recall``) and lift the recall
(``lifecycle.recalls.lift``, as ``POST /lots/{id}/recall/lift``), each behind a confirmation page.

Three steps, each a page: the form (GET), the confirmation (POST ``step=confirm``: the values
checked by the API's own schema, nothing written) that shows what the consumer's scan page
will say -- ``pages.scan_page.verdict_words`` for a verification result in the new state, with
the producer as a scan shows it -- and the deed (POST ``step=do``). Both POSTs carry the CSRF
token (checked by ``console.app`` first).

A double submit changes nothing twice: ``voids.void`` answers a repeat of the same range and
reason with the same void; a recall that finds the lot already recalled with the same reason
and notice is taken as this one (it is) and lands on the lot page; one recalled otherwise is the
domain's 409, shown as a page. Lifting likewise: a lift that finds the lot already lifted with
the same reason is this lift sent twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from ocop_stamps.catalog import registry
from ocop_stamps.catalog.views import plain
from ocop_stamps.console import views_lifecycle
from ocop_stamps.console.fields import Both
from ocop_stamps.console.frame import other, t
from ocop_stamps.console.outcome import Ctx, Moved, Outcome, Shown
from ocop_stamps.core import dates, words
from ocop_stamps.core.dates import day_of
from ocop_stamps.core.errors import Conflict, DomainError
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.schema import RULES_VI
from ocop_stamps.core.text import is_digits
from ocop_stamps.core.vocabulary import VN_TZ, VoidReason
from ocop_stamps.issuing import batches as issuing
from ocop_stamps.lifecycle import recalls, voids
from ocop_stamps.lifecycle.schemas import LiftIn, RecallIn, VoidIn
from ocop_stamps.pages.scan_page import verdict_words
from ocop_stamps.scanning.verdicts import StampFacts, judge

VOID_FIELDS = ("first_serial", "last_serial", "reason", "note")
RECALL_FIELDS = ("reason", "message_vi", "message_en")
LIFT_FIELDS = ("reason",)
_RULE_FIELD = {
    "last_serial must not be smaller than first_serial": "last_serial",
    "give either code or first_serial (with last_serial), not both": "first_serial",
}


def seen_after(result: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """What the scan page shows for ``result``, in Vietnamese and in English."""
    out = {}
    for lang in ("vi", "en"):
        _, title, paragraphs, _ = verdict_words(result, lang)
        out[lang] = (title, paragraphs)
    return out


def _problems(exc: ValidationError, names: tuple[str, ...], lang: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for err in exc.errors():
        problem = str(err.get("msg", "")).removeprefix("Value error, ")
        loc = [str(p) for p in err.get("loc", ())]
        field = loc[0] if loc and loc[0] in names else _RULE_FIELD.get(problem, names[0])
        own = words.text(f"console.field_err.{field}", lang)
        if problem in RULES_VI:
            own = f"{own} ({problem if lang == 'en' else RULES_VI[problem]})"
        found.setdefault(field, own)
    return found


def _domain_problem(exc: DomainError, field: str, lang: str) -> dict[str, str]:
    """The refusal at the field the domain names (``details[].field``), else at ``field``."""
    named = next((d.get("field") for d in exc.details or [] if isinstance(d, dict) and d.get("field")), None)
    return {str(named or field): exc.message if lang == "en" else exc.message_vi}


# --- void --------------------------------------------------------------------------------------
def void_reasons(lang: str) -> list[tuple[str, str]]:
    return [(r.value, words.text(f"void_reason.{r.value}", lang)) for r in VoidReason]


def _void_body(form: Mapping[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"reason": form.get("reason", "")}
    for name in ("first_serial", "last_serial"):
        text = form.get(name, "").strip()
        body[name] = int(text) if is_digits(text) and len(text) < 10 else text
    if form.get("note", "").strip():
        body["note"] = form["note"].strip()
    return body


def void_result(producer: dict[str, Any], reason: str, at: str) -> dict[str, Any]:
    return {"verdict": "void", "void": {"reason": reason, "voided_at": at}, "producer": producer, "scan": {"count": 1}}


def _void_form(ctx: Ctx, batch_id: str, values: Mapping[str, str], problems: Mapping[str, str], status: int) -> Shown:
    batch = issuing.batch_view(issuing.own_batch(ctx.principal.own_producer_id(), batch_id))
    body = views_lifecycle.void_form(
        ctx.lang, str(batch["batch_id"]), int(batch["size"]), void_reasons(ctx.lang), ctx.csrf, values, problems
    )
    return Shown(status, words.text("console.void_title", ctx.lang, id=batch["batch_id"]), body)


def _void_post(ctx: Ctx, batch_id: str) -> Outcome:
    producer_id = ctx.principal.own_producer_id()
    values = {k: ctx.form.get(k, "") for k in VOID_FIELDS}
    batch = issuing.own_batch(producer_id, batch_id)  # 404 for another producer's, before anything
    try:
        data = VoidIn.model_validate(_void_body(ctx.form))
    except ValidationError as exc:
        return _void_form(ctx, batch_id, values, _problems(exc, VOID_FIELDS, ctx.lang), 422)
    assert data.first_serial is not None and data.last_serial is not None  # code is never sent here
    first, last = data.first_serial, data.last_serial
    if ctx.form.get("step") != "do":
        try:  # the batch as it is now: a confirmation never promises what the deed will refuse
            voids.check_range(batch, data)
        except DomainError as exc:
            return _void_form(ctx, batch_id, values, _domain_problem(exc, "first_serial", ctx.lang), exc.status)
        producer = registry.own_producer(producer_id)
        reason_text = t("reason_is", ctx.lang, reason=words.text(f"void_reason.{data.reason.value}", ctx.lang))
        body = views_lifecycle.void_confirm(
            ctx.lang,
            str(int(batch.batch_no)),
            first,
            last,
            reason_text,
            ctx.csrf,
            values,
            seen_after(void_result(producer, data.reason.value, iso(utc_now()))),
        )
        return Shown(200, words.text("console.void_confirm_title", ctx.lang), body)
    try:
        voids.void(producer_id, batch_id, data, ctx.base_url)
    except DomainError as exc:
        if exc.status not in (400, 409, 422) or exc.retry_after:
            raise  # the store refused or stayed busy: the error page, with Retry-After
        return _void_form(ctx, batch_id, values, _domain_problem(exc, "first_serial", ctx.lang), exc.status)
    query = urlencode({"first": first, "last": last})
    return Moved(f"/console/batches/{int(batch.batch_no)}/void/done?{query}")


def _void_done(ctx: Ctx, batch_id: str) -> Shown | None:
    """The void's result page, read from the batch itself: a range it does not hold is a 404."""
    producer_id = ctx.principal.own_producer_id()
    batch = issuing.own_batch(producer_id, batch_id)
    first, last = ctx.query.get("first", ""), ctx.query.get("last", "")
    entry = next((v for v in batch.voids if str(int(v.first)) == first and str(int(v.last)) == last), None)
    if entry is None:
        return None
    seen = seen_after(void_result(registry.own_producer(producer_id), str(entry.reason), str(entry.at)))
    body = views_lifecycle.void_done(ctx.lang, str(int(batch.batch_no)), int(first), int(last), seen)
    return Shown(200, words.text("console.void_title", ctx.lang, id=int(batch.batch_no)), body)


# --- recall ------------------------------------------------------------------------------------
def _recall_body(form: Mapping[str, str]) -> dict[str, Any]:
    body = {k: form.get(k, "").strip() for k in RECALL_FIELDS}
    return {k: v for k, v in body.items() if v or k != "message_en"}


def _recall_result(producer: dict[str, Any], data: RecallIn, at: str) -> dict[str, Any]:
    recall = {"recalled_at": at, "message": data.message_vi, "message_en": data.message_en}
    return {
        "verdict": "recalled",
        "recall": {k: v for k, v in recall.items() if v},
        "producer": producer,
        "scan": {"count": 1},
    }


def _recall_form(ctx: Ctx, lot_id: str, values: Mapping[str, str], problems: Mapping[str, str], status: int) -> Outcome:
    lot = registry.own_lot(ctx.principal.own_producer_id(), lot_id)
    if (plain(lot.recall) if lot.recall else {}).get("status") == "recalled":
        return Moved(f"/console/lots/{lot.lot_id}")  # nothing to recall: the lot page says since when
    body = views_lifecycle.recall_form(ctx.lang, lot.lot_id, lot.lot_code, ctx.csrf, values, problems)
    return Shown(status, words.text("console.recall_title", ctx.lang, code=lot.lot_code), body)


def _recall_post(ctx: Ctx, lot_id: str) -> Outcome:
    producer_id = ctx.principal.own_producer_id()
    values = {k: ctx.form.get(k, "") for k in RECALL_FIELDS}
    lot = registry.own_lot(producer_id, lot_id)  # 404 for another producer's, before anything
    try:
        data = RecallIn.model_validate(_recall_body(ctx.form))
    except ValidationError as exc:
        return _recall_form(ctx, lot_id, values, _problems(exc, RECALL_FIELDS, ctx.lang), 422)
    if ctx.form.get("step") != "do":
        seen = seen_after(_recall_result(registry.own_producer(producer_id), data, iso(utc_now())))
        body = views_lifecycle.recall_confirm(ctx.lang, lot.lot_id, lot.lot_code, ctx.csrf, values, seen)
        return Shown(200, words.text("console.recall_confirm_title", ctx.lang), body)
    try:
        recalls.recall(producer_id, lot_id, data, ctx.principal.subject, ctx.base_url)
    except Conflict:
        now = registry.own_lot(producer_id, lot_id, consistent=True)
        state = plain(now.recall) if now.recall else {}
        same = state.get("reason") == data.reason and state.get("message_vi") == data.message_vi
        if not (state.get("status") == "recalled" and same):
            raise  # recalled before, with other words: the domain's 409 page says since when
    return Moved(f"/console/lots/{lot.lot_id}?{urlencode({'recalled': 1})}")


# --- lifting a recall ---------------------------------------------------------------------------
def _lift_result(producer: dict[str, Any], lot: Any) -> dict[str, Any]:
    """What the first scan of an activated stamp of ``lot`` answers once the recall is lifted
    (``scanning.verdicts.judge``: genuine, or expired when the lot's expiry date has passed)."""
    facts = StampFacts(
        activated=True,
        scanners=0,
        repeat_threshold=1,
        expiry_date=day_of(lot.expiry_date),
        recalled=False,
        void=False,
    )
    verdict = judge(facts, dt.datetime.now(VN_TZ).date())[0]
    lot_part = {"lot_code": lot.lot_code, "expiry_date": lot.expiry_date}
    return {"verdict": verdict.value, "lot": lot_part, "producer": producer, "scan": {"count": 1}}


def _lift_form(ctx: Ctx, lot_id: str, values: Mapping[str, str], problems: Mapping[str, str], status: int) -> Outcome:
    lot = registry.own_lot(ctx.principal.own_producer_id(), lot_id)
    if (plain(lot.recall) if lot.recall else {}).get("status") != "recalled":
        return Moved(f"/console/lots/{lot.lot_id}")  # nothing to lift: the lot page shows its state
    since = dates.show(plain(lot.recall).get("at"))
    body = views_lifecycle.lift_form(ctx.lang, lot.lot_id, lot.lot_code, since, ctx.csrf, values, problems)
    return Shown(status, words.text("console.lift_title", ctx.lang, code=lot.lot_code), body)


def _lift_post(ctx: Ctx, lot_id: str) -> Outcome:
    producer_id = ctx.principal.own_producer_id()
    values = {k: ctx.form.get(k, "") for k in LIFT_FIELDS}
    lot = registry.own_lot(producer_id, lot_id)  # 404 for another producer's, before anything
    try:
        data = LiftIn.model_validate({"reason": ctx.form.get("reason", "").strip()})
    except ValidationError as exc:
        return _lift_form(ctx, lot_id, values, _both(exc, LIFT_FIELDS, ctx.lang), 422)
    if ctx.form.get("step") != "do":
        if (plain(lot.recall) if lot.recall else {}).get("status") != "recalled":
            return Moved(f"/console/lots/{lot.lot_id}")
        seen = seen_after(_lift_result(registry.own_producer(producer_id), lot))
        body = views_lifecycle.lift_confirm(ctx.lang, lot.lot_id, lot.lot_code, ctx.csrf, values, seen)
        return Shown(200, words.text("console.lift_confirm_title", ctx.lang), body)
    try:
        recalls.lift(producer_id, lot_id, data, ctx.principal.subject, ctx.base_url)
    except Conflict:
        now = registry.own_lot(producer_id, lot_id, consistent=True)
        state = plain(now.recall) if now.recall else {}
        if not (state.get("status") == "lifted" and state.get("reason") == data.reason):
            raise  # never recalled, or lifted before with other words: the domain's 409 page
    return Moved(f"/console/lots/{lot.lot_id}?{urlencode({'lifted': 1})}")


def _both(exc: ValidationError, names: tuple[str, ...], lang: str) -> dict[str, str]:
    """``_problems`` in the page's language with the other language's beside them (``fields.Both``)."""
    here, there_lang = _problems(exc, names, lang), other(lang)
    there = _problems(exc, names, there_lang)
    return {field: Both(text, there[field], there_lang) for field, text in here.items()}


def route(ctx: Ctx) -> Outcome | None:
    """``/console/batches/{id}/void`` (GET form, POST confirm / do), ``.../void/done``,
    ``/console/lots/{id}/recall`` and ``/console/lots/{id}/lift`` (GET form, POST confirm / do)."""
    parts, method = ctx.parts, ctx.method
    if len(parts) == 3 and parts[0] == "batches" and parts[2] == "void":
        if method == "GET":
            return _void_form(ctx, parts[1], {}, {}, 200)
        return _void_post(ctx, parts[1])
    if len(parts) == 4 and parts[0] == "batches" and parts[2:] == ("void", "done") and method == "GET":
        return _void_done(ctx, parts[1])
    if len(parts) == 3 and parts[0] == "lots" and parts[2] == "recall":
        if method == "GET":
            return _recall_form(ctx, parts[1], {}, {}, 200)
        return _recall_post(ctx, parts[1])
    if len(parts) == 3 and parts[0] == "lots" and parts[2] == "lift":
        if method == "GET":
            return _lift_form(ctx, parts[1], {}, {}, 200)
        return _lift_post(ctx, parts[1])
    return None
