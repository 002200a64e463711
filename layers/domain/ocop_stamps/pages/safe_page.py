"""The page shown when the full scan page fails to render: the verdict still gets through.

By the time a page is rendered its scan has been counted, so a page that fails would make
every retry count again (issue 11, kind 9). ``render_fallback`` takes only what the verdict
needs -- its sentence (``scanning.verdicts.MESSAGES``, in the result), the code, the scan
count -- escapes each as text, and offers a link to load the full page again that carries
the scan's view token, so that retry shows the same scan and counts nothing. It cannot
fail on stored data: a value it cannot show is left out, and if anything still goes wrong
it returns a fixed page that names the verdict.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ocop_stamps.core import words
from ocop_stamps.core.vocabulary import Verdict
from ocop_stamps.pages.scan_page import CSS, SITE

TEXT: dict[str, tuple[str, str]] = {**words.section("fallback"), "code": words.pair("page.code")}
_CSS_CLASS: dict[str, str] = {Verdict.genuine: "ok", Verdict.repeat: "warn", Verdict.not_activated: "warn"}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int = 300) -> str:
    return escape(str(value)[:limit], quote=True) if value not in (None, "") else ""


def render_fallback(result: dict[str, Any], lang: str = "vi", retry_href: str | None = None) -> str:
    """A minimal page with the verdict of ``result`` (``verification.verify``'s answer)."""
    try:
        en = lang == "en"
        verdict = str(result.get("verdict") or "unknown")
        message = _mapping(result.get("message"))
        headline = _text(message.get(lang) or message.get("vi") or verdict)
        scan = _mapping(result.get("scan"))
        rows = []
        code = _text(result.get("code_display") or result.get("code"), 64)
        if code:
            rows.append(f"<dt>{TEXT['code'][en]}</dt><dd><code>{code}</code></dd>")
        if isinstance(scan.get("count"), int):
            rows.append(f"<dt>{TEXT['count'][en]}</dt><dd>{scan['count']}</dd>")
        retry = f'<p><a href="{_text(retry_href, 2048)}">{TEXT["retry"][en]}</a></p>' if retry_href else ""
        body = (
            f'<section class="v {_CSS_CLASS.get(verdict, "bad")}" role=status data-verdict="{_text(verdict, 40)}">'
            f"<div><h1>{headline}</h1><p>{TEXT['partial'][en]}</p></div></section>"
            f"<dl>{''.join(rows)}</dl>{retry}"
        )
        return _document("en" if en else "vi", headline, body)
    except Exception:  # the last resort: a fixed page that still names the verdict
        verdict = escape(str(result.get("verdict", "unknown"))[:40]) if isinstance(result, dict) else "unknown"
        return _document("vi", verdict, f"<h1>{verdict}</h1>")


def _document(lang: str, title: str, body: str) -> str:
    site = SITE[1] if lang == "en" else SITE[0]
    return (
        f"<!doctype html>\n<html lang={lang}><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        '<meta name=referrer content=no-referrer><link rel=icon href="data:,">'
        f"<title>{title} — {site}</title><style>{CSS}</style></head><body>"
        f"<header><span class=brand>{site}</span></header><main>{body}</main></body></html>"
    )
