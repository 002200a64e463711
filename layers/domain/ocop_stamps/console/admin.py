"""The OCOP office's console pages: onboard a producer (``catalog.registry.register_producer``
with its sign-in, as ``POST /producers``), list producers and see one, register a product
(``register_product``, as ``POST /products``), and record, renew, downgrade or withdraw its
OCOP rating (``catalog.ratings.rate``, as ``POST /products/{id}/ocop-rating``).

Every page first asks ``principal.require("admin")`` -- the admin API's own check -- so a
producer's or an inspector's session is refused (403), as the API refuses their tokens. The
forms' values become the API's request schemas (``ProducerIn``, ``ProductIn``, ``RatingIn``);
every rule is the domain's, and a refusal is shown next to the field it names (pydantic's
``loc`` or the domain error's ``details``), in the page's language and the other.

Double submits: the onboarding form carries ``producer_id``, made when the form is shown, so a
second send meets "already exists" for the very producer the first made and lands on its page
(docs/CONSOLE.md). A rating step that is already the rating in force is not written twice; a
withdrawal sent twice finds the rating withdrawn with the same reason and lands on the product.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from ocop_stamps.catalog import ratings, registry
from ocop_stamps.catalog.schemas import PRODUCT_ID_PATTERN, ProducerIn, ProductIn, RatingIn
from ocop_stamps.console import views_admin
from ocop_stamps.console.fields import Both
from ocop_stamps.console.frame import other, t
from ocop_stamps.console.lots import commune_groups, province_options
from ocop_stamps.console.outcome import Ctx, Moved, Outcome, Shown
from ocop_stamps.core import words
from ocop_stamps.core.errors import Conflict, DomainError, NotFound
from ocop_stamps.core.ids import iso, new_id, utc_now
from ocop_stamps.core.ocop import status_notice
from ocop_stamps.core.schema import RULES_VI
from ocop_stamps.core.text import is_digits
from ocop_stamps.core.vocabulary import COUNTRY_LABELS, OcopGroup, ProducerKind, RatingAction, RatingStatus
from ocop_stamps.places import provinces

PRODUCER_FIELDS = (
    "producer_id",
    "name",
    "kind",
    "owner",
    "tax_code",
    "phone",
    "province",
    "commune",
    "hamlet",
    "street",
    "account_email",
)
PRODUCT_FIELDS = (
    "product_id",
    "producer_id",
    "name",
    "name_en",
    "brand",
    "group",
    "gtin",
    "made_in_country",
    "made_in_place",
    "standards",
    "description",
    "image_url",
)
RATING_FIELDS = (
    "action",
    "stars",
    "decision_number",
    "decision_date",
    "issuing_level",
    "issuing_body",
    "certificate_number",
    "valid_until",
    "reason",
)
# a path of an API body (pydantic's loc, a domain error's details) -> the form's field
_PRODUCER_AT = {"address.province": "province", "address.commune": "commune", "address.district": "commune"}
_PRODUCER_AT |= {"address.hamlet": "hamlet", "address.street": "street"}
_PRODUCT_AT = {"made_in.country": "made_in_country", "made_in.place": "made_in_place"}
_RATING_AT = {
    "rating.stars": "stars",
    "rating.decision.number": "decision_number",
    "rating.decision.date": "decision_date",
    "rating.decision.issuing_level": "issuing_level",
    "rating.decision.issuing_body": "issuing_body",
    "rating.certificate.number": "certificate_number",
    "rating.valid_until": "valid_until",
}
OWN_ID_TRIES = 4  # a second send of the onboarding form waits for the first (0.5 s apart)
OWN_ID_WAIT_SECONDS = 0.5


def _field_of(table: Mapping[str, str], names: tuple[str, ...], fallback: str) -> Callable[[str], str]:
    def field(path: str) -> str:
        parts = [p for p in path.split(".") if p and not is_digits(p)]
        for n in range(len(parts), 0, -1):
            joined = ".".join(parts[:n])
            if joined in table:
                return table[joined]
        return parts[0] if parts and parts[0] in names else fallback

    return field


_producer_field = _field_of(_PRODUCER_AT, PRODUCER_FIELDS, "name")
_product_field = _field_of(_PRODUCT_AT, PRODUCT_FIELDS, "name")
_rating_field = _field_of(_RATING_AT, RATING_FIELDS, "action")


def _own_words(field: str, problem: str, lang: str) -> str:
    """The field's own sentence, then the rule it broke when the catalogue words it."""
    own = words.text(f"console.adm.err.{field}", lang)
    if problem in RULES_VI:
        return f"{own} ({problem if lang == 'en' else RULES_VI[problem]})"
    return own


def _said(field: str, lang: str, problem: str = "") -> Both:
    return Both(_own_words(field, problem, lang), _own_words(field, problem, other(lang)), other(lang))


def _domain(exc: DomainError, lang: str) -> Both:
    here, there = (exc.message, exc.message_vi) if lang == "en" else (exc.message_vi, exc.message)
    return Both(here, there, other(lang))


def _invalid(exc: ValidationError, field_of: Callable[[str], str], lang: str) -> dict[str, Both]:
    """Pydantic's errors as {form field: both languages}; the first per field."""
    found: dict[str, Both] = {}
    for err in exc.errors():
        problem = str(err.get("msg", "")).removeprefix("Value error, ")
        field = field_of(".".join(str(p) for p in err.get("loc", ())))
        found.setdefault(field, _said(field, lang, problem))
    return found


def _refused(exc: DomainError, field_of: Callable[[str], str], fallback: str, lang: str) -> dict[str, Both]:
    """A domain refusal at the field its ``details`` name (else ``fallback``), in both languages."""
    named = [field_of(str(d.get("field", ""))) for d in exc.details if isinstance(d, Mapping) and d.get("field")]
    return {named[0] if named else fallback: _domain(exc, lang)}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _given(values: Mapping[str, str], *names: str) -> dict[str, str]:
    return {n: values[n].strip() for n in names if values.get(n, "").strip()}


# --- producers -----------------------------------------------------------------------------------
def _producers(ctx: Ctx) -> Shown:
    listed = registry.producers()
    body = views_admin.producers_page(ctx.lang, listed, registry.LIST_LIMIT)
    return Shown(200, words.text("console.adm.producers", ctx.lang), body)


def new_producer_id() -> str:
    """A producer id made when the onboarding form is shown (``pro-`` and 12 Crockford letters:
    a ``Slug``, as ``ProducerIn.producer_id`` takes): the form's idempotency key."""
    return new_id("pro").replace("_", "-")


def _kinds(lang: str) -> list[tuple[str, str]]:
    return [(k.value, words.text(f"producer_kind.{k.value}", lang)) for k in ProducerKind]


def _producer_form(ctx: Ctx, values: Mapping[str, str], problems: Mapping[str, Both | str], status: int) -> Shown:
    lang = ctx.lang
    province = values.get("province", "")
    groups = commune_groups(province, lang) if province in provinces.CURRENT else {}
    problems = dict(problems)
    if province and not groups:
        problems.setdefault("province", _said("province", lang))
    values = {**values, "producer_id": values.get("producer_id") or new_producer_id()}
    body = views_admin.producer_form(lang, _kinds(lang), province_options(), groups, ctx.csrf, values, problems)
    return Shown(status, words.text("console.adm.onboard", lang), body)


def _producer_body(values: Mapping[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "producer_id": values.get("producer_id", ""),
        "name": values.get("name", "").strip(),
        "kind": values.get("kind", ""),
        "address": _given(values, "province", "commune", "hamlet", "street"),
        **_given(values, "owner", "tax_code", "phone", "account_email"),
    }
    return body


def _same_producer(data: ProducerIn) -> bool:
    """Whether the producer with this form's id is the one this form describes (its first send)."""
    assert data.producer_id is not None
    for attempt in range(OWN_ID_TRIES):
        try:
            found = registry.own_producer(data.producer_id)
        except NotFound:
            if attempt + 1 < OWN_ID_TRIES:
                time.sleep(OWN_ID_WAIT_SECONDS)  # the first send may be between its account and its record
            continue
        return found.get("name") == data.name and found.get("kind") == data.kind.value
    return False


def _onboard(ctx: Ctx) -> Outcome:
    lang = ctx.lang
    values = {k: ctx.form.get(k, "") for k in PRODUCER_FIELDS}
    values["producer_id"] = values["producer_id"] or new_producer_id()
    problems: dict[str, Both | str] = {}
    if not values["account_email"].strip():
        problems["account_email"] = _said("account_email", lang)
    try:
        data = ProducerIn.model_validate(_producer_body(values))
    except ValidationError as exc:
        problems = {**_invalid(exc, _producer_field, lang), **problems}
        return _producer_form(ctx, values, problems, 422)
    if problems:
        return _producer_form(ctx, values, problems, 422)
    try:
        made = registry.register_producer(data)
    except Conflict as exc:
        if _same_producer(data):  # this form, sent twice: its producer is there
            return Moved(f"/console/producers/{data.producer_id}?{urlencode({'onboarded': 'again'})}")
        return _producer_form(ctx, values, {"account_email": _domain(exc, lang)}, 409)
    except DomainError as exc:
        if exc.status not in (400, 422):
            raise
        return _producer_form(ctx, values, _refused(exc, _producer_field, "commune", lang), 422)
    account = str((made.get("account") or {}).get("status") or "none")
    return Moved(f"/console/producers/{made['producer_id']}?{urlencode({'onboarded': account})}")


def _producer(ctx: Ctx, producer_id: str) -> Shown:
    lang = ctx.lang
    producer = registry.own_producer(producer_id)
    products = registry.products_of(producer_id)
    done = ctx.query.get("onboarded")
    flash = None
    if done in ("invited", "local", "none", "again"):
        command = f"python -m ocop_local token producer --producer-id {producer_id}"  # the account hint's
        flash = t(f"adm.onboarded.{done}", lang, command=command)
    body = views_admin.producer_page(lang, producer, products, flash)
    return Shown(200, str(producer.get("name") or producer_id), body)


# --- products ------------------------------------------------------------------------------------
def _product_form(ctx: Ctx, values: Mapping[str, str], problems: Mapping[str, Both | str], status: int) -> Shown:
    lang = ctx.lang
    producer_id = values.get("producer_id", "")
    producers: list[tuple[str, str]] = []
    if producer_id:
        try:
            chosen = registry.own_producer(producer_id)
            producers = [(producer_id, str(chosen.get("name") or producer_id))]
        except NotFound:
            if ctx.method == "GET":
                raise  # a link to no producer: the 404 page
    if not producers:
        producers = [(str(p["producer_id"]), str(p.get("name") or "")) for p in registry.producers()]
    groups = [(g.value, words.text(f"ocop_group.{g.value}", lang)) for g in OcopGroup]
    countries = [(code, pair[1] if lang == "en" else pair[0]) for code, pair in COUNTRY_LABELS.items()]
    values = {"made_in_country": "VN", **{k: v for k, v in values.items() if v}}
    values.setdefault("product_id", new_id("prd"))  # the form's idempotency key, made when it is shown
    body = views_admin.product_form(lang, producers, groups, countries, ctx.csrf, values, problems)
    return Shown(status, words.text("console.adm.new_product", lang), body)


def _product_body(values: Mapping[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product_id": _form_product_id(values),
        "producer_id": values.get("producer_id", ""),
        "name": values.get("name", "").strip(),
        "group": values.get("group", ""),
        "standards": _lines(values.get("standards", "")),
        **_given(values, "name_en", "brand", "gtin", "description", "image_url"),
    }
    if values.get("made_in_country"):
        body["made_in"] = {"country": values["made_in_country"], **_given(values, "made_in_place")}
        if "made_in_place" in body["made_in"]:
            body["made_in"]["place"] = body["made_in"].pop("made_in_place")
    return body


_PRODUCT_ID = re.compile(PRODUCT_ID_PATTERN)


def _form_product_id(values: Mapping[str, str]) -> str:
    """The id the form was shown with (its idempotency key), or a new one when the hidden field
    is missing or not one the console makes (edited by hand: the form is then a new one)."""
    given = values.get("product_id", "")
    return given if _PRODUCT_ID.fullmatch(given) else new_id("prd")


def _same_product(data: ProductIn) -> bool:
    """Whether the product with this form's id is the one this form describes (its first send).
    The product and its GTIN claim are one transaction: when the id is there, so is all of it."""
    found = _product_or_none(str(data.product_id))
    return (
        found is not None
        and found.get("producer_id") == data.producer_id
        and found.get("name") == data.name
        and found.get("gtin") == data.gtin
    )


def _product_or_none(product_id: str) -> dict[str, Any] | None:
    """The product as ``registry.product_record`` shows it, or None when there is none."""
    try:
        return registry.product_record(product_id)
    except NotFound:
        return None


def _register_product(ctx: Ctx) -> Outcome:
    lang = ctx.lang
    values = {k: ctx.form.get(k, "") for k in PRODUCT_FIELDS}
    values["product_id"] = _form_product_id(values)
    try:
        data = ProductIn.model_validate(_product_body(values))
    except ValidationError as exc:
        return _product_form(ctx, values, _invalid(exc, _product_field, lang), 422)
    try:
        made = registry.register_product(data)
    except DomainError as exc:
        if isinstance(exc, Conflict) and _same_product(data):  # this form, sent twice: its product is there
            return Moved(f"/console/products/{data.product_id}?{urlencode({'registered': 1})}")
        if isinstance(exc, Conflict) and any(d.get("field") == "product_id" for d in exc.details):
            # this form went through before, then was changed: a new form (a new id) for another product
            fresh = {**values, "product_id": new_id("prd")}
            return _product_form(ctx, fresh, {"name": _said("product_id", lang)}, 409)
        if exc.status not in (400, 404, 409, 422):
            raise
        fallback = "producer_id" if isinstance(exc, NotFound) else "gtin" if isinstance(exc, Conflict) else "name"
        return _product_form(ctx, values, _refused(exc, _product_field, fallback, lang), exc.status)
    return Moved(f"/console/products/{made['product_id']}?{urlencode({'registered': 1})}")


def _product(ctx: Ctx, product_id: str) -> Shown:
    lang = ctx.lang
    product = registry.product_record(product_id)
    producer = registry.own_producer(str(product["producer_id"]))
    flash = None
    if ctx.query.get("registered") == "1":
        flash = t("adm.product_registered", lang)
    elif ctx.query.get("rated") in views_admin.RATING_ACTIONS:
        action = str(ctx.query["rated"])
        flash = t("adm.rated", lang, action=words.text(f"rating_action.{action}", lang))
    elif ctx.query.get("withdrawn") == "1":
        flash = t("adm.withdrawn", lang)
    body = views_admin.product_page(lang, product, str(producer.get("name") or ""), flash)
    return Shown(200, str(product.get("name") or product_id), body)


# --- ratings -------------------------------------------------------------------------------------
def _live(product: Mapping[str, Any]) -> dict[str, Any] | None:
    ocop = product.get("ocop") or None
    return ocop if ocop and ocop.get("status") != RatingStatus.withdrawn else None


def _actions(product: Mapping[str, Any]) -> tuple[str, ...]:
    return views_admin.RATING_ACTIONS if _live(product) else ("record",)


def _rating_form(
    ctx: Ctx, product: Mapping[str, Any], values: Mapping[str, str], problems: Mapping[str, Both | str], status: int
) -> Shown:
    actions = _actions(product)
    body = views_admin.rating_form(ctx.lang, product, actions, ctx.csrf, values, problems)
    title = words.text("console.adm.rating_title", ctx.lang, name=product.get("name") or "")
    return Shown(status, title, body)


def _rating_start(ctx: Ctx, product_id: str) -> Shown:
    product = registry.product_record(product_id)
    action = ctx.query.get("action", "record")
    action = action if action in _actions(product) else "record"
    values: dict[str, str] = {"action": action}
    live = _live(product)
    if live and action == "renew":  # a renewal usually comes from the same level and body
        decision = live.get("decision") or {}
        values |= {"stars": str(live.get("stars") or "")}
        values |= {
            k: str(decision.get(f) or "")
            for k, f in (("issuing_level", "issuing_level"), ("issuing_body", "issuing_body"))
        }
    return _rating_form(ctx, product, values, {}, 200)


def _rating_body(values: Mapping[str, str]) -> dict[str, Any]:
    stars = values.get("stars", "").strip()
    decision = {
        "number": values.get("decision_number", "").strip(),
        "date": values.get("decision_date", ""),
        "issuing_level": values.get("issuing_level", ""),
        **_given(values, "issuing_body"),
    }
    rating: dict[str, Any] = {
        "stars": int(stars) if is_digits(stars) and len(stars) < 3 else stars,
        "decision": decision,
        "certificate": {"number": values.get("certificate_number", "").strip()},
        **_given(values, "valid_until"),
    }
    return {"action": values.get("action", ""), "rating": rating, **_given(values, "reason")}


def _in_force(product: Mapping[str, Any], data: RatingIn) -> bool:
    """Whether ``data`` is already the rating in force (this form's first send got there)."""
    live, rating = _live(product), data.rating
    if live is None or rating is None:
        return False
    decision = live.get("decision") or {}
    return (
        live.get("action") == data.action.value
        and int(live.get("stars") or 0) == rating.stars
        and decision.get("number") == rating.decision.number
        and decision.get("date") == rating.decision.date.isoformat()
        and (live.get("certificate") or {}).get("number") == rating.certificate.number
    )


def _rate(ctx: Ctx, product_id: str) -> Outcome:
    lang = ctx.lang
    product = registry.product_record(product_id)
    values = {k: ctx.form.get(k, "") for k in RATING_FIELDS}
    if values["action"] not in _actions(product):
        return _rating_form(ctx, product, values, {"action": _said("action", lang)}, 422)
    try:
        data = RatingIn.model_validate(_rating_body(values))
    except ValidationError as exc:
        return _rating_form(ctx, product, values, _invalid(exc, _rating_field, lang), 422)
    if _in_force(product, data):
        return Moved(f"/console/products/{product_id}?{urlencode({'rated': data.action.value})}")
    try:
        ratings.rate(product_id, data, ctx.principal.subject, ctx.base_url)
    except DomainError as exc:
        if exc.status not in (400, 409, 422):
            raise
        if isinstance(exc, Conflict) and _in_force(registry.product_record(product_id), data):
            return Moved(f"/console/products/{product_id}?{urlencode({'rated': data.action.value})}")
        return _rating_form(ctx, product, values, _refused(exc, _rating_field, "action", lang), exc.status)
    return Moved(f"/console/products/{product_id}?{urlencode({'rated': data.action.value})}")


def buyers_will_see(at: str) -> dict[str, str]:
    """The scan page's OCOP line for a rating withdrawn at ``at``, {vi, en}: ``core.ocop.status_notice``,
    the very sentence ``pages.scan_page`` shows in place of the stars."""
    vi, en = status_notice({"withdrawn_at": at}, RatingStatus.withdrawn) or ("", "")
    return {"vi": vi, "en": en}


def _withdraw_form(
    ctx: Ctx, product: Mapping[str, Any], values: Mapping[str, str], problems: Mapping[str, Both | str], status: int
) -> Outcome:
    if _live(product) is None:
        return Moved(f"/console/products/{product['product_id']}")  # nothing to withdraw
    body = views_admin.withdraw_form(ctx.lang, product, ctx.csrf, values, problems)
    title = words.text("console.adm.withdraw_title", ctx.lang, name=product.get("name") or "")
    return Shown(status, title, body)


def _withdraw(ctx: Ctx, product_id: str) -> Outcome:
    lang = ctx.lang
    product = registry.product_record(product_id)
    reason = ctx.form.get("reason", "").strip()
    values = {"reason": ctx.form.get("reason", "")}
    try:
        data = RatingIn.model_validate({"action": RatingAction.withdraw.value, "reason": reason or None})
    except ValidationError:
        return _withdraw_form(ctx, product, values, {"reason": _said("reason", lang)}, 422)
    step = ctx.form.get("step")
    if step == "edit":
        return _withdraw_form(ctx, product, values, {}, 200)
    if step != "do":
        if _live(product) is None:
            return Moved(f"/console/products/{product_id}")
        seen = buyers_will_see(iso(utc_now()))
        body = views_admin.withdraw_confirm(lang, product, ctx.csrf, reason, seen)
        return Shown(200, words.text("console.adm.withdraw_confirm_title", lang), body)
    try:
        ratings.rate(product_id, data, ctx.principal.subject, ctx.base_url)
    except Conflict as exc:
        now = registry.product_record(product_id).get("ocop") or {}
        if not (now.get("status") == RatingStatus.withdrawn and now.get("withdrawal_reason") == reason):
            return _withdraw_form(ctx, product, values, {"reason": _domain(exc, lang)}, 409)
    return Moved(f"/console/products/{product_id}?{urlencode({'withdrawn': 1})}")


def route(ctx: Ctx) -> Outcome | None:
    """``/console/producers`` (GET list, POST onboard), ``/console/producers/new[?province=]``,
    ``/console/producers/{id}``, ``/console/products/new[?producer=]``, ``POST /console/products``,
    ``/console/products/{id}``, ``…/rating`` (GET form, POST), ``…/withdraw`` (GET form, POST
    confirm / edit / do). Admin only: anyone else is refused (403) before anything is read."""
    parts, method = ctx.parts, ctx.method
    if not parts or parts[0] not in ("producers", "products") or len(parts) > 3:
        return None
    ctx.principal.require("admin")
    kind, rest = parts[0], parts[1:]
    if kind == "producers":
        if rest == () and method == "GET":
            return _producers(ctx)
        if rest == () and method == "POST":
            return _onboard(ctx)
        if rest == ("new",) and method == "GET":
            return _producer_form(ctx, {"province": ctx.query.get("province", "")}, {}, 200)
        if len(rest) == 1 and method == "GET":
            return _producer(ctx, rest[0])
        return None
    if rest == () and method == "POST":
        return _register_product(ctx)
    if rest == ("new",) and method == "GET":
        return _product_form(ctx, {"producer_id": ctx.query.get("producer", "")}, {}, 200)
    if len(rest) == 1 and method == "GET":
        return _product(ctx, rest[0])
    if len(rest) == 2 and rest[1] == "rating":
        if method == "GET":
            return _rating_start(ctx, rest[0])
        return _rate(ctx, rest[0])
    if len(rest) == 2 and rest[1] == "withdraw":
        if method == "GET":
            product = registry.product_record(rest[0])
            return _withdraw_form(ctx, product, {}, {}, 200)
        return _withdraw(ctx, rest[0])
    return None
