"""Activation by camera (issue 15): the producer scans the first and last label of a roll,
checks range and lot on a confirmation page, then binds them.

Routes (under ``/console/batches/{id}/``; ``console.app`` hands them here):

* ``GET activate``: the form; ``POST activate``: read both codes, show the confirmation or
  the form again with each field's refusal; ``POST activate/edit``: the form again, filled
  (the confirmation's "change" button).
* ``POST activations``: ``issuing.activation.activate``, the function behind the producer
  API's ``POST /batches/{id}/activations`` (same tenancy, same rules, idempotent: the same
  range and lot sent twice is one activation), then 303 to ``GET activations?first&last``,
  the page that says what was bound.

Codes are read as the public scan reads them (``codes.typed.read``: a pasted label URL or
Digital Link unwrapped, Vietnamese-keyboard accents repaired, O/I/L read as 0/1/1). What the
form checks before the confirmation -- the code is a code of this batch, first <= last, the
range is not already bound, neither scanned label is void, the lot is one of the batch's
product -- only chooses the words shown next to a field; the binding itself is decided by
``activate`` alone, which checks everything again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

from ocop_stamps.catalog import registry
from ocop_stamps.catalog.views import lot_view
from ocop_stamps.codes.scheme import StampId
from ocop_stamps.codes.typed import read
from ocop_stamps.console import activation_views as views
from ocop_stamps.console import assets
from ocop_stamps.console.activation_views import LotChoice, Preview, Problem, problem
from ocop_stamps.console.frame import e, t
from ocop_stamps.core import words
from ocop_stamps.core.dates import day_of, show
from ocop_stamps.core.errors import DomainError, NotFound
from ocop_stamps.core.text import is_digits
from ocop_stamps.core.vocabulary import VN_TZ, Verdict
from ocop_stamps.issuing import batches as issuing
from ocop_stamps.issuing.activation import activate
from ocop_stamps.issuing.schemas import ActivationIn
from ocop_stamps.scanning.verdicts import StampFacts, judge
from ocop_stamps.storage.parameters import code_keys

STEPS = ("activate", "activate/edit", "activations")
HEADERS = {"Permissions-Policy": "camera=(self), microphone=(), geolocation=()"}
"""The activation pages' extra header: this origin may ask for the camera (nothing else may)."""


class Reply(NamedTuple):
    """A page (status, title, body) or, with ``location``, a 303 to it."""

    status: int
    title: str
    body: str
    location: str | None = None


class Ask(NamedTuple):
    """One activation request: who, which batch, what was posted, in which language."""

    producer_id: str
    batch_id: str
    lang: str
    csrf: str
    form: Mapping[str, str]
    query: Mapping[str, str]


def respond(method: str, step: str, ask: Ask, base_url: str) -> Reply | None:
    """The answer to ``{method} /console/batches/{id}/{step}``; None for a path or method not here.
    ``NotFound`` (another producer's batch) and other ``DomainError``s of reading propagate."""
    batch = issuing.own_batch(ask.producer_id, ask.batch_id)
    if step == "activate" and method == "GET":
        return _form(ask, batch)
    if step == "activate/edit" and method == "POST":
        return _form(ask, batch, values=ask.form)
    if step == "activate" and method == "POST":
        return _check(ask, batch)
    if step == "activations" and method == "POST":
        return _bind(ask, batch, base_url)
    if step == "activations" and method == "GET":
        return _done(ask, batch)
    return None


def _lots(producer_id: str, product_id: str) -> list[dict[str, Any]]:
    return [lot for lot in registry.lots_of(producer_id) if lot.get("product_id") == product_id]


def _choices(lots: list[dict[str, Any]]) -> list[LotChoice]:
    return [
        LotChoice(
            str(lot["lot_id"]),
            str(lot.get("lot_code") or ""),
            str(lot.get("production_date") or ""),
            (lot.get("recall") or {}).get("status") == "recalled",
        )
        for lot in lots
    ]


def _form(
    ask: Ask,
    batch: Any,
    status: int = 200,
    values: Mapping[str, str] | None = None,
    problems: Mapping[str, Problem] | None = None,
) -> Reply:
    product = registry.own_product(ask.producer_id, str(batch.product_id))
    body = views.activation_form(
        ask.lang,
        ask.batch_id,
        product.name,
        _choices(_lots(ask.producer_id, str(batch.product_id))),
        ask.csrf,
        assets.url("scan.js"),
        assets.url("jsqr.js"),
        values,
        problems,
    )
    return Reply(status, t("act.title", ask.lang, id=ask.batch_id), body)


def _stamp(raw: str, batch_no: int, lang: str) -> StampId | Problem:
    """The stamp a field names, or why not (empty, not a code, a code of another batch)."""
    if not raw.strip():
        return problem("need_code", lang)
    typed = read(raw.strip(), code_keys())
    if typed.stamp is None:
        return problem("bad_code", lang)
    if typed.stamp.batch != batch_no:
        return problem("other_batch", lang, id=batch_no)
    return typed.stamp


def _void(batch: Any, serial: int) -> bool:
    return any(int(v.first) <= serial <= int(v.last) for v in batch.voids)


def _voided_in(batch: Any, first: int, last: int) -> int:
    """Serials of first..last inside a void range, each counted once (void ranges may overlap)."""
    total, reach = 0, first - 1
    for a, b in sorted((max(int(v.first), first), min(int(v.last), last)) for v in batch.voids):
        a = max(a, reach + 1)
        if b >= a:
            total += b - a + 1
        reach = max(reach, b)
    return total


def verdict_words(lot: Mapping[str, Any], lang: str, *, void: bool = False) -> str:
    """The sentence a buyer's scan of a freshly bound stamp of ``lot`` shows (``scanning.verdicts.judge``
    on the facts it will have: activated, not yet scanned, the lot's expiry and recall)."""
    facts = StampFacts(
        activated=True,
        scanners=0,
        repeat_threshold=1,
        expiry_date=day_of(lot.get("expiry_date")),
        recalled=(lot.get("recall") or {}).get("status") == "recalled",
        void=void,
    )
    verdict: Verdict = judge(facts, dt.datetime.now(VN_TZ).date())[0]
    return words.text(f"verdict.{verdict.value}", lang)


def _check(ask: Ask, batch: Any) -> Reply:
    lang, form = ask.lang, ask.form
    batch_no = int(batch.batch_no)
    problems: dict[str, Problem] = {}
    stamps: dict[str, StampId] = {}
    for name in views.FIELDS:
        found = _stamp(form.get(name, ""), batch_no, lang)
        if isinstance(found, Problem):
            problems[name] = found
        else:
            stamps[name] = found
            if _void(batch, found.serial):
                problems[name] = problem("void", lang, serial=found.serial)
    if not problems:
        first, last = stamps["first"].serial, stamps["last"].serial
        if first > last:
            problems["last"] = problem("reversed", lang, first=first, last=last)
        else:
            for a in batch.activations:
                if int(a.first) <= last and first <= int(a.last):
                    problems["first"] = problem(
                        "already",
                        lang,
                        first=int(a.first),
                        last=int(a.last),
                        lot=_lot_code(ask, a.lot_id),
                        date=show(a.at)[-10:] if a.at else "",
                    )
                    break
    lots = {str(lot["lot_id"]): lot for lot in _lots(ask.producer_id, str(batch.product_id))}
    lot = lots.get(form.get("lot_id", ""))
    if lot is None:
        problems["lot_id"] = problem("need_lot", lang)
    if problems or lot is None:
        return _form(ask, batch, 422, form, problems)
    first, last = stamps["first"].serial, stamps["last"].serial
    product = registry.own_product(ask.producer_id, str(batch.product_id))
    preview = Preview(
        ask.batch_id,
        first,
        last,
        str(lot["lot_id"]),
        str(lot.get("lot_code") or ""),
        product.name,
        verdict_words(lot, lang),
        _voided_in(batch, first, last),
        verdict_words(lot, lang, void=True),
    )
    body = views.confirmation(lang, preview, ask.csrf, form.get("first", ""), form.get("last", ""))
    return Reply(200, t("act.confirm_title", lang, id=ask.batch_id), body)


def _lot_code(ask: Ask, lot_id: str) -> str:
    try:
        return str(registry.own_lot(ask.producer_id, lot_id).lot_code)
    except NotFound:
        return lot_id


def _serial(text: str | None) -> int | None:
    return int(text) if text and is_digits(text) and len(text) <= 7 else None


def _bind(ask: Ask, batch: Any, base_url: str) -> Reply:
    first, last = _serial(ask.form.get("first_serial")), _serial(ask.form.get("last_serial"))
    lot_id = ask.form.get("lot_id", "")
    try:
        if first is None or last is None:
            raise ValueError("serials")
        data = ActivationIn.model_validate({"first_serial": first, "last_serial": last, "lot_id": lot_id})
    except ValueError:  # pydantic's ValidationError is a ValueError: a form not made by the confirmation
        return _form(ask, batch, 422, {}, {"first": problem("need_code", ask.lang)})
    try:
        activate(ask.producer_id, ask.batch_id, data, base_url)
    except DomainError as exc:
        if exc.status >= 500 or exc.retry_after:
            raise  # busy: the console's page for a refusal that may pass later
        here, there = (exc.message, exc.message_vi) if ask.lang == "en" else (exc.message_vi, exc.message)
        return _form(ask, batch, exc.status, {"lot_id": lot_id}, {"first": Problem(e(here), e(there))})
    return Reply(
        303, "", "", f"/console/batches/{ask.batch_id}/activations?first={data.first_serial}&last={data.last_serial}"
    )


def _done(ask: Ask, batch: Any) -> Reply:
    first, last = _serial(ask.query.get("first")), _serial(ask.query.get("last"))
    bound = next((a for a in batch.activations if int(a.first) == first and int(a.last) == last), None)
    if bound is None:
        return Reply(303, "", "", f"/console/batches/{ask.batch_id}/activate")
    lot = lot_view(registry.own_lot(ask.producer_id, bound.lot_id))
    verdict = verdict_words(lot, ask.lang)
    body = views.done(ask.lang, ask.batch_id, int(bound.first), int(bound.last), str(lot["lot_code"]), verdict)
    return Reply(200, t("act.done_title", ask.lang, id=ask.batch_id), body)
