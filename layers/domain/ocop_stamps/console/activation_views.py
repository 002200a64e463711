"""The activation pages (issue 15): the form (two code fields, a lot, the camera buttons), the
confirmation (range, count, lot, product, what buyers will see) and the page after. Render only.

Every value escaped (``frame.e``); texts ``console.act.*``. A field's refusal is written in
both languages next to the field (``aria-invalid``, ``aria-describedby``), and the form's
summary is announced (``role=alert``). The camera buttons are rendered ``hidden``: the script
(``/console/static/scan.js``) shows them only where the browser can open a camera, so
without it the page is a plain form. Standard library only (``core``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ocop_stamps.console.frame import e, other, t
from ocop_stamps.console.views import number
from ocop_stamps.core import dates, words

FIELDS = ("first", "last")


class Problem(NamedTuple):
    """A refusal of one field: its words in the page's language and in the other."""

    here: str
    there: str


class LotChoice(NamedTuple):
    lot_id: str
    lot_code: str
    production_date: str
    recalled: bool


class Preview(NamedTuple):
    """What the confirmation shows: the range, the lot, the product and the verdict buyers see."""

    batch_id: str
    first: int
    last: int
    lot_id: str
    lot_code: str
    product_name: str
    verdict: str  # the verdict's sentence (``verdict.*``) in the page's language
    voided: int  # serials of the range already void
    void_verdict: str


def problem(key: str, lang: str, **values: Any) -> Problem:
    """``console.act.{key}`` in ``lang`` and in the other language, placeholders escaped."""
    return Problem(t(f"act.{key}", lang, **values), t(f"act.{key}", other(lang), **values))


def _error(name: str, found: Problem | None, lang: str) -> tuple[str, str]:
    if found is None:
        return f' aria-describedby="{name}-hint"' if name in FIELDS else "", ""
    described = f"{name}-hint {name}-err" if name in FIELDS else f"{name}-err"
    return (
        f' aria-invalid="true" aria-describedby="{described}"',
        f'<div class="err" id="{name}-err"><p>{found.here}</p>'
        f'<p class="muted" lang="{other(lang)}">{found.there}</p></div>',
    )


def camera(lang: str, decoder_url: str) -> str:
    """The camera's video, stop button and live status; hidden until the script runs."""
    raw = {  # templates filled by the script (textContent: never parsed as HTML)
        "on": words.text("console.act.camera_on", lang),
        "read": words.text("console.act.camera_read", lang),
        "fail": words.text("console.act.camera_failed", lang),
        "stopped": words.text("console.act.camera_stopped", lang),
    }
    data = "".join(f' data-{k}="{e(v)}"' for k, v in raw.items())
    return (
        f'<div id="camera" class="camera" hidden data-decoder="{e(decoder_url)}"{data}>'
        f'<video id="camera-video" muted playsinline aria-label="{t("act.video", lang)}"></video>'
        f'<button type="button" id="camera-stop" class="quiet">{t("act.stop", lang)}</button></div>'
        '<p id="camera-status" class="status" role="status" aria-live="polite"></p>'
    )


def _code_field(name: str, lang: str, value: str, found: Problem | None) -> str:
    attr, err = _error(name, found, lang)
    partner = "last" if name == "first" else "first"
    which = words.text(f"console.act.which_{name}", lang)
    same = words.text("console.act.camera_same", lang) if name == "last" else ""
    return (
        f'<label for="{name}">{t(f"act.{name}", lang)}</label>'
        f'<p class="hint" id="{name}-hint">{t("act.code_hint", lang)}</p>'
        f'<input id="{name}" name="{name}" type="text" autocomplete="off" autocapitalize="characters"'
        f' spellcheck="false" maxlength="512" required value="{e(value)}"{attr}>{err}'
        f'<button type="button" class="scan" hidden data-field="{name}" data-other="{partner}"'
        f' data-which="{e(which)}" data-same="{e(same)}">{t("act.scan", lang)}'
        f'<span class="vh"> ({e(which)})</span></button>'
    )


def activation_form(
    lang: str,
    batch_id: str,
    product_name: str,
    lots: Sequence[LotChoice],
    csrf: str,
    script_url: str,
    decoder_url: str,
    values: Mapping[str, str] | None = None,
    problems: Mapping[str, Problem] | None = None,
) -> str:
    """The activation form of one batch: first and last code (typed, pasted or scanned), the
    lot (only lots of the batch's product), and the camera (script-enhanced)."""
    values = values or {}
    problems = problems or {}
    back = f'<p><a href="/console/batches/{e(batch_id)}">{t("batch", lang, id=batch_id)}</a></p>'
    if not lots:
        return f'<p class="alert" role="alert">{t("act.no_lots", lang)}</p>{back}'
    chosen = values.get("lot_id") or ""
    options = "".join(
        f'<option value="{e(lot.lot_id)}"{" selected" if lot.lot_id == chosen else ""}>'
        + (
            t("act.lot_recalled", lang, code=lot.lot_code)
            if lot.recalled
            else t("act.lot_option", lang, code=lot.lot_code, date=dates.show(lot.production_date)[-10:])
        )
        + "</option>"
        for lot in lots
    )
    lot_attr, lot_err = _error("lot_id", problems.get("lot_id"), lang)
    summary = f'<p class="alert" role="alert">{t("act.form_invalid", lang)}</p>' if problems else ""
    return (
        f"{summary}<p>{t('act.intro', lang)}</p>"
        f"<p><strong>{t('product', lang)}:</strong> {e(product_name)}</p>"
        f'<form class="stack" method="post" action="/console/batches/{e(batch_id)}/activate" novalidate>'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        + _code_field("first", lang, values.get("first", ""), problems.get("first"))
        + _code_field("last", lang, values.get("last", ""), problems.get("last"))
        + camera(lang, decoder_url)
        + f'<label for="lot_id">{t("act.lot", lang)}</label>'
        f'<select id="lot_id" name="lot_id" required{lot_attr}>{options}</select>{lot_err}'
        f'<button type="submit">{t("act.check", lang)}</button></form>{back}'
        f'<script src="{e(script_url)}" defer></script>'
    )


def confirmation(lang: str, preview: Preview, csrf: str, first_code: str, last_code: str) -> str:
    """Range, count, lot, product and the sentence buyers will see; one button binds them."""
    p = preview
    n = p.last - p.first + 1
    voids = (
        f'<p class="alert">{t("act.voids_inside", lang, k=number(p.voided, lang), verdict=p.void_verdict)}</p>'
        if p.voided
        else ""
    )
    return (
        "<dl>"
        f"<dt>{t('act.range', lang)}</dt><dd>{t('serials', lang, first=number(p.first, lang), last=number(p.last, lang))}</dd>"
        f"<dt>{t('act.count', lang)}</dt><dd>{number(n, lang)}</dd>"
        f"<dt>{t('act.lot', lang)}</dt><dd>{e(p.lot_code)}</dd>"
        f"<dt>{t('product', lang)}</dt><dd>{e(p.product_name)}</dd></dl>"
        f'<p class="note">{t("act.will_show", lang, n=number(n, lang), verdict=p.verdict)}</p>{voids}'
        f'<form class="stack" method="post" action="/console/batches/{e(p.batch_id)}/activations">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        f'<input type="hidden" name="first_serial" value="{p.first}">'
        f'<input type="hidden" name="last_serial" value="{p.last}">'
        f'<input type="hidden" name="lot_id" value="{e(p.lot_id)}">'
        f'<button type="submit">{t("act.confirm", lang, n=number(n, lang))}</button></form>'
        f'<form class="stack" method="post" action="/console/batches/{e(p.batch_id)}/activate/edit">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        f'<input type="hidden" name="first" value="{e(first_code)}">'
        f'<input type="hidden" name="last" value="{e(last_code)}">'
        f'<input type="hidden" name="lot_id" value="{e(p.lot_id)}">'
        f'<button type="submit" class="quiet">{t("act.change", lang)}</button></form>'
    )


def done(lang: str, batch_id: str, first: int, last: int, lot_code: str, verdict: str) -> str:
    """After the binding: what was bound, what buyers see, and where to go next."""
    n = last - first + 1
    return (
        f'<p class="note" role="status">{t("act.done", lang, first=number(first, lang), last=number(last, lang), n=number(n, lang), lot=lot_code)}</p>'
        f"<p>{t('act.will_show', lang, n=number(n, lang), verdict=verdict)}</p>"
        f'<p><a class="button" href="/console/batches/{e(batch_id)}/activate">{t("act.another", lang)}</a></p>'
        f'<p><a href="/console/batches/{e(batch_id)}">{t("batch", lang, id=batch_id)}</a></p>'
    )
