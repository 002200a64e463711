"""The console's static files: its one script (``scan.js``) and the vendored QR decoder (jsQR).

Both are files of this package (``console/static/``; the layer's build copies the whole
package), read once per process. Each is served at ``/console/static/{name}``; pages link it
with ``?v={version}`` (the first 16 hex digits of its SHA-256), so it is cached a year and
immutable, and a new file is a new URL. The ETag is the same version: a revalidation is a 304.
gzip when the browser accepts it (the HTTP API does not compress; Lambda answers the bytes
base64-encoded). Standard library only (``core``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from ocop_stamps.core import words

STATIC_DIR = Path(__file__).resolve().parent / "static"
PREFIX = "/console/static/"
FILES = {"scan.js": "scan.js", "jsqr.js": "vendor/jsqr/jsQR.js"}  # URL name -> file under static/
YEAR = 365 * 24 * 3600


class Asset(NamedTuple):
    """One static file: its bytes, gzip bytes, and version (16 hex digits of its SHA-256)."""

    body: bytes
    gzipped: bytes
    version: str


@lru_cache(maxsize=len(FILES))
def asset(name: str) -> Asset:
    """The file served as ``/console/static/{name}``; ``KeyError`` for a name not in ``FILES``."""
    body = (STATIC_DIR / FILES[name]).read_bytes()
    return Asset(body, gzip.compress(body, 9, mtime=0), hashlib.sha256(body).hexdigest()[:16])


def url(name: str) -> str:
    """The versioned URL a page links: ``/console/static/scan.js?v=0123456789abcdef``."""
    return f"{PREFIX}{name}?v={asset(name).version}"


def serve(event: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /console/static/{name}``: the file (gzip if accepted), 304 on a matching
    ``If-None-Match``, 404 for any other name or method."""
    path = str(event.get("rawPath") or "")
    name = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
    method = str(((event.get("requestContext") or {}).get("http") or {}).get("method", "GET")).upper()
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    if name not in FILES or method not in ("GET", "HEAD"):
        return {
            "statusCode": 404,
            "headers": {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"},
            "body": f"{words.text('console.not_found', 'vi')}\n{words.text('console.not_found', 'en')}",
        }
    found = asset(name)
    etag = f'"{found.version}"'
    common = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={YEAR}, immutable",
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
    }
    if etag in [tag.strip().removeprefix("W/") for tag in headers.get("if-none-match", "").split(",")]:
        return {"statusCode": 304, "headers": common, "body": ""}
    zipped = "gzip" in headers.get("accept-encoding", "").lower()
    body = found.gzipped if zipped else found.body
    out = {**common, "Content-Type": "text/javascript; charset=utf-8"}
    if zipped:
        out["Content-Encoding"] = "gzip"
    return {
        "statusCode": 200,
        "headers": out,
        "body": "" if method == "HEAD" else base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": method != "HEAD",
    }
