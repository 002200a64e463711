"""Verifying a scan: decode, look up, judge, count and log -- in at most three requests warm.

1. The code is decoded with no I/O; a malformed or forged code is answered ``unknown``
   without reading anything (the attempt is still logged).
2. Batch, product, producer and lot come from a short per-process cache. A serial the
   cached batch shows as unbound is re-read once, so a fresh activation counts at once.
3. One UpdateItem bumps the stamp's counter (creating it on first scan); one PutItem
   appends the scan to the verification log, keyed by the scan number so a retry
   rewrites the same record instead of adding another.

Every logged scan is also counted: metric ``Scans``, dimension ``verdict`` (the headline
verdict; see ``ocop_stamps.observability``). A page re-shown by its view token is neither.
"""

from __future__ import annotations

import datetime as dt
import secrets as pysecrets
from collections.abc import Callable
from typing import Any, NamedTuple

from ocop_stamps.catalog.views import lot_view, plain, producer_view, product_view
from ocop_stamps.codes.labels import label_url
from ocop_stamps.codes.scheme import group, normalize
from ocop_stamps.codes.typed import KEYBOARD, REPAIRED, read
from ocop_stamps.core.cache import TtlCache
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.settings import get_settings
from ocop_stamps.core.vocabulary import UNCOUNTED_KINDS, VN_TZ, Verdict
from ocop_stamps.issuing.ranges import lot_of_serial
from ocop_stamps.observability import SCANS, count, logger
from ocop_stamps.scanning import view_tokens
from ocop_stamps.scanning.privacy import client_hash, coarse_place, ua_family
from ocop_stamps.scanning.verdicts import KEYBOARD_ADVICE, MESSAGES, StampFacts, judge
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.models import BatchItem, ScanItem
from ocop_stamps.storage.parameters import code_keys, ip_hash_salt


class ScanContext(NamedTuple):
    """What the request tells about the scan; nothing here is stored raw."""

    source_ip: str | None = None
    user_agent: str | None = None
    headers: dict[str, str] | None = None
    channel: str = "qr"


# Master data that changes rarely (names, addresses, dates) is cached briefly; the batch
# is read fresh on every scan because it carries what must show at once: activations,
# voids and the recalls of its lots.
_master: TtlCache[dict[str, Any] | None] = TtlCache(60)


def reset_cache() -> None:
    _master.clear()


def _cached(kind: str, key: str, load: Callable[[str], Any]) -> dict[str, Any] | None:
    def fetch() -> dict[str, Any] | None:
        item = load(key)
        return None if item is None else _VIEWS[kind](item)

    return _master.get((kind, key), fetch)


_VIEWS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "product": product_view,
    "producer": producer_view,
    "lot": lot_view,
}


def _batch_for(batch_no: int, serial: int) -> tuple[BatchItem | None, str | None]:
    batch = repo.get_batch(batch_no, consistent=True)
    return (batch, lot_of_serial(batch, serial)) if batch is not None else (None, None)


def _void_of(batch: BatchItem, serial: int) -> dict[str, Any] | None:
    for v in batch.voids:
        if int(v.first) <= serial <= int(v.last):
            return {"reason": v.reason, "voided_at": v.at}
    return None


def _recall_of(batch: BatchItem, lot_id: str | None) -> dict[str, Any] | None:
    entry = (plain(batch.recalls) if batch.recalls else {}).get(lot_id) if lot_id else None
    if not entry:
        return None
    return {
        "reason": entry.get("reason"),
        "message": entry.get("message_vi"),
        "message_en": entry.get("message_en"),
        "recalled_at": entry.get("at"),
    }


def _message(verdict: Verdict) -> dict[str, str]:
    vi, en = MESSAGES[verdict]
    return {"vi": vi, "en": en}


def verify(
    raw_code: str,
    ctx: ScanContext,
    base_url: str,
    now: dt.datetime | None = None,
    *,
    expected_gtin: str | None = None,
    view_token: str | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """The answer to one scan; every call appends exactly one record to the log.

    The code is read as a person or a phone sent it (``codes.typed``: separators, case, a
    Vietnamese keyboard's accents); a keyboard repair is logged with its reason. ``kind``
    (``UNCOUNTED_KINDS``, e.g. ``head`` for a link checker's HEAD) looks the stamp up
    without counting it: logged with that kind, never a person's scan, never a view token.

    ``view_token`` (from this scan's own page, see ``view_tokens``) re-shows a scan just
    made -- in the other language, say -- without counting or logging it again; an
    invalid or stale token is ignored and the request counts as a scan.

    ``expected_gtin`` (GTIN-14, from a GS1 Digital Link) must be the GTIN of the code's
    product; otherwise the answer is ``unknown`` and the stamp's counter is not touched.
    """
    settings = get_settings()
    _master.seconds = settings.cache_seconds
    now = now or utc_now()
    stamp_time = iso(now)
    headers = ctx.headers or {}
    country, province = coarse_place(headers)
    record = ScanItem(
        scanned_at=stamp_time,
        channel=ctx.channel,
        country=country,
        province=province,
        client_hash=client_hash(ip_hash_salt(), ctx.source_ip),
        ua_family=ua_family(ctx.user_agent),
    )
    counts = kind is None
    if not counts:
        if kind not in UNCOUNTED_KINDS:
            raise ValueError(f"not a scan-log kind: {kind!r}")
        record.kind = kind
    reading = read(raw_code, code_keys())
    if reading.stamp is None or reading.code is None:
        return _unknown(reading.text, reading.reason, record, stamp_time, now, keyboard=reading.outcome == KEYBOARD)
    stamp, code = reading.stamp, reading.code
    if reading.outcome == REPAIRED:  # for inspectors: what arrived, and that it was read back
        record.reason = f"typed on a Vietnamese keyboard as {reading.text[:32]}; read as {code}"
    batch, lot_id = _batch_for(stamp.batch, stamp.serial)
    if batch is None or stamp.serial > int(batch.size) or stamp.key_version != int(batch.key_version):
        return _unknown(code, "no such batch or serial", record, stamp_time, now)

    product = _cached("product", batch.product_id, repo.get_product) or {}
    if expected_gtin is not None and product.get("gtin") != expected_gtin:
        return _unknown(code, "code does not belong to this GTIN", record, stamp_time, now)
    producer = _cached("producer", batch.producer_id, repo.get_producer) or {}
    lot = _cached("lot", lot_id, repo.get_lot) if lot_id else None
    seen = view_tokens.check(ip_hash_salt(), view_token, code, now) if view_token and counts else None
    counted: Any = None
    scan_no: int | None = None
    if seen is not None:  # the same scan shown again: nothing counted, nothing logged
        scan_no, stamp_time = int(seen["c"]), str(seen["t"])
    elif counts:
        try:
            counted = repo.count_scan(code, stamp.batch, stamp.serial, stamp_time, province)
            scan_no = int(counted.scan_count)
        except Exception:  # retries exhausted: answer anyway, count later (scanning.fallback)
            logger.exception("stamp counter write failed; the scan goes to the fallback queue")
    voided = _void_of(batch, stamp.serial)
    recalled = _recall_of(batch, lot_id)
    facts = StampFacts(
        activated=lot is not None,
        scan_count=scan_no or 0,  # unknown count: claim no repeat rather than guess
        repeat_threshold=int(product.get("repeat_threshold", 10)),
        expiry_date=dt.date.fromisoformat(lot["expiry_date"]) if lot else None,
        recalled=recalled is not None,
        void=voided is not None,
    )
    verdicts = judge(facts, now.astimezone(VN_TZ).date())

    record.code = code
    record.scan_key = (
        table_keys.scan_key(stamp_time, scan_no)
        if scan_no
        else table_keys.uncounted_scan_key(stamp_time, "p" if counts else "k", pysecrets.token_hex(5))
    )
    record.verdict = verdicts[0].value
    record.verdicts = [v.value for v in verdicts]
    record.batch_no = stamp.batch
    record.serial = stamp.serial
    record.scan_no = scan_no
    record.lot_id = lot_id
    record.product_id = batch.product_id
    record.producer_id = batch.producer_id
    record.producer_province = (producer.get("address") or {}).get("province")  # inspector scope fallback
    if seen is None:
        _write_log(record, count_pending=counts and scan_no is None)
        if counts:
            count(SCANS, verdict=verdicts[0].value)

    result: dict[str, Any] = {
        "code": code,
        "code_display": group(code),
        "label_url": label_url(base_url, code),
        "verdict": verdicts[0].value,
        "verdicts": [v.value for v in verdicts],
        "message": _message(verdicts[0]),
        "scanned_at": stamp_time,
        "scan": {
            "count": scan_no,
            "first_scanned_at": counted.first_scan_at if counted else (seen or {}).get("f"),
            "first_province": counted.first_province if counted else (seen or {}).get("p"),
        },
        "stamp": {"batch_id": str(stamp.batch), "serial": stamp.serial},
        "product": _public_product(product),
        "producer": _public_producer(producer),
        "lot": _public_lot(lot) if lot else None,
    }
    if recalled:
        result["recall"] = {k: v for k, v in recalled.items() if v}
    if voided:
        result["void"] = voided
    if scan_no:
        scan = result["scan"]
        result["view_token"] = view_tokens.sign(
            ip_hash_salt(),
            {"k": code, "c": scan_no, "t": stamp_time, "f": scan["first_scanned_at"], "p": scan["first_province"]},
        )
    return result


def _write_log(record: ScanItem, *, count_pending: bool) -> None:
    """Append the log line; if DynamoDB still fails after botocore's retries, queue it."""
    if not count_pending:
        try:
            repo.record_scan(record)
            return
        except Exception:
            logger.exception("scan log write failed; the scan goes to the fallback queue")
    try:
        from ocop_stamps.scanning import fallback  # only now: a scan that DynamoDB took never needs SQS

        fallback.send(record, count_pending=count_pending)
    except Exception:  # both DynamoDB and SQS down: the answer stands, the loss is logged loudly
        logger.exception("scan lost: neither the log table nor the fallback queue took it")


def _unknown(
    raw_code: str, reason: str, record: ScanItem, stamp_time: str, now: dt.datetime, *, keyboard: bool = False
) -> dict[str, Any]:
    """Answer and log a code we did not issue; past the client's limit, ask it to slow down.

    ``keyboard``: the code came with a Vietnamese keyboard's accents and could not be read
    back to exactly one code: the answer asks to turn the accent keyboard off (hint ``keyboard``).

    Only unknown lookups count against the limit (one UpdateItem on a short-lived counter
    per client hash and window), so genuine scans are never slowed, while someone
    guessing codes is held to ``unknown_limit`` tries per window -- and every try is
    still logged as evidence for inspectors.
    """
    settings = get_settings()
    retry_after = 0
    if record.client_hash and settings.unknown_limit > 0:
        epoch = int(now.timestamp())
        window = epoch // settings.unknown_window_seconds
        end = (window + 1) * settings.unknown_window_seconds
        try:
            hits = repo.count_unknown(record.client_hash, window, end + 3600)
        except Exception:  # the limiter is a brake, not a gate: never fail a lookup over it
            logger.exception("unknown-lookup counter failed")
            hits = 0
        if hits > settings.unknown_limit:
            retry_after = end - epoch
            reason = f"{reason}; rate limited"
    shown = normalize(raw_code)[:32] or "-"
    record.code = shown
    record.scan_key = table_keys.uncounted_scan_key(stamp_time, "u", pysecrets.token_hex(5))
    record.verdict = Verdict.unknown.value
    record.verdicts = [Verdict.unknown.value]
    record.reason = reason
    _write_log(record, count_pending=False)
    if record.kind is None:
        count(SCANS, verdict=Verdict.unknown.value)
    typo = reason.startswith(("wrong length", "character outside the code alphabet", "check symbol mismatch"))
    result: dict[str, Any] = {
        "code": shown,
        "verdict": Verdict.unknown.value,
        "verdicts": [Verdict.unknown.value],
        "message": _message(Verdict.unknown),
        "hint": "keyboard" if keyboard else "check_code" if typo else "not_issued",
        "scanned_at": stamp_time,
    }
    if keyboard:
        result["message"] = dict(zip(("vi", "en"), KEYBOARD_ADVICE, strict=True))
    if retry_after:
        result["retry_after"] = retry_after
        result["hint"] = "slow_down"
    return result


def _public_product(p: dict[str, Any]) -> dict[str, Any]:
    keys = ("product_id", "name", "name_en", "brand", "group", "gtin", "image_url", "description", "ocop", "demo")
    return {k: p.get(k) for k in keys if p.get(k) is not None}


def _public_producer(p: dict[str, Any]) -> dict[str, Any]:
    keys = ("producer_id", "name", "kind", "address", "phone", "demo")
    return {k: p.get(k) for k in keys if p.get(k) is not None}


def _public_lot(lot: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "lot_id",
        "lot_code",
        "production_date",
        "expiry_date",
        "shelf_life_days",
        "quantity",
        "unit",
        "origin",
        "certifications",
        "standards",
        "process_steps",
    )
    return {k: lot.get(k) for k in keys if lot.get(k) not in (None, [])}
