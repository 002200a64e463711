"""Public pages: a stamp's verdict (HTML or JSON), a typed code, reports of fakes, and the
GS1 Digital Link resolver.

The hot path: it imports only what a scan needs (no pydantic, numpy or boto3, and not
Powertools' event handler: ``api.public_router`` routes the events, issue 10) and answers
a scan in at most three DynamoDB requests on a warm function. Forms are read with the
standard library. What only some routes use is imported by those routes: reports by the
two report routes, the Digital Link parser by the resolver routes (and the scan-fallback
queue by ``verification`` only when DynamoDB refused a write).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from aws_lambda_powertools.logging import correlation_paths

from ocop_stamps.api.public_router import PublicRouter, Response, error_body, error_response, json_response
from ocop_stamps.api.scan_answers import machine_answer, safe_render
from ocop_stamps.api.startup import request_budget, start
from ocop_stamps.codes.labels import public_base_url
from ocop_stamps.codes.scheme import normalize
from ocop_stamps.codes.typed import unwrap
from ocop_stamps.core.errors import DomainError, NotFound, Unavailable
from ocop_stamps.core.settings import get_settings
from ocop_stamps.core.vocabulary import LOOKUP, ScanKind
from ocop_stamps.observability import logger, metrics, tracer
from ocop_stamps.pages import scan_page
from ocop_stamps.pages.negotiation import (
    CORS,
    HTML,
    LINKSET,
    NO_STORE,
    PUBLIC_DAY,
    choose_lang,
    read_form,
    wants,
    wants_json,
)
from ocop_stamps.scanning import edge, verification
from ocop_stamps.scanning.traffic import classify
from ocop_stamps.scanning.verification import ScanContext, lookup, verify

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

start()
app = PublicRouter()  # paths and small forms only: validated by hand, no pydantic here
PAGE_HEADERS = {**NO_STORE, **scan_page.HTML_HEADERS}


@app.exception_handler(DomainError)
def _domain(exc: DomainError) -> Response:
    return json_response(exc.status, exc.body(), {**NO_STORE, **exc.headers()})


@app.not_found
def _no_route() -> Response:
    """A public address no route answers (``/v/CODE/extra``, ``/v/CODE//``): 404 in the error
    shape, or a page for a browser, as the Digital Link's 400 answers."""
    headers, query = _request()
    accept = headers.get("accept", "")
    if wants(accept, "text/html") and not wants_json(accept):
        return _html(404, scan_page.render_no_page(choose_lang(query, headers)))
    return error_response(404, "route_not_found", "No such page.", "Không có trang này.", headers={**NO_STORE})


def _not_allowed(allow: str) -> Response:
    """405 in the error shape, with the methods the address answers in ``Allow``."""
    return error_response(
        405,
        "method_not_allowed",
        f"This address answers only {allow}.",
        f"Địa chỉ này chỉ nhận các phương thức {allow}.",
        headers={**CORS, **NO_STORE, "Allow": allow},
    )


def _request() -> tuple[dict[str, str], dict[str, str]]:
    return app.request.headers, app.request.query


def _context(headers: dict[str, str], channel: str) -> ScanContext:
    seen = edge.viewer(headers, app.request.source_ip)  # place and address: CloudFront's only with its secret
    return ScanContext(
        source_ip=seen.address,
        user_agent=headers.get("user-agent"),
        headers=seen.headers,
        channel=channel,
    )


def _base() -> str:
    return public_base_url(get_settings().public_base_url, app.request.raw_event)


def _html(status: int, body: str, extra: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=HTML, body=body, headers={**PAGE_HEADERS, **(extra or {})})


def _answer_scan(
    code: str,
    channel: str,
    path: str | None,
    expected_gtin: str | None = None,
    extra: dict[str, str] | None = None,
    label_lot: str | None = None,
) -> Response:
    headers, query = _request()
    traffic = classify(app.request.method, headers)  # only a person's scan counts (issue 11)
    try:
        result = verify(
            code,
            _context(headers, channel),
            _base(),
            expected_gtin=expected_gtin,
            label_lot=label_lot,
            view_token=query.get("view"),
            traffic=traffic,
        )
    except Unavailable as exc:  # no verdict now, none guessed; the scan itself is queued (issue 13)
        return _unavailable(exc, code, extra)
    if traffic.kind != ScanKind.person and not result.get("retry_after"):
        return machine_answer(traffic, result, headers, query, extra or {})
    if result.get("retry_after"):  # too many unknown codes from this client: slow down
        return _slow_down(result["code"], result["retry_after"], extra)
    status = 404 if result["verdict"] == "unknown" else 200
    if wants_json(headers.get("accept", "")):
        return json_response(status, result, {**NO_STORE, **(extra or {})})
    lang = choose_lang(query, headers)
    return _html(status, safe_render(result, lang, path), {"Content-Language": lang, **(extra or {})})


def _unavailable(
    exc: Unavailable, code: str, extra: dict[str, str] | None, *, report: bool = False, lang: str | None = None
) -> Response:
    """503 with Retry-After: JSON in the error shape for an app, a page that claims nothing for a person."""
    headers, query = _request()
    extra = {**(extra or {}), **exc.headers()}
    if wants_json(headers.get("accept", "")):
        return json_response(exc.status, exc.body(), {**NO_STORE, **extra})
    lang = lang or choose_lang(query, headers)
    page = scan_page.render_unavailable(code[:64], lang, report=report)
    return _html(exc.status, page, {"Content-Language": lang, **extra})


def _slow_down(code: str, retry_after: int, extra: dict[str, str] | None = None) -> Response:
    """429 for a lookup past the client's limit, whichever way the code was asked about: wait
    about N minutes and check the code -- never "not issued" or "may be counterfeit" (a
    person who mistyped a real code reads this page)."""
    headers, query = _request()
    accept = headers.get("accept", "")
    more = {**NO_STORE, **(extra or {}), "Retry-After": str(retry_after)}
    if app.request.method == "HEAD":
        return Response(status_code=429, body="", headers=more)
    if wants_json(accept) or wants(accept, LINKSET):
        vi, en = scan_page.slow_down_messages(retry_after)
        return json_response(429, error_body("too_many_requests", en, vi), more)
    lang = choose_lang(query, headers)
    return _html(429, scan_page.render_slow_down(code, retry_after, lang), {"Content-Language": lang, **more})


# --- a stamp's page -------------------------------------------------------------------------
# Also /V/{CODE} (a QR encoded in upper case, alphanumeric mode) and a trailing slash; the code
# itself is read by codes.typed (separators, case, a Vietnamese keyboard's accents).
STAMP_PAGE = "/[vV]/<code>/?"
STAMP_METHODS = "GET, HEAD, OPTIONS"


@app.route(STAMP_PAGE, method=["GET", "HEAD", "OPTIONS"])
def scan(code: str) -> Response:
    """A stamp's page; HEAD answers as GET without a body and counts nothing (link checkers)."""
    _, query = _request()
    method = app.request.method
    if method == "OPTIONS":
        return Response(status_code=204, body="", headers={**CORS, "Allow": STAMP_METHODS})
    channel = "typed" if query.get("ch") == "typed" else "qr"
    # ?lot=: the lot printed on a Digital Link label, passed on by the resolver's 307 (checked
    # against the stamp's own lot, as when the Digital Link is answered in place)
    lot = query.get("lot") or None
    own = f"{scan_page.code_path(code)}?lot={quote(lot, safe='')}" if lot else None  # the switch keeps it
    return _answer_scan(code, channel, own, extra=dict(CORS), label_lot=lot)  # HEAD: the body goes in lambda_handler


@app.route(STAMP_PAGE, method=["POST", "PUT", "PATCH", "DELETE"])
def scan_other(code: str) -> Response:  # the route names the code; it is not read
    return _not_allowed(STAMP_METHODS)


@app.route("/v", method=["GET", "HEAD"])
def typed_code() -> Response:
    """The form to type a code (``/v``), and its answer (``/v?code=…``), counted as ``typed``."""
    headers, query = _request()
    codes = {normalize(v): v.strip() for v in app.request.query_values("code") if v.strip()}
    if len(codes) > 1:  # /v?code=X&code=Y: which one was meant cannot be known
        return error_response(
            400,
            "repeated_parameter",
            "The query parameter 'code' is given more than once, with different values.",
            "Tham số `code` xuất hiện nhiều lần với các giá trị khác nhau.",
            {"parameter": "code"},
        )
    code = unwrap(next(iter(codes.values()), ""))  # a whole label URL pasted in: its code (before the cut to 64)
    lang = choose_lang(query, headers)
    if not code:
        if wants_json(headers.get("accept", "")):
            return error_response(400, "missing_code", "Give ?code=….", "Hãy cho tham số `?code=…`.")
        return _html(200, scan_page.render_lookup(lang))
    code = _without_pin(code)
    return _answer_scan(code[:64], "typed", f"/v?code={quote(code[:64], safe='')}")


def _without_pin(typed: str) -> str:
    """A code typed with a scratch-off PIN after it ("<code> 1234 5678") is the code alone
    (``scanning.sms.without_pin``; imported only for a typed text longer than a code)."""
    if len(normalize(typed)) <= 16:
        return typed
    from ocop_stamps.scanning.sms import without_pin

    return without_pin(typed)


# --- reports of suspected fakes -------------------------------------------------------------
@app.post("/v/<code>/report")
def report(code: str) -> Response:
    from ocop_stamps.scanning.limits import RateLimited
    from ocop_stamps.scanning.reports import report_key, submit_report

    headers, query = _request()
    key = report_key(code)
    raw = app.request.raw_event  # as the gateway sent it: read_form refuses what cannot be read
    form = read_form(raw.get("body"), headers.get("content-type", ""), base64_encoded=bool(raw.get("isBase64Encoded")))
    as_json = "application/json" in headers.get("content-type", "") or wants_json(headers.get("accept", ""))
    lang = choose_lang({**query, **({"lang": form["lang"]} if form and "lang" in form else {})}, headers)
    if form is None:
        if as_json:
            return error_response(400, "bad_request", "Unreadable form.", "Không đọc được biểu mẫu.")
        return _html(400, scan_page.render_report_form(key, lang, invalid=True))
    try:
        saved = submit_report(key, form.get("where"), form.get("note"), _context(headers, "web"))
    except Unavailable as exc:  # neither the log table nor the fallback queue took it: say so
        if as_json:
            raise
        return _unavailable(exc, key, None, report=True, lang=lang)
    except DomainError:
        if as_json:
            raise
        return _html(400, scan_page.render_report_form(key, lang, invalid=True))
    except RateLimited as limited:  # past the client's or the code's report limit: thanks, already received
        more = {**NO_STORE, "Retry-After": str(limited.retry_after)}
        if as_json:
            vi, en = scan_page.report_limited_messages(key, limited.limit, limited.retry_after)
            return json_response(429, error_body("too_many_requests", en, vi), more)
        page = scan_page.render_report_limited(key, limited.limit, limited.retry_after, lang)
        return _html(429, page, {"Content-Language": lang, **more})
    if as_json:
        return json_response(201, saved, NO_STORE)
    see = f"{scan_page.code_path(key)}/report?sent=1&{scan_page.lang_query(lang)}"
    return Response(status_code=303, body="", headers={"Location": see, **NO_STORE})


@app.route("/v/<code>/report", method=["GET", "HEAD"])
def report_page(code: str) -> Response:
    from ocop_stamps.scanning.reports import report_key

    headers, query = _request()
    key = report_key(code)
    lang = choose_lang(query, headers)
    if query.get("sent") == "1":
        return _html(200, scan_page.render_report_thanks(key, lang))
    return _html(200, scan_page.render_report_form(key, lang))


# --- the scratch-off PIN of a two-layer stamp (issue 14, docs/PIN.md) -----------------------


@app.route("/v/<code>/pin", method=["GET", "HEAD"])
def pin_address(code: str) -> Response:
    """The address a PIN form posts to, opened again (reloaded, bookmarked, shared): 303 to the
    stamp's page, where the form is. Nothing is counted here; the page counts as any visit."""
    headers, query = _request()
    see = f"{scan_page.code_path(normalize(code)[:32])}?{scan_page.lang_query(choose_lang(query, headers))}"
    return Response(status_code=303, body="", headers={"Location": see, **NO_STORE})


@app.post("/v/<code>/pin")
def claim_pin(code: str) -> Response:
    """A buyer's PIN: a form from the stamp's page (works without JavaScript) or JSON
    ``{"pin"}``; ``ref`` (form) or ``Idempotency-Key`` names the request, so a resubmission
    of a first claim answers ``first`` again. Answered 200 with the outcome, whatever it is."""
    from ocop_stamps.scanning.pins import NoPin, NotClaimable, bad_pin, check_pin

    headers, query = _request()
    raw = app.request.raw_event
    form = read_form(raw.get("body"), headers.get("content-type", ""), base64_encoded=bool(raw.get("isBase64Encoded")))
    as_json = "application/json" in headers.get("content-type", "") or wants_json(headers.get("accept", ""))
    lang = choose_lang({**query, **({"lang": form["lang"]} if form and "lang" in form else {})}, headers)
    shown = normalize(code)[:32]
    ref = ((form or {}).get("ref") or headers.get("idempotency-key") or "")[:200]
    try:
        if form is None:
            raise bad_pin()
        result = check_pin(code, form.get("pin"), _context(headers, "web"), ref=ref or None, base_url=_base())
    except Unavailable as exc:
        if as_json:
            raise
        return _unavailable(exc, shown, None, lang=lang)
    except DomainError as exc:
        if as_json:
            raise
        message = exc.message if lang == "en" else exc.message_vi
        page = scan_page.render_pin_refused(
            shown, message, lang, ref, form=not isinstance(exc, NoPin | NotFound | NotClaimable)
        )
        return _html(exc.status, page, {"Content-Language": lang})
    if as_json:
        return json_response(200, result, NO_STORE)
    return _html(200, scan_page.render_pin(result, lang, ref), {"Content-Language": lang})


# --- GS1 Digital Link resolver --------------------------------------------------------------
def _bad_link(message: str) -> Response:
    from ocop_stamps.scanning.digital_link import CONTEXT_LINK

    headers, query = _request()
    extra = {**CORS, **NO_STORE, "Link": CONTEXT_LINK}  # every Digital Link answer names the JSON-LD context
    if wants_json(headers.get("accept", "")) or wants(headers.get("accept", ""), LINKSET):
        vi = "Đường dẫn không đúng định dạng GS1 Digital Link."
        return json_response(400, {"error": {"code": "bad_digital_link", "message": message, "message_vi": vi}}, extra)
    return Response(
        status_code=400,
        content_type=HTML,
        body=scan_page.render_bad_link(choose_lang(query, headers)),
        headers={**extra, **scan_page.HTML_HEADERS},
    )


def _not_found(what: str = "stamp") -> Response:
    en, vi = {
        "stamp": ("No stamp with this code for this GTIN.", "Không có tem nào với mã này cho mã GTIN này."),
        "item": (
            "No product with this GTIN, or no lot with this code for it.",
            "Không có sản phẩm nào mang mã GTIN này, hoặc sản phẩm không có lô mang mã này.",
        ),
        "link_type": (
            "No link of the requested type for this item (see ?linkType=linkset).",
            "Không có liên kết thuộc loại được yêu cầu cho mặt hàng này (xem `?linkType=linkset`).",
        ),
    }[what]
    from ocop_stamps.scanning.digital_link import CONTEXT_LINK

    extra = {**CORS, **NO_STORE, "Link": CONTEXT_LINK}  # every Digital Link answer names the JSON-LD context
    return json_response(404, error_body("not_found", en, vi), extra)


def _query_pairs() -> list[tuple[str, str]]:
    """The request's query pairs in order, repeated ones kept (what a redirect passes on)."""
    raw = str(app.request.raw_event.get("rawQueryString") or "")
    return parse_qsl(raw, keep_blank_values=True) if raw else list(app.request.query.items())


@app.route("/01/.+", method=["GET", "HEAD", "OPTIONS"])
def digital_link() -> Response:
    """The GS1 Digital Link resolver (``scanning.digital_link``; docs/DIGITAL-LINK.md)."""
    from ocop_stamps.scanning import digital_link as dl

    method = app.request.method
    if method == "OPTIONS":
        return Response(status_code=204, body="", headers={**CORS, "Allow": "GET, HEAD, OPTIONS"})
    try:  # the path less the stage, encoded (local stack) or decoded (HTTP API): both read alike
        link = dl.read_serial(dl.parse_path(app.request.path))
    except dl.BadLink as exc:
        return _bad_link(str(exc))
    headers, _ = _request()
    accept = headers.get("accept", "")
    link_types = {dl.link_type_name(v) for v in app.request.query_values("linkType")}
    if len(link_types) > 1:  # which was meant cannot be known; the same one twice is read once
        return error_response(
            400,
            "repeated_parameter",
            "The query parameter 'linkType' is given more than once, with different values.",
            "Tham số loại liên kết (`linkType`) xuất hiện nhiều lần với các giá trị khác nhau.",
            {"parameter": "linkType"},
            headers={**CORS, **NO_STORE, "Link": dl.CONTEXT_LINK},
        )
    link_type = next(iter(link_types), None)
    wants_linkset = link_type == "linkset" or (link_type is None and wants(accept, LINKSET))
    if link.serial is None:  # HEAD: the body goes in lambda_handler
        return _walk_up(dl, link, link_type, wants_linkset)
    return _stamp_link(dl, link, link_type, wants_linkset)


def _stamp_link(dl: Any, link: Any, link_type: str | None, wants_linkset: bool) -> Response:
    """A stamp's Digital Link: the page in place, the linkset, or a 307 (never counted here)."""
    headers, _ = _request()
    base = _base()
    anchor = base + link.path()
    links = dl.stamp_links(base, link.serial)
    extra = {**CORS, "Link": dl.link_header(anchor, links)}
    pairs = _query_pairs()
    in_place = link_type is None and not wants_linkset and {k for k, _ in pairs} <= dl.PAGE_PARAMETERS
    if in_place and app.request.method == "GET":  # the default link's content, counted as a scan
        return _answer_scan(link.serial, "qr", link.path(), expected_gtin=link.gtin, extra=extra, label_lot=link.lot)
    # Metadata and redirects never count as a scan (only the page or its JSON does), but an
    # unknown code is logged and counts against the client's limit, as on /v. A redirect to
    # the default link is not logged when the code is known: the page it leads to logs the scan.
    offered = {"linkset", *(x.link_type for x in links)}
    named = link_type if link_type in offered else "other"  # the log keeps no free text from the query
    asked = (
        "HEAD"
        if app.request.method == "HEAD"
        else f"linkType={named}"
        if link_type is not None
        else "Accept: linkset"
        if wants_linkset
        else "default link"
    )
    default_hop = link_type is None and not wants_linkset and app.request.method == "GET"
    found = lookup(
        link.serial, _context(headers, "link"), expected_gtin=link.gtin, asked=asked, log_found=not default_hop
    )
    if found.get("retry_after"):
        return _slow_down(found["code"], found["retry_after"], extra)
    if found["verdict"] != LOOKUP:
        return _not_found()
    cache = {"Cache-Control": "public, max-age=300", "Vary": "Accept"}
    if in_place:  # HEAD of the page: its headers, nothing counted
        return Response(status_code=200, body="", content_type=HTML, headers={**extra, **NO_STORE})
    if wants_linkset:
        lot_code = verification.lot_code_of(found.get("lot_id"))
        name, name_en = str(found.get("product_name") or link.serial), found.get("product_name_en")
        contexts = [(level, dl.item_description(level, name, name_en)) for level in dl.levels(link, lot_code)]
        body = json.dumps(dl.linkset(base, contexts), ensure_ascii=False, separators=(",", ":"))
        return Response(status_code=200, content_type=LINKSET, body=body, headers={**extra, **cache})
    pairs = pairs if link.lot is None else [("lot", link.lot), *pairs]  # the label's lot, checked by the page
    target = dl.redirect_target(links, dl.DEFAULT_LINK_TYPE if link_type is None else link_type, pairs)
    if target is None:
        return _not_found("link_type")
    return Response(
        status_code=307, body="", headers={**extra, **(NO_STORE if default_hop else cache), "Location": target}
    )


def _walk_up(dl: Any, link: Any, link_type: str | None, wants_linkset: bool) -> Response:
    """A GTIN, or a GTIN and a lot: the product's or the lot's page. Reads only -- no verdict,
    nothing counted, nothing logged (there is no stamp)."""
    headers, query = _request()
    found = verification.catalog_at(link.gtin, link.lot)
    if found is None:
        return _not_found("item")
    base = _base()
    links = dl.catalog_links(base, link)
    extra = {**CORS, "Link": dl.link_header(base + link.path(), links)}
    cache = {"Cache-Control": "public, max-age=300", "Vary": "Accept, Accept-Language"}
    pairs = _query_pairs()
    if wants_linkset:
        name, name_en = str(found["product"].get("name") or link.gtin), found["product"].get("name_en")
        contexts = [(level, dl.item_description(level, name, name_en)) for level in dl.levels(link)]
        body = json.dumps(dl.linkset(base, contexts), ensure_ascii=False, separators=(",", ":"))
        return Response(status_code=200, content_type=LINKSET, body=body, headers={**extra, **cache})
    in_place = link_type is None and {k for k, _ in pairs} <= dl.PAGE_PARAMETERS
    if in_place or link_type == dl.DEFAULT_LINK_TYPE:  # the resolver hosts these pages itself
        if wants_json(headers.get("accept", "")):
            return json_response(200, found, {**extra, **cache})
        lang = choose_lang(query, headers)
        from ocop_stamps.pages import catalog_page  # only walk-ups need it

        own = links[0].href.removeprefix(base)
        page = catalog_page.render_catalog(found, lang, path=own)
        return _html(200, page, {**extra, **cache, "Content-Language": lang})
    target = dl.redirect_target(links, dl.DEFAULT_LINK_TYPE if link_type is None else link_type, pairs)
    if target is None:
        return _not_found("link_type")
    return Response(status_code=307, body="", headers={**extra, **cache, "Location": target})


@app.route("/01/.+", method=["POST", "PUT", "PATCH", "DELETE"])
def digital_link_other() -> Response:
    return _not_allowed("GET, HEAD, OPTIONS")


@app.route("/.well-known/gs1resolver", method=["GET", "HEAD"])
def resolver_description() -> Response:
    from ocop_stamps.scanning import digital_link as dl

    return json_response(200, dl.resolver_description(_base()), {**CORS, **PUBLIC_DAY})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with request_budget(context):  # DynamoDB retries end well inside the function's 10 s
        answer = app.resolve(event, context)
    if (event.get("requestContext") or {}).get("http", {}).get("method") == "HEAD":
        # every public GET answers HEAD as GET without the body (RFC 9110 §9.3.2): link checkers
        # and previews; a HEAD is never a person, so it counts nothing (``classify``)
        answer = {**answer, "body": "", "isBase64Encoded": False}
    return answer
