"""Void a serial range, recall a lot: the form, the confirmation, the done page. Render only.

The confirmation says exactly what a consumer will see on the scan page once it is done: the
words of the scan page's own verdict banner (``pages.scan_page.verdict_words``, passed in by
``console.lifecycle`` as (title, paragraphs) already escaped), in Vietnamese and in English.
Nothing changes until its button is pressed; that POST carries the same values and the CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ocop_stamps.console import fields
from ocop_stamps.console.fields import Option
from ocop_stamps.console.frame import e, t
from ocop_stamps.console.views import number

MAX_NOTE = 500
MAX_REASON = 500
MAX_MESSAGE = 1000

Seen = Mapping[str, tuple[str, Sequence[str]]]  # lang -> (title, paragraphs), HTML already escaped


def consumer_sees(lang: str, seen: Seen, lead: str) -> str:
    """The box 'a consumer who scans will see': the scan page's title and text, Vietnamese first."""
    blocks = "".join(
        f'<div class="seen" lang="{e(code)}"><p class="muted">{t("in_" + code, lang)}</p>'
        f'<p class="seen-title">{title}</p>{"".join(paragraphs)}</div>'
        for code, (title, paragraphs) in seen.items()
    )
    return f'<section aria-labelledby="h-seen"><h2 id="h-seen">{lead}</h2>{blocks}</section>'


def void_form(
    lang: str,
    batch_id: str,
    size: int,
    reasons: Sequence[Option],
    csrf: str,
    values: Mapping[str, str],
    problems: Mapping[str, str],
) -> str:
    """Step 1 of a void: the range, the reason, a note; 'continue' shows the confirmation."""
    top = f'max="{int(size)}" min="1" inputmode="numeric"'
    return (
        fields.summary(lang, problems, "void_invalid")
        + f"<p>{t('void_d', lang, id=batch_id, n=number(size, lang))}</p>"
        f'<form class="stack" method="post" action="/console/batches/{e(batch_id)}/void">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "confirm")
        + fields.text("first_serial", t("first_serial", lang), values, problems, kind="number", extra=top)
        + fields.text("last_serial", t("last_serial", lang), values, problems, kind="number", extra=top)
        + fields.select(
            "reason", t("void_reason", lang), reasons, values.get("reason", ""), problems, placeholder=t("choose", lang)
        )
        + fields.area("note", t("note", lang), values, problems, rows=2, maxlength=MAX_NOTE)
        + f'<button type="submit">{t("continue", lang)}</button></form>'
        f'<p><a href="/console/stamps/void">{t("void_by_code", lang)}</a></p>'
        f'<p><a href="/console/batches/{e(batch_id)}">{t("cancel_back", lang)}</a></p>'
    )


def void_confirm(
    lang: str,
    batch_id: str,
    first: int,
    last: int,
    reason_text: str,
    csrf: str,
    values: Mapping[str, str],
    seen: Seen,
) -> str:
    """Step 2: what will be voided, what consumers will see, and the one button that does it."""
    n = last - first + 1
    kept = "".join(fields.hidden(k, values.get(k, "")) for k in ("first_serial", "last_serial", "reason", "note"))
    return (
        f'<p class="alert">{t("void_about", lang, n=number(n, lang), first=number(first, lang), last=number(last, lang), id=batch_id, reason=reason_text)}</p>'
        + consumer_sees(lang, seen, t("void_seen", lang))
        + f"<p>{t('void_final', lang)}</p>"
        f'<form class="stack" method="post" action="/console/batches/{e(batch_id)}/void">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "do")
        + kept
        + f'<button type="submit" class="danger">{t("void_do", lang, n=number(n, lang))}</button></form>'
        f'<p><a href="/console/batches/{e(batch_id)}">{t("cancel_back", lang)}</a></p>'
    )


def void_done(lang: str, batch_id: str, first: int, last: int, seen: Seen) -> str:
    """After the void: what was voided and what consumers now see."""
    return (
        f'<p class="note" role="status">{t("void_done", lang, first=number(first, lang), last=number(last, lang), id=batch_id)}</p>'
        + consumer_sees(lang, seen, t("now_seen", lang))
        + f'<p><a href="/console/batches/{e(batch_id)}">{t("to_batch", lang)}</a></p>'
    )


def recall_form(
    lang: str, lot_id: str, lot_code: str, csrf: str, values: Mapping[str, str], problems: Mapping[str, str]
) -> str:
    """Step 1 of a recall: the reason (for inspectors) and the notice consumers read."""
    return (
        fields.summary(lang, problems, "recall_invalid") + f"<p>{t('recall_d', lang, code=lot_code)}</p>"
        f'<form class="stack" method="post" action="/console/lots/{e(lot_id)}/recall">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "confirm")
        + fields.area(
            "reason",
            t("recall_reason", lang),
            values,
            problems,
            rows=2,
            maxlength=MAX_REASON,
            required=True,
            hint=t("recall_reason_hint", lang),
        )
        + fields.area(
            "message_vi",
            t("recall_message_vi", lang),
            values,
            problems,
            maxlength=MAX_MESSAGE,
            required=True,
            hint=t("recall_message_hint", lang),
        )
        + fields.area("message_en", t("recall_message_en", lang), values, problems, maxlength=MAX_MESSAGE)
        + f'<button type="submit">{t("continue", lang)}</button></form>'
        f'<p><a href="/console/lots/{e(lot_id)}">{t("cancel_back", lang)}</a></p>'
    )


def recall_confirm(lang: str, lot_id: str, lot_code: str, csrf: str, values: Mapping[str, str], seen: Seen) -> str:
    """Step 2: what consumers will see on every stamp of the lot, and the button that recalls."""
    kept = "".join(fields.hidden(k, values.get(k, "")) for k in ("reason", "message_vi", "message_en"))
    return (
        f'<p class="alert">{t("recall_about", lang, code=lot_code)}</p>'
        + consumer_sees(lang, seen, t("recall_seen", lang))
        + f"<p>{t('recall_final', lang)}</p>"
        f'<form class="stack" method="post" action="/console/lots/{e(lot_id)}/recall">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "do")
        + kept
        + f'<button type="submit" class="danger">{t("recall_do", lang, code=lot_code)}</button></form>'
        f'<p><a href="/console/lots/{e(lot_id)}">{t("cancel_back", lang)}</a></p>'
    )


def lift_form(
    lang: str,
    lot_id: str,
    lot_code: str,
    since: str,
    csrf: str,
    values: Mapping[str, str],
    problems: Mapping[str, str],
) -> str:
    """Step 1 of lifting a recall: why (kept in the lot's history for inspectors)."""
    return (
        fields.summary(lang, problems, "lift_invalid") + f"<p>{t('lift_d', lang, code=lot_code, since=since)}</p>"
        f'<form class="stack" method="post" action="/console/lots/{e(lot_id)}/lift">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "confirm")
        + fields.area(
            "reason",
            t("lift_reason", lang),
            values,
            problems,
            rows=2,
            maxlength=MAX_REASON,
            required=True,
            hint=t("lift_reason_hint", lang),
        )
        + f'<button type="submit">{t("continue", lang)}</button></form>'
        f'<p><a href="/console/lots/{e(lot_id)}">{t("cancel_back", lang)}</a></p>'
    )


def lift_confirm(lang: str, lot_id: str, lot_code: str, csrf: str, values: Mapping[str, str], seen: Seen) -> str:
    """Step 2: what buyers' scan page shows again once the recall is lifted, and the button."""
    return (
        f'<p class="alert">{t("lift_about", lang, code=lot_code)}</p>'
        + consumer_sees(lang, seen, t("lift_seen", lang))
        + f"<p>{t('lift_final', lang)}</p>"
        f'<form class="stack" method="post" action="/console/lots/{e(lot_id)}/lift">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "do")
        + fields.hidden("reason", values.get("reason", ""))
        + f'<button type="submit">{t("lift_do", lang, code=lot_code)}</button></form>'
        f'<p><a href="/console/lots/{e(lot_id)}">{t("cancel_back", lang)}</a></p>'
    )
