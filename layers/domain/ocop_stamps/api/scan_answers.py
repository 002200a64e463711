"""How the public function answers a stamp's page beyond the person's full page (issue 11).

- ``machine_answer``: a preview, bot, prefetch or HEAD (``scanning.traffic``) -- the
  verdict and count are never sent to a machine:

  ============  ==========================================================================
  kind          answer
  ============  ==========================================================================
  ``preview``   200 (404 for a code we did not issue): the Open Graph page
                (``pages.preview_page``) or, for ``Accept: application/json``, the same
                facts as JSON (``kind``, code, product, producer, ``card``)
  ``bot``       the same as a preview, with ``X-Robots-Tag: noindex``
  ``prefetch``  **503** with ``Retry-After``: a browser discards a prefetch or prerender
                answered with a status other than 2xx and fetches the page again when the
                person really opens it -- that request counts. A 200 (even ``no-store``)
                could be kept and shown later as the person's page, without a verdict.
  ``head``      the page's status and headers, no body
  ============  ==========================================================================

  All are ``Cache-Control: no-store``; an unknown code limited for guessing is a 429 as
  for a person.
- ``safe_render``: the person's page, or, if rendering fails, ``pages.safe_page``'s minimal
  page with the verdict and a retry link that re-shows this scan without counting it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ocop_stamps.api.public_router import Response, json_response
from ocop_stamps.core.vocabulary import ScanKind
from ocop_stamps.observability import logger
from ocop_stamps.pages import scan_page
from ocop_stamps.pages.negotiation import HTML, NO_STORE, choose_lang, wants_json
from ocop_stamps.scanning.traffic import Traffic

PREFETCH_RETRY_AFTER = 600  # seconds a browser should not prefetch from us again
MACHINE_HEADERS = {**NO_STORE, **scan_page.HTML_HEADERS, "X-Robots-Tag": "noindex"}


def machine_answer(
    traffic: Traffic, result: dict[str, Any], headers: dict[str, str], query: dict[str, str], extra: dict[str, str]
) -> Response:
    """The answer to a preview, bot, prefetch or HEAD of a stamp's page (see the module docstring)."""
    out = {**MACHINE_HEADERS, **extra}
    as_json = wants_json(headers.get("accept", ""))
    if traffic.kind == ScanKind.prefetch:
        out["Retry-After"] = str(PREFETCH_RETRY_AFTER)
        if as_json:
            body = {"error": {"code": "prefetch_declined", "message": "Prefetch is not served: open the link."}}
            body["error"]["message_vi"] = "Không phục vụ tải trước: hãy mở đường dẫn."
            return json_response(503, body, out)
        return Response(503, "", out, content_type=HTML)
    status = 404 if result.get("verdict") == "unknown" else 200
    if result.get("retry_after"):  # guessing codes is slowed whoever the user agent claims to be
        status, out["Retry-After"] = 429, str(result["retry_after"])
    if traffic.kind == ScanKind.head:
        return Response(status, "", out, content_type=HTML)
    from ocop_stamps.pages import preview_page  # only machines need it

    lang = choose_lang(query, headers)
    if as_json:
        body = {k: result[k] for k in ("code", "code_display", "label_url", "product", "producer") if k in result}
        return json_response(status, {"kind": traffic.kind.value, **body, "card": preview_page.card(result, lang)}, out)
    return Response(
        status, preview_page.render_preview(result, lang), {**out, "Content-Language": lang}, content_type=HTML
    )


def safe_render(result: dict[str, Any], lang: str, path: str | None) -> str:
    """``scan_page.render``; if it fails, the minimal page that still shows the verdict."""
    try:
        return scan_page.render(result, lang, path=path)
    except Exception:
        logger.exception("scan page failed to render; the minimal page answers", extra={"code": result.get("code")})
    from ocop_stamps.pages.safe_page import render_fallback

    retry = None
    code = str(result.get("code") or "")
    if result.get("view_token") and code:
        own = path if path is not None else scan_page.code_path(code)
        token = quote(str(result["view_token"]), safe="")
        retry = f"{own}{'&' if '?' in own else '?'}{scan_page.lang_query(lang)}&view={token}"
    return render_fallback(result, lang, retry)
