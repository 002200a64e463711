"""Print files in the console: choose a preset sheet, preview one label, download the file --
``printing.jobs`` as ``POST /batches/{id}/print-files`` and ``GET /print-jobs/{id}`` call it.

* ``GET /console/batches/{id}/print[?preset=]``: the sheets the API offers
  (``printing.sheets.PRESETS``); once one is chosen, its preview and the download form.
* ``GET /console/batches/{id}/print/label.svg?preset=``: the first label of the batch on that
  sheet (``printing.jobs.preview_label``: the same checks as a print file).
* ``POST /console/batches/{id}/print``: ``request_print_files`` with a ``PrintFilesIn`` made from
  the form. Up to 2,000 labels (and a file that fits a Lambda answer) come back at once as the
  download; anything larger is a job for the label worker and the browser goes to its page.
* ``GET /console/print-jobs/{job_id}``: ``get_job`` (another producer's job: 404); while it runs
  the answer carries ``Refresh: 3`` so the browser reloads it without script (``?auto=0`` stops
  that: WCAG 2.2.2); done, the download link (S3, valid an hour).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ocop_stamps.console import views_printing
from ocop_stamps.console.outcome import Ctx, Moved, Outcome, Sent, Shown
from ocop_stamps.core import words
from ocop_stamps.core.errors import DomainError, NotFound
from ocop_stamps.core.schema import RULES_VI
from ocop_stamps.core.text import is_digits
from ocop_stamps.issuing import batches as issuing
from ocop_stamps.printing import jobs as print_jobs
from ocop_stamps.printing.schemas import PrintFilesIn
from ocop_stamps.printing.sheets import PRESETS

REFRESH_SECONDS = 3
FORM_FIELDS = ("preset", "format", "first_serial", "last_serial", "cut_marks")
FORMATS = ("pdf", "svg_zip", "png_zip")


def _presets() -> list[tuple[str, float, float, int]]:
    return [(name, s.label_w, s.label_h, s.per_page) for name, s in PRESETS.items()]


def _formats(lang: str) -> list[tuple[str, str]]:
    return [(f, words.text(f"console.format.{f}", lang)) for f in FORMATS]


def _body(form: Mapping[str, str]) -> dict[str, Any]:
    """The API's ``POST /batches/{id}/print-files`` body from the form (text as typed)."""
    body: dict[str, Any] = {"preset": form.get("preset", ""), "format": form.get("format", "pdf")}
    for name in ("first_serial", "last_serial"):
        text = form.get(name, "").strip()
        if text:
            body[name] = int(text) if is_digits(text) and len(text) < 10 else text
    if form.get("cut_marks"):
        body["cut_marks"] = True
    return body


def _problems(exc: ValidationError, lang: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for err in exc.errors():
        problem = str(err.get("msg", "")).removeprefix("Value error, ")
        loc = [str(p) for p in err.get("loc", ())]
        field = loc[0] if loc and loc[0] in FORM_FIELDS else "last_serial"
        own = words.text(f"console.field_err.{field}", lang)
        if problem in RULES_VI:
            own = f"{own} ({problem if lang == 'en' else RULES_VI[problem]})"
        found.setdefault(field, own)
    return found


def _form(ctx: Ctx, batch_id: str, values: Mapping[str, str], problems: Mapping[str, str], status: int) -> Shown:
    batch = issuing.batch_view(issuing.own_batch(ctx.principal.own_producer_id(), batch_id))
    values = dict(values)
    if values.get("preset") not in PRESETS:
        values["preset"] = ""
    body = views_printing.print_form(
        ctx.lang, str(batch["batch_id"]), int(batch["size"]), _presets(), _formats(ctx.lang), ctx.csrf, values, problems
    )
    return Shown(status, words.text("console.print_title", ctx.lang, id=batch["batch_id"]), body)


def _preview(ctx: Ctx, batch_id: str) -> Sent:
    """One label of the batch as SVG, on the preset asked for (the default with none); a preset
    the print page does not offer is the 404 page, never another preset's label."""
    asked = ctx.query.get("preset") or None
    if asked is not None and asked not in PRESETS:
        raise NotFound(f"No print preset '{asked}'.", f"Không có mẫu in '{asked}'.")
    data = PrintFilesIn.model_validate({"preset": asked})
    svg = print_jobs.preview_label(ctx.principal.own_producer_id(), batch_id, data, ctx.base_url)
    return Sent("image/svg+xml; charset=utf-8", svg)


def _download(ctx: Ctx, batch_id: str) -> Outcome:
    values = {k: ctx.form.get(k, "") for k in FORM_FIELDS}
    issuing.own_batch(ctx.principal.own_producer_id(), batch_id)  # 404 for another producer's, first
    try:
        data = PrintFilesIn.model_validate(_body(ctx.form))
    except ValidationError as exc:
        return _form(ctx, batch_id, values, _problems(exc, ctx.lang), 422)
    try:
        result = print_jobs.request_print_files(ctx.principal.own_producer_id(), batch_id, data, ctx.base_url)
    except DomainError as exc:
        if exc.status not in (400, 422) or exc.retry_after:
            raise  # the error page, with Retry-After
        message = exc.message if ctx.lang == "en" else exc.message_vi
        return _form(ctx, batch_id, values, {"first_serial": message}, exc.status)
    if isinstance(result, print_jobs.PrintFile):
        return Sent(result.content_type, result.body, result.file_name)
    return Moved(f"/console/print-jobs/{result['job_id']}")


def _job(ctx: Ctx, job_id: str) -> Shown:
    job = print_jobs.get_job(ctx.principal.own_producer_id(), job_id)
    running = job.get("status") not in ("done", "failed")
    auto = running and ctx.query.get("auto") != "0"
    body = views_printing.job_page(ctx.lang, job, auto)
    title = words.text("console.job_title" if running else "console.job_title_end", ctx.lang)
    return Shown(200, title, body, REFRESH_SECONDS if auto else None)


def route(ctx: Ctx) -> Outcome | None:
    """The print pages (module doc); None for any other path."""
    parts, method = ctx.parts, ctx.method
    if len(parts) == 3 and parts[0] == "batches" and parts[2] == "print":
        if method == "POST":
            return _download(ctx, parts[1])
        return _form(ctx, parts[1], {"preset": ctx.query.get("preset", ""), "format": "pdf"}, {}, 200)
    if len(parts) == 4 and parts[0] == "batches" and parts[2:] == ("print", "label.svg") and method == "GET":
        return _preview(ctx, parts[1])
    if len(parts) == 2 and parts[0] == "print-jobs" and method == "GET":
        return _job(ctx, parts[1])
    return None
