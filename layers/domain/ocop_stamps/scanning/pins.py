"""A buyer enters a two-layer stamp's scratch-off PIN (issue 14, docs/PIN.md): claim, warn, count.

``check_pin`` is the one entry of every channel (the page's form, the JSON API, SMS): it
answers a ``PinOutcome`` (``core.vocabulary``), most serious first --

- ``already_claimed``: the right PIN, but the stamp was claimed before by another request:
  when and in which province (the coating was scratched before this buyer had the item);
- ``locked``: the stamp has had ``codes.pins.MAX_WRONG_TRIES`` wrong PINs over its life; no
  PIN is checked any more (a right one neither: otherwise the lock would stop nobody);
- ``wrong``: a wrong PIN, counted, with the tries left;
- ``first``: the right PIN, never confirmed before: this request claims the stamp.

Requests, warm: the batch (one GetItem: its layer and PIN key version), ONE conditional
write on the stamp -- a right PIN: a TransactWriteItems of the stamp's claim and its EPCIS
event (``retail_selling``/``retail_sold``) under the batch and the lot
(``repository.claim_stamp``); a wrong one: an UpdateItem (``count_wrong_pin``); DynamoDB
returns the old item when the condition fails, so no read follows -- and the log line (one
PutItem): 3 for each outcome (tests/integration/test_pins.py counts them).

Retries never turn a first claim into a second: the claim stores ``claim_ref``, a salted
hash of the request's identity (the page's view token, or an API client's Idempotency-Key;
without either, a random one per request, which still covers the storage layer's own
retries after a timeout). A correct PIN whose claim fails the condition because the stamp
carries the same ``claim_ref`` is the same request again: it answers ``first`` again.

The PIN itself is never stored, logged or returned: the log line carries the outcome.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets as pysecrets
from typing import Any

from ocop_stamps.codes.pins import MAX_WRONG_TRIES, derive, read_pin, same
from ocop_stamps.codes.typed import read
from ocop_stamps.core import words
from ocop_stamps.core.errors import BadRequest, Conflict, NotFound
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.settings import get_settings
from ocop_stamps.core.vocabulary import PIN, PinOutcome, pin_verdict
from ocop_stamps.epcis import events as epcis
from ocop_stamps.epcis.history import event_item
from ocop_stamps.issuing.ranges import lot_of_serial
from ocop_stamps.places.provinces import current_name
from ocop_stamps.places.scopes import code_of
from ocop_stamps.scanning.verification import ScanContext, _cached, _new_record, _write_log
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.models import BatchItem, StampItem
from ocop_stamps.storage.parameters import code_keys, ip_hash_salt, pin_keys

REF_LABEL = b"ocop-stamps/claim-ref/v1"


class NoPin(NotFound):
    """The code is a stamp of a batch without a second layer: it has no PIN to enter."""

    code = "no_pin"


class NotClaimable(Conflict):
    """409 ``not_claimable``: a two-layer stamp never activated, or voided: no PIN is checked and
    no try is counted (a claim would tell a buyer "first" about a stamp on no product for sale)."""

    code = "not_claimable"


def _no_stamp() -> NotFound:
    return NotFound("No stamp with this code.", "Không có tem nào mang mã này.")


def bad_pin() -> BadRequest:
    """What a PIN that is not 8 digits answers (not counted as a try)."""
    en, vi = words.text("page.pin_bad", "en"), words.text("page.pin_bad", "vi")
    return BadRequest(en, vi)


def claim_ref(code: str, ref: str) -> str:
    """The stored identity of a claiming request: 24 hex digits of a salted HMAC (the request's
    own identity never lands in the table)."""
    message = REF_LABEL + b"|" + code.encode() + b"|" + ref.encode()
    return hmac.new(ip_hash_salt(), message, hashlib.sha256).hexdigest()[:24]


def _two_layer_batch(batch_no: int, serial: int, key_version: int) -> BatchItem:
    batch = repo.get_batch(batch_no)
    if batch is None or serial > int(batch.size) or key_version != int(batch.key_version):
        raise _no_stamp()
    if not batch.second_layer:
        raise NoPin("This stamp has no scratch-off PIN.", words.text("page.pin_none", "vi"))
    voided = any(int(v.first) <= serial <= int(v.last) for v in batch.voids)
    if voided or lot_of_serial(batch, serial) is None:
        # nothing for a buyer to claim: the stamp is on no product for sale (its page says why)
        key = "page.pin_void" if voided else "page.pin_not_activated"
        raise NotClaimable(words.text(key, "en"), words.text(key, "vi"))
    return batch


def _place(stamp: StampItem) -> str | None:
    place = stamp.claimed_province
    return None if not place or place == repo.UNPLACED else str(place)


def check_pin(
    raw_code: str,
    raw_pin: str | None,
    ctx: ScanContext,
    *,
    ref: str | None = None,
    now: dt.datetime | None = None,
    base_url: str | None = None,
) -> dict[str, Any]:
    """Check the PIN a buyer typed for a stamp and claim the stamp on the first right entry.

    Returns ``{"code", "outcome", "message": {"vi", "en"}, "checked_at"}`` and ``tries_left``
    for ``wrong`` and ``locked``; for ``first`` and ``already_claimed``, ``claimed_at`` (ISO
    UTC), ``claimed_province`` (today's GSO code or None) and ``claimed_province_name``.
    ``ref``: the request's identity (above). ``base_url``: the origin of label URLs in the
    claim's EPCIS event (default the configured ``PUBLIC_BASE_URL``).
    Raises NotFound (no such stamp), NoPin (404 ``no_pin``: a one-layer stamp), BadRequest (not
    8 digits; nothing counted), and storage's busy (409) or unavailable (503).
    """
    now = now or utc_now()
    stamp_time = iso(now)
    reading = read(raw_code or "", code_keys())
    if reading.stamp is None or reading.code is None:
        raise _no_stamp()
    pin = read_pin(raw_pin)
    if pin is None:
        raise bad_pin()
    stamp, code = reading.stamp, reading.code
    batch = _two_layer_batch(stamp.batch, stamp.serial, stamp.key_version)
    record = _new_record(ctx, stamp_time)
    own_ref = claim_ref(code, ref or pysecrets.token_urlsafe(16))
    expected = derive(pin_keys(), int(batch.pin_key_version or 1), stamp.batch, stamp.serial)
    claim: StampItem | None = None
    if same(expected, pin):
        events = _sale_events(code, batch, stamp.serial, record.province, now, base_url)
        applied, item = repo.claim_stamp(
            code, stamp.batch, stamp.serial, stamp_time, record.province, own_ref, MAX_WRONG_TRIES, events
        )
        failures = int(item.pin_failures or 0)
        if applied or (item.claimed_at and item.claim_ref == own_ref and failures < MAX_WRONG_TRIES):
            outcome, claim = PinOutcome.first, item
        elif failures >= MAX_WRONG_TRIES:
            outcome = PinOutcome.locked
        else:
            outcome, claim = PinOutcome.already_claimed, item
    else:
        applied, item = repo.count_wrong_pin(code, stamp.batch, stamp.serial, MAX_WRONG_TRIES)
        failures = int(item.pin_failures or 0)
        outcome = PinOutcome.wrong if applied else PinOutcome.locked
    _log(record, code, batch, stamp.serial, outcome, claim, own_ref, failures)
    result: dict[str, Any] = {
        "code": code,
        "outcome": outcome.value,
        "message": {lang: words.text(f"page.pin_{outcome.value}", lang) for lang in ("vi", "en")},
        "checked_at": stamp_time,
    }
    if outcome in (PinOutcome.wrong, PinOutcome.locked):
        result["tries_left"] = max(0, MAX_WRONG_TRIES - failures)
    if claim is not None:
        place = _place(claim)
        result["claimed_at"] = claim.claimed_at
        result["claimed_province"] = (code_of(place) or place) if place else None
        result["claimed_province_name"] = current_name(place) if place else None
    return result


def _sale_events(
    code: str, batch: BatchItem, serial: int, province: str | None, now: dt.datetime, base_url: str | None
) -> list[Any]:
    """The claim's EPCIS event (``epcis.events.retail_sale``), stored under the stamp's batch
    and, when bound, its lot: both documents show it."""
    product = _cached("product", batch.product_id, repo.get_product) or {}
    lot_id = lot_of_serial(batch, serial)
    event = epcis.retail_sale(
        base_url=base_url if base_url is not None else get_settings().public_base_url,
        code=code,
        gtin=product.get("gtin"),
        batch_no=int(batch.batch_no),
        serial=serial,
        lot_id=lot_id,
        province=(code_of(province) or province) if province else None,
        moment=now,
    )
    pks = [table_keys.batch_key(int(batch.batch_no)), *([table_keys.lot_key(lot_id)] if lot_id else [])]
    return [event_item(pk, event) for pk in pks]


def _log(
    record: Any,
    code: str,
    batch: BatchItem,
    serial: int,
    outcome: PinOutcome,
    claim: StampItem | None,
    own_ref: str,
    failures: int,
) -> None:
    """The entry's line in the verification log: kind ``pin``, verdict ``pin_<outcome>``, the
    stamp's batch, lot, product and producer, never the PIN. A first claim's line is keyed by
    its request identity, so a retry rewrites it instead of adding another."""
    producer = _cached("producer", batch.producer_id, repo.get_producer) or {}
    nonce = own_ref[:10] if outcome is PinOutcome.first else pysecrets.token_hex(5)
    record.code = code
    record.scan_key = table_keys.uncounted_scan_key(
        str(claim.claimed_at) if outcome is PinOutcome.first and claim else record.scanned_at, "c", nonce
    )
    record.kind = PIN
    record.verdict = pin_verdict(outcome)
    record.verdicts = [record.verdict]
    record.batch_no = int(batch.batch_no)
    record.serial = serial
    record.lot_id = lot_of_serial(batch, serial)
    record.product_id = batch.product_id
    record.producer_id = batch.producer_id
    record.producer_province = (producer.get("address") or {}).get("province")
    if outcome is PinOutcome.already_claimed and claim is not None:
        record.reason = f"claimed first at {claim.claimed_at} in {_place(claim) or '-'}"
    elif outcome in (PinOutcome.wrong, PinOutcome.locked):
        record.reason = f"wrong PINs {failures} of {MAX_WRONG_TRIES}"
    _write_log(record, count_pending=False)
