"""The console's requests: sign-in, sign-out, the producer's pages; one HTTP API event in, one out.

Who may do what is decided exactly as in the API: the session's claims become a
``core.auth.Principal`` (``Principal.from_claims``, the same reading of groups, producer and
provinces) and the pages call the same domain functions the API's routes call
(``issuing.idempotency.issue_once``, ``issuing.batches.own_batch``, ``catalog.registry``),
which check role and tenant themselves. Every POST must carry the session's CSRF token
(``console.session``), checked before anything else; without it the answer is a 403 page.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from pydantic import ValidationError

from ocop_stamps.catalog import registry
from ocop_stamps.codes.labels import public_base_url
from ocop_stamps.console import activation, assets, frame, oauth, stamp_voids, views, views_admin, views_inspector
from ocop_stamps.console import admin as admin_pages
from ocop_stamps.console import field_checks as field_check_pages
from ocop_stamps.console import inspector as inspector_pages
from ocop_stamps.console import lifecycle as lifecycle_pages
from ocop_stamps.console import lots as lot_pages
from ocop_stamps.console import printing as print_pages
from ocop_stamps.console import session as sessions
from ocop_stamps.console.frame import t
from ocop_stamps.console.outcome import Ctx, Moved, Outcome, Sent
from ocop_stamps.console.session import LANG_COOKIE, LOGIN_COOKIE, SESSION_COOKIE, Session
from ocop_stamps.core import words
from ocop_stamps.core.auth import Principal
from ocop_stamps.core.errors import Conflict, DomainError, Forbidden
from ocop_stamps.core.settings import Settings, get_settings
from ocop_stamps.core.text import is_digits
from ocop_stamps.inspection.counts import scans_by_batch
from ocop_stamps.issuing import batches as issuing
from ocop_stamps.issuing.idempotency import issue_once
from ocop_stamps.issuing.schemas import BatchIn
from ocop_stamps.observability import logger
from ocop_stamps.storage import sessions as revocations
from ocop_stamps.storage.parameters import console_keys

MAX_FORM_BYTES = 65_536  # the lot form with 20 process steps, standards and certifications
MAX_FORM_FIELDS = 200  # the lot form: 15 fields and 6 per process step, 20 steps at most
MAX_BATCH_SIZE = 1_000_000
BUSY_RETRIES = 6  # a double tap's second request waits for the first (0.5 s apart), then shows its batch
BUSY_WAIT_SECONDS = 0.5


class Request:
    """What the console reads of an HTTP API (payload 2.0) event."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event
        self.method = str(((event.get("requestContext") or {}).get("http") or {}).get("method", "GET")).upper()
        self.path = str(event.get("rawPath") or "/console").rstrip("/") or "/console"
        self.query = {k: str(v) for k, v in (event.get("queryStringParameters") or {}).items()}
        self.headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        self.cookies = sessions.read_cookies(self.headers, event.get("cookies"))
        self.set_cookies: list[str] = []
        settings = get_settings()
        self.secure = not settings.console_url.startswith("http://")
        asked = self.query.get("lang")
        if asked in ("vi", "en"):
            self.lang = asked
            self.set_cookie(LANG_COOKIE, asked, 365 * 24 * 3600)
        else:
            self.lang = "en" if self.cookies.get(LANG_COOKIE) == "en" else "vi"

    def set_cookie(self, name: str, value: str, max_age: int) -> None:
        self.set_cookies.append(sessions.cookie(name, value, max_age, secure=self.secure))

    def form(self) -> dict[str, str]:
        """The posted form (``application/x-www-form-urlencoded``); the first value of each field.
        ``FormTooLarge`` past ``MAX_FORM_BYTES`` or ``MAX_FORM_FIELDS`` (a 413 page, nothing done)."""
        raw = self.event.get("body") or ""
        try:
            data = base64.b64decode(raw) if self.event.get("isBase64Encoded") else str(raw).encode()
        except ValueError:  # not base64: nothing a browser sends
            return {}
        if len(data) > MAX_FORM_BYTES:
            raise FormTooLarge
        try:
            fields = parse_qs(data.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except ValueError:  # more fields than any form of the console's
            raise FormTooLarge from None
        return {k: v[0] for k, v in fields.items()}


class FormTooLarge(Exception):
    """A posted form over ``MAX_FORM_BYTES`` or ``MAX_FORM_FIELDS``: answered 413, nothing done."""


def _answer(request: Request, status: int, body: str, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    headers = frame.headers(_form_targets())
    headers.update(extra or {})
    return {"statusCode": status, "headers": headers, "cookies": request.set_cookies, "body": body}


def _redirect(request: Request, location: str) -> dict[str, Any]:
    return _answer(request, 303, "", {"Location": location})


def _form_targets() -> tuple[str, ...]:
    settings = get_settings()
    if settings.console_local_users or not settings.console_auth_domain:
        return ()
    return (oauth.domain_url(settings.console_auth_domain, settings.aws_region),)


def _page(request: Request, status: int, title: str, body: str, who: Session | None = None) -> dict[str, Any]:
    csrf = sessions.csrf_token(console_keys(), who.sid) if who else None
    return _answer(request, status, frame.page(request.lang, title, body, who=who.name if who else None, csrf=csrf))


def _error(request: Request, status: int, key: str, who: Session | None = None) -> dict[str, Any]:
    """A refusal as a page: the words of ``console.{key}`` in this language, then the other."""
    lang = request.lang
    vi, en = words.text(f"console.{key}", "vi"), words.text(f"console.{key}", "en")
    here, there = (en, vi) if lang == "en" else (vi, en)
    return _page(request, status, t("error", lang), frame.error_body(lang, here, there), who)


def _domain_error(request: Request, exc: DomainError, who: Session | None) -> dict[str, Any]:
    lang = request.lang
    here, there = (exc.message, exc.message_vi) if lang == "en" else (exc.message_vi, exc.message)
    answer = _page(request, exc.status, t("error", lang), frame.error_body(lang, here, there), who)
    answer["headers"].update(exc.headers())  # Retry-After on a busy 409 or an unavailable 503, as the API
    return answer


def _next_path(value: str | None) -> str:
    """Where to go after sign-in: a console path on this site only (no open redirect), printable
    ASCII only -- it becomes a ``Location`` header, where a line break is an injected header
    (the server refuses such a header: it was a 500)."""
    if value and not all(" " < c < "\x7f" for c in value):
        return "/console"
    if value and value.startswith("/console") and not value.startswith("//") and "\\" not in value:
        parts = urlsplit(value)
        if not parts.scheme and not parts.netloc:
            return value
    return "/console"


def _local_users(settings: Settings) -> dict[str, dict[str, Any]]:
    if not settings.console_local_users:
        return {}
    users = json.loads(settings.console_local_users)
    return {str(k): dict(v) for k, v in users.items()} if isinstance(users, dict) else {}


def _oauth_config(settings: Settings) -> oauth.Config | None:
    if not (settings.console_auth_domain and settings.console_client_id and settings.console_url):
        return None
    return oauth.Config(
        domain=oauth.domain_url(settings.console_auth_domain, settings.aws_region),
        client_id=settings.console_client_id,
        redirect_uri=f"{settings.console_url}/callback",
        issuer=f"https://cognito-idp.{settings.aws_region}.amazonaws.com/{settings.user_pool_id}",
    )


# --- sign-in and sign-out ----------------------------------------------------------------------
def _sign_in_page(request: Request, failed: bool = False) -> dict[str, Any]:
    settings = get_settings()
    keys = console_keys()
    next_path = _next_path(request.query.get("next"))
    users = _local_users(settings)
    if users:
        nonce = uuid.uuid4().hex
        request.set_cookie(
            LOGIN_COOKIE,
            sessions.seal(keys, "login", {"nonce": nonce, "exp": int(time.time()) + sessions.LOGIN_SECONDS}),
            sessions.LOGIN_SECONDS,
        )
        body = views.local_sign_in(request.lang, users, sessions.csrf_token(keys, nonce), next_path, failed)
        return _page(request, 401 if failed else 200, t("sign_in", request.lang), body)
    config = _oauth_config(settings)
    if config is None:
        return _page(
            request, 503, t("sign_in", request.lang), views.message(request.lang, t("sign_in_off", request.lang))
        )
    if failed:
        body = views.message(
            request.lang, t("sign_in_failed", request.lang), ("/console/sign-in", t("sign_in", request.lang))
        )
        return _page(request, 401, t("sign_in", request.lang), body)
    begun = oauth.start(config)
    expires = int(time.time()) + sessions.LOGIN_SECONDS
    state = {"state": begun.state, "verifier": begun.verifier, "next": next_path, "exp": expires}
    request.set_cookie(LOGIN_COOKIE, sessions.seal(keys, "login", state), sessions.LOGIN_SECONDS)
    return _redirect(request, begun.url)


def _signed_in(request: Request, claims: Mapping[str, Any], next_path: str) -> dict[str, Any]:
    new = Session.from_claims(claims)
    request.set_cookie(SESSION_COOKIE, new.seal(console_keys()), sessions.SESSION_SECONDS)
    request.set_cookie(LOGIN_COOKIE, "", 0)
    logger.info("console sign-in", extra={"sub": new.sub, "groups": list(new.groups)})
    return _redirect(request, _next_path(next_path))


def _local_sign_in(request: Request) -> dict[str, Any]:
    users = _local_users(get_settings())
    try:
        form = request.form()
    except FormTooLarge:
        return _error(request, 413, "too_large")
    login = sessions.unseal(console_keys(), "login", request.cookies.get(LOGIN_COOKIE))
    if not users:
        return _error(request, 404, "not_found")
    if login is None or not sessions.csrf_ok(console_keys(), str(login.get("nonce")), form.get("csrf")):
        return _error(request, 403, "csrf")
    claims = users.get(form.get("user", ""))
    if claims is None:
        return _sign_in_page(request, failed=True)
    return _signed_in(request, claims, form.get("next", "/console"))


def _callback(request: Request) -> dict[str, Any]:
    config = _oauth_config(get_settings())
    login = sessions.unseal(console_keys(), "login", request.cookies.get(LOGIN_COOKIE))
    code = request.query.get("code")
    if (
        config is None
        or login is None
        or not code
        or not oauth.state_matches(login.get("state"), request.query.get("state"))
    ):
        logger.warning("console callback refused: no sign-in started here, or its state differs")
        return _sign_in_page(request, failed=True)
    try:
        claims = oauth.exchange(config, code, str(login.get("verifier", "")))
    except oauth.SignInFailed as exc:
        logger.warning("console sign-in failed", extra={"why": str(exc)})
        return _sign_in_page(request, failed=True)
    return _signed_in(request, claims, str(login.get("next") or "/console"))


def _sign_out(request: Request, who: Session, everywhere: bool) -> dict[str, Any]:
    """End the session on the server (a copy of the cookie is dead too), or with ``everywhere``
    every session of the person; then clear the cookie and, deployed, Cognito's own session."""
    if everywhere:
        now = time.time()
        revocations.revoke_all(who.sub, int(now * 1000), int(now) + sessions.SESSION_SECONDS)
    revocations.revoke(who.sid, who.exp)
    request.set_cookie(SESSION_COOKIE, "", 0)
    settings = get_settings()
    config = _oauth_config(settings)
    if config is not None and not settings.console_local_users:
        return _redirect(request, oauth.logout_url(config, f"{settings.console_url}/signed-out"))
    return _redirect(request, "/console/signed-out")


# --- the producer's pages ----------------------------------------------------------------------
def _home(request: Request, who: Session, principal: Principal) -> dict[str, Any]:
    lang = request.lang
    if "producer" not in principal.groups and "admin" in principal.groups:
        return _page(request, 200, t("home", lang), views_admin.home(lang), who)
    if "producer" not in principal.groups and "inspector" in principal.groups:
        return _page(request, 200, t("home", lang), views_inspector.home(lang), who)
    if "producer" not in principal.groups:
        role = next((g for g in ("admin", "inspector") if g in principal.groups), "producer")
        return _page(request, 200, t("home", lang), views.other_role_home(lang, role), who)
    producer_id = principal.own_producer_id()
    products = registry.products_of(producer_id)
    batches = issuing.batches_of(producer_id)
    lots = registry.lots_of(producer_id)
    scanned = scans_by_batch(int(b["batch_id"]) for b in batches)
    return _page(request, 200, t("home", lang), views.producer_home(lang, products, lots, batches, scanned), who)


def _batch(request: Request, who: Session, principal: Principal, batch_id: str) -> dict[str, Any]:
    batch = issuing.batch_view(issuing.own_batch(principal.own_producer_id(), batch_id))
    product = registry.own_product(principal.own_producer_id(), str(batch["product_id"]))
    scanned = scans_by_batch([int(batch["batch_id"])]).get(int(batch["batch_id"]), 0)
    body = views.batch_page(request.lang, batch, product.name, scanned, request.query.get("issued") == "1")
    return _page(request, 200, t("batch", request.lang, id=batch["batch_id"]), body, who)


def _batch_form(
    request: Request,
    who: Session,
    principal: Principal,
    status: int = 200,
    values: Mapping[str, str] | None = None,
    problems: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    products = registry.products_of(principal.own_producer_id())
    key = (values or {}).get("idempotency_key") or uuid.uuid4().hex
    csrf = sessions.csrf_token(console_keys(), who.sid)
    body = views.batch_form(request.lang, products, csrf, key, values, problems)
    return _page(request, status, t("new_batch", request.lang), body, who)


def _request_batch(request: Request, who: Session, principal: Principal, form: Mapping[str, str]) -> dict[str, Any]:
    producer_id = principal.own_producer_id()
    lang = request.lang
    problems: dict[str, str] = {}
    size_text = form.get("size", "").strip()
    if not form.get("product_id"):
        problems["product_id"] = words.text("console.need_product", lang)
    if not is_digits(size_text) or not 1 <= int(size_text) <= MAX_BATCH_SIZE:
        problems["size"] = words.text("console.need_size", lang)
    if len(form.get("note", "")) > views.MAX_NOTE:
        problems["note"] = words.text("console.note_too_long", lang)
    if problems:
        return _batch_form(request, who, principal, 422, form, problems)
    try:
        body = BatchIn.model_validate(
            {"product_id": form["product_id"], "size": int(size_text), "note": form.get("note", "").strip() or None}
        )
    except ValidationError:
        return _batch_form(request, who, principal, 422, form, {"note": words.text("console.form_invalid", lang)})
    key = form.get("idempotency_key") or None
    base = public_base_url(get_settings().public_base_url, dict(request.event))
    for attempt in range(BUSY_RETRIES + 1):
        try:
            batch = issue_once(producer_id, key, body, base)
            break
        except Conflict:  # the same form's first send is still being issued: wait for it
            if attempt == BUSY_RETRIES:
                raise
            time.sleep(BUSY_WAIT_SECONDS)
    return _redirect(request, f"/console/batches/{batch['batch_id']}?{urlencode({'issued': 1})}")


def _activation(
    request: Request, who: Session, principal: Principal, batch_id: str, step: str, form: Mapping[str, str]
) -> dict[str, Any] | None:
    """Activation by camera (``console.activation``): its pages, with the camera allowed."""
    csrf = sessions.csrf_token(console_keys(), who.sid)
    ask = activation.Ask(principal.own_producer_id(), batch_id, request.lang, csrf, form, request.query)
    base = public_base_url(get_settings().public_base_url, dict(request.event))
    reply = activation.respond(request.method, step, ask, base)
    if reply is None:
        return None
    if reply.location:
        return _redirect(request, reply.location)
    body = frame.page(request.lang, reply.title, reply.body, who=who.name, csrf=csrf)
    return _answer(request, reply.status, body, activation.HEADERS)


# Page modules asked in turn (console.outcome): each answers its own paths, None for others.
PAGE_MODULES = (
    lot_pages.route,
    print_pages.route,
    lifecycle_pages.route,
    inspector_pages.route,
    field_check_pages.route,
    stamp_voids.route,
    admin_pages.route,
)


def _ctx(request: Request, who: Session, principal: Principal, form: Mapping[str, str]) -> Ctx:
    return Ctx(
        lang=request.lang,
        method=request.method,
        parts=tuple(request.path.split("/")[2:]),
        query=request.query,
        form=form,
        csrf=sessions.csrf_token(console_keys(), who.sid),
        principal=principal,
        base_url=public_base_url(get_settings().public_base_url, dict(request.event)),
    )


def _outcome(request: Request, who: Session, done: Outcome) -> dict[str, Any]:
    """A page module's answer as the HTTP answer: a page, a 303, or a file (base64, binary-safe)."""
    if isinstance(done, Moved):
        return _redirect(request, done.location)
    if isinstance(done, Sent):
        headers = frame.headers(_form_targets())
        headers["Content-Type"] = done.content_type
        if done.file_name:
            headers["Content-Disposition"] = f'attachment; filename="{done.file_name}"'
        headers.update(done.headers or {})
        body = base64.b64encode(done.body).decode("ascii")
        return {
            "statusCode": 200,
            "headers": headers,
            "cookies": request.set_cookies,
            "body": body,
            "isBase64Encoded": True,
        }
    csrf = sessions.csrf_token(console_keys(), who.sid)
    html = frame.page(request.lang, done.title, done.body, who=who.name, csrf=csrf)
    extra = {**(done.headers or {}), **({"Refresh": str(done.refresh)} if done.refresh else {})}
    return _answer(request, done.status, html, extra)


def _route(request: Request) -> dict[str, Any]:
    method, path = request.method, request.path
    if path == "/console/sign-in":
        return _local_sign_in(request) if method == "POST" else _sign_in_page(request)
    if path == "/console/callback" and method == "GET":
        return _callback(request)
    if path == "/console/signed-out" and method == "GET":
        body = views.message(
            request.lang, t("signed_out", request.lang), ("/console/sign-in", t("sign_in_again", request.lang))
        )
        return _page(request, 200, t("sign_out", request.lang), body)
    who = Session.unseal(console_keys(), request.cookies.get(SESSION_COOKIE))
    if who is not None and revocations.revoked(who.sid, who.sub, who.issued_at_ms):
        logger.info("console session refused: signed out", extra={"path": path})
        request.set_cookie(SESSION_COOKIE, "", 0)
        who = None
    form: dict[str, str] = {}
    if method == "POST":
        try:
            form = request.form()
        except FormTooLarge:
            logger.warning("console post refused: form too large", extra={"path": path})
            return _error(request, 413, "too_large", who)
        if path == "/console/sign-out" and who is None:  # already signed out (another tab): nothing to end
            request.set_cookie(SESSION_COOKIE, "", 0)
            return _redirect(request, "/console/signed-out")
        if who is None or not sessions.csrf_ok(console_keys(), who.sid, form.get("csrf")):
            logger.warning("console post refused: no valid CSRF token", extra={"path": path})
            return _error(request, 403, "csrf", who)
        if path == "/console/sign-out":
            return _sign_out(request, who, form.get("everywhere") == "1")
    if who is None:
        if method != "GET":
            return _error(request, 403, "csrf")
        return _redirect(request, "/console/sign-in?" + urlencode({"next": path}))
    principal = Principal.from_claims(who.claims())
    try:
        if path == "/console" and method == "GET":
            return _home(request, who, principal)
        if path == "/console/batches/new" and method == "GET":
            return _batch_form(request, who, principal)
        if path == "/console/batches" and method == "POST":
            return _request_batch(request, who, principal, form)
        ctx = _ctx(request, who, principal, form)
        for page_route in PAGE_MODULES:
            done = page_route(ctx)
            if done is not None:
                return _outcome(request, who, done)
        parts = path.split("/")
        if len(parts) >= 5 and parts[2] == "batches" and "/".join(parts[4:]) in activation.STEPS:
            answer = _activation(request, who, principal, parts[3], "/".join(parts[4:]), form)
            if answer is not None:
                return answer
        if len(parts) == 4 and parts[2] == "batches" and method == "GET":
            return _batch(request, who, principal, parts[3])
    except Forbidden:
        return _error(request, 403, "forbidden", who)
    except DomainError as exc:
        if exc.status == 404:
            return _error(request, 404, "not_found", who)
        return _domain_error(request, exc, who)
    return _error(request, 404, "not_found", who)


def stylesheet(event: Mapping[str, Any]) -> dict[str, Any]:
    """``/console/console.css``: the one stylesheet, cached a day, revalidated by its ETag."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    common = {"ETag": frame.CSS_ETAG, "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    if headers.get("if-none-match") == frame.CSS_ETAG:
        return {"statusCode": 304, "headers": common, "body": ""}
    return {"statusCode": 200, "headers": {**common, "Content-Type": "text/css; charset=utf-8"}, "body": frame.CSS}


def handle(event: Mapping[str, Any]) -> dict[str, Any]:
    """One console request (HTTP API payload 2.0) -> its Lambda proxy answer.

    HEAD is GET without the body (RFC 9110, 9.3.2); any method but GET, HEAD and POST is a 405
    page with ``Allow`` (and POST to a static file too): never a 404 for a path that exists."""
    http = dict((event.get("requestContext") or {}).get("http") or {})
    method = str(http.get("method", "GET")).upper()
    static = str(event.get("rawPath") or "") == frame.CSS_PATH or str(event.get("rawPath") or "").startswith(
        assets.PREFIX
    )
    if method == "HEAD":
        answer = handle(
            {**event, "requestContext": {**(event.get("requestContext") or {}), "http": {**http, "method": "GET"}}}
        )
        return {**answer, "body": "", "isBase64Encoded": False}
    if method not in ("GET", "POST") or (static and method != "GET"):
        allow = "GET, HEAD" if static else "GET, HEAD, POST"
        answer = _error(Request(event), 405, "method")
        answer["headers"]["Allow"] = allow
        return answer
    if str(event.get("rawPath") or "") == frame.CSS_PATH:
        return stylesheet(event)
    if str(event.get("rawPath") or "").startswith(assets.PREFIX):
        return assets.serve(event)
    request = Request(event)
    try:
        return _route(request)
    except DomainError as exc:  # a refusal outside a page's own handling (503 when DynamoDB keeps failing)
        return _domain_error(request, exc, None)
