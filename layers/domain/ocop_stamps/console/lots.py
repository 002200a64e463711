"""The producer's lots in the console: register a lot (``catalog.registry.register_lot``, as
``POST /lots``), see one (``catalog.registry.own_lot``, as ``GET /lots/{id}``).

Process steps without script: the form has ``step_rows`` rows (two at first, up to
``MAX_STEP_ROWS``); "add another step" posts the form to the same address with
``action=add_step`` and gets it back with one more row and every value kept (nothing is
registered, no rule checked). Empty rows are left out of the body; a refusal of a step's field
(pydantic's ``process_steps.{k}.when``, the domain's ``process_steps.{k}.place.commune``) is
shown at that row's field, in both languages.

The form's values become a ``catalog.schemas.LotIn`` exactly as the API's body does, so every
rule (lot code, dates, origin checked against the official units of the production date,
expiry required by the product group, one code per producer) is the domain's; a refusal is
shown next to the field it names: pydantic's ``loc`` or the domain error's ``details`` field
(``origin.commune`` -> the commune picker), in the page's language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from ocop_stamps.catalog import registry
from ocop_stamps.catalog.schemas import LotIn
from ocop_stamps.catalog.views import history, lot_view
from ocop_stamps.console import views_lots
from ocop_stamps.console.fields import Both, Option
from ocop_stamps.console.frame import other, t
from ocop_stamps.console.outcome import Ctx, Moved, Outcome, Shown
from ocop_stamps.core import words
from ocop_stamps.core.errors import Conflict, DomainError, NotFound
from ocop_stamps.core.schema import RULES_VI
from ocop_stamps.core.text import is_digits
from ocop_stamps.places import communes, provinces

FORM_FIELDS = (
    "product_id",
    "lot_code",
    "production_date",
    "expiry_date",
    "quantity",
    "unit",
    "province",
    "commune",
    "area_name",
    "standards",
    "certifications",
)
STEP_FIELDS = ("step", "when", "commune", "where", "who", "why")
DEFAULT_STEP_ROWS = 2
MAX_STEP_ROWS = 20  # the API takes 50; 20 rows of 6 fields stay under the form reader's field limit
# a path of the API's body (pydantic's loc, a domain error's details) -> the form's field
_FIELD_OF = {"origin.province": "province", "origin.commune": "commune", "origin.district": "commune"}
_FIELD_OF |= {"origin.area_name": "area_name"}
# a cross-field rule of LotIn (no loc) -> the field it is about
_RULE_FIELD = {"expiry_date must be after production_date": "expiry_date"}
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_ALPHABET = {ch: i for i, ch in enumerate("aăâbcdđeêghiklmnoôơpqrstuưvxy")}
_UNIT_WORDS = ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu ")


def vi_sort_key(name: str) -> tuple[tuple[int, ...], str]:
    """Vietnamese dictionary order: the unit word ('Tỉnh', 'Xã'...) left out, letters in the
    Vietnamese alphabet (a ă â b c d đ ...), tones only to break ties."""
    for word in _UNIT_WORDS:
        name = name.removeprefix(word)
    bare = unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFD", name.lower()) if c not in _TONES)
    )
    return tuple(_ALPHABET.get(c, 100 + ord(c)) for c in bare), name


@cache
def province_options() -> tuple[Option, ...]:
    """The 34 provinces and centrally-run cities: (GSO code, official name), in Vietnamese order."""
    return tuple((p.code, p.name) for p in sorted(provinces.CURRENT.values(), key=lambda p: vi_sort_key(p.name)))


def commune_groups(province: str, lang: str) -> dict[str, list[Option]]:
    """A province's communes, wards and special zones, each kind its own group, names in
    Vietnamese order: ``{group label: [(GSO code, name)]}``; empty for no province of today."""
    groups: dict[str, list[Option]] = {}
    kinds = (("Phường ", "wards"), ("Xã ", "communes"), ("Đặc khu ", "zones"))
    for unit in sorted(communes.in_province(province), key=lambda c: vi_sort_key(c.name)):
        kind = next((k for prefix, k in kinds if unit.name.startswith(prefix)), "communes")
        groups.setdefault(t(f"group.{kind}", lang), []).append((unit.code, unit.name))
    order = [t(f"group.{k}", lang) for _, k in kinds]
    return {label: groups[label] for label in order if label in groups}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def step_name(row: int, field: str) -> str:
    """The form's name of a step row's field: ``s0_step``, ``s0_when``, ..."""
    return f"s{row}_{field}"


def step_rows(form: Mapping[str, str], more: int = 0) -> int:
    """How many step rows the form shows: as many as it had (``step_rows``), at least two and
    every row that holds something, plus ``more``; at most ``MAX_STEP_ROWS``."""
    text = form.get("step_rows", "")
    asked = int(text) if is_digits(text) and len(text) <= 2 else DEFAULT_STEP_ROWS
    filled = [i + 1 for i in range(MAX_STEP_ROWS) if any(form.get(step_name(i, f), "").strip() for f in STEP_FIELDS)]
    return min(MAX_STEP_ROWS, max(DEFAULT_STEP_ROWS, asked, *filled) + more)


def _steps(form: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[int]]:
    """The body's ``process_steps`` from the rows that hold something, and each one's row."""
    steps: list[dict[str, Any]] = []
    rows: list[int] = []
    province = form.get("province", "").strip()
    for i in range(step_rows(form)):
        values = {f: form.get(step_name(i, f), "").strip() for f in STEP_FIELDS}
        if not any(values.values()):
            continue
        step: dict[str, Any] = {k: v for k, v in values.items() if v and k != "commune"}
        if values["commune"]:
            step["place"] = {"province": province, "commune": values["commune"]}
        steps.append(step)
        rows.append(i)
    return steps, rows


def _body(form: Mapping[str, str]) -> dict[str, Any]:
    """The API's ``POST /lots`` body from the form's fields (text as typed; the schema decides)."""
    quantity = form.get("quantity", "").strip()
    origin = {k: form.get(f, "").strip() for k, f in (("province", "province"), ("commune", "commune"))}
    if form.get("area_name", "").strip():
        origin["area_name"] = form["area_name"].strip()
    body: dict[str, Any] = {
        "product_id": form.get("product_id", ""),
        "lot_code": form.get("lot_code", "").strip(),
        "production_date": form.get("production_date", ""),
        "quantity": int(quantity) if is_digits(quantity) else quantity,
        "unit": form.get("unit", "").strip(),
        "origin": {k: v for k, v in origin.items() if v},
        "standards": _lines(form.get("standards", "")),
        "certifications": _lines(form.get("certifications", "")),
        "process_steps": _steps(form)[0],
    }
    if form.get("expiry_date"):
        body["expiry_date"] = form["expiry_date"]
    return body


def _field(path: str) -> str:
    names = [p for p in path.split(".") if not is_digits(p)]
    joined = ".".join(names)
    if joined in _FIELD_OF:
        return _FIELD_OF[joined]
    return names[0] if names and names[0] in FORM_FIELDS else ""


def _problem_text(field: str, problem: str, lang: str) -> str:
    """The field's own sentence, then the rule it broke when the catalogue words it (a date's range)."""
    own = words.text(f"console.lot_err.{field}", lang)
    if problem in RULES_VI:
        return f"{own} ({problem if lang == 'en' else RULES_VI[problem]})"
    return own


def _step_field(path: str, rows: list[int]) -> str:
    """The form field of a step's path (``process_steps.1.place.commune`` -> ``s3_commune``
    when the second filled step is row 3); '' for a path outside the steps."""
    parts = path.split(".")
    if parts[0] != "process_steps" or len(parts) < 2 or not is_digits(parts[1]) or int(parts[1]) >= len(rows):
        return ""
    name = parts[2] if len(parts) > 2 else "step"
    field = "commune" if name == "place" else name if name in STEP_FIELDS else "step"
    return step_name(rows[int(parts[1])], field)


def _step_text(field: str, problem: str, lang: str) -> str:
    own = words.text(f"console.step_err.{field}", lang)
    if problem in RULES_VI:
        return f"{own} ({problem if lang == 'en' else RULES_VI[problem]})"
    return own


def validation_problems(exc: ValidationError, lang: str, rows: list[int] | None = None) -> dict[str, str]:
    """Pydantic's errors of ``LotIn`` as {form field: sentence}; the first per field. A step's
    field (``rows``: the form row of each step sent) gets its sentence in both languages."""
    found: dict[str, str] = {}
    for err in exc.errors():
        problem = str(err.get("msg", "")).removeprefix("Value error, ")
        path = ".".join(str(p) for p in err.get("loc", ()))
        at_step = _step_field(path, rows or [])
        if at_step:
            kind = at_step.split("_", 1)[1]
            there = other(lang)
            both = Both(_step_text(kind, problem, lang), _step_text(kind, problem, there), there)
            found.setdefault(at_step, both)
            continue
        field = (_field(path) if path else _RULE_FIELD.get(problem, "")) or "lot_code"
        found.setdefault(field, _problem_text(field, problem, lang))
    return found


def domain_problems(exc: DomainError, lang: str, rows: list[int] | None = None) -> dict[str, str]:
    """A refusal of ``register_lot`` as {form field: its own words}: the field its details name,
    else the lot code for a duplicate (409) and the product for one not the producer's (404).
    A step's field (``rows`` as for ``validation_problems``) gets the words in both languages."""
    message = exc.message if lang == "en" else exc.message_vi
    paths = [str(d.get("field", "")) for d in exc.details if isinstance(d, Mapping)]
    at_step = next((f for f in (_step_field(p, rows or []) for p in paths) if f), "")
    if at_step:
        there = other(lang)
        return {at_step: Both(message, exc.message_vi if there == "vi" else exc.message, there)}
    named = [_field(p) for p in paths]
    field = next((f for f in named if f), "")
    if not field:
        field = "lot_code" if isinstance(exc, Conflict) else "product_id" if isinstance(exc, NotFound) else "lot_code"
    return {field: message}


def _form(
    ctx: Ctx,
    values: Mapping[str, str],
    problems: Mapping[str, str],
    status: int = 200,
    rows: int = DEFAULT_STEP_ROWS,
    focus: int | None = None,
) -> Shown:
    lang = ctx.lang
    province = values.get("province", "")
    groups = commune_groups(province, lang) if province in provinces.CURRENT else {}
    problems = dict(problems)
    if province and not groups:
        problems.setdefault("province", words.text("console.lot_err.province", lang))
    products = registry.products_of(ctx.principal.own_producer_id()) if groups else []
    body = views_lots.lot_form(
        lang,
        products,
        province_options(),
        groups,
        ctx.csrf,
        values,
        problems,
        steps=views_lots.Steps(rows, focus, rows < MAX_STEP_ROWS),
    )
    return Shown(status, words.text("console.new_lot", lang), body)


def _register(ctx: Ctx) -> Outcome:
    producer_id = ctx.principal.own_producer_id()
    rows = step_rows(ctx.form)
    names = [step_name(i, f) for i in range(rows) for f in STEP_FIELDS]
    values = {k: ctx.form.get(k, "") for k in (*FORM_FIELDS, *names)}
    if ctx.form.get("action") == "add_step":  # one more row, everything kept, nothing checked
        more = step_rows(ctx.form, more=1)
        return _form(ctx, values, {}, 200, more, focus=more - 1 if more > rows else None)
    used = _steps(ctx.form)[1]
    try:
        data = LotIn.model_validate(_body(ctx.form))
    except ValidationError as exc:
        return _form(ctx, values, validation_problems(exc, ctx.lang, used), 422, rows)
    try:
        lot = registry.register_lot(producer_id, data)
    except DomainError as exc:
        if exc.status not in (400, 404, 409, 422) or exc.retry_after:
            raise  # 503 or a busy 409: the store refused; the error page says so, with Retry-After
        return _form(ctx, values, domain_problems(exc, ctx.lang, used), 422, rows)
    return Moved(f"/console/lots/{lot['lot_id']}?{urlencode({'registered': 1})}")


def _lot(ctx: Ctx, lot_id: str) -> Shown:
    producer_id = ctx.principal.own_producer_id()
    item = registry.own_lot(producer_id, lot_id)
    lot = lot_view(item)
    lot["recall_history"] = history(item.recall_history)
    product = registry.own_product(producer_id, str(lot["product_id"]))
    flash = None
    if ctx.query.get("registered") == "1":
        flash = t("lot_registered", ctx.lang, code=lot["lot_code"])
    elif ctx.query.get("recalled") == "1":
        flash = t("lot_recalled_now", ctx.lang, code=lot["lot_code"])
    elif ctx.query.get("lifted") == "1":
        flash = t("lot_lifted_now", ctx.lang, code=lot["lot_code"])
    batch_nos = sorted(int(n) for n in item.batch_nos or ())
    body = views_lots.lot_page(ctx.lang, lot, product.name, flash, batch_nos)
    return Shown(200, words.text("console.lot", ctx.lang, code=lot["lot_code"]), body)


def route(ctx: Ctx) -> Outcome | None:
    """``GET /console/lots/new[?province=]``, ``POST /console/lots``, ``GET /console/lots/{id}``."""
    parts, method = ctx.parts, ctx.method
    if parts == ("lots", "new") and method == "GET":
        return _form(ctx, {"province": ctx.query.get("province", "")}, {})
    if parts == ("lots",) and method == "POST":
        return _register(ctx)
    if len(parts) == 2 and parts[0] == "lots" and method == "GET":
        return _lot(ctx, parts[1])
    return None
