"""The field check's pages (render only): the form (province first, then the stamps scanned
or typed, the place and the finding), the list of what each stamp is before recording, and
the page after.

Step 1 is a GET form with the provinces (as the lot form: ``console.lots``' pickers); step 2
the POST form with the commune picker of that province and a code list the camera fills
(``/console/static/scan.js``, a button with ``data-append``: each new code a line, the camera
on until stopped). A problem is ``(here, there)``: both languages, next to its field
(``views_inspector.field_error``). Standard library and ``core`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ocop_stamps.console import fields
from ocop_stamps.console.fields import Option
from ocop_stamps.console.frame import e, t
from ocop_stamps.console.views import number
from ocop_stamps.console.views_inspector import Problem, field_error, problems_summary, verdict_words
from ocop_stamps.core import words
from ocop_stamps.core.vocabulary import CheckResult

FIELDS = ("codes", "commune", "place", "date", "result", "note")
RESULTS = tuple(CheckResult)


def _camera(lang: str, decoder_url: str) -> str:
    """The camera's video, stop button and live status; hidden until the script runs."""
    said = {  # templates the script fills (textContent: never parsed as HTML)
        "on": words.text("console.fc.camera_on", lang),
        "read": words.text("console.fc.camera_read", lang),
        "fail": words.text("console.act.camera_failed", lang),
        "stopped": words.text("console.act.camera_stopped", lang),
    }
    data = "".join(f' data-{k}="{e(v)}"' for k, v in said.items())
    return (
        f'<div id="camera" class="camera" hidden data-decoder="{e(decoder_url)}"{data}>'
        f'<video id="camera-video" muted playsinline aria-label="{t("act.video", lang)}"></video>'
        f'<button type="button" id="camera-stop" class="quiet">{t("act.stop", lang)}</button></div>'
        '<p id="camera-status" class="status" role="status" aria-live="polite"></p>'
    )


def _described(attr: str, hint: str) -> str:
    if "aria-describedby" in attr:
        return attr.replace('-err"', f'-err {hint}"')
    return f'{attr} aria-describedby="{hint}"'


def check_form(
    lang: str,
    provinces: Sequence[Option],
    province: str,
    communes: Mapping[str, Sequence[Option]],
    csrf: str,
    script_url: str,
    decoder_url: str,
    values: Mapping[str, str],
    problems: Mapping[str, Problem],
) -> str:
    """Step 1 (province, GET) and, once a province is chosen, step 2 (POST): codes (camera,
    typed, pasted), commune, place, date, finding, note."""
    p_attr, p_err = field_error("province", problems.get("province"), lang)
    options = "".join(
        f'<option value="{e(code)}"{" selected" if code == province else ""}>{e(name)}</option>'
        for code, name in provinces
    )
    step1 = (
        f'<section aria-labelledby="h-step1"><h2 id="h-step1">{t("fc.step1", lang)}</h2>'
        '<form class="stack" method="get" action="/console/field-checks/new">'
        f'<label for="province">{t("province", lang)}</label>'
        f'<select id="province" name="province" required{p_attr}>'
        f'<option value="">{t("choose_province", lang)}</option>{options}</select>{p_err}'
        f'<button type="submit">{t("fc.choose", lang)}</button></form></section>'
    )
    top = problems_summary(lang, problems, "fc.invalid")
    if not communes:
        return f"{top}<p>{t('fc.intro', lang)}</p>{step1}"
    c_attr, c_err = field_error("codes", problems.get("codes"), lang)
    codes = (
        f'<label for="codes">{t("fc.codes", lang)}</label>'
        f'<p class="hint" id="codes-hint">{t("fc.codes_hint", lang)}</p>'
        f'<textarea id="codes" name="codes" rows="5" maxlength="6000" autocomplete="off" autocapitalize="characters"'
        f' spellcheck="false"{_described(c_attr, "codes-hint")}>{e(values.get("codes", ""))}</textarea>{c_err}'
        f'<button type="button" class="scan" hidden data-field="codes" data-append="1"'
        f' data-which="{e(words.text("console.fc.which", lang))}">{t("fc.scan", lang)}</button>'
        + _camera(lang, decoder_url)
    )
    m_attr, m_err = field_error("commune", problems.get("commune"), lang)
    picked = values.get("commune", "")
    groups = "".join(
        f'<optgroup label="{e(group)}">'
        + "".join(f'<option value="{e(v)}"{" selected" if v == picked else ""}>{e(s)}</option>' for v, s in items)
        + "</optgroup>"
        for group, items in communes.items()
    )
    commune = (
        f'<label for="commune">{t("fc.commune", lang)}</label><select id="commune" name="commune"{m_attr}>'
        f'<option value="">{t("fc.no_commune", lang)}</option>{groups}</select>{m_err}'
    )
    chosen = values.get("result", "")
    r_attr, r_err = field_error("result", problems.get("result"), lang)
    radios = "".join(
        f'<div class="choice"><input type="radio" id="result-{e(r)}" name="result" value="{e(r)}"'
        f"{' checked' if r == chosen else ''}{r_attr}>"
        f'<label for="result-{e(r)}">{t(f"fc.result.{r}", lang)}</label></div>'
        for r in RESULTS
    )
    step2 = (
        f'<section aria-labelledby="h-step2"><h2 id="h-step2">{t("fc.step2", lang)}</h2>'
        '<form class="stack" method="post" action="/console/field-checks" novalidate>'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "check")
        + fields.hidden("province", province)
        + f'<p class="muted">{t("province", lang)}: {e(dict(provinces).get(province, province))}</p>'
        + codes
        + commune
        + _input("place", t("fc.place", lang), values, problems, lang, 'maxlength="200"')
        + _input("date", t("fc.date", lang), values, problems, lang, "", kind="date")
        + f'<fieldset id="result"><legend>{t("fc.result", lang)}</legend>{radios}{r_err}</fieldset>'
        + _area("note", t("fc.note", lang), values, problems, lang)
        + f'<button type="submit">{t("fc.see", lang)}</button></form></section>'
        f'<script src="{e(script_url)}" defer></script>'
    )
    return f"{top}<p>{t('fc.intro', lang)}</p>{step1}{step2}"


def _input(
    name: str,
    label: str,
    values: Mapping[str, str],
    problems: Mapping[str, Problem],
    lang: str,
    extra: str,
    kind: str = "text",
) -> str:
    attr, err = field_error(name, problems.get(name), lang)
    more = f" {extra}" if extra else ""
    return (
        f'<label for="{name}">{label}</label>'
        f'<input id="{name}" name="{name}" type="{kind}" value="{e(values.get(name, ""))}" required{more}{attr}>{err}'
    )


def _area(name: str, label: str, values: Mapping[str, str], problems: Mapping[str, Problem], lang: str) -> str:
    attr, err = field_error(name, problems.get(name), lang)
    return (
        f'<label for="{name}">{label}</label>'
        f'<textarea id="{name}" name="{name}" rows="3" maxlength="2000"{attr}>{e(values.get(name, ""))}</textarea>{err}'
    )


def _hidden_all(values: Mapping[str, str]) -> str:
    return "".join(fields.hidden(k, v) for k, v in values.items())


def preview(
    lang: str,
    seen: Sequence[Mapping[str, Any]],
    lot_code: str,
    outside: Sequence[str],
    csrf: str,
    record: Mapping[str, str],
    typed: Mapping[str, str],
) -> str:
    """What each stamp is (the verdict a buyer would see now, product, lot), the lot checked,
    the codes of no lot (kept in the note), and the two buttons: record (``record``: the
    check's values and the form's key), change (``typed``: the form as it was)."""
    head = "".join(f'<th scope="col">{t(f"fc.col.{h}", lang)}</th>' for h in ("code", "verdict", "product", "lot"))
    rows = "".join(
        "<tr>"
        f"<td><code>{e(s.get('code') or s.get('given'))}</code></td>"
        f"<td>{e(verdict_words(s.get('verdict'), lang))}</td>"
        f"<td>{e(s.get('product_name') or '')}</td>"
        f"<td>{e(s.get('lot_code') or '')}</td>"
        "</tr>"
        for s in seen
    )
    n = len([c for c in record.get("codes", "").splitlines() if c])
    noted = f'<p class="alert">{t("fc.outside", lang, codes=", ".join(outside))}</p>' if outside else ""
    return (
        f'<div class="scroll" role="region" aria-label="{t("fc.what", lang)}" tabindex="0">'
        f"<table><caption>{t('fc.what', lang)}</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
        f"<dl><dt>{t('fc.lot', lang)}</dt><dd>{e(lot_code)}</dd>"
        f"<dt>{t('fc.place', lang)}</dt><dd>{e(record.get('place'))}</dd>"
        f"<dt>{t('fc.result', lang)}</dt><dd>{t('fc.result.' + record.get('result', ''), lang) if record.get('result') in RESULTS else ''}</dd></dl>"
        f"{noted}"
        '<form class="stack" method="post" action="/console/field-checks">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "do")
        + _hidden_all(record)
        + f'<button type="submit">{t("fc.record", lang, n=number(n, lang))}</button></form>'
        '<form class="stack" method="post" action="/console/field-checks">'
        + fields.hidden("csrf", csrf)
        + fields.hidden("step", "edit")
        + _hidden_all(typed)
        + f'<button type="submit" class="quiet">{t("fc.change", lang)}</button></form>'
    )


def done(lang: str, lot_code: str, n: int, result: str, event_id: str) -> str:
    """After recording: what was recorded, its event, and another check."""
    finding = words.text(f"console.fc.result.{result}", lang) if result in RESULTS else result
    return (
        f'<p class="note" role="status">{t("fc.done", lang, lot=lot_code, n=number(n, lang), result=finding)}</p>'
        f"<dl><dt>{t('fc.event', lang)}</dt><dd><code>{e(event_id)}</code></dd></dl>"
        f'<p><a class="button" href="/console/field-checks/new">{t("fc.another", lang)}</a></p>'
        f'<p><a href="/console">{t("home", lang)}</a></p>'
    )
