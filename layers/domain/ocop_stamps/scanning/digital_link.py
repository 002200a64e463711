"""GS1 Digital Link: the URIs printed on labels of products with a GTIN, and the resolver.

``{base}/01/{gtin14}[/22/{cpv}][/10/{lot}]/21/{code}`` (DESIGN.md, "Label URL"). What the
resolver does, following the GS1-Conformant Resolver standard where it applies:

* a path that is not Digital Link syntax (unknown or repeated AI, wrong order, bad GTIN
  check digit, a value outside the AI's character set or length) answers **400** -- except
  a serial (AI 21) a person typed with spaces or a Vietnamese keyboard's accents, which is
  read as the code it stands for (``codes.typed``, issue 11);
* a syntactically valid URI whose code was not issued, or belongs to another GTIN, answers
  **404** -- and is never counted as a scan of that stamp;
* ``Accept: application/linkset+json``, ``?linkType=linkset`` or ``?linkType=all`` answer
  the RFC 9264 linkset (anchor = the uncompressed URI) without counting a scan;
* every request about a code -- page, JSON, HEAD, linkset or redirect -- is logged and,
  when the code was not issued, counted against the client's unknown-lookup limit
  exactly as ``/v/{code}`` is (429 past it; ``scanning.limits``);
* ``?linkType=gs1:pip`` (or any link type, CURIE or full URI) answers **307** to that link,
  passing the rest of the query string on; an unknown link type goes to the default link;
* no linkType: the resolver is also the content server, so it answers the consumer page
  itself (as ``/v/{code}``) rather than costing a slow phone one more round trip;
* every answer names the linkset in a ``Link`` header; CORS is open (read-only data).

Whether a code belongs to a GTIN without counting a scan (HEAD, linkset, redirect) is
decided by ``verification.lookup``: one batch read, one cached product read, one log line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, unquote, urlencode

from ocop_stamps.codes.gs1 import normalize_gtin
from ocop_stamps.codes.labels import page_url
from ocop_stamps.codes.typed import looks_typed, read
from ocop_stamps.core.vocabulary import LANGS
from ocop_stamps.storage.parameters import code_keys

GS1_VOC = "https://gs1.org/voc/"
# AI -> max length; the order here is the only order Digital Link allows after /01/.
QUALIFIERS = {"22": 20, "10": 20, "21": 20}
# GS1 AI encodable character set 82.
_CSET82 = re.compile(r"""^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$""")


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
    """A Digital Link from the path of a request URI (a trailing slash is tolerated)."""
    segments = path.strip("/").split("/")
    if len(segments) < 2 or segments[0] != "01" or len(segments) % 2:
        raise BadLink("a Digital Link path is /01/{gtin} followed by AI/value pairs")
    try:
        gtin = normalize_gtin(unquote(segments[1]))
    except ValueError as exc:
        raise BadLink(str(exc)) from None
    values: dict[str, str] = {}
    last = -1
    order = list(QUALIFIERS)
    for i in range(2, len(segments), 2):
        ai, raw = segments[i], unquote(segments[i + 1])
        if ai not in QUALIFIERS:
            raise BadLink(f"AI {ai!r} is not a key qualifier of a GTIN this resolver knows (22, 10, 21)")
        if order.index(ai) <= last:
            raise BadLink("key qualifiers must appear once each, in the order /22/, /10/, /21/")
        last = order.index(ai)
        if not raw or len(raw) > QUALIFIERS[ai] or not (_CSET82.match(raw) or (ai == "21" and looks_typed(raw))):
            raise BadLink(f"AI {ai}: 1 to {QUALIFIERS[ai]} characters of GS1's character set 82")
        values[ai] = raw
    return DigitalLink(gtin, values.get("22"), values.get("10"), values.get("21"))


def read_serial(link: DigitalLink) -> DigitalLink:
    """The link with its serial as the code it reads as (``codes.typed``: case, separators, a
    Vietnamese keyboard's accents), so anchors, links and the page name the printed code;
    a serial that reads as no code is left as it came."""
    if link.serial is None:
        return link
    code = read(link.serial, code_keys()).code
    return link if code is None or code == link.serial else replace(link, serial=code)


# --- links ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    link_type: str  # short name in the GS1 Web vocabulary
    href: str
    title_vi: str
    title_en: str
    media_type: str = "text/html"

    def target(self) -> dict[str, Any]:
        return {
            "href": self.href,
            "title": self.title_vi,
            "title*": [{"value": self.title_en, "language": "en"}],
            "type": self.media_type,
            "hreflang": list(LANGS),
        }


DEFAULT_LINK_TYPE = "pip"


def links(base: str, code: str) -> list[Link]:
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


def linkset(anchor: str, base: str, code: str) -> dict[str, Any]:
    """The RFC 9264 JSON linkset: one link context object, link types as full URIs."""
    context: dict[str, Any] = {"anchor": anchor}
    all_links = links(base, code)
    default = next(link for link in all_links if link.link_type == DEFAULT_LINK_TYPE)
    context[GS1_VOC + "defaultLink"] = [default.target()]
    for link in all_links:
        context.setdefault(GS1_VOC + link.link_type, []).append(link.target())
    return {"linkset": [context]}


def link_header(anchor: str, base: str, code: str) -> str:
    """The same links for the HTTP Link header (RFC 8288), the linkset itself first."""
    parts = [f'<{anchor}?linkType=linkset>; rel="linkset"; type="application/linkset+json"']
    for link in links(base, code):
        title = link.title_en.replace('"', "'")
        parts.append(f'<{link.href}>; rel="{GS1_VOC}{link.link_type}"; type="{link.media_type}"; title="{title}"')
    return ", ".join(parts)


def link_type_name(value: str) -> str | None:
    """``gs1:pip`` / ``https://gs1.org/voc/pip`` / ``pip`` -> ``pip``; linkset/all -> ``linkset``."""
    v = value.strip()
    if v in ("linkset", "all"):
        return "linkset"
    for prefix in ("gs1:", GS1_VOC, "http://gs1.org/voc/"):
        if v.startswith(prefix):
            return v[len(prefix) :] or None
    return v or None


def redirect_target(base: str, code: str, link_type: str, query: dict[str, str]) -> str:
    """Where ``?linkType=`` sends the client: the link's href with the other query pairs passed on."""
    chosen = next((link for link in links(base, code) if link.link_type == link_type), None)
    if chosen is None:
        chosen = next(link for link in links(base, code) if link.link_type == DEFAULT_LINK_TYPE)
    href, _, fragment = chosen.href.partition("#")
    rest = urlencode([(k, v) for k, v in query.items() if k != "linkType"])
    return href + (f"?{rest}" if rest else "") + (f"#{fragment}" if fragment else "")


def resolver_description(base: str) -> dict[str, Any]:
    """``/.well-known/gs1resolver``: what this resolver serves."""
    return {
        "name": "Tem truy xuất OCOP — GS1 Digital Link resolver (OCOP traceability stamps)",
        "resolverRoot": base,
        "supportedPrimaryKeys": ["01"],
        "supportedKeyQualifiers": {"01": ["22", "10", "21"]},
        "supportedLinkType": [{"namespace": GS1_VOC, "prefix": "gs1:"}],
        "linkTypes": [GS1_VOC + t for t in ("defaultLink", *(link.link_type for link in links(base, "-")))],
        "linkTypeDefaultCanBeLinkset": True,
        "supportedLanguages": list(LANGS),
        "note": "Only serialised stamps (/01/{gtin}/21/{code}) resolve; a code must belong to the GTIN.",
    }
