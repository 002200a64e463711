"""The page a machine gets for a stamp's link: Open Graph tags, no verdict, no count.

Chat apps and social networks fetch a shared link to draw its card; search crawlers and
mail scanners fetch it too (``scanning.traffic``). None of them is a person checking a
product, so none is told a verdict or a count -- the page says what the label is for
(product, producer, OCOP stars) so that a seller's shared link still looks right in the
chat, and the person who taps it gets the real check. ``noindex``: a stamp's page is one
item's, not a page for search results.

Every value is escaped; the image only if ``scan_page.safe_http_url`` accepts it; the
stylesheet is ``scan_page.CSS``, whose hash the page's Content-Security-Policy pins.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html import escape
from typing import Any

from ocop_stamps.core import words
from ocop_stamps.core.vocabulary import LANGS, VN_TZ, RatingStatus
from ocop_stamps.pages.scan_page import CSS, SITE, safe_http_url

TEXT: dict[str, tuple[str, str]] = words.section("preview")


def _t(key: str, lang: str, **values: str) -> str:
    vi, en = TEXT[key]
    return (en if lang == "en" else vi).format(**values)


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def stars_of(product: dict[str, Any]) -> int | None:
    """The product's OCOP stars while its rating is valid; None if lapsed, withdrawn or absent."""
    ocop = product.get("ocop")
    if not isinstance(ocop, dict):
        return None
    status = ocop.get("status")
    if status is None:  # judged by the date, as the scan page does
        until = str(ocop.get("valid_until") or "")
        lapsed = bool(until) and until < dt.datetime.now(VN_TZ).date().isoformat()
        status = RatingStatus.lapsed if lapsed else RatingStatus.valid
    try:
        stars = int(Decimal(str(ocop.get("stars"))))  # an int, a float or DynamoDB's Decimal
    except (ArithmeticError, ValueError):
        return None
    return stars if status == RatingStatus.valid and 1 <= stars <= 5 else None


def card(result: dict[str, Any], lang: str) -> dict[str, str]:
    """Title, description, site name, URL and image of a stamp's link card (plain text)."""
    lang = lang if lang in LANGS else "vi"
    product = result.get("product") or {}
    producer = result.get("producer") or {}
    site = SITE[1] if lang == "en" else SITE[0]
    name = (product.get("name_en") if lang == "en" else None) or product.get("name")
    if not name:  # a code we did not issue, or no product: a card for the service itself
        return {"title": site, "description": _t("generic", lang), "site_name": site}
    stars = stars_of(product)
    parts = [str(producer["name"])] if producer.get("name") else []
    if stars:
        parts.append(_t("stars", lang, n=str(stars)) + " " + "★" * stars)
    out = {"title": str(name), "description": " · ".join(parts) or _t("generic", lang), "site_name": site}
    if result.get("label_url"):
        out["url"] = str(result["label_url"])
    image = safe_http_url(product.get("image_url"))
    if image:
        out["image"] = image
    return out


def render_preview(result: dict[str, Any], lang: str = "vi") -> str:
    """The whole document for a preview or a bot: Open Graph and Twitter card tags, and a
    short body with the same facts. No verdict, no count, no language switch."""
    lang = lang if lang in LANGS else "vi"
    c = card(result, lang)
    meta = [
        '<meta property="og:type" content="website">',
        f'<meta property="og:site_name" content="{_e(c["site_name"])}">',
        f'<meta property="og:title" content="{_e(c["title"])}">',
        f'<meta property="og:description" content="{_e(c["description"])}">',
        f'<meta property="og:locale" content="{"en_US" if lang == "en" else "vi_VN"}">',
        '<meta name="twitter:card" content="summary">',
        f'<meta name="description" content="{_e(c["description"])}">',
    ]
    if "url" in c:
        meta.append(f'<meta property="og:url" content="{_e(c["url"])}">')
    if "image" in c:
        meta.append(f'<meta property="og:image" content="{_e(c["image"])}">')
    title = c["title"] if c["title"] == c["site_name"] else f"{c['title']} — {c['site_name']}"
    body = f"<h1>{_e(c['title'])}</h1><p>{_e(c['description'])}</p><p>{_t('scan', lang)}</p>"
    return (
        f"<!doctype html>\n<html lang={lang}><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        '<meta name=robots content="noindex"><meta name=referrer content=no-referrer><link rel=icon href="data:,">'
        f"{''.join(meta)}<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"<header><span class=brand>{_e(c['site_name'])}</span></header><main>{body}</main></body></html>"
    )
