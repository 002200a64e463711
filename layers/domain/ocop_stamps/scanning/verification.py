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
Only a person's scan counts (issue 11, docs/COUNTING.md): a preview, bot, prefetch or HEAD
(``scanning.traffic``) is logged with its kind and metric ``MachineFetches``, and moves no
counter; ``repeat`` comes from the stamp's distinct scanners (``scanning.scanners``).
"""

from __future__ import annotations

import datetime as dt
import secrets as pysecrets
from collections.abc import Callable
from typing import Any, NamedTuple

from ocop_stamps.catalog.views import lot_view, plain, producer_view, product_view
from ocop_stamps.codes.labels import label_url
from ocop_stamps.codes.pins import MAX_WRONG_TRIES
from ocop_stamps.codes.scheme import StampId, decode, group, normalize
from ocop_stamps.codes.typed import KEYBOARD, REPAIRED, read
from ocop_stamps.core.cache import TtlCache
from ocop_stamps.core.dates import day_of
from ocop_stamps.core.errors import Unavailable
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.settings import get_settings
from ocop_stamps.core.vocabulary import LOOKUP, VN_TZ, ScanFlag, ScanKind, Verdict
from ocop_stamps.issuing.ranges import lot_of_serial
from ocop_stamps.observability import MACHINE_FETCHES, SCANS, count, logger
from ocop_stamps.places.provinces import current_name
from ocop_stamps.places.scopes import code_of
from ocop_stamps.scanning import limits, view_tokens
from ocop_stamps.scanning.privacy import client_hash, coarse_place, ua_family
from ocop_stamps.scanning.scanners import DEFAULT_REPEAT_SCANNERS, scanner_of, spread
from ocop_stamps.scanning.traffic import PERSON, Traffic
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


def _new_record(ctx: ScanContext, stamp_time: str) -> ScanItem:
    """A log line with what the request may tell about who asked: a salted hash of the
    address, a coarse place, a user-agent family (``scanning.privacy``), nothing raw."""
    country, province = coarse_place(ctx.headers or {})
    return ScanItem(
        scanned_at=stamp_time,
        channel=ctx.channel,
        country=country,
        province=province,
        client_hash=client_hash(ip_hash_salt(), ctx.source_ip),
        ua_family=ua_family(ctx.user_agent),
    )


def verify(
    raw_code: str,
    ctx: ScanContext,
    base_url: str,
    now: dt.datetime | None = None,
    *,
    expected_gtin: str | None = None,
    label_lot: str | None = None,
    view_token: str | None = None,
    traffic: Traffic = PERSON,
    defer: bool = True,
) -> dict[str, Any]:
    """The answer to one scan; every call appends exactly one record to the log.

    ``view_token`` (from this scan's own page, see ``view_tokens``) re-shows a scan just
    made -- in the other language, say -- without counting or logging it again, with the
    stamp's *current* count and verdict (one read); an invalid or stale token is ignored
    and the request counts as a scan.

    ``traffic`` (``scanning.traffic.classify``): only a person's scan counts. A preview,
    bot, prefetch or HEAD is logged with its kind and answered from the stamp's standing
    (never ``repeat``) without touching its counter: one read (the batch) and one write.

    ``expected_gtin`` (GTIN-14, from a GS1 Digital Link) must be the GTIN of the code's
    product; otherwise the answer is ``unknown`` and the stamp's counter is not touched.

    ``label_lot`` (AI 10 of a Digital Link: the lot printed on the label) is kept on the
    record; when it is not the lot code the stamp is bound to (or the stamp is bound to
    none), the answer carries ``lot_mismatch`` ``{"label_lot", "stamp_lot"}`` (``stamp_lot``
    None when unbound) and the record the flag ``lot_mismatch``: the verdict stands, the
    label is evidence.

    Raises ``Unavailable`` (503) when DynamoDB keeps refusing the catalog reads: no
    verdict is given, and the scan is queued for the drain to judge and log (``_defer``) --
    unless ``defer`` is False (an SMS gateway retries the same message itself, issue 14: the
    retry is the scan, so nothing is queued and nothing was counted).
    """
    settings = get_settings()
    _master.seconds = settings.cache_seconds
    now = now or utc_now()
    stamp_time = iso(now)
    person = traffic.kind == ScanKind.person
    record = _new_record(ctx, stamp_time)
    province = record.province
    record.label_lot = label_lot
    record.kind = traffic.kind.value
    if not person:
        record.ua_family = traffic.agent
    reading = read(raw_code, code_keys())
    if reading.stamp is None or reading.code is None:
        return _unknown(reading.text, reading.reason, record, stamp_time, now, keyboard=reading.outcome == KEYBOARD)
    stamp, code = reading.stamp, reading.code
    if reading.outcome == REPAIRED:  # for inspectors: what arrived, and that it was read back
        record.reason = f"typed on a Vietnamese keyboard as {reading.text[:32]}; read as {code}"
    seen = view_tokens.check(ip_hash_salt(), view_token, code, now) if view_token and person else None
    try:
        found = _catalog(stamp, expected_gtin)
    except Unavailable:  # the catalog cannot be read now: no verdict is given, none is guessed
        if seen is None and person and defer:
            _defer(record, code, stamp, expected_gtin)
        raise
    if isinstance(found, _NotFound):
        return _unknown(code, found.reason, record, stamp_time, now, found.batch)
    _, _, product, producer, lot = found
    me = scanner_of(record.client_hash)
    counted: Any = None
    scan_no: int | None = None
    if not person:  # a machine: nothing counted, nothing read beyond the batch
        pass
    elif seen is not None:  # the same scan shown again, with the stamp's state now: nothing counted or logged
        stamp_time = str(seen["t"])
        counted = _current_stamp(code)
        scan_no = int(counted.scan_count) if counted is not None else int(seen["c"])
    else:
        try:
            counted = repo.count_scan(code, stamp.batch, stamp.serial, stamp_time, province, me)
            scan_no = int(counted.scan_count)
        except Exception:  # retries exhausted: answer anyway, count later (scanning.fallback)
            logger.exception("stamp counter write failed; the scan goes to the fallback queue")
    reach = spread(counted.scanners if counted is not None else None, me)
    claimed = counted if counted is not None and counted.claimed_at else None  # issue 14: the PIN was confirmed
    verdicts, voided, recalled = _judge(
        record, code, stamp, found, scan_no, now, reach.scanners, person=person, claimed=claimed is not None
    )
    bound_lot = lot.get("lot_code") if lot else None
    lot_mismatch = (
        {"label_lot": label_lot, "stamp_lot": bound_lot} if label_lot is not None and label_lot != bound_lot else None
    )
    record.flags = [ScanFlag.lot_mismatch.value] if lot_mismatch else None
    if not person:
        _write_log(record, count_pending=False)
        count(MACHINE_FETCHES, kind=traffic.kind.value)
    elif seen is None:
        _write_log(record, count_pending=scan_no is None)
        count(SCANS, verdict=verdicts[0].value)

    result: dict[str, Any] = {
        "code": code,
        "code_display": group(code),
        "label_url": label_url(base_url, code, product.get("gtin")),  # the URL printed on it, as codes.csv has it
        "verdict": verdicts[0].value,
        "verdicts": [v.value for v in verdicts],
        "message": _message(verdicts[0]),
        "scanned_at": stamp_time,
        "scan": {
            "count": scan_no,
            "first_scanned_at": counted.first_scan_at if counted is not None else None,
            # today's province (issue 12): a stamp first seen under an old code ('VN-26') says '46'
            "first_province": _today(counted.first_province) if counted is not None else None,
            # the place's name today: 'VN-26' (Thừa Thiên Huế in ISO 3166-2) is Thành phố Huế
            "first_province_name": current_name(counted.first_province) if counted is not None else None,
            "scanners": reach.scanners or None,
            "this_device_only": reach.this_device_only,
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
    if lot_mismatch:
        result["lot_mismatch"] = lot_mismatch
    if found[0].second_layer:  # a two-layer stamp (issue 14): the page asks for the PIN under the coating
        result["second_layer"] = True
        if counted is not None and int(counted.pin_failures or 0) >= MAX_WRONG_TRIES:
            result["pin_locked"] = True  # the page says so instead of a form that can no longer work
    if claimed is not None:
        place = None if claimed.claimed_province in (None, repo.UNPLACED) else str(claimed.claimed_province)
        result["claim"] = {
            "claimed_at": claimed.claimed_at,
            "claimed_province": _today(place),
            "claimed_province_name": current_name(place) if place else None,
        }
    if not person:
        result["kind"] = traffic.kind.value
        del result["scan"]  # a machine is told nothing about the stamp's scans
    elif scan_no:
        # The token says which scan this page shows; a re-show reads the stamp's state afresh.
        shown = int(seen["c"]) if seen is not None else scan_no
        result["view_token"] = view_tokens.sign(ip_hash_salt(), {"k": code, "c": shown, "t": stamp_time})
    return result


def _threshold(product: dict[str, Any]) -> int:
    try:
        return max(1, int(product.get("repeat_threshold") or DEFAULT_REPEAT_SCANNERS))
    except (TypeError, ValueError):
        return DEFAULT_REPEAT_SCANNERS


def _current_stamp(code: str) -> Any:
    """The stamp's counter and scanners now, for a page shown again (None if the read fails)."""
    try:
        return repo.get_stamp(code)
    except Exception:  # a re-shown page still answers: with the scan's own number, no repeat claim
        logger.exception("stamp read for a re-shown page failed")
        return None


_Found = tuple[BatchItem, str | None, dict[str, Any], dict[str, Any], dict[str, Any] | None]


class _NotFound(NamedTuple):
    """Why a decoded code is ``unknown``, and the real batch it names, if any."""

    reason: str
    batch: BatchItem | None = None


def _catalog(stamp: StampId, expected_gtin: str | None) -> _Found | _NotFound:
    """(batch, lot_id, product, producer, lot) of a decoded stamp, or why it is ``unknown``.

    Raises ``Unavailable`` when DynamoDB keeps refusing the reads (``storage.faults``).
    """
    batch, lot_id = _batch_for(stamp.batch, stamp.serial)
    if batch is None or stamp.serial > int(batch.size) or stamp.key_version != int(batch.key_version):
        return _NotFound("no such batch or serial", batch)
    product = _cached("product", batch.product_id, repo.get_product) or {}
    if expected_gtin is not None and product.get("gtin") != expected_gtin:
        return _NotFound("code does not belong to this GTIN", batch)
    producer = _cached("producer", batch.producer_id, repo.get_producer) or {}
    lot = _cached("lot", lot_id, repo.get_lot) if lot_id else None
    return batch, lot_id, product, producer, lot


def _judge(
    record: ScanItem,
    code: str,
    stamp: StampId,
    found: _Found,
    scan_no: int | None,
    now: dt.datetime,
    scanners: int,
    *,
    person: bool = True,
    claimed: bool = False,
) -> tuple[list[Verdict], dict[str, Any] | None, dict[str, Any] | None]:
    """The scan's verdicts (and its void and recall, if any), written into ``record``.

    ``scanners``: distinct scanners of the stamp (``scanning.scanners.spread``; 0 when
    unknown or for a machine: no ``repeat`` is claimed then)."""
    batch, lot_id, product, producer, lot = found
    voided = _void_of(batch, stamp.serial)
    recalled = _recall_of(batch, lot_id)
    facts = StampFacts(
        activated=lot is not None,
        scanners=scanners,
        repeat_threshold=_threshold(product),
        expiry_date=day_of(lot.get("expiry_date")) if lot else None,  # never raises on a stored value
        recalled=recalled is not None,
        void=voided is not None,
        claimed=claimed,
    )
    verdicts = judge(facts, now.astimezone(VN_TZ).date())
    stamp_time = record.scanned_at
    record.code = code
    record.scan_key = (
        table_keys.scan_key(stamp_time, scan_no)
        if scan_no
        else table_keys.uncounted_scan_key(stamp_time, "p" if person else "n", pysecrets.token_hex(5))
    )
    record.verdict = verdicts[0].value
    record.verdicts = [v.value for v in verdicts]
    record.batch_no = stamp.batch
    record.serial = stamp.serial
    record.scan_no = scan_no
    record.lot_id = lot_id
    record.lot_code = lot.get("lot_code") if lot else None  # what people read, from what was read anyway
    record.product_id = batch.product_id
    record.product_name = product.get("name")
    record.producer_id = batch.producer_id
    record.producer_province = (producer.get("address") or {}).get("province")  # inspector scope fallback
    return verdicts, voided, recalled


def _defer(record: ScanItem, code: str, stamp: StampId, expected_gtin: str | None) -> None:
    """Queue a scan whose catalog could not be read: the drain reads, counts, judges and logs
    it (``replay_unchecked``), so it is logged once like any other (issue 13)."""
    record.code = code
    record.batch_no = stamp.batch
    record.serial = stamp.serial
    # its key is fixed now, so a redelivered message rewrites the same line, never adds one
    record.scan_key = table_keys.uncounted_scan_key(record.scanned_at, "p", pysecrets.token_hex(5))
    try:
        from ocop_stamps.scanning import fallback

        fallback.send(record, count_pending=True, judge_pending=True, expected_gtin=expected_gtin)
    except Exception:  # both DynamoDB and SQS down: the 503 stands, the loss is logged loudly
        logger.exception("scan lost: the catalog could not be read and the fallback queue refused it")


def replay_unchecked(fields: dict[str, Any], expected_gtin: str | None) -> ScanItem:
    """Complete a deferred scan (``_defer``): what ``verify`` would have logged, judged on the
    scan's own date with the stamp's state now (a recall or void made meanwhile shows);
    a code that turns out not to exist is logged ``unknown``. The line keeps the key it got
    at scan time (``{time}#p…``, ``#u…`` if unknown): a redelivery rewrites it. Returns it."""
    record = ScanItem(**fields)
    key = str(record.scan_key)
    now = dt.datetime.fromisoformat(str(record.scanned_at).replace("Z", "+00:00"))
    stamp = decode(code_keys(), str(record.code))
    found = _catalog(stamp, expected_gtin)
    if isinstance(found, _NotFound):
        key = key.replace("#p", "#u", 1)
        record.verdict = Verdict.unknown.value
        record.verdicts = [Verdict.unknown.value]
        record.reason = found.reason
    else:
        me = scanner_of(record.client_hash)  # the scanner joins the stamp's set, as on the scan path
        counted = repo.count_scan(record.code, stamp.batch, stamp.serial, str(record.scanned_at), record.province, me)
        reach = spread(counted.scanners, me)
        scan_no = int(counted.scan_count)
        _judge(record, str(record.code), stamp, found, scan_no, now, reach.scanners, claimed=bool(counted.claimed_at))
    record.scan_key = key
    repo.record_scan(record)
    count(SCANS, verdict=str(record.verdict))
    return record


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
    raw_code: str,
    reason: str,
    record: ScanItem,
    stamp_time: str,
    now: dt.datetime,
    batch: BatchItem | None = None,
    *,
    keyboard: bool = False,
) -> dict[str, Any]:
    """Answer and log a code we did not issue; past the client's limit, ask it to slow down.

    ``keyboard``: the code came with a Vietnamese keyboard's accents and could not be read
    back to exactly one code: the answer asks to turn the accent keyboard off (hint ``keyboard``).

    Only answers "no such code" count against the limit (``limits.unknown_lookups``: one
    UpdateItem on a short-lived counter per client hash and window), so genuine scans are
    never slowed, while someone guessing codes -- by ``/v``, the typed form or any Digital
    Link request -- is held to ``unknown_limit`` tries per window; every try is still
    logged as evidence for inspectors. Past the limit the answer says nothing about the
    code (``{"code", "retry_after", "scanned_at"}``): not whether it exists, and not that it
    may be counterfeit -- a person who mistyped a real code is told to wait and check it.

    The record belongs to the province it was scanned in (``storage.keys.jurisdiction``);
    when the code names a real ``batch`` (a serial past its end, another key version, or a
    Digital Link with another product's GTIN) it is also tied to that batch, product and
    producer, whose province then stands in for an unknown place, as for any scan.
    """
    if batch is not None:
        producer = _cached("producer", batch.producer_id, repo.get_producer) or {}
        record.batch_no = int(batch.batch_no)
        record.product_id = batch.product_id
        record.producer_id = batch.producer_id
        record.producer_province = (producer.get("address") or {}).get("province")
    retry_after = limits.hit(limits.unknown_lookups(), record.client_hash, now)
    if retry_after:
        reason = f"{reason}; rate limited"
    shown = normalize(raw_code)[:32] or "-"
    record.code = shown
    record.scan_key = table_keys.uncounted_scan_key(stamp_time, "u", pysecrets.token_hex(5))
    record.verdict = Verdict.unknown.value
    record.verdicts = [Verdict.unknown.value]
    record.reason = reason
    _write_log(record, count_pending=False)
    count(SCANS, verdict=Verdict.unknown.value)
    if retry_after:
        return {"code": shown, "retry_after": retry_after, "scanned_at": stamp_time}
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
    return result


def lookup(
    raw_code: str,
    ctx: ScanContext,
    *,
    expected_gtin: str,
    asked: str,
    now: dt.datetime | None = None,
    log_found: bool = True,
) -> dict[str, Any]:
    """Whether a code was issued for ``expected_gtin``, for a Digital Link request that is
    not a scan (``asked``: ``HEAD``, ``linkset``, ``linkType=gs1:pip`` ...); one log line either way.

    A code that was not issued (or belongs to another GTIN) is answered exactly as by
    ``verify``: logged ``unknown``, counted against the client's limit, ``retry_after``
    past it. An issued code: ``{"code", "verdict": "lookup", "scanned_at", "product_name", "product_name_en",
    "lot_id"}`` (the lot the stamp is bound to, None before activation), logged as a
    ``lookup`` line of the stamp (kind and verdict ``lookup``) -- never a scan: the
    stamp's counter is not touched and the detector raises nothing on it. One batch read,
    one cached product read, one PutItem. ``log_found=False`` (the resolver's 307 to the
    default link, whose page logs the scan itself) leaves out the line of an issued code, so
    one scan through a redirect is one line; a code that was not issued is logged as ever.
    """
    now = now or utc_now()
    stamp_time = iso(now)
    record = _new_record(ctx, stamp_time)
    reading = read(raw_code, code_keys())
    if reading.stamp is None or reading.code is None:
        keyboard = reading.outcome == KEYBOARD
        return _unknown(reading.text, f"{reading.reason} ({asked})", record, stamp_time, now, keyboard=keyboard)
    stamp = reading.stamp
    batch = repo.get_batch(stamp.batch)
    if batch is None or stamp.serial > int(batch.size) or stamp.key_version != int(batch.key_version):
        return _unknown(raw_code, f"no such batch or serial ({asked})", record, stamp_time, now)
    _master.seconds = get_settings().cache_seconds
    product = _cached("product", batch.product_id, repo.get_product) or {}
    if product.get("gtin") != expected_gtin:
        return _unknown(raw_code, f"code does not belong to this GTIN ({asked})", record, stamp_time, now)
    producer = _cached("producer", batch.producer_id, repo.get_producer) or {}
    code = reading.code
    if not log_found:
        return {"code": code, "verdict": LOOKUP, "scanned_at": stamp_time, **_names(product)}
    record.code = code
    record.scan_key = table_keys.uncounted_scan_key(stamp_time, "l", pysecrets.token_hex(5))
    record.kind = record.verdict = LOOKUP
    record.verdicts = [LOOKUP]
    record.reason = f"{asked}: not a scan"
    record.batch_no = stamp.batch
    record.serial = stamp.serial
    record.lot_id = lot_of_serial(batch, stamp.serial)
    record.product_id = batch.product_id
    record.product_name = product.get("name")  # read above; the lot is not read here, so no lot_code
    record.producer_id = batch.producer_id
    record.producer_province = (producer.get("address") or {}).get("province")
    _write_log(record, count_pending=False)
    return {"code": code, "verdict": LOOKUP, "scanned_at": stamp_time, **_names(product), "lot_id": record.lot_id}


def _names(product: dict[str, Any]) -> dict[str, Any]:
    """The product's names for a linkset's item descriptions: ``product_name``, ``product_name_en``."""
    return {"product_name": product.get("name"), "product_name_en": product.get("name_en")}


def _public_product(p: dict[str, Any]) -> dict[str, Any]:
    keys = (
        *("product_id", "name", "name_en", "brand", "group", "group_name"),
        *("gtin", "image_url", "description", "made_in", "standards", "ocop", "demo"),
    )
    return {k: p.get(k) for k in keys if p.get(k) not in (None, [])}


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


# --- the Digital Link walk-up (issue 11, docs/DIGITAL-LINK.md) ------------------------------
def catalog_at(gtin: str, lot_code: str | None = None) -> dict[str, Any] | None:
    """What ``/01/{gtin}`` or ``/01/{gtin}/10/{lot}`` shows: ``{"product", "producer"[, "lot"]}``
    as public views, or None when no product has this GTIN-14 (or two do: a GTIN names one
    trade item, so the resolver will not choose), or the product has no lot with this code.

    Reads only: one Query of the ``by_gtin`` index and the cached producer (and for a lot,
    its code claim and the cached lot); writes nothing, counts nothing -- there is no stamp
    here and no verdict. The lot view carries its recall state.
    """
    _master.seconds = get_settings().cache_seconds
    found = _master.get(("gtin", gtin), lambda: _product_of_gtin(gtin))
    if found is None:
        return None
    producer = _cached("producer", str(found["producer_id"]), repo.get_producer) or {}
    out: dict[str, Any] = {"product": _public_product(found), "producer": _public_producer(producer)}
    if lot_code is None:
        return out
    claim = _master.get(("lot_code", found["producer_id"], lot_code), lambda: _lot_id(found, lot_code))
    lot = _cached("lot", str(claim["lot_id"]), repo.get_lot) if claim else None
    if lot is None or lot.get("product_id") != found["product_id"]:
        return None
    recall = lot.get("recall") if isinstance(lot.get("recall"), dict) else None
    out["lot"] = {**_public_lot(lot), **({"recall": recall} if recall and recall.get("status") == "recalled" else {})}
    return out


def _product_of_gtin(gtin: str) -> dict[str, Any] | None:
    products = repo.products_with_gtin(gtin)
    if len(products) != 1:
        if products:
            logger.warning("GTIN registered for more than one product: walk-up refused", extra={"gtin": gtin})
        return None
    return product_view(products[0])


def _lot_id(product: dict[str, Any], lot_code: str) -> dict[str, Any] | None:
    lot_id = repo.lot_id_of_code(str(product["producer_id"]), lot_code)
    return {"lot_id": lot_id} if lot_id else None


def names_of(product_id: str | None, lot_id: str | None) -> tuple[str | None, str | None]:
    """(product name, lot code) through the per-process cache, for a log line written off the
    scan path (a consumer's report, sent from the page this function has just shown, so both
    are usually cached already); None for what is unknown."""
    product = _cached("product", product_id, repo.get_product) if product_id else None
    return (product.get("name") if product else None), lot_code_of(lot_id)


def lot_code_of(lot_id: str | None) -> str | None:
    """The code of a lot (cached), for the levels of a stamp's linkset; None if unknown."""
    lot = _cached("lot", lot_id, repo.get_lot) if lot_id else None
    return str(lot["lot_code"]) if lot and lot.get("lot_code") else None


def _today(place: str | None) -> str | None:
    """A stored place as today's province code ('VN-26' -> '46'); a place abroad as stored."""
    return (code_of(place) or place) if place else None


def standing(raw_codes: list[str], now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """What each code is now, for an inspector holding the stamps (a field check): never a scan.

    Nothing is counted or logged and no alert can follow: each code is read as the public scan
    reads it (``codes.typed.read``), its batch read once per batch, product and lot from the
    per-process cache, and the stamp's distinct scanners (one GetItem per issued code) so that
    ``repeat`` shows as a buyer would next see it. One dict per code, in order:
    ``{"given", "code", "verdict", "verdicts", "batch_no", "serial", "lot_id", "lot_code",
    "product_name", "producer_id", "reason"}`` -- ``verdict`` ``unknown`` (with ``reason``) for a
    code that was never issued; ``code`` None when the text is no code at all. Raises
    ``Unavailable`` when DynamoDB keeps refusing the reads.
    """
    now = now or utc_now()
    _master.seconds = get_settings().cache_seconds
    batches: dict[int, BatchItem | None] = {}
    out: list[dict[str, Any]] = []
    for raw in raw_codes:
        reading = read(raw, code_keys())
        seen: dict[str, Any] = {"given": raw, "code": reading.code, "verdict": Verdict.unknown.value}
        seen |= {"verdicts": [Verdict.unknown.value], "batch_no": None, "serial": None, "lot_id": None}
        seen |= {"lot_code": None, "product_name": None, "producer_id": None, "reason": reading.reason}
        out.append(seen)
        if reading.stamp is None or reading.code is None:
            continue
        stamp = reading.stamp
        if stamp.batch not in batches:
            batches[stamp.batch] = repo.get_batch(stamp.batch, consistent=True)
        batch = batches[stamp.batch]
        if batch is None or stamp.serial > int(batch.size) or stamp.key_version != int(batch.key_version):
            seen["reason"] = "no such batch or serial"
            continue
        lot_id = lot_of_serial(batch, stamp.serial)
        product = _cached("product", batch.product_id, repo.get_product) or {}
        lot = _cached("lot", lot_id, repo.get_lot) if lot_id else None
        counted = repo.get_stamp(reading.code)
        facts = StampFacts(
            activated=lot is not None,
            scanners=spread(counted.scanners if counted is not None else None, None).scanners,
            repeat_threshold=_threshold(product),
            expiry_date=day_of(lot.get("expiry_date")) if lot else None,
            recalled=_recall_of(batch, lot_id) is not None,
            void=_void_of(batch, stamp.serial) is not None,
            claimed=bool(counted is not None and counted.claimed_at),
        )
        verdicts = judge(facts, now.astimezone(VN_TZ).date())
        seen |= {"verdict": verdicts[0].value, "verdicts": [v.value for v in verdicts], "reason": None}
        seen |= {"batch_no": stamp.batch, "serial": stamp.serial, "lot_id": lot_id, "producer_id": batch.producer_id}
        seen |= {"lot_code": lot.get("lot_code") if lot else None, "product_name": product.get("name")}
    return out
