"""GS1 Digital Link: the URIs printed on labels of products with a GTIN, and the resolver.

``{base}/01/{gtin14}[/22/{cpv}][/10/{lot}]/21/{code}`` (DESIGN.md, "Label URL"). What the
resolver does, statement by statement of the GS1-Conformant Resolver standard (1.2.0):
docs/DIGITAL-LINK.md. In short:

* a path that is not Digital Link syntax (unknown or repeated AI, wrong order, bad GTIN
  check digit, a value outside the AI's character set or length) answers **400** -- except
  a serial (AI 21) a person typed with spaces or a Vietnamese keyboard's accents, which is
  read as the code it stands for (``codes.typed``, issue 11). A value may hold a ``/``:
  sent as ``%2F`` it arrives encoded from the local stack but decoded from API Gateway's
  HTTP API, and ``parse_path`` reads both to the same link;
* three levels resolve: a stamp (``/21/``), a lot (``/01/{gtin}/10/{lot}``) and a product
  (``/01/{gtin}``); a lot or product URI "walks up" to the lot's or product's page. A code
  that was not issued, or belongs to another GTIN, an unknown GTIN or lot: **404**;
* ``Accept: application/linkset+json``, ``?linkType=linkset`` or ``?linkType=all`` answer
  the RFC 9264 linkset, valid against GS1's linkset schema, with one link context per level
  from the request URI up to the GTIN, never counting a scan;
* ``?linkType=`` (CURIE or full URI) answers **307** to that link, passing the rest of the
  query string on; a link type not offered at that level answers **404**;
* no linkType: the resolver hosts the default link's content, so a request with no query
  string, or only the page's own ``lang``/``view``, is answered in place (no round trip for
  a phone); any other query string is answered **307** to the default link, passed on;
* every answer names the linkset and the JSON-LD context in ``Link`` headers; CORS is open.

Whether a code belongs to a GTIN without counting a scan (HEAD, linkset, redirect) is
decided by ``verification.lookup``; what a lot or product URI shows by
``verification.catalog_at``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, unquote, urlencode

from ocop_stamps.codes.gs1 import normalize_gtin
from ocop_stamps.codes.labels import page_url
from ocop_stamps.codes.typed import looks_typed, read
from ocop_stamps.core.vocabulary import LANGS
from ocop_stamps.storage.parameters import code_keys

GS1_VOC = "https://gs1.org/voc/"
# The JSON-LD context GS1 publishes to read a resolver's linkset as JSON-LD (GS1-Conformant
# Resolver 1.2.0, "Artefacts": the immutable 1.2.0 file, unchanged since 1.0.0), and the
# relation type that names it in a Link header (JSON-LD 1.1, section 6.1).
JSONLD_CONTEXT = "https://ref.gs1.org/standards/resolver/1.2.0/linkset-context"
JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
# AI -> max length; the order here is the only order Digital Link allows after /01/.
QUALIFIERS = {"22": 20, "10": 20, "21": 20}
_ORDER = list(QUALIFIERS)
# GS1 AI encodable character set 82.
_CSET82 = re.compile(r"""^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$""")
# Query parameters the consumer page itself reads: a request with only these is answered in
# place; any other query string is passed on to the default link by a 307.
PAGE_PARAMETERS = frozenset({"lang", "view"})


class BadLink(ValueError):
    """Not GS1 Digital Link syntax: the resolver answers 400."""


@dataclass(frozen=True)
class DigitalLink:
    gtin: str  # GTIN-14
    cpv: str | None = None
    lot: str | None = None
    serial: str | None = None

    def path(self) -> str:
        out = f"/01/{self.gtin}"
        for ai, value in (("22", self.cpv), ("10", self.lot), ("21", self.serial)):
            if value is not None:
                out += f"/{ai}/{quote(value, safe='')}"
        return out


def parse_path(path: str) -> DigitalLink:
    """A Digital Link from the path of a request URI (a trailing slash is tolerated).

    Each segment is percent-decoded after the path is split, so ``/10/L2026%2F11.A`` (the
    encoded path, as the local stack sends it) is lot ``L2026/11.A``; API Gateway's HTTP API
    decodes the path before the function sees it (``/10/L2026/11.A``), and a value of AI 22
    or 10 is then read across segments: the first reading in which every AI comes once, in
    order, with a valid value wins. A serial (AI 21, a stamp code) never holds a ``/``, and a
    value read across segments holds no segment that is an AI (``/10/L1/10/L2`` repeats AI 10).
    """
    segments = path.strip("/").split("/")
    if len(segments) < 2 or segments[0] != "01":
        raise BadLink("a Digital Link path is /01/{gtin} followed by AI/value pairs")
    try:
        gtin = normalize_gtin(unquote(segments[1]))
    except ValueError as exc:
        raise BadLink(str(exc)) from None
    values = _qualifiers(segments[2:], 0)
    if values is None:
        raise BadLink(
            "after /01/{gtin}: the key qualifiers /22/, /10/, /21/, each at most once and in that order, "
            "each with 1 to 20 characters of GS1's character set 82"
        )
    return DigitalLink(gtin, values.get("22"), values.get("10"), values.get("21"))


def _valid(ai: str, value: str) -> bool:
    if not value or len(value) > QUALIFIERS[ai]:
        return False
    if ai == "21":
        return "/" not in value and bool(_CSET82.match(value) or looks_typed(value))
    return bool(_CSET82.match(value))


def _qualifiers(rest: list[str], first: int) -> dict[str, str] | None:
    """AI/value pairs of ``rest`` (raw segments) with AIs from ``_ORDER[first:]``; None if none fit."""
    if not rest:
        return {}
    ai = rest[0]
    if ai not in QUALIFIERS or _ORDER.index(ai) < first:
        return None
    last = min(2, len(rest)) if ai == "21" else len(rest)  # a serial is one segment
    for end in range(2, last + 1):
        if not rest[end - 1] or (end > 2 and rest[end - 1] in QUALIFIERS):
            return None  # an empty segment, or a decoded value that would hide an AI: not one value
        value = "/".join(unquote(part) for part in rest[1:end])
        if len(value) > QUALIFIERS[ai]:
            return None
        if not _valid(ai, value):
            continue
        tail = _qualifiers(rest[end:], _ORDER.index(ai) + 1)
        if tail is not None:
            return {ai: value, **tail}
    return None


def read_serial(link: DigitalLink) -> DigitalLink:
    """The link with its serial as the code it reads as (``codes.typed``: case, separators, a
    Vietnamese keyboard's accents), so anchors, links and the page name the printed code;
    a serial that reads as no code is left as it came."""
    if link.serial is None:
        return link
    code = read(link.serial, code_keys()).code
    return link if code is None or code == link.serial else replace(link, serial=code)


def levels(link: DigitalLink, lot_code: str | None = None) -> list[DigitalLink]:
    """The request URI's level and each level up to the GTIN that this resolver serves: a
    stamp, its lot (the one it is bound to, ``lot_code``), the product. A CPV (AI 22) names
    no level of its own here."""
    out = [link]
    if link.serial is not None and lot_code:
        out.append(DigitalLink(link.gtin, lot=lot_code))
    if link.serial is not None or link.lot is not None:
        out.append(DigitalLink(link.gtin))
    return out


# --- links ----------------------------------------------------------------------------------
def _with_query(href: str, pairs: Iterable[tuple[str, str]]) -> str:
    base, _, fragment = href.partition("#")
    rest = urlencode(list(pairs), safe=":")
    if rest:
        base += ("&" if "?" in base else "?") + rest
    return base + (f"#{fragment}" if fragment else "")


@dataclass(frozen=True)
class Link:
    link_type: str  # short name in the GS1 Web vocabulary
    href: str  # language-neutral: the page answers in the language the request asks for
    title_vi: str
    title_en: str
    media_type: str = "text/html"

    def targets(self) -> list[dict[str, Any]]:
        """The link once per language (GS1's linkset schema allows one ``title`` a link)."""
        return [
            {
                "href": _with_query(self.href, [("lang", lang)]),
                "title": self.title_en if lang == "en" else self.title_vi,
                "type": self.media_type,
                "hreflang": [lang],
            }
            for lang in LANGS
        ]

    def default_target(self) -> dict[str, str]:
        """As ``gs1:defaultLink``: the target URL and a title, no optional attribute (the standard's rule)."""
        return {"href": self.href, "title": self.title_vi}


DEFAULT_LINK_TYPE = "pip"
DEFAULT_LINK_NAMES = frozenset({"defaultLink", "defaultLinkMulti"})


def stamp_links(base: str, code: str) -> list[Link]:
    """The links of a stamp: its consumer page, the first of them its default link."""
    page = page_url(base, code)
    return [
        Link("pip", page, "Thông tin sản phẩm và kết quả kiểm tra tem", "Product information and stamp check"),
        Link(
            "verificationService",
            page,
            "Dịch vụ kiểm tra tem (JSON)",
            "Stamp verification service (JSON)",
            "application/json",
        ),
        Link("certificationInfo", page + "#product", "Chứng nhận OCOP của sản phẩm", "The product's OCOP rating"),
        Link("traceability", page + "#lot", "Lô sản xuất, vùng nguyên liệu, quá trình", "Lot, origin and process"),
        Link("recallStatus", page, "Tình trạng thu hồi của lô hàng", "Recall status of the lot"),
    ]


def catalog_links(base: str, link: DigitalLink) -> list[Link]:
    """The links of a lot or product URI: its page, which the resolver serves itself at
    ``?linkType=gs1:pip`` (the default link), and sections of it."""
    page = _with_query(base + link.path(), [("linkType", "gs1:pip")])
    if link.lot is None:
        return [
            Link("pip", page, "Thông tin sản phẩm và chủ thể", "Product and producer"),
            Link("certificationInfo", page + "#product", "Chứng nhận OCOP của sản phẩm", "The product's OCOP rating"),
        ]
    return [
        Link("pip", page, "Thông tin lô sản xuất", "The production lot"),
        Link("traceability", page + "#lot", "Lô sản xuất, vùng nguyên liệu, quá trình", "Lot, origin and process"),
        Link("recallStatus", page + "#lot", "Tình trạng thu hồi của lô hàng", "Recall status of the lot"),
        Link("certificationInfo", page + "#product", "Chứng nhận OCOP của sản phẩm", "The product's OCOP rating"),
    ]


def links_at(base: str, link: DigitalLink) -> list[Link]:
    """The links of one level (``levels``): a stamp's, or a lot's or product's."""
    return stamp_links(base, link.serial) if link.serial is not None else catalog_links(base, link)


def item_description(level: DigitalLink, name: str, name_en: str | None = None) -> str:
    """A level's ``itemDescription``: a lot's in both languages, Vietnamese first as its links
    come ('Cao ngựa bạch Hoan Hoa — lô HH-2026-11 / Hoan Hoa white-horse bone paste — lot
    HH-2026-11'; the product's Vietnamese name twice when it has no English one): GS1's linkset
    schema allows one string a context and no language tag on it. A stamp's or a product's: the
    product's name, as registered (a proper name is not translated)."""
    if level.lot is None or level.serial is not None:
        return name
    vi = f"{name} — lô {level.lot}"
    en = f"{name_en or name} — lot {level.lot}"
    return f"{vi} / {en}"


def linkset(base: str, contexts: list[tuple[DigitalLink, str]]) -> dict[str, Any]:
    """The RFC 9264 JSON linkset: one link context object per (level, item description),
    link types as full URIs, the default link first. Valid against GS1's linkset schema
    (tests/data/standards/gs1-linkset/)."""
    out = []
    for link, description in contexts:
        all_links = links_at(base, link)
        default = next(x for x in all_links if x.link_type == DEFAULT_LINK_TYPE)
        context: dict[str, Any] = {"anchor": base + link.path(), "itemDescription": description}
        context[GS1_VOC + "defaultLink"] = [default.default_target()]
        for x in all_links:
            context.setdefault(GS1_VOC + x.link_type, []).extend(x.targets())
        out.append(context)
    return {"linkset": out}


# The Link header of an answer that has no linkset (400, 404): the JSON-LD context alone.
CONTEXT_LINK = f'<{JSONLD_CONTEXT}>; rel="{JSONLD_CONTEXT_REL}"; type="application/ld+json"'


def link_header(anchor: str, links: list[Link]) -> str:
    """The HTTP Link header (RFC 8288): the linkset, the JSON-LD context to read it with, and
    each link of this level."""
    parts = [
        f'<{anchor}?linkType=linkset>; rel="linkset"; type="application/linkset+json"',
        CONTEXT_LINK,
    ]
    for link in links:
        title = link.title_en.replace('"', "'")
        parts.append(f'<{link.href}>; rel="{GS1_VOC}{link.link_type}"; type="{link.media_type}"; title="{title}"')
    return ", ".join(parts)


def link_type_name(value: str) -> str:
    """``gs1:pip`` / ``https://gs1.org/voc/pip`` / ``pip`` -> ``pip``; linkset/all -> ``linkset``;
    ``gs1:defaultLink`` / ``gs1:defaultLinkMulti`` (either spelling) -> the default link's type;
    a URI of another vocabulary is kept whole, and ``gs1:`` or an empty value is ``""``:
    neither names a link this resolver offers (404)."""
    v = value.strip()
    if v in ("linkset", "all"):
        return "linkset"
    for prefix in ("gs1:", GS1_VOC, "http://gs1.org/voc/"):
        if v.startswith(prefix):
            v = v[len(prefix) :]
            # the default link is a link type the resolver offers (its linkset names it): it is
            # the pip link at every level; this resolver has one default, so defaultLinkMulti is it too
            return DEFAULT_LINK_TYPE if v in DEFAULT_LINK_NAMES else v
    return v


def redirect_target(links: list[Link], link_type: str, query: list[tuple[str, str]]) -> str | None:
    """Where ``?linkType=`` sends the client: the link's href with every other query pair passed
    on; None if this level offers no link of that type (the resolver answers 404)."""
    chosen = next((link for link in links if link.link_type == link_type), None)
    if chosen is None:
        return None
    return _with_query(chosen.href, [(k, v) for k, v in query if k != "linkType"])


def resolver_description(base: str) -> dict[str, Any]:
    """``/.well-known/gs1resolver``: what this resolver serves."""
    types = ("defaultLink", *(link.link_type for link in stamp_links(base, "-")))
    return {
        "name": "Tem truy xuất OCOP — GS1 Digital Link resolver (OCOP traceability stamps)",
        "resolverRoot": base,
        "supportedPrimaryKeys": ["01"],
        "supportedKeyQualifiers": {"01": ["22", "10", "21"]},
        "supportedLinkType": [{"namespace": GS1_VOC, "prefix": "gs1:"}],
        "linkTypes": [GS1_VOC + t for t in types],
        "linkTypeDefaultCanBeLinkset": True,
        "jsonLdContextLocation": JSONLD_CONTEXT,
        "supportedLanguages": list(LANGS),
        "note": (
            "Stamps (/01/{gtin}/21/{code}) resolve to their consumer page; /01/{gtin} and "
            "/01/{gtin}/10/{lot} to the product's and the lot's page. A code must belong to the GTIN."
        ),
    }
