"""Which requests came through CloudFront: only those may say where a scan was made.

CloudFront adds the viewer's place (``CloudFront-Viewer-Country``, ``-Country-Region``)
and address (``CloudFront-Viewer-Address``) to each request it sends to the HTTP API,
together with the origin secret as ``X-Origin-Verify`` (``infra/template.yaml``). A client
calling the API directly can send every one of those headers itself, so:

* with the origin secret (compared in constant time with each accepted value,
  ``storage.parameters.origin_secrets``), CloudFront's headers are kept and the address
  that is hashed is the viewer's (behind CloudFront, the connection's own address is an
  edge server's, shared by a whole city);
* without it, every ``CloudFront-*`` header is dropped: the scan has no place (the
  inspector's scope falls back to the producer's province) and the connection's address
  is hashed. The request is still answered; the attempt is counted (metric
  ``UntrustedEdge``, dimension ``reason``) and logged with the header names only.

The local stack plays CloudFront (``ocop_local.server``): it adds the local secret itself
and drops what a client sends in CloudFront's name (docs/ARCHITECTURE.md, "Trust at the
edge").
"""

from __future__ import annotations

import hmac
import re
from typing import NamedTuple

from ocop_stamps.observability import UNTRUSTED_EDGE, count, logger
from ocop_stamps.storage.parameters import origin_secrets

ORIGIN_HEADER = "x-origin-verify"  # = the distribution's OriginCustomHeaders name (a test keeps them equal)
EDGE_PREFIX = "cloudfront-"
VIEWER_ADDRESS = "cloudfront-viewer-address"
_ADDRESS = re.compile(r"^([0-9A-Fa-f:.]{2,45}):\d{1,5}$")  # "198.51.100.7:443", "2001:db8::1:443"


class Viewer(NamedTuple):
    """The request as far as it can be believed."""

    headers: dict[str, str]  # lower-case names; CloudFront's only when it came through CloudFront
    address: str | None  # the viewer's IP address (to hash, never stored)


def viewer(headers: dict[str, str], source_ip: str | None) -> Viewer:
    """The request's headers and address, CloudFront's part trusted only with the origin secret."""
    presented = headers.get(ORIGIN_HEADER)
    if presented is not None and _verified(presented):
        kept = {name: value for name, value in headers.items() if name != ORIGIN_HEADER}
        return Viewer(kept, _address(headers.get(VIEWER_ADDRESS)) or source_ip)
    claimed = sorted(name for name in headers if name.startswith(EDGE_PREFIX))
    if presented is not None or claimed:
        reason = "wrong_secret" if presented is not None else "no_secret"
        count(UNTRUSTED_EDGE, reason=reason)
        logger.warning(
            "CloudFront viewer headers ignored: the request did not come through CloudFront",
            extra={"reason": reason, "ignored_headers": [name[:64] for name in claimed[:20]]},
        )
    plain = {n: v for n, v in headers.items() if n != ORIGIN_HEADER and not n.startswith(EDGE_PREFIX)}
    return Viewer(plain, source_ip)


def _verified(presented: str) -> bool:
    try:
        accepted = origin_secrets().accepted
    except Exception:  # no secret configured, or Secrets Manager unreachable: trust nothing, answer anyway
        logger.exception("origin secret unavailable: CloudFront's viewer headers are not trusted")
        return False
    given = presented.encode("utf-8", "replace")
    matched = False
    for value in accepted:  # every value compared, in constant time each
        matched |= hmac.compare_digest(given, value)
    return matched


def _address(value: str | None) -> str | None:
    match = _ADDRESS.match(value or "")
    return match.group(1) if match else None
