"""Consumers' reports of suspected fakes: one line in the verification log, for inspectors.

A report lands in the Scans table under the code it is about (``scan_key`` =
``{time}#r{random}``, so it sorts with the scans and never collides with one), with
``kind``/``verdict`` ``report``, what the consumer wrote (bounded, control characters
removed) and the same privacy rules as a scan: a salted hash of the address, a coarse
place, a user-agent family. A report on a code that decodes is tied to its batch, serial
and lot, so an inspector reading a lot's log sees it; a report on a code that does not
decode is kept under the code as typed, like an ``unknown`` scan. A report never moves the
stamp's scan counter. A report DynamoDB refuses goes to the scan-fallback queue and the
scan-log drain writes it (issue 13): an accepted report is never lost.

Reports are limited (``scanning.limits``, docs/LIMITS.md): 5 per client hash per hour and
20 per code per Vietnamese day; past either the report is refused (429) and not stored, so
one client can neither flood a code's log nor the inspectors' alert queue.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets as pysecrets
from typing import Any

from ocop_stamps.codes.scheme import InvalidCode, decode, normalize
from ocop_stamps.codes.typed import read
from ocop_stamps.core.errors import BadRequest, Unavailable, unavailable
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.text import clean_text
from ocop_stamps.core.vocabulary import REPORT
from ocop_stamps.issuing.ranges import lot_of_serial
from ocop_stamps.observability import logger
from ocop_stamps.places.scopes import named_in
from ocop_stamps.scanning import limits
from ocop_stamps.scanning.privacy import client_hash, coarse_place, ua_family
from ocop_stamps.scanning.verification import ScanContext, names_of
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.models import ScanItem
from ocop_stamps.storage.parameters import code_keys, ip_hash_salt

WHERE_MAX = 120
NOTE_MAX = 500
_CODE = re.compile(r"^[0-9A-Z]{1,32}$")


def clean(text: Any, limit: int) -> str | None:
    """Trimmed NFC text without invisible format or control characters (``core.text``, the
    rule every request body follows), runs of spaces and tabs made one space; None if over
    ``limit`` or not storable text (a lone surrogate)."""
    try:
        value = clean_text(str(text or "")).replace("\r", "").strip()
    except ValueError:
        return None
    value = re.sub(r"[ \t]+", " ", value)
    return value if len(value) <= limit else None


def _invalid() -> BadRequest:
    return BadRequest(
        f"Say where the product was bought (1 to {WHERE_MAX} characters); the note takes at most {NOTE_MAX}.",
        f"Hãy cho biết nơi mua (1 đến {WHERE_MAX} ký tự); ghi chú tối đa {NOTE_MAX} ký tự.",
    )


def report_key(raw_code: str) -> str:
    """The code a report is filed under: the code it reads as (``codes.typed``: any case or
    separators, a Vietnamese keyboard's accents), else as typed; BadRequest if it cannot be one."""
    reading = read(raw_code or "", code_keys())
    code = reading.code or normalize(reading.text)
    if not _CODE.match(code):
        raise BadRequest("Not a stamp code.", "Đây không phải là mã tem.")
    return code


def _within_limits(code: str, hashed: str | None, now: dt.datetime) -> None:
    """Count the report against the client's and the code's limits (``limits``); raise
    ``RateLimited`` past either. The client's limit is counted first, so one client past its
    own limit never uses up the code's."""
    for limit, subject in ((limits.reports_per_client(), hashed), (limits.reports_per_code(), code)):
        retry_after = limits.hit(limit, subject, now)
        if retry_after:
            logger.warning(
                "report refused: over the limit",
                extra={"limit": limit.name, "code": code, "client_hash": hashed, "retry_after": retry_after},
            )
            raise limits.RateLimited(limit.name, retry_after)


def submit_report(
    raw_code: str, where: Any, note: Any, ctx: ScanContext, now: dt.datetime | None = None
) -> dict[str, Any]:
    """File one report (``{"report_id", "code", "received_at"}``). ``BadRequest`` if the code or
    the text will not do; ``limits.RateLimited`` past the client's (5 an hour) or the code's
    (20 a Vietnamese day) limit -- such a report is not stored, only logged."""
    code = report_key(raw_code)
    where_text, note_text = clean(where, WHERE_MAX), clean(note, NOTE_MAX)
    if not where_text or note_text is None:
        raise _invalid()
    moment = now or utc_now()
    hashed = client_hash(ip_hash_salt(), ctx.source_ip)
    _within_limits(code, hashed, moment)
    stamp_time = iso(moment)
    country, province = coarse_place(ctx.headers or {})
    record = ScanItem(
        code,
        table_keys.uncounted_scan_key(stamp_time, "r", pysecrets.token_hex(5)),
        scanned_at=stamp_time,
        kind=REPORT,
        verdict=REPORT,
        verdicts=[REPORT],
        channel=ctx.channel,
        country=country,
        province=province,
        client_hash=hashed,
        ua_family=ua_family(ctx.user_agent),
        report_where=where_text,
        report_note=note_text or None,
        report_province=named_in(where_text),  # the place of purchase, for inspectors' scope
    )
    try:
        enrich(record)
        enriched = True
    except Unavailable:  # the batch cannot be read now: the drain ties the report to it later
        enriched = False
    _file(record, enriched=enriched)
    return {"report_id": record.scan_key, "code": code, "received_at": stamp_time}


def enrich(record: ScanItem) -> None:
    """Tie a report to its stamp's batch, serial, lot, product and producer, as a scan is."""
    try:
        stamp = decode(code_keys(), str(record.code))
    except InvalidCode as exc:
        record.reason = f"report on a code that does not decode: {exc.reason}"
        return
    batch = repo.get_batch(stamp.batch)
    if batch is not None and stamp.serial <= int(batch.size):
        record.batch_no = stamp.batch
        record.serial = stamp.serial
        record.lot_id = lot_of_serial(batch, stamp.serial)
        record.product_id = batch.product_id
        record.producer_id = batch.producer_id
        record.product_name, record.lot_code = names_of(batch.product_id, record.lot_id)
        # the inspector's province scope falls back to the producer's province, as for scans
        producer = repo.get_producer(batch.producer_id)
        if producer is not None and producer.address:
            record.producer_province = producer.address.as_dict().get("province")


def _file(record: ScanItem, *, enriched: bool) -> None:
    """Write the report; when DynamoDB refuses, queue it for the scan-log drain (issue 13):
    accepted means kept. Only if the queue refuses too is the consumer told 503."""
    if enriched:
        try:
            repo.record_scan(record)
            return
        except Unavailable:
            logger.warning("report write refused; it goes to the fallback queue")
    from ocop_stamps.scanning import fallback

    try:
        fallback.send(record, count_pending=False, enrich_pending=not enriched)
    except Exception as exc:
        logger.exception("report not kept: neither the log table nor the fallback queue took it")
        raise unavailable() from exc
