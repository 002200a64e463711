"""The consumer's page for one scan: server-rendered, Vietnamese first, every value escaped.

One HTML document per request, no scripts, no third-party requests (the product image
aside), one inline stylesheet whose hash is pinned by the Content-Security-Policy.
Written for a cheap phone on slow 3G: a few kilobytes compressed, readable at 320 px.

Safety rules every function here follows:

* every string a producer, admin or consumer typed goes through ``_e`` (HTML-escaped,
  quotes included) -- nothing reaches the page raw;
* a URL from data is only ever written into ``src``/``href`` after ``safe_http_url``
  accepted it (http or https with a host; anything else is dropped);
* ``tel:`` links carry digits and ``+`` only.

Texts live in the catalogue (``core.words``, keys ``page.*``; docs/WORDS.md), read here as
``TEXT`` (Vietnamese, English) pairs; ``{placeholders}`` are filled with values escaped beforehand.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from ocop_stamps.core import dates, words
from ocop_stamps.core import ocop as ocop_rules
from ocop_stamps.core.vocabulary import (
    ISSUING_LEVEL_LABELS,
    LANGS,
    OCOP_GROUP_LABELS,
    PRODUCER_KIND_LABELS,
    RATING_ACTION_LABELS,
    VN_TZ,
    VOID_REASON_LABELS,
    Label,
    RatingAction,
    RatingStatus,
    Verdict,
    VoidReason,
    ascii_text,
    current_group,
)

SITE = words.pair("site")

# --- texts: core/words (docs/WORDS.md) ---------------------------------------------------
TEXT: dict[str, tuple[str, str]] = words.section("page")

REPORT_WHERE_MAX = 120
REPORT_NOTE_MAX = 500

# --- the stylesheet (static: its hash goes into the CSP) ---------------------------------
CSS = (
    "*{box-sizing:border-box}"
    "body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fff}"
    "header,main,footer{max-width:40rem;margin:0 auto;padding:0 1rem}"
    "header{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding-top:.5rem;"
    "padding-bottom:.5rem;border-bottom:1px solid #ddd}"
    ".brand{font-weight:700;color:#7a1f1f}a{color:#0b4f9c}"
    ".lang{display:inline-block;padding:.5rem .25rem;min-height:44px;line-height:1.75}"
    ".v{border:3px solid;border-radius:.6rem;padding:1rem;margin:1rem 0;display:flex;gap:.75rem}"
    ".v svg{flex:none;width:2.5rem;height:2.5rem}.v h1{font-size:1.3rem;margin:0 0 .25rem;line-height:1.3}"
    ".v p{margin:.35rem 0}.v blockquote{margin:.5rem 0;padding:.5rem .75rem;background:#fff;border-left:4px solid}"
    ".ok{border-color:#0b6b2e;background:#e8f5ec;color:#0b4d22}"
    ".warn{border-color:#8a4b00;background:#fff4e0;color:#5c3200}"
    ".bad{border-color:#a11d1d;background:#fdecec;color:#6e1212}"
    "h2{font-size:1.1rem;margin:1.5rem 0 .5rem;padding-bottom:.2rem;border-bottom:1px solid #e3e3e3}"
    "dl{display:grid;grid-template-columns:minmax(6.5rem,35%) 1fr;gap:.3rem .75rem;margin:0}"
    "dt{font-weight:600;color:#444}dd{margin:0;overflow-wrap:anywhere}"
    ".stars{color:#8a5a00;font-size:1.3rem;letter-spacing:.1em}"
    ".pic{display:block;width:100%;max-width:20rem;height:auto;aspect-ratio:4/3;object-fit:cover;"
    "border-radius:.4rem;background:#eee;margin:.5rem 0}"
    ".tl{list-style:none;padding:0 0 0 1rem;margin:0;border-left:3px solid #c9c9c9}"
    ".tl li{position:relative;padding-bottom:.75rem}.tl li:before{content:'';position:absolute;left:-1.5rem;"
    "top:.45rem;width:.75rem;height:.75rem;border-radius:50%;background:#0b6b2e}"
    ".muted{color:#555;font-size:.92rem}.note{background:#fff4e0;color:#5c3200;padding:.5rem .75rem;border-radius:.4rem}"
    ".demo{background:#eef2ff;color:#1b1b1b;border-radius:.4rem;padding:.5rem .75rem}"
    "form{display:grid;gap:.5rem;margin:.5rem 0}label{font-weight:600}"
    "input,textarea,button{font:inherit;padding:.6rem;border:1px solid #767676;border-radius:.4rem;width:100%}"
    "button{background:#0b4f9c;color:#fff;border-color:#0b4f9c;font-weight:600;min-height:44px}"
    "details{border:1px solid #bbb;border-radius:.4rem;padding:.25rem .75rem;margin:1rem 0}"
    "summary{font-weight:600;padding:.5rem 0;min-height:44px}"
    "code{font-size:1.05rem;word-break:break-all}"
    "footer{margin-top:2rem;padding-top:1rem;padding-bottom:2rem;border-top:1px solid #ddd;color:#555;font-size:.85rem}"
)
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
# No script may run, no frame may embed the page, forms post only to this origin.
CSP = (
    f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; img-src https: http: data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HTML_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_ICON_PATHS = {
    "ok": '<circle cx="12" cy="12" r="11" fill="currentColor"/><path d="M6.5 12.5l3.5 3.5 7.5-8" stroke="#fff"/>',
    "warn": '<path d="M12 1.5 23 21.5H1z" fill="currentColor"/><path d="M12 8.5v6m0 2.5v1.5" stroke="#fff"/>',
    "bad": '<circle cx="12" cy="12" r="11" fill="currentColor"/><path d="M8 8l8 8m0-8-8 8" stroke="#fff"/>',
    "stop": '<circle cx="12" cy="12" r="11" fill="currentColor"/><path d="M6.5 12h11" stroke="#fff"/>',
    "clock": '<circle cx="12" cy="12" r="11" fill="currentColor"/><path d="M12 6v6.5l4 2.5" stroke="#fff"/>',
}
# verdict -> (css class, icon)
_LOOK: dict[str, tuple[str, str]] = {
    Verdict.genuine: ("ok", "ok"),
    Verdict.repeat: ("warn", "warn"),
    Verdict.not_activated: ("warn", "warn"),
    Verdict.expired: ("bad", "clock"),
    Verdict.void: ("bad", "bad"),
    Verdict.claimed: ("bad", "warn"),  # issue 14: a buyer already confirmed the PIN
    Verdict.recalled: ("bad", "stop"),
    Verdict.unknown: ("bad", "bad"),
    "typo": ("warn", "warn"),  # an unknown code that fails its check character
    "unavailable": ("warn", "clock"),  # not checked now (issue 13): no verdict at all
    "lot_mismatch": ("warn", "warn"),  # a genuine stamp under a label that names another lot
    "keyboard": ("warn", "warn"),  # an unknown code a Vietnamese keyboard put accents in
}
# What an unknown code's hint makes of the page: the banner's text key (else "unknown").
_HINT_TEXT = {"check_code": "typo", "keyboard": "keyboard"}


# --- helpers -----------------------------------------------------------------------------
_SCRIPT_SCHEME = re.compile(r"(?i)\b(java|vb)(script\s*):")


def _e(value: Any) -> str:
    """HTML-escaped text; a ``javascript:`` in data shows as written but never appears as such."""
    text = escape("" if value is None else str(value), quote=True)
    return _SCRIPT_SCHEME.sub(r"\1\2&#58;", text)


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _t(key: str, lang: str, **values: str) -> str:
    """A text in ``lang`` with placeholders filled by values the caller already escaped."""
    vi, en = TEXT[key]
    return (en if lang == "en" else vi).format(**values)


def _named(labels: Mapping[Any, Label], value: Any, lang: str) -> str:
    """The label of an enum value (``core.vocabulary``) in ``lang``; nothing for a value it does not
    know (a raw key never reaches the page: docs/WORDS.md)."""
    if not value:
        return ""
    pair = labels.get(str(value))
    if pair is None:
        return ""
    return _e(pair[1] if lang == "en" else pair[0])


def safe_http_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host and nothing odd in it, else None."""
    if not isinstance(value, str) or len(value) > 2048:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ch in "\"'<>\\`" for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


def _tel(phone: Any) -> str:
    return re.sub(r"[^0-9+]", "", str(phone or ""))[:20]


def fmt_date(value: Any, lang: str = "vi") -> str:
    """``dd/mm/yyyy`` for a date; ``HH:MM, dd/mm/yyyy`` (Vietnam time) for a moment; else as given.

    Any stored value renders (``core.dates.show``): a date at the end of the calendar, a
    time without a zone, text that is no date -- the page never fails over a value.
    """
    return dates.show(value)


def fmt_day(value: Any) -> str:
    """The day (in Vietnam) of a date or a moment, ``dd/mm/yyyy``."""
    return fmt_date(value)[-10:] if value else ""


def _iso_attr(value: Any) -> str:
    text = str(value or "")
    return _e(text) if re.fullmatch(r"[0-9T:.+\-Z]{4,40}", text) else ""


def _time(value: Any, lang: str) -> str:
    shown = _e(fmt_date(value, lang))
    attr = _iso_attr(value)
    return f'<time datetime="{attr}">{shown}</time>' if attr else shown


def _fold_place(text: Any) -> str:
    plain = ascii_text(str(text or "")).lower()
    for word in ("tinh ", "thanh pho "):
        plain = plain.removeprefix(word)
    return "".join(c for c in plain if c.isalnum())


def _now(addr: dict[str, Any], lang: str) -> str:
    """What an address recorded before 1 July 2025 is today (its ``current`` units, computed
    by the caller): ' (nay là Xã Kha Sơn, Tỉnh Thái Nguyên)'; several candidates when the old
    commune was split; nothing when today's names add nothing."""
    now = addr.get("current")
    if not isinstance(now, dict) or not now.get("province"):
        return ""
    province = str(now["province"])
    if now.get("commune"):
        return _t("now_is", lang, place=_e(f"{now['commune']}, {province}"))
    names = [str(c.get("name")) for c in now.get("candidates") or [] if isinstance(c, dict) and c.get("name")]
    if names:
        either = f" {_t('or', lang)} ".join(names)
        return _t("now_in", lang, place=_e(f"{either}, {province}"))
    if _fold_place(addr.get("province")) == _fold_place(province):
        return ""
    return _t("now_in", lang, place=_e(province))


def _address(addr: Any, lang: str = "vi", keys: tuple[str, ...] = ("street", "hamlet", "area_name")) -> str:
    """An address as entered (old ones keep their district), then what it is today if it changed."""
    if not isinstance(addr, dict):
        return _e(addr)
    parts = [addr.get(k) for k in (*keys, "commune", "district", "province")]
    return _e(", ".join(str(p) for p in parts if p)) + _now(addr, lang)


def _row(label: str, value_html: str) -> str:
    return f"<dt>{label}</dt><dd>{value_html}</dd>" if value_html else ""


def _dl(rows: list[str]) -> str:
    body = "".join(r for r in rows if r)
    return f"<dl>{body}</dl>" if body else ""


def lang_query(lang: str) -> str:
    return "lang=en" if lang == "en" else "lang=vi"


def _with_query(path: str, extra: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{extra}"


def code_path(code: str) -> str:
    return "/v/" + quote(code, safe="")


# --- the page shell ----------------------------------------------------------------------
def page(title: str, body: str, lang: str, switch_path: str | None) -> str:
    """The whole document: ``title`` and ``body`` are HTML already escaped by the caller."""
    other = "vi" if lang == "en" else "en"
    switch = (
        f'<a class=lang href="{_e(_with_query(switch_path, lang_query(other)))}" hreflang={other} lang={other}>'
        f"{_t('switch', lang)}</a>"
        if switch_path is not None
        else ""
    )
    site = SITE[1] if lang == "en" else SITE[0]
    return (
        f"<!doctype html>\n<html lang={lang}><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        '<meta name=referrer content=no-referrer><link rel=icon href="data:,">'
        f"<title>{title} — {site}</title><style>{CSS}</style></head><body>"
        f"<header><span class=brand>{site}</span>{switch}</header>"
        f"<main>{body}</main><footer>{_t('footer', lang)}</footer></body></html>"
    )


def _icon(name: str) -> str:
    return (
        '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke-width="2.6" '
        f'stroke-linecap="round">{_ICON_PATHS[name]}</svg>'
    )


def _banner(look: str, title: str, paragraphs: list[str], verdict: str) -> str:
    css, icon = _LOOK[look]
    paras = "".join(p for p in paragraphs if p)
    return (
        f'<section class="v {css}" role=status aria-live=polite data-verdict="{_e(verdict)}">{_icon(icon)}'
        f"<div><h1>{title}</h1>{paras}</div></section>"
    )


# --- the scan page -----------------------------------------------------------------------
# Texts that point at data ("the phone number below", "the expiry date") are built from what
# the page shows, with the same tests the sections use: never a reference to nothing.
def _has_phone(producer: dict[str, Any]) -> bool:
    return bool(producer.get("phone"))


def _has_address(producer: dict[str, Any]) -> bool:
    return bool(_address(producer.get("address")))


def _reportable_unknown(result: dict[str, Any]) -> bool:
    """An unknown code's page has a report form (not for a typo, nor for no code at all)."""
    code = str(result.get("code") or "")
    return result.get("hint") not in _HINT_TEXT and bool(code) and code != "-"


def _contact(result: dict[str, Any], lang: str) -> str:
    producer = result.get("producer") or {}
    if _has_phone(producer):
        return _t("contact_phone", lang)
    if _has_address(producer):
        return _t("contact_address", lang)
    return ""


def _compare(result: dict[str, Any], lang: str) -> str:
    """The sentence asking to check the product name, the producer and the expiry date against
    the package, naming only what the page shows; "" when it shows none of them."""
    product, producer, lot = (result.get(k) or {} for k in ("product", "producer", "lot"))
    keys = [
        key
        for key, shown in (
            ("cmp_name", product.get("name") or product.get("name_en")),
            ("cmp_producer", producer.get("name")),
            ("cmp_expiry", lot.get("expiry_date")),
        )
        if shown
    ]
    if not keys:
        return ""
    words = [_t(k, lang) for k in keys]
    things = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {_t('and', lang)} {words[-1]}"
    return _t("compare", lang, things=things)


def _first_seen(scan: dict[str, Any], lang: str) -> str:
    when = _e(fmt_date(scan.get("first_scanned_at"), lang))
    # the caller names the place as it is today (places.scopes); a place it cannot name, as sent
    place = scan.get("first_province_name") or str(scan.get("first_province") or "")
    where = _t("repeat_where", lang, place=_e(place)) if place else ""
    return _t("repeat_first", lang, when=when, where=where) if when else ""


def _claim_when_where(claim: dict[str, Any], lang: str) -> tuple[str, str]:
    """(" lúc …", " tại …") of a stamp's claim (issue 14); "" for what is not known."""
    when = _e(fmt_date(claim.get("claimed_at"), lang)) if claim.get("claimed_at") else ""
    place = claim.get("claimed_province_name") or str(claim.get("claimed_province") or "")
    return (
        _t("claimed_when", lang, when=when) if when else "",
        _t("repeat_where", lang, place=_e(place)) if place else "",
    )


def _claimed_d(claim: dict[str, Any], lang: str) -> str:
    when, where = _claim_when_where(claim, lang)
    return _t("claimed_d", lang, when=when, where=where)


def verdict_words(result: dict[str, Any], lang: str) -> tuple[str, str, list[str], str]:
    """What the scan page's verdict banner says for ``result`` (a verification result):
    (look, title, paragraphs as HTML, verdict), values escaped. The console's void and recall
    confirmations show these very words (docs/CONSOLE.md)."""
    verdict = str(result.get("verdict", "unknown"))
    scan = result.get("scan") or {}
    count = _e(scan.get("count", ""))
    lot = result.get("lot") or {}
    p = "<p>{}</p>".format
    if verdict == "unknown":
        if result.get("hint") in _HINT_TEXT:  # a typing slip or a Vietnamese keyboard's accents
            key = _HINT_TEXT[str(result.get("hint"))]
            return key, _t(key, lang), [p(_t(key + "_d", lang))], verdict
        report = _t("send_report", lang) if _reportable_unknown(result) else ""
        return "unknown", _t("unknown", lang), [p(_t("unknown_d", lang, report=report))], verdict
    if verdict == "genuine":
        seen = _t("checked_n", lang, n=count) if _int(scan.get("count"), 1) > 1 else _t("checked_first", lang)
        if _int(scan.get("count"), 1) > 1 and scan.get("this_device_only"):  # the buyer checking again
            seen = _t("checked_here", lang, n=count)
        body = [p(" ".join(t for t in (_t("genuine_d", lang), _compare(result, lang)) if t)), p(seen)]
        title = _t("genuine", lang)
    elif verdict == "repeat":
        title = _t("repeat", lang, n=count)
        body = [p(_first_seen(scan, lang)), p(_t("repeat_d", lang)), p(f"<strong>{_t('repeat_todo', lang)}</strong>")]
        if _int(scan.get("scanners")) > 1:  # the evidence: how many devices, not how many page loads
            body.insert(1, p(_t("checked_from", lang, n=count, s=_e(scan["scanners"]))))
    elif verdict == "not_activated":
        title, body = _t("not_activated", lang), [p(_t("not_activated_d", lang))]
    elif verdict == "void":
        info = result.get("void") or {}
        when = _t("on_date", lang, date=_e(fmt_day(info.get("voided_at")))) if info.get("voided_at") else ""
        why = _void_reason(info.get("reason"), lang)
        title, body = _t("void", lang), [p(_t("void_d", lang, when=when, why=why))]
    elif verdict == "recalled":
        info = result.get("recall") or {}
        when = _t("on_date", lang, date=_e(fmt_day(info.get("recalled_at")))) if info.get("recalled_at") else ""
        # the recall's reason is written for inspectors; consumers get the producer's notice
        body = [p(_t("recalled_d", lang, when=when, why=""))]
        message = info.get("message_en") if lang == "en" and info.get("message_en") else info.get("message")
        if message:
            body.append(p(_t("recall_msg", lang)) + f"<blockquote>{_e(message)}</blockquote>")
        body.append(p(f"<strong>{_t('recalled_todo', lang, contact=_contact(result, lang))}</strong>"))
        title = _t("recalled", lang)
    elif verdict == "claimed":  # issue 14: told before buying, with when and where
        title, body = _t("claimed", lang), [p(_claimed_d(result.get("claim") or {}, lang))]
    elif verdict == "expired":
        title = _t("expired", lang)
        body = [p(_t("expired_d", lang, date=_e(fmt_date(lot.get("expiry_date"), lang))))]
    else:  # a verdict this page does not know yet: say what the service said, honestly
        msg = result.get("message") or {}
        title = _e(msg.get(lang) or msg.get("vi") or verdict)
        body = []
    others = [v for v in result.get("verdicts") or [] if v != verdict and v in _LOOK and v != "genuine"]
    if others:
        names = "; ".join(_t(v, lang, n=count) for v in others)
        body.append(p(f"{_t('also', lang)} {names}."))
    if verdict != "genuine" and verdict != "repeat" and _int(scan.get("count")) > 1:
        body.append(p(_t("checked_n", lang, n=count)))
    look = verdict if verdict in _LOOK else "unknown"
    mismatch = _lot_mismatch(result, lang)
    if mismatch:  # first thing read: the label itself contradicts the stamp
        body.insert(0, p(f"<strong>{mismatch}</strong>"))
        look = "lot_mismatch" if look == Verdict.genuine else look
    return look, title, body, verdict


def _verdict_banner(result: dict[str, Any], lang: str) -> str:
    return _banner(*verdict_words(result, lang))


def _void_reason(reason: Any, lang: str) -> str:
    """' (lý do: tem thất lạc)' for a reason the vocabulary names; nothing for ``other`` (it says
    nothing) nor for a stored value it does not know (never a raw key on the page)."""
    if not reason or str(reason) == VoidReason.other or str(reason) not in VOID_REASON_LABELS:
        return ""
    return _t("reason", lang, reason=_named(VOID_REASON_LABELS, reason, lang))


def _lot_mismatch(result: dict[str, Any], lang: str) -> str:
    """What the page says when the label's lot is not the stamp's ("" when they agree)."""
    mismatch = result.get("lot_mismatch")
    if not isinstance(mismatch, dict) or not mismatch.get("label_lot"):
        return ""
    label = _e(mismatch["label_lot"])
    if not mismatch.get("stamp_lot"):
        return _t("lot_unbound", lang, label=label)
    return _t("lot_mismatch", lang, label=label, bound=_e(mismatch["stamp_lot"]))


def _ocop(stored: dict[str, Any], lang: str) -> list[str]:
    """The rating's rows: stars, the decision (number, day, who), the certificate, validity; for a
    certificate that lapsed or was withdrawn, the sentence saying so and on which day."""
    ocop = ocop_rules.current_rating(stored)  # an old stored shape reads as today's
    status = ocop.get("status")
    if status is None:  # the service did not say: judge by the date
        until = str(ocop.get("valid_until") or "")
        status = (
            RatingStatus.lapsed if until and until < dt.datetime.now(VN_TZ).date().isoformat() else RatingStatus.valid
        )
    if ocop.get("withdrawn"):
        status = RatingStatus.withdrawn
    notice = ocop_rules.status_notice(ocop, status)
    if notice is not None or status != RatingStatus.valid:
        vi, en = notice or ocop_rules.status_notice({}, RatingStatus.lapsed) or ("", "")
        return [_row(_t("ocop", lang), f"<span class=note>{_e(en if lang == 'en' else vi)}</span>")]
    stars = max(0, min(5, _int(ocop.get("stars"))))
    label = _t("stars_label", lang, n=str(stars))
    renewed = (
        f" ({_named(RATING_ACTION_LABELS, RatingAction.renew, lang)})"
        if ocop.get("action") == RatingAction.renew
        else ""
    )
    decision = _map(ocop.get("decision"))
    validity = ""
    if decision.get("date") or ocop.get("valid_until"):
        validity = _t(
            "valid_range",
            lang,
            from_=_time(decision.get("date"), lang),
            to=_time(ocop.get("valid_until"), lang),
        )
    certificate = _map(ocop.get("certificate"))
    return [
        _row(
            _t("ocop", lang),
            f'<span class=stars role=img aria-label="{label}">{"★" * stars}{"☆" * (5 - stars)}</span>{renewed}',
        ),
        _row(_t("decision", lang), _decision(decision, lang)),
        _row(_t("cert_no", lang), _e(certificate.get("number"))),
        _row(_t("valid", lang), validity),
    ]


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _decision(decision: dict[str, Any], lang: str) -> str:
    """'số 1234/QĐ-UBND ngày 15/08/2025 của Ủy ban nhân dân tỉnh Thái Nguyên', with what is known."""
    body = decision.get("issuing_body") or (
        _named(ISSUING_LEVEL_LABELS, decision.get("issuing_level"), lang) if decision.get("issuing_level") else ""
    )
    parts = [
        _t("decision_no", lang, number=_e(decision["number"])) if decision.get("number") else "",
        _t("decision_day", lang, date=_time(decision["date"], lang)) if decision.get("date") else "",
        _t("decision_by", lang, body=_e(body)) if body else "",
    ]
    text = " ".join(p for p in parts if p)
    return text[:1].upper() + text[1:]


def _group(product: dict[str, Any], lang: str) -> str:
    """The product group's words (Decision 148/QĐ-TTg); an old stored key reads as its group today,
    a value no rule knows shows nothing rather than a raw key."""
    named = product.get("group_name")
    if isinstance(named, dict) and named.get(lang):
        return _e(named[lang])
    group = current_group(product.get("group"))
    return _named(OCOP_GROUP_LABELS, group, lang) if group else ""


def _product(product: dict[str, Any], lang: str) -> str:
    if not product:
        return ""
    name = product.get("name_en") if lang == "en" and product.get("name_en") else product.get("name")
    img = ""
    src = safe_http_url(product.get("image_url"))
    if src:
        img = (
            f'<img class=pic src="{_e(src)}" alt="{_e(name)}" width=320 height=240 loading=lazy decoding=async '
            "referrerpolicy=no-referrer>"
        )
    rows = [
        _row(_t("name", lang), f"<strong>{_e(name)}</strong>"),
        _row(_t("brand", lang), _e(product.get("brand"))),
        _row(_t("group", lang), _group(product, lang)),
        _row(_t("made_in", lang), _made_in(product.get("made_in"), lang)),
        *(_ocop(product["ocop"], lang) if isinstance(product.get("ocop"), dict) else []),
        _row(_t("gtin", lang), _e(product.get("gtin"))),
        _row(_t("standards", lang), _list(product.get("standards"))),
    ]
    desc = f"<p>{_e(product['description'])}</p>" if product.get("description") else ""
    return f"<section id=product><h2>{_t('product', lang)}</h2>{img}{_dl(rows)}{desc}</section>"


def _made_in(made_in: Any, lang: str) -> str:
    """The origin of the goods (xuất xứ) in words, as the service named it; nothing without a name."""
    name = _map(_map(made_in).get("name")).get(lang)
    return _e(name) if name else ""


def _list(values: Any, leave_out: Any = ()) -> str:
    """Texts joined by commas, each escaped, those in ``leave_out`` left out (shown elsewhere)."""
    if not isinstance(values, list):
        return ""
    skip = set(map(str, leave_out)) if isinstance(leave_out, list) else set()
    return _e(", ".join(str(v) for v in values if v and str(v) not in skip))


def lot_standards(lot: dict[str, Any], product: dict[str, Any]) -> str:
    """The lot's own standards, those the product section already lists left out."""
    return _list(lot.get("standards"), product.get("standards"))


def _producer(producer: dict[str, Any], lang: str) -> str:
    if not producer:
        return ""
    phone = producer.get("phone")
    tel = _tel(phone)
    phone_html = f'<a href="tel:{tel}">{_e(phone)}</a>' if tel else _e(phone)
    rows = [
        _row(_t("producer_name", lang), _e(producer.get("name"))),
        _row(_t("kind", lang), _named(PRODUCER_KIND_LABELS, producer.get("kind"), lang)),
        _row(_t("address", lang), _address(producer.get("address"), lang)),
        _row(_t("phone", lang), phone_html if _has_phone(producer) else ""),
    ]
    return f"<section id=producer><h2>{_t('producer', lang)}</h2>{_dl(rows)}</section>"


DEFAULT_UNIT = "unit"
"""What a lot stores when the producer gave no unit (``catalog.schemas.LotIn``): shown in words."""


def quantity_text(lot: dict[str, Any], lang: str) -> str:
    """'500 hộp' as the producer wrote the unit; without one (stored ``unit``), '10 đơn vị' /
    '10 units' rather than the stored default; '' without a quantity. Not escaped."""
    quantity = lot.get("quantity")
    if not quantity:
        return ""
    unit = str(lot.get("unit") or "").strip()
    if unit in ("", DEFAULT_UNIT):
        unit = _t("unit_one" if str(quantity) == "1" else "unit_many", lang)
    return f"{quantity} {unit}"


def _lot(lot: dict[str, Any], result: dict[str, Any], lang: str) -> str:
    stamp = result.get("stamp") or {}
    code = result.get("code_display") or result.get("code")
    quantity = quantity_text(lot, lang)
    rows = [
        _row(_t("code", lang), f"<code>{_e(code)}</code>") if code else "",
        _row(_t("serial", lang), _e(stamp.get("serial"))),
        _row(_t("lot_code", lang), _e(lot.get("lot_code"))),
        _row(_t("production_date", lang), _time(lot.get("production_date"), lang)),
        _row(_t("expiry_date", lang), _time(lot.get("expiry_date"), lang)),
        _row(_t("quantity", lang), _e(quantity)),
        _row(_t("standards", lang), lot_standards(lot, result.get("product") or {})),
    ]
    return f"<section id=lot><h2>{_t('lot', lang)}</h2>{_dl(rows)}</section>"


def _origin(origin: Any, lang: str) -> str:
    if not isinstance(origin, dict) or not origin:
        return ""
    rows = [
        _row(_t("area", lang), _e(origin.get("area_name"))),
        _row(_t("place", lang), _address(origin, lang, keys=())),
        _row(_t("harvest_date", lang), _time(origin.get("harvest_date"), lang)),
    ]
    return f"<section id=origin><h2>{_t('origin', lang)}</h2>{_dl(rows)}</section>"


def _certs(certs: Any, lang: str) -> str:
    if not certs:
        return ""
    items = "".join(f"<li>{_e(c)}</li>" for c in certs)
    return f"<section id=certs><h2>{_t('certs', lang)}</h2><ul>{items}</ul></section>"


def _steps(steps: Any, lang: str) -> str:
    if not isinstance(steps, list) or not steps:
        return ""
    items = []
    for s in steps:
        if not isinstance(s, dict):
            continue
        who_where = " · ".join(
            [_e(s[k]) for k in ("who", "where") if s.get(k)] + ([_address(s["place"], lang)] if s.get("place") else [])
        )
        items.append(
            f"<li>{_time(s.get('when'), lang)} — <strong>{_e(s.get('step'))}</strong>"
            + (f"<br>{who_where}" if who_where else "")
            + (f"<br><span class=muted>{_e(s['why'])}</span>" if s.get("why") else "")
            + "</li>"
        )
    return f"<section id=trace><h2>{_t('steps', lang)}</h2><ol class=tl>{''.join(items)}</ol></section>"


def report_form(code: str, lang: str, *, open_: bool = False, error: str = "") -> str:
    hidden = f"<input type=hidden name=lang value={lang}>"
    return (
        f"<details id=report{' open' if open_ else ''}><summary>{_t('report', lang)}</summary>"
        f"<p class=muted>{_t('report_intro', lang)}</p>{error}"
        f'<form method=post action="{_e(code_path(code))}/report">{hidden}'
        f"<label for=where>{_t('where', lang)}</label>"
        f"<input id=where name=where required maxlength={REPORT_WHERE_MAX} autocomplete=off>"
        f"<label for=note>{_t('note', lang)}</label>"
        f"<textarea id=note name=note rows=3 maxlength={REPORT_NOTE_MAX}></textarea>"
        f"<button type=submit>{_t('send', lang)}</button></form></details>"
    )


PIN_MAX_CHARS = 12  # 8 digits and the spaces or dashes a buyer may type between them


def pin_form(code: str, lang: str, ref: str = "", *, error: str = "") -> str:
    """The scratch-off PIN's form (issue 14): a plain POST, no script; ``ref`` (the page's view
    token) makes a resubmission the same request (docs/PIN.md)."""
    hidden = f"<input type=hidden name=lang value={lang}>" + (
        f'<input type=hidden name=ref value="{_e(ref)}">' if ref else ""
    )
    return (
        f"<section id=pin><h2>{_t('pin_title', lang)}</h2><p class=muted>{_t('pin_intro', lang)}</p>{error}"
        f'<form method=post action="{_e(code_path(code))}/pin">{hidden}'
        f"<label for=pin-in>{_t('pin_label', lang)}</label>"
        f"<input id=pin-in name=pin required inputmode=numeric autocomplete=off maxlength={PIN_MAX_CHARS}>"
        f"<button type=submit>{_t('pin_btn', lang)}</button></form></section>"
    )


_PIN_LOOK = {"first": "genuine", "already_claimed": "void", "wrong": "repeat", "locked": "repeat"}


def render_pin(result: dict[str, Any], lang: str = "vi", ref: str = "") -> str:
    """The answer to a PIN entry (``scanning.pins.check_pin``): first, already claimed (with
    when and where, and the report form), wrong (tries left, the form again) or locked."""
    lang = lang if lang in LANGS else "vi"
    code = str(result.get("code") or "")
    outcome = str(result.get("outcome") or "wrong")
    left = _int(result.get("tries_left"))
    when, where = _claim_when_where(result, lang)
    text = {
        "first": _t("pin_first_d", lang),
        "already_claimed": _t("pin_already_claimed_d", lang, when=when, where=where),
        "wrong": _t("pin_wrong_d", lang, n=str(left)) if left else _t("pin_locked_d", lang),
        "locked": _t("pin_locked_d", lang),
    }.get(outcome, "")
    title = _t(f"pin_{outcome}", lang) if outcome in _PIN_LOOK else _t("pin_wrong", lang)
    parts = [_banner(_PIN_LOOK.get(outcome, "repeat"), title, [f"<p>{text}</p>"], f"pin_{outcome}")]
    if outcome == "wrong" and left:
        parts.append(pin_form(code, lang, ref))
    if outcome == "already_claimed":
        parts.append(report_form(code, lang, open_=True))
    parts.append(f'<p><a href="{_e(_with_query(code_path(code), lang_query(lang)))}">{_t("pin_back", lang)}</a></p>')
    return page(title, "".join(parts), lang, None)


def render_pin_refused(code: str, message: str, lang: str = "vi", ref: str = "", *, form: bool = True) -> str:
    """A PIN entry that could not be checked (not 8 digits, no PIN on this stamp): why, and the
    form again when typing it again can help. ``message`` is escaped here."""
    note = f"<p class=note role=alert>{_e(message)}</p>"
    body = pin_form(code, lang, ref, error=note) if form else note
    back = f'<p><a href="{_e(_with_query(code_path(code), lang_query(lang)))}">{_t("pin_back", lang)}</a></p>'
    return page(_t("pin_title", lang), body + back, lang, None)


def check_form(lang: str, value: str = "", *, heading: bool = True) -> str:
    hidden = "<input type=hidden name=lang value=en>" if lang == "en" else ""
    title = f"<h2>{_t('check', lang)}</h2>" if heading else ""
    return (
        f"<section id=check>{title}<form method=get action=/v>{hidden}"
        f"<label for=code>{_t('check_label', lang)}</label>"
        f'<input id=code name=code required maxlength=40 value="{_e(value)}" autocomplete=off '
        "autocapitalize=characters spellcheck=false>"
        f"<button type=submit>{_t('check_btn', lang)}</button></form></section>"
    )


def render(result: dict[str, Any], lang: str = "vi", *, path: str | None = None) -> str:
    """The page for one scan. ``path``: this page's own path (for the language switch)."""
    lang = lang if lang in LANGS else "vi"
    verdict = str(result.get("verdict", "unknown"))
    code = str(result.get("code") or "")
    product = result.get("product") or {}
    producer = result.get("producer") or {}
    lot = result.get("lot") or {}
    parts = [_verdict_banner(result, lang)]
    if product.get("demo") or producer.get("demo"):
        parts.append(f"<p class=demo>{_t('demo', lang)}</p>")
    if verdict == "unknown":
        shown = result.get("code_display") or code
        if shown and shown != "-":
            parts.append(f"<p>{_t('code', lang)}: <code>{_e(shown)}</code></p>")
        parts.append(check_form(lang, "" if result.get("hint") != "check_code" else str(shown), heading=True))
        if _reportable_unknown(result):
            parts.append(report_form(code, lang))
    else:
        if result.get("second_layer") and result.get("scan"):  # a person's page of a two-layer stamp (issue 14)
            if result.get("pin_locked"):  # ten wrong PINs: a form would only answer "locked"
                parts.append(
                    f"<section id=pin><h2>{_t('pin_title', lang)}</h2><p>{_t('pin_locked_d', lang)}</p></section>"
                )
            elif verdict not in (Verdict.void, Verdict.not_activated):  # nothing to claim (409 not_claimable)
                parts.append(pin_form(code, lang, str(result.get("view_token") or "")))
        parts += [
            _product(product, lang),
            _producer(producer, lang),
            _lot(lot, result, lang),
            _origin(lot.get("origin"), lang),
            _certs(lot.get("certifications"), lang),
            _steps(lot.get("process_steps"), lang),
            report_form(
                code,
                lang,
                open_=verdict in (Verdict.repeat, Verdict.not_activated, Verdict.void)
                or bool(result.get("lot_mismatch")),
            ),
            check_form(lang),
        ]
    msg = result.get("message") or {}
    if verdict == "unknown" and result.get("hint") in _HINT_TEXT:
        title = _t(_HINT_TEXT[str(result["hint"])], lang)
    elif verdict in _LOOK:
        title = _t(verdict, lang, n=_e((result.get("scan") or {}).get("count", "")))
    else:
        title = _e(msg.get(lang) or msg.get("vi") or verdict)
    switch = path if path is not None else (code_path(code) if code else "/v")
    if result.get("view_token"):  # the other language shows this same scan, not a new one
        switch = _with_query(switch, "view=" + quote(str(result["view_token"]), safe=""))
    return page(title, "".join(parts), lang, switch)


# --- the other pages ---------------------------------------------------------------------
def render_lookup(lang: str = "vi") -> str:
    """``GET /v`` with no code: the form to type one."""
    body = f"<h1>{_t('check_title', lang)}</h1><p>{_t('check_d', lang)}</p>{check_form(lang, heading=False)}"
    return page(_t("check_title", lang), body, lang, "/v")


def render_report_thanks(code: str, lang: str = "vi") -> str:
    back = _with_query(code_path(code), lang_query(lang))
    body = (
        _banner("genuine", _t("thanks", lang), [f"<p>{_t('thanks_d', lang, code=_e(code))}</p>"], "report")
        + f'<p><a href="{_e(back)}">{_t("back", lang)}</a></p>'
    )
    return page(_t("thanks", lang), body, lang, code_path(code) + "/report?sent=1")


def render_report_form(code: str, lang: str = "vi", *, invalid: bool = False) -> str:
    error = (
        f"<p class=note role=alert>{_t('report_bad', lang, n=str(REPORT_WHERE_MAX), m=str(REPORT_NOTE_MAX))}</p>"
        if invalid
        else ""
    )
    body = f"<p><code>{_e(code)}</code></p>{report_form(code, lang, open_=True, error=error)}"
    return page(_t("report", lang), body, lang, code_path(code) + "/report")


def wait_words(seconds: int, lang: str) -> str:
    """``seconds`` to wait, rounded up, as a person says it: "9 phút" / "9 minutes", "14 giờ" / "14 hours"."""
    minutes = max(1, -(-int(seconds) // 60))
    if minutes > 90:
        n, vi, en = -(-minutes // 60), "giờ", "hour"
    else:
        n, vi, en = minutes, "phút", "minute"
    return f"{n} {vi}" if lang != "en" else f"{n} {en}{'' if n == 1 else 's'}"


def slow_down_messages(seconds: int) -> tuple[str, str]:
    """(Vietnamese, English) of a 429 on a code lookup: wait, then check the code."""
    vi_en = [f"{_t('slow', lang)}. {_t('slow_d', lang, wait=wait_words(seconds, lang))}" for lang in LANGS]
    return vi_en[0], vi_en[1]


def report_limited_messages(code: str, limit: str, seconds: int) -> tuple[str, str]:
    """(Vietnamese, English) of a 429 on a report: thank you, it was already received.
    ``limit``: ``report`` (the client's) or ``report-code`` (the code's)."""
    key = "report_limited_code_d" if limit == "report-code" else "report_limited_client_d"
    vi_en = [
        f"{_t('report_limited', lang)}. {_t(key, lang, code=code, wait=wait_words(seconds, lang))}" for lang in LANGS
    ]
    return vi_en[0], vi_en[1]


def _both(lang: str, first: str, second: str) -> str:
    """The chosen language's paragraph, then the other's (a 429 page offers no language switch:
    following it would be one more request over the limit)."""
    other = "vi" if lang == "en" else "en"
    return f"<p>{first}</p><p class=muted lang={other}>{second}</p>"


def render_slow_down(code: str, seconds: int, lang: str = "vi") -> str:
    """The 429 page of a code lookup: wait about N minutes and check the code; nothing about
    whether the code exists or may be counterfeit."""
    lang = lang if lang in LANGS else "vi"
    other = "vi" if lang == "en" else "en"
    words = [_t("slow_d", x, wait=wait_words(seconds, x)) for x in (lang, other)]
    title = _t("slow", lang)
    body = _banner("typo", title, [_both(lang, words[0], f"{_t('slow', other)}. {words[1]}")], "too_many_requests")
    if code and code != "-":
        body += f"<p>{_t('code', lang)}: <code>{_e(code)}</code></p>"
    body += check_form(lang, "" if code == "-" else code)
    return page(title, body, lang, None)


def render_report_limited(code: str, limit: str, seconds: int, lang: str = "vi") -> str:
    """The 429 page of a report over its limit: thank you, the report was already received."""
    lang = lang if lang in LANGS else "vi"
    other = "vi" if lang == "en" else "en"
    key = "report_limited_code_d" if limit == "report-code" else "report_limited_client_d"
    words = [_t(key, x, code=_e(code), wait=wait_words(seconds, x)) for x in (lang, other)]
    back = _with_query(code_path(code), lang_query(lang))
    body = (
        _banner(
            "genuine",
            _t("report_limited", lang),
            [_both(lang, words[0], f"{_t('report_limited', other)}. {words[1]}")],
            "report",
        )
        + f'<p><a href="{_e(back)}">{_t("back", lang)}</a></p>'
    )
    return page(_t("report_limited", lang), body, lang, None)


def render_bad_link(lang: str = "vi") -> str:
    body = _banner("typo", _t("bad_link", lang), [f"<p>{_t('bad_link_d', lang)}</p>"], "bad_request") + check_form(lang)
    return page(_t("bad_link", lang), body, lang, None)


def render_no_page(lang: str = "vi") -> str:
    """The 404 page of a public address no route answers; it names no code and no verdict."""
    body = _banner("typo", _t("no_page", lang), [f"<p>{_t('no_page_d', lang)}</p>"], "bad_request") + check_form(lang)
    return page(_t("no_page", lang), body, lang, None)


def render_unavailable(code: str, lang: str = "vi", *, report: bool = False) -> str:
    """The 503 page (issue 13): the stamp could not be checked -- or the report not kept --
    because the service is busy. It states no verdict and links to try again."""
    key = "unavailable_report" if report else "unavailable"
    path = code_path(code) + ("/report" if report else "")
    again = _with_query(path, lang_query(lang))
    body = (
        _banner("unavailable", _t(key, lang), [f"<p>{_t(key + '_d', lang)}</p>"], "unavailable")
        + f"<p>{_t('code', lang)}: <code>{_e(code)}</code></p>"
        + f'<p><a href="{_e(again)}">{_t("try_again", lang)}</a></p>'
    )
    return page(_t(key, lang), body, lang, path)
