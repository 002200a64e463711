"""Void stamps by their codes (``lifecycle.voids.void``, as ``POST /batches/{id}/voids``): the
producer holds a damaged or lost label, not its batch number and serial.

``GET /console/stamps/void``: the form -- up to ``MAX_CODES`` codes, one a line, typed, pasted
(a whole label URL or Digital Link is unwrapped) or scanned with the camera (``scan.js`` adds each
read code as a new line), the reason and a note. ``POST`` ``step=confirm``: every line read as the
consumer page reads a typed code (``codes.typed.read``), its batch looked up among the producer's
own (``issuing.batches.own_batch``: another producer's batch is ``NotFound``, said as "not a stamp
of yours" without naming that batch), then the confirmation with the scan page's own words for a
void stamp (``console.lifecycle``). ``step=do``: ``voids.void`` for each stamp, serial = serial,
with the session's producer; a repeat of the same stamp and reason is the same void (the
domain's idempotence), so a double submit voids once. Then 303 to ``GET /console/stamps/void/done
?s=12:5,12:9``, read from the batches (a stamp that is not void there is a 404).

Reads: one GetItem per distinct batch (at most ``MAX_CODES``) and the producer's record; no
page reads a table in proportion to its size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import ValidationError

from ocop_stamps.catalog import registry
from ocop_stamps.codes.scheme import group
from ocop_stamps.codes.typed import read
from ocop_stamps.console import assets, views_stamp_voids
from ocop_stamps.console.fields import Both
from ocop_stamps.console.frame import other
from ocop_stamps.console.lifecycle import seen_after, void_reasons, void_result
from ocop_stamps.console.outcome import Ctx, Moved, Outcome, Shown
from ocop_stamps.console.views_stamp_voids import Stamp
from ocop_stamps.core import words
from ocop_stamps.core.errors import DomainError, NotFound
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.text import is_digits
from ocop_stamps.issuing import batches as issuing
from ocop_stamps.lifecycle import voids
from ocop_stamps.lifecycle.schemas import VoidIn
from ocop_stamps.storage.parameters import code_keys

MAX_CODES = 10  # stamps per form: "one stamp, or a few"; a range of serials is the batch's void page
FIELDS = ("codes", "reason", "note")
HEADERS = {"Permissions-Policy": "camera=(self), microphone=(), geolocation=()"}
"""The form's extra header: this origin may ask for the camera (as the activation pages)."""


class Read(NamedTuple):
    """The form's stamps, each with its batch, or the problems of its lines ({field: Both})."""

    stamps: list[Stamp]
    problems: dict[str, str]


def _say(key: str, lang: str, **values: Any) -> tuple[str, str]:
    return words.text(f"console.sv.{key}", lang, **values), words.text(f"console.sv.{key}", other(lang), **values)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]


def read_codes(producer_id: str, text: str, lang: str, *, for_deed: bool = False) -> Read:
    """Each line of ``text`` as one of the producer's stamps (duplicates once), or why not, line by
    line: not a code, not a stamp of this producer's batches (the other batch is never named), a
    serial the batch never issued, already void (not refused for the deed: the domain decides a
    repeat). ``NotFound`` of another producer's batch is caught here; other refusals propagate."""
    lines = _lines(text)
    if not lines:
        return Read([], {"codes": Both(*_say("need_code", lang), other(lang))})
    if len(lines) > MAX_CODES:
        return Read([], {"codes": Both(*_say("too_many", lang, n=MAX_CODES), other(lang))})
    batches: dict[int, Any] = {}
    stamps: list[Stamp] = []
    wrong: list[tuple[str, str]] = []
    for i, line in enumerate(lines, start=1):
        typed = read(line, code_keys())
        if typed.stamp is None or typed.code is None:
            wrong.append(_say("bad_code", lang, line=i, code=line[:40]))
            continue
        batch_no = typed.stamp.batch
        if batch_no not in batches:
            try:
                batches[batch_no] = issuing.own_batch(producer_id, str(batch_no))
            except NotFound:
                batches[batch_no] = None
        batch = batches[batch_no]
        shown = group(typed.code)
        if batch is None or typed.stamp.serial > int(batch.size):
            wrong.append(_say("not_yours", lang, line=i, code=shown))
            continue
        serial = typed.stamp.serial
        done = next((v for v in batch.voids if int(v.first) <= serial <= int(v.last)), None)
        if done is not None and not for_deed:
            wrong.append(_say("already", lang, line=i, code=shown, serial=serial, id=batch_no))
            continue
        stamp = Stamp(batch_no, serial, typed.code)
        if stamp not in stamps:
            stamps.append(stamp)
    if wrong:
        here = " ".join(w[0] for w in wrong)
        there = " ".join(w[1] for w in wrong)
        return Read(stamps, {"codes": Both(here, there, other(lang))})
    return Read(stamps, {})


def _check(form: Mapping[str, str], lang: str) -> tuple[VoidIn | None, dict[str, str]]:
    """The reason and note through the API's own ``VoidIn`` (a serial stands for the stamps)."""
    body: dict[str, Any] = {"first_serial": 1, "reason": form.get("reason", "")}
    if form.get("note", "").strip():
        body["note"] = form["note"].strip()
    try:
        return VoidIn.model_validate(body), {}
    except ValidationError as exc:
        found: dict[str, str] = {}
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ())]
            field = loc[0] if loc and loc[0] in ("reason", "note") else "reason"
            key = f"console.field_err.{field}"
            found.setdefault(field, Both(words.text(key, lang), words.text(key, other(lang)), other(lang)))
        return None, found


def _form(ctx: Ctx, values: Mapping[str, str], problems: Mapping[str, str], status: int = 200) -> Shown:
    body = views_stamp_voids.form(
        ctx.lang,
        void_reasons(ctx.lang),
        ctx.csrf,
        assets.url("scan.js"),
        assets.url("jsqr.js"),
        values,
        problems,
        MAX_CODES,
    )
    return Shown(status, words.text("console.sv.title", ctx.lang), body, headers=HEADERS)


def _post(ctx: Ctx) -> Outcome:
    producer_id = ctx.principal.own_producer_id()
    values = {k: ctx.form.get(k, "") for k in FIELDS}
    doing = ctx.form.get("step") == "do"
    found = read_codes(producer_id, values["codes"], ctx.lang, for_deed=doing)
    data, problems = _check(ctx.form, ctx.lang)
    problems = {**found.problems, **problems}
    if problems or data is None:
        return _form(ctx, values, problems, 422)
    if not doing:
        reason = words.text(f"void_reason.{data.reason.value}", ctx.lang)
        seen = seen_after(void_result(registry.own_producer(producer_id), data.reason.value, iso(utc_now())))
        body = views_stamp_voids.confirm(ctx.lang, found.stamps, reason, ctx.csrf, values, seen)
        return Shown(200, words.text("console.sv.confirm_title", ctx.lang), body)
    for stamp in found.stamps:
        one = VoidIn(first_serial=stamp.serial, last_serial=stamp.serial, reason=data.reason, note=data.note)
        try:
            voids.void(producer_id, str(stamp.batch), one, ctx.base_url)
        except DomainError as exc:
            if exc.status not in (400, 409, 422):
                raise
            there = other(ctx.lang)
            here_text, there_text = (exc.message, exc.message_vi) if ctx.lang == "en" else (exc.message_vi, exc.message)
            return _form(ctx, values, {"codes": Both(here_text, there_text, there)}, exc.status)
    done = ",".join(f"{s.batch}:{s.serial}" for s in found.stamps)
    return Moved(f"/console/stamps/void/done?s={done}")


def _done(ctx: Ctx) -> Shown | None:
    """What was voided, read from the batches: a stamp not void there (or not the producer's) is a 404."""
    producer_id = ctx.principal.own_producer_id()
    wanted: list[tuple[int, int]] = []
    for part in ctx.query.get("s", "").split(",")[:MAX_CODES]:
        batch_text, _, serial_text = part.partition(":")
        if not (is_digits(batch_text) and is_digits(serial_text) and len(batch_text) < 10 and len(serial_text) < 10):
            return None
        wanted.append((int(batch_text), int(serial_text)))
    batches: dict[int, Any] = {}
    stamps: list[Stamp] = []
    entries = []
    for batch_no, serial in wanted:
        if batch_no not in batches:
            batches[batch_no] = issuing.own_batch(producer_id, str(batch_no))  # NotFound: a 404 page
        entry = next((v for v in batches[batch_no].voids if int(v.first) <= serial <= int(v.last)), None)
        if entry is None:
            return None
        stamps.append(Stamp(batch_no, serial, ""))
        entries.append(entry)
    if not stamps:
        return None
    seen = seen_after(void_result(registry.own_producer(producer_id), str(entries[0].reason), str(entries[0].at)))
    body = views_stamp_voids.done(ctx.lang, stamps, seen)
    return Shown(200, words.text("console.sv.title", ctx.lang), body)


def route(ctx: Ctx) -> Outcome | None:
    """``GET``/``POST /console/stamps/void`` (form, confirm, do), ``GET /console/stamps/void/done``."""
    if ctx.parts == ("stamps", "void"):
        return _form(ctx, {}, {}) if ctx.method == "GET" else _post(ctx)
    if ctx.parts == ("stamps", "void", "done") and ctx.method == "GET":
        return _done(ctx)
    return None
