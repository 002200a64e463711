"""Void stamps by their codes: the form (codes typed, pasted or scanned; reason; note), the
confirmation (each stamp's batch and serial, what a consumer's scan will show) and the page
after. Render only; ``console.stamp_voids`` reads the codes and calls the domain.

The camera is the activation page's (``activation_views.camera``, ``/console/static/scan.js``):
the scan button is rendered ``hidden`` and carries ``data-append``, so the script adds each
code it reads as a new line of the text box instead of replacing it (a code already listed is
not added: the camera keeps looking for the next label, saying so once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ocop_stamps.console import fields
from ocop_stamps.console.activation_views import camera
from ocop_stamps.console.fields import Option
from ocop_stamps.console.frame import e, t
from ocop_stamps.console.views import number
from ocop_stamps.console.views_lifecycle import MAX_NOTE, Seen, consumer_sees
from ocop_stamps.core import words

MAX_CODES_TEXT = 1_000  # ten lines of a pasted label URL at most


class Stamp(NamedTuple):
    """One stamp to void: its batch number, serial and canonical code (16 characters)."""

    batch: int
    serial: int
    code: str


def _scan_button(lang: str) -> str:
    which = words.text("console.sv.which", lang)
    same = words.text("console.sv.camera_same", lang)
    return (
        f'<button type="button" class="scan" hidden data-field="codes" data-append="1"'
        f' data-which="{e(which)}" data-same="{e(same)}">{t("act.scan", lang)}'
        f'<span class="vh"> ({e(which)})</span></button>'
    )


def form(
    lang: str,
    reasons: Sequence[Option],
    csrf: str,
    script_url: str,
    decoder_url: str,
    values: Mapping[str, str],
    problems: Mapping[str, str],
    max_codes: int,
) -> str:
    """Step 1: the codes (one a line), the reason and a note; 'continue' shows the confirmation."""
    return (
        fields.summary(lang, problems, "void_invalid") + f"<p>{t('sv.intro', lang, n=max_codes)}</p>"
        '<form class="stack" method="post" action="/console/stamps/void">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "confirm")
        + fields.area(
            "codes",
            t("sv.codes", lang),
            values,
            problems,
            rows=4,
            maxlength=MAX_CODES_TEXT,
            required=True,
            hint=t("sv.codes_hint", lang, n=max_codes),
        )
        + _scan_button(lang)
        + camera(lang, decoder_url)
        + fields.select(
            "reason", t("void_reason", lang), reasons, values.get("reason", ""), problems, placeholder=t("choose", lang)
        )
        + fields.area("note", t("note", lang), values, problems, rows=2, maxlength=MAX_NOTE)
        + f'<button type="submit">{t("continue", lang)}</button></form>'
        f'<p><a href="/console">{t("cancel_back", lang)}</a></p>'
        f'<script src="{e(script_url)}" defer></script>'
    )


def _stamp_list(lang: str, stamps: Sequence[Stamp]) -> str:
    items = "".join(
        f"<li>{t('sv.stamp', lang, id=s.batch, serial=number(s.serial, lang))}"
        + (f" · <code>{e(s.code[:4])}-{e(s.code[4:8])}-{e(s.code[8:12])}-{e(s.code[12:])}</code>" if s.code else "")
        + f' · <a href="/console/batches/{int(s.batch)}">{t("batch", lang, id=s.batch)}</a></li>'
        for s in stamps
    )
    return f"<ul>{items}</ul>"


def confirm(
    lang: str, stamps: Sequence[Stamp], reason_text: str, csrf: str, values: Mapping[str, str], seen: Seen
) -> str:
    """Step 2: which stamps (batch, serial, code), what consumers will see, and the one button."""
    n = len(stamps)
    codes = "\n".join(s.code for s in stamps)
    return (
        f'<p class="alert">{t("sv.about", lang, n=number(n, lang), reason=reason_text)}</p>'
        + _stamp_list(lang, stamps)
        + consumer_sees(lang, seen, t("sv.seen", lang))
        + f"<p>{t('void_final', lang)}</p>"
        '<form class="stack" method="post" action="/console/stamps/void">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "do")
        + fields.hidden("codes", codes)
        + fields.hidden("reason", values.get("reason", ""))
        + fields.hidden("note", values.get("note", ""))
        + f'<button type="submit" class="danger">{t("void_do", lang, n=number(n, lang))}</button></form>'
        f'<p><a href="/console/stamps/void">{t("cancel_back", lang)}</a></p>'
    )


def done(lang: str, stamps: Sequence[Stamp], seen: Seen) -> str:
    """After the void: the stamps voided and what consumers now see."""
    return (
        f'<p class="note" role="status">{t("sv.done", lang, n=number(len(stamps), lang))}</p>'
        + _stamp_list(lang, stamps)
        + consumer_sees(lang, seen, t("now_seen", lang))
        + f'<p><a class="button" href="/console/stamps/void">{t("sv.another", lang)}</a></p>'
        f'<p><a href="/console">{t("back", lang)}</a></p>'
    )
