"""What a scan may keep about the person scanning: a salted hash, a coarse place, a UA family.

No raw IP address or full user-agent string ever reaches storage (DESIGN.md, Scan).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from ocop_stamps.core.text import is_digits
from ocop_stamps.places.scopes import code_of

_UA_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("bot", r"bot|crawler|spider"),
        # HTTP libraries: apps and scripts, counted as people (scanning.traffic)
        ("http-client", r"curl|wget|python-requests|httpie|okhttp|go-http-client|dart/|cfnetwork"),
        ("zalo", r"zalo"),
        ("facebook", r"fban|fbav|fb_iab"),
        ("samsung-internet", r"samsungbrowser"),
        ("coc-coc", r"coc_coc|coccoc"),
        ("edge", r"edg/"),
        ("firefox", r"firefox|fxios"),
        ("chrome", r"chrome|crios"),
        ("safari", r"safari"),
    )
)


def client_hash(salt: bytes, address: str | None) -> str | None:
    """24 hex digits of a salted HMAC of the address; an IPv6 address counts by its /64.

    A phone's IPv6 address changes every day or so (privacy extensions) while its /64 -- the
    subscriber's line -- stays; one /64 is one client for the limits, alerts and scanners.
    """
    if not address:
        return None
    if ":" in address:
        address = _ipv6_network(address)
    return hmac.new(salt, address.encode(), hashlib.sha256).hexdigest()[:24]


def _ipv6_network(address: str) -> str:
    import ipaddress  # only for IPv6 clients: the scan path's imports stay small

    try:
        return str(ipaddress.ip_network(f"{address.split('%', 1)[0]}/64", strict=False))
    except ValueError:
        return address


def ua_family(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    ua = user_agent[:512]
    mobile = "mobile" if re.search(r"mobile|android|iphone|ipad", ua, re.IGNORECASE) else "desktop"
    for name, pattern in _UA_FAMILIES:
        if pattern.search(ua):
            return name if name in ("bot", "http-client") else f"{name}-{mobile}"
    return f"other-{mobile}"


_REGION = re.compile(r"^[A-Za-z0-9-]{1,10}$")


def coarse_place(headers: dict[str, str]) -> tuple[str | None, str | None]:
    """Country and province codes from the edge's viewer headers, when present and sane.

    In Vietnam the province is today's (issue 12), as its GSO code: CloudFront sends the ISO
    3166-2:VN code of one of the 63 old provinces ('03' or 'VN-03', Hà Giang -> '08', Tuyên
    Quang today). A GSO code of today ('08', 'VN-08') is taken as it is where no ISO code of the
    63 reads the same (ISO first: 'VN-01' is Lai Châu, as CloudFront means it). An unknown
    code is kept as ``VN-xx`` (no province's inspectors see it as theirs). Elsewhere,
    ``{country}-{region}`` as sent."""
    country = headers.get("cloudfront-viewer-country")
    region = headers.get("cloudfront-viewer-country-region")
    country = country.upper() if country and re.fullmatch(r"[A-Za-z]{2}", country) else None
    region = region.upper() if region and _REGION.match(region) else None
    if country and region and not region.startswith(country + "-"):
        region = f"{country}-{region}"
    if country == "VN" and region:
        return country, code_of(region) or code_of(region[3:] if is_digits(region[3:]) else None) or region
    return country, region
