"""The console's page frame: escaping, the layout every page shares, the stylesheet, the headers.

Rules every page follows (as ``pages.scan_page``): every value goes through ``e`` (HTML-escaped,
quotes included); texts come from the catalogue (``core.words``, keys ``console.*``) and
placeholders are filled with values escaped first; no script, no inline style, nothing from
another origin. The stylesheet is served by the console itself (``/console/console.css``),
written for a 360-px phone first; the Content-Security-Policy allows only this origin
(``default-src 'self'``) and, for the sign-out redirect, Cognito's hosted domain as a form target.
Standard library only (``core``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from html import escape
from typing import Any

from ocop_stamps.core import words

CSS = (
    "*{box-sizing:border-box}"
    "html{-webkit-text-size-adjust:100%}"
    "body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fff}"
    ".skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}.skip:focus{left:.5rem}"
    "header{background:#7a1f1f;color:#fff}"
    ".bar{max-width:64rem;margin:0 auto;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}"
    ".bar a{color:#fff}.brand{font-weight:700;margin-right:auto;text-decoration:none}"
    ".bar form{margin:0}.who{font-size:.9rem;overflow-wrap:anywhere}"
    ".bar button{background:#fff;color:#7a1f1f;border:0;min-height:44px;width:auto;padding:.4rem .9rem}"
    "main{max-width:64rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.4rem;margin:.25rem 0 1rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}"
    "a{color:#0b4f9c}a.lang{display:inline-block;min-height:44px;line-height:44px}"
    ":focus-visible{outline:3px solid #b35c00;outline-offset:2px}"
    ".cards{list-style:none;padding:0;margin:0;display:grid;gap:.75rem}"
    "@media(min-width:40rem){.cards{grid-template-columns:repeat(auto-fill,minmax(18rem,1fr))}}"
    ".card{border:1px solid #c4c4c4;border-radius:.5rem;padding:.75rem}"
    ".card h3{font-size:1.05rem;margin:0 0 .4rem;overflow-wrap:anywhere}"
    # minmax(0, ...) and overflow-wrap: a long word wraps inside its column instead of pushing
    # the page sideways with text at 200 % on a 360-px phone (WCAG 1.4.4, 1.4.10)
    "dl{display:grid;grid-template-columns:minmax(0,max-content) minmax(0,1fr);gap:.2rem .75rem;margin:0}"
    "dt{color:#444;font-weight:600;overflow-wrap:anywhere}dd{margin:0;overflow-wrap:anywhere}"
    "main h2,main h3,main p,main li,main a,main label,main legend{overflow-wrap:anywhere}"
    ".counts{grid-template-columns:repeat(4,minmax(0,1fr))}"
    ".counts dt,.counts dd{text-align:center}.counts dd{font-size:1.15rem;font-weight:700;grid-row:2}"
    ".ok{color:#0b5d27}.bad{color:#a11d1d;font-weight:600}"
    ".note{background:#e8f5ec;color:#0b4d22;border-left:4px solid #0b6b2e;padding:.5rem .75rem}"
    ".alert{background:#fdecec;color:#6e1212;border-left:4px solid #a11d1d;padding:.5rem .75rem}"
    ".muted{color:#555}"
    "form.stack{display:grid;gap:.35rem;max-width:30rem}"
    "label{font-weight:600;margin-top:.5rem}"
    "input,select,textarea,button{font:inherit;padding:.6rem;border:1px solid #767676;border-radius:.4rem;width:100%;"
    "min-height:44px;background:#fff;color:#1b1b1b}"
    "button,.button{background:#0b4f9c;color:#fff;border:1px solid #0b4f9c;font-weight:600;cursor:pointer}"
    ".button{display:inline-block;padding:.6rem 1rem;border-radius:.4rem;text-decoration:none;min-height:44px}"
    ".err{color:#a11d1d;font-weight:600;margin:0}"
    "[aria-invalid=true]{border:2px solid #a11d1d}"
    ".users{list-style:none;padding:0;display:grid;gap:.5rem;max-width:30rem}"
    # activation by camera (console.activation_views)
    "[hidden]{display:none!important}"  # a class's display never shows what is hidden
    ".vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}"
    ".hint{margin:0;color:#555;font-size:.9rem}"
    "button.quiet{background:#fff;color:#0b4f9c}"
    ".camera{display:grid;gap:.35rem}.camera video{width:100%;max-height:60vh;background:#000;border-radius:.4rem}"
    ".status:empty{display:none}"
    # lots, print, void and recall pages
    ".actions{display:flex;flex-wrap:wrap;gap:.5rem}.hint{margin:0;font-size:.9rem}"
    "fieldset{border:1px solid #c4c4c4;border-radius:.4rem;padding:.5rem .75rem;margin:0}legend{font-weight:600}"
    ".choice{display:flex;gap:.5rem;align-items:center;min-height:44px}"
    ".choice input{width:1.4rem;min-height:1.4rem;margin:0}.choice label{margin:0;font-weight:400}"
    ".preview img{display:block;max-width:none;border:1px dashed #767676;background:#fff}"
    ".preview{margin:1rem 0}figcaption{font-size:.9rem;color:#444}progress{width:100%;height:1.5rem}"
    ".seen{border:2px solid #a11d1d;border-radius:.5rem;padding:.5rem .75rem;margin:.5rem 0}"
    ".seen-title{font-weight:700;color:#a11d1d;font-size:1.1rem}"
    "blockquote{margin:.25rem 0;padding-left:.75rem;border-left:3px solid #c4c4c4}"
    "button.danger{background:#a11d1d;border-color:#a11d1d}"
    # the footer: sign out on every device
    "footer{max-width:64rem;margin:2rem auto 0;padding:1rem;border-top:1px solid #c4c4c4}"
    "footer form{margin:0}footer button{background:#fff;color:#0b4f9c;width:auto}footer p{font-size:.9rem}"
    # inspector: tables, the summary's charts, the field check
    "table{border-collapse:collapse}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #c4c4c4}"
    "caption{text-align:left;font-weight:600}.scroll{overflow-x:auto}td.num{text-align:right}"
    ".chart{margin:0 0 1rem}.chart svg{display:block;max-width:100%;height:auto}"
    "summary{min-height:44px;line-height:44px;cursor:pointer}"
    # process steps on the lot form, void by code
    "fieldset.step{display:grid;gap:.35rem}.actions button{width:auto}"
)
CSS_PATH = "/console/console.css"
CSS_ETAG = '"' + hashlib.sha256(CSS.encode()).hexdigest()[:16] + '"'


def csp(form_targets: Iterable[str] = ()) -> str:
    """The Content-Security-Policy of every console page: this origin only, no inline anything.
    ``form_targets``: other origins a form may end at (Cognito's hosted domain, for sign-out)."""
    targets = " ".join(["'self'", *form_targets])
    return (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        f"form-action {targets}; frame-ancestors 'none'"
    )


def headers(form_targets: Iterable[str] = ()) -> dict[str, str]:
    """Headers of every console page: HTML, CSP, no caching of a signed-in page, no referrer."""
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": csp(form_targets),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


def e(value: Any) -> str:
    """HTML-escaped text (quotes too); None is empty."""
    return escape("" if value is None else str(value), quote=True)


def t(key: str, lang: str, **values: Any) -> str:
    """A ``console.*`` text in ``lang``, placeholders filled with escaped values."""
    return words.text(f"console.{key}", lang, **{k: e(v) for k, v in values.items()})


def other(lang: str) -> str:
    return "vi" if lang == "en" else "en"


def page(
    lang: str,
    title: str,
    body: str,
    *,
    who: str | None = None,
    csrf: str | None = None,
) -> str:
    """The whole document: skip link, header (site, language switch, who is signed in and the
    sign-out form), ``body`` (already HTML) in ``main``, and a footer with "sign out on every
    device" when signed in. ``title`` is escaped here."""
    switch = other(lang)
    switch_label = words.text("page.switch", lang)
    signed = footer = ""
    if who is not None and csrf is not None:
        footer = (
            '<footer><form method="post" action="/console/sign-out">'
            f'<input type="hidden" name="csrf" value="{e(csrf)}">'
            f'<button type="submit" name="everywhere" value="1">{t("sign_out_everywhere", lang)}</button>'
            f'</form><p class="muted">{t("sign_out_everywhere_hint", lang)}</p></footer>'
        )
        signed = (
            f'<span class="who">{t("signed_in_as", lang, name=who)}</span>'
            '<form method="post" action="/console/sign-out">'
            f'<input type="hidden" name="csrf" value="{e(csrf)}">'
            f'<button type="submit">{t("sign_out", lang)}</button></form>'
        )
    return (
        f'<!doctype html><html lang="{e(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)} · {t('title', lang)}</title>"
        f'<link rel="stylesheet" href="{CSS_PATH}"></head><body>'
        f'<a class="skip" href="#main">{t("skip", lang)}</a>'
        f'<header><nav class="bar" aria-label="{t("nav", lang)}">'
        f'<a class="brand" href="/console">{e(words.text("site", lang))} · {t("title", lang)}</a>'
        f'<a class="lang" href="?lang={switch}" lang="{switch}" hreflang="{switch}">{e(switch_label)}</a>'
        f"{signed}</nav></header>"
        f'<main id="main"><h1>{e(title)}</h1>{body}</main>{footer}</body></html>'
    )


def error_body(lang: str, message: str, message_other: str, *, home: bool = True) -> str:
    """An error's words in this language and, below, in the other (both always shown)."""
    back = f'<p><a href="/console">{t("back", lang)}</a></p>' if home else ""
    return (
        f'<p class="alert" role="alert">{e(message)}</p>'
        f'<p class="muted" lang="{other(lang)}">{e(message_other)}</p>{back}'
    )
