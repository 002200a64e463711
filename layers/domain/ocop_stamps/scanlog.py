"""Reading the verification log: by code or by lot, newest first, one key query per page."""

from __future__ import annotations

from typing import Any

from . import repository as repo
from .codes import normalize
from .cursor import decode_cursor, encode_cursor
from .errors import BadRequest
from .models import ScanItem


def scan_view(s: ScanItem) -> dict[str, Any]:
    view = {
        "code": s.code,
        "scanned_at": s.scanned_at,
        "verdict": s.verdict,
        "verdicts": list(s.verdicts),
        "channel": s.channel,
        "scan_no": s.scan_no,
        "batch_id": None if s.batch_no is None else str(int(s.batch_no)),
        "serial": s.serial,
        "lot_id": s.lot_id,
        "product_id": s.product_id,
        "producer_id": s.producer_id,
        "country": s.country,
        "province": s.province,
        "client_hash": s.client_hash,
        "ua_family": s.ua_family,
        "reason": s.reason,
        "kind": s.kind,
        "report_where": s.report_where,
        "report_note": s.report_note,
    }
    return {k: (int(v) if isinstance(v, float) else v) for k, v in view.items() if v is not None}


def list_scans(*, code: str | None, lot: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    if (code is None) == (lot is None):
        raise BadRequest(
            "Give exactly one of ?code=… or ?lot=….",
            "Hãy cho đúng một trong hai tham số ?code=… hoặc ?lot=….",
        )
    if code is not None:
        key = normalize(code)[:32] or "-"
        page = repo.scans_of_code(key, limit, decode_cursor(cursor, {"code", "scan_key"}))
    else:
        assert lot is not None
        page = repo.scans_of_lot(lot, limit, decode_cursor(cursor, {"code", "scan_key", "lot_id"}))
    return {"items": [scan_view(s) for s in page.items], "next_cursor": encode_cursor(page.last_key)}
