"""The one place that builds a stamp's URLs: the one printed on its label, and its page's.

One stamp, one label URL (DESIGN.md, "Label URL"): codes.csv, every print file and job
manifest, the scan's JSON (``label_url``) and EPCIS identifiers (the same path on GS1's
canonical domain) all come from ``label_url``, so the bytes on a label are the bytes the
service answers with. tests/unit/test_label_urls.py fails if another module spells one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ocop_stamps.codes.gs1 import normalize_gtin


def page_url(base_url: str, code: str) -> str:
    """The consumer page of a stamp, ``{base}/v/{code}``: the label URL of a product without a
    GTIN, and where a Digital Link's ``gs1:pip`` link points for one with a GTIN."""
    return f"{base_url}/v/{quote(code, safe='')}"


def label_url(base_url: str, code: str, gtin: str | None = None) -> str:
    """The URL in a stamp's QR: ``{base}/v/{code}``, or the GS1 Digital Link
    ``{base}/01/{gtin14}/21/{code}`` when the product has a GTIN.

    The GTIN's check digit is verified (``ValueError`` otherwise) and it is printed as
    GTIN-14. ``label_url(base, "", gtin)`` is the prefix every code of a product shares:
    bulk writers (CSV, print files) append codes to it, so they stay byte-identical.
    """
    if gtin:
        return f"{base_url}/01/{normalize_gtin(gtin)}/21/{quote(code, safe='')}"
    return page_url(base_url, code)


def public_base_url(configured: str, event: dict[str, Any]) -> str:
    """The configured PUBLIC_BASE_URL; failing that, the API's own address from the request.

    The template cannot hand a function its own API's URL (that would be a circular
    dependency), so an empty PublicBaseUrl falls back to the domain the request came in
    on. Labels are a contract for years: set PublicBaseUrl to a domain you own before
    printing anything.
    """
    if configured:
        return configured
    ctx = event.get("requestContext") or {}
    headers = event.get("headers") or {}
    scheme = headers.get("x-forwarded-proto", "https")
    return f"{scheme}://{ctx.get('domainName', 'localhost')}"
