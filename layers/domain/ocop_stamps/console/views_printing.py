"""Print: choose a sheet, preview one label at its real size, download; a job's progress. Render only.

The preview is an ``<img>`` of one label as SVG (``/console/batches/{id}/print/label.svg``,
same origin) whose width and height are in millimetres, so it shows at the label's size
wherever a CSS millimetre is one (a computer screen at 100 % zoom; a phone scales it down).
A job's page is reloaded by the browser every few seconds (the ``Refresh`` header set by
``console.printing``; no script) until the file is ready, with a link that stops it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from ocop_stamps.console import fields
from ocop_stamps.console.fields import Option
from ocop_stamps.console.frame import e, t
from ocop_stamps.console.views import number


def mm(value: float, lang: str) -> str:
    """A length in mm the way the language writes decimals: 38,1 in Vietnamese, 38.1 in English."""
    text = f"{value:g}"
    return text if lang == "en" else text.replace(".", ",")


def _preset_text(p: Sequence[Any], lang: str) -> str:
    return t("preset_is", lang, w=mm(p[1], lang), h=mm(p[2], lang), n=p[3])


def print_form(
    lang: str,
    batch_id: str,
    size: int,
    presets: Sequence[Sequence[Any]],
    formats: Sequence[Option],
    csrf: str,
    values: Mapping[str, str],
    problems: Mapping[str, str],
) -> str:
    """Step 1: the sheet (GET, shows the preview); step 2, once a sheet is chosen: format,
    serial range, cut marks, and the download (POST)."""
    chosen = values.get("preset", "")
    radios = "".join(
        f'<div class="choice"><input type="radio" id="preset-{e(p[0])}" name="preset" value="{e(p[0])}"'
        f"{' checked' if p[0] == chosen else ''} required>"
        f'<label for="preset-{e(p[0])}">{_preset_text(p, lang)}</label></div>'
        for p in presets
    )
    step1 = (
        f'<form class="stack" method="get" action="/console/batches/{e(batch_id)}/print">'
        f"<fieldset><legend>{t('preset', lang)}</legend>{radios}</fieldset>"
        f'<button type="submit">{t("preview", lang)}</button></form>'
    )
    if not chosen:
        return f"<p>{t('print_d', lang, id=batch_id, n=number(size, lang))}</p>{step1}"
    shown = next((p for p in presets if p[0] == chosen), None)
    src = f"/console/batches/{e(batch_id)}/print/label.svg?{e(urlencode({'preset': chosen}))}"
    preview = (
        f'<figure class="preview"><img src="{src}" alt="{t("preview_alt", lang)}">'
        f"<figcaption>{_preset_text(shown, lang) if shown else ''} · {t('preview_note', lang)}</figcaption></figure>"
    )
    top = f'min="1" max="{int(size)}" inputmode="numeric"'
    cut = " checked" if values.get("cut_marks") else ""
    step2 = (
        f'<h2 id="h-download">{t("download", lang)}</h2>'
        f'<form class="stack" method="post" action="/console/batches/{e(batch_id)}/print" aria-labelledby="h-download">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("preset", chosen)
        + fields.select("format", t("format", lang), formats, values.get("format", "pdf"), problems)
        + fields.text(
            "first_serial",
            t("first_serial", lang),
            values,
            problems,
            kind="number",
            extra=top,
            required=False,
            hint=t("range_hint", lang, n=number(size, lang)),
        )
        + fields.text("last_serial", t("last_serial", lang), values, problems, kind="number", extra=top, required=False)
        + f'<div class="choice"><input type="checkbox" id="cut_marks" name="cut_marks" value="1"{cut}>'
        f'<label for="cut_marks">{t("cut_marks", lang)}</label></div>'
        f'<p class="muted">{t("big_job_note", lang)}</p>'
        f'<button type="submit">{t("download_do", lang)}</button></form>'
    )
    return f"{fields.summary(lang, problems, 'print_invalid')}{step1}{preview}{step2}"


def job_page(lang: str, job: Mapping[str, Any], auto: bool) -> str:
    """A print job: progress while it runs (and how to stop the reloading), the link when done."""
    done, total = int(job.get("labels_done") or 0), int(job.get("total_labels") or 0)
    batch = f'<p><a href="/console/batches/{e(job.get("batch_id"))}">{t("to_batch", lang)}</a></p>'
    what = t(
        "job_what",
        lang,
        n=number(total, lang),
        first=number(job.get("first_serial"), lang),
        last=number(job.get("last_serial"), lang),
        id=job.get("batch_id"),
    )
    if job.get("status") == "done":
        size = number(max(1, round(int(job.get("bytes") or 0) / 1024)), lang)
        return (
            f'<p class="note" role="status">{t("job_done", lang)}</p><p>{what}</p>'
            f'<p><a class="button" href="{e(job.get("download_url"))}" download="{e(job.get("file_name"))}">'
            f"{t('job_download', lang, name=job.get('file_name'), kb=size)}</a></p>"
            f'<p class="muted">{t("job_link_hour", lang)}</p>{batch}'
        )
    if job.get("status") == "failed":
        return (
            f'<p class="alert" role="alert">{t("job_failed", lang)}</p><p>{what}</p>'
            f'<p class="muted">{e(job.get("failure"))}</p>'
            f'<p><a href="/console/batches/{e(job.get("batch_id"))}/print">{t("job_again", lang)}</a></p>{batch}'
        )
    here = f"/console/print-jobs/{e(job.get('job_id'))}"
    control = (
        f'<p class="muted">{t("job_auto", lang)} <a href="{here}?auto=0">{t("job_stop", lang)}</a></p>'
        if auto
        else f'<p><a class="button" href="{here}?auto=0">{t("job_reload", lang)}</a> '
        f'<a href="{here}">{t("job_resume", lang)}</a></p>'
    )
    return (
        f"<p>{what}</p>"
        f'<label for="job-progress">{t("job_progress", lang, done=number(done, lang), total=number(total, lang))}</label>'
        f'<progress id="job-progress" max="{max(total, 1)}" value="{min(done, total)}">{e(done)}/{e(total)}</progress>'
        f"{control}{batch}"
    )
