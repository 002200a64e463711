"""Every key format of every table, in one place (docs/DATA-MODEL.md).

The index keys a scan record carries are written in the same PutItem as the record.

Every inspector filter is a query on one of the Scans table's indexes (docs/DATA-MODEL.md):

| filter | index | partition key | sort key |
|---|---|---|---|
| code | the table | ``code`` | ``scan_key`` |
| lot | ``by_lot`` | ``lot_shard`` = ``{lot_id}#{s}`` | ``scan_key`` |
| batch | ``by_batch`` | ``batch_shard`` = ``{batch_no}#{s}`` | ``scan_key`` |
| product | ``by_product`` | ``product_shard`` = ``{product_id}#{s}`` | ``scan_key`` |
| producer | ``by_producer`` | ``producer_shard`` = ``{producer_id}#{s}`` | ``scan_key`` |
| province | ``by_province`` | ``province_shard`` = ``{jurisdiction}#{s}`` | ``scan_key`` |
| province (the producer's) | ``by_home_province`` | ``home_shard`` = ``{home_province}#{s}``, only when it is not the jurisdiction | ``scan_key`` |
| verdict | ``by_verdict`` | ``verdict_shard`` = ``{verdict}#{s}`` | ``scan_key`` |

``s`` is one of ``SHARDS`` write shards, a hash of the record's own key: a hot lot's
scans spread over ``SHARDS`` index partitions (each takes ~1,000 writes/s), and the same
record rewritten (a retried scan) lands on the same shard. Readers fan out over the
shards and merge newest first (``scan_query``). ``scan_key`` starts with the ISO time, so
a time range is a key condition on every index.

This module is imported by the public scan function: standard library only.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Iterable
from typing import Any

from ocop_stamps.places.scopes import NO_PLACE, code_of

SHARDS = 8

# filter name -> (index name or None for the table, shard attribute)
INDEXES: dict[str, tuple[str | None, str]] = {
    "code": (None, "code"),
    "lot": ("by_lot", "lot_shard"),
    "batch": ("by_batch", "batch_shard"),
    "product": ("by_product", "product_shard"),
    "producer": ("by_producer", "producer_shard"),
    "province": ("by_province", "province_shard"),
    "home_province": ("by_home_province", "home_shard"),
    "verdict": ("by_verdict", "verdict_shard"),
}


def jurisdiction(scan_place: str | None, producer_province: str | None, named_place: str | None = None) -> str:
    """The province a scan belongs to for inspectors, as the GSO code of today's province
    (``places.scopes``): where it was scanned when the edge told us, else the province a
    consumer's report named as the place of purchase, else the producer's province, else
    ``-`` (unknown). Old codes given ('VN-03') are written as today's ('08')."""
    for place in (scan_place, named_place):
        found = code_of(place) if place else None
        if found:
            return found
    return home_province(producer_province) or NO_PLACE


def home_province(producer_province: str | None) -> str | None:
    """The producer's province as today's GSO code (None when the address names none we know).
    An address holds a name ('Tỉnh Thái Nguyên', or an old one: 'Hà Giang' -> '08') or a code."""
    return code_of(producer_province) if producer_province else None


def audience(places: Iterable[str | None], producer_province: str | None) -> tuple[str, ...]:
    """THE rule of who sees what (issue 11): the provinces whose inspectors may see a scan or an
    alert -- every place it happened (a scan's ``jurisdiction``; an alert's scans' places) and
    the producer's province. Today's GSO codes (issue 12: an old ``VN-xx`` place counts as the
    province it is part of today, 'VN-03' as '08'), sorted, each once; ``("-",)`` when none is
    known (national scopes only).

    Every read path asks this function (``inspection.queries.Scope``); the index keys ``fill``
    writes and the FilterExpression of ``inspection.queries`` are its DynamoDB spelling (with
    ``places.scopes.spellings`` for records written under the old codes), and a test holds them
    to it."""
    found = {c for c in (code_of(p) for p in places if p) if c}
    home = home_province(producer_province)
    if home:
        found.add(home)
    return tuple(sorted(found)) or (NO_PLACE,)


def shard_of(code: str, scan_key: str) -> int:
    return zlib.crc32(f"{code}|{scan_key}".encode()) % SHARDS


def partition_values(value: str) -> list[str]:
    """Every write shard's partition key value for one filter value (``{value}#{s}``)."""
    return [f"{value}#{s}" for s in range(SHARDS)]


def expires_at(scanned_at: str, retention_days: int) -> int:
    """Epoch seconds at which DynamoDB's TTL may delete the record (evidence retention)."""
    moment = dt.datetime.strptime(scanned_at[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
    return int((moment + dt.timedelta(days=retention_days)).timestamp())


def fill(scan: Any, *, retention_days: int, salt_version: str) -> None:
    """Set the shard keys, the TTL and the salt version on a ScanItem before it is saved."""
    s = shard_of(scan.code, scan.scan_key)
    scan.jurisdiction = jurisdiction(scan.province, scan.producer_province, scan.report_province)
    scan.verdict_shard = f"{scan.verdict}#{s}"
    scan.province_shard = f"{scan.jurisdiction}#{s}"
    # the producer's province: a second index, written only when it adds a reader (issue 11)
    scan.home_province = home_province(scan.producer_province)
    away = scan.home_province is not None and scan.home_province != scan.jurisdiction
    scan.home_shard = f"{scan.home_province}#{s}" if away else None
    scan.lot_shard = f"{scan.lot_id}#{s}" if scan.lot_id else None
    scan.batch_shard = f"{int(scan.batch_no)}#{s}" if scan.batch_no is not None else None
    scan.product_shard = f"{scan.product_id}#{s}" if scan.product_id else None
    scan.producer_shard = f"{scan.producer_id}#{s}" if scan.producer_id else None
    scan.expires_at = expires_at(scan.scanned_at, retention_days)
    if scan.client_hash:
        scan.salt_version = salt_version


# --- the catalog table (docs/DATA-MODEL.md) ------------------------------------------------
# One table, items under ``pk``/``sk`` prefixes; ``gsi1`` lists a producer's items by kind
# (``gsi1sk`` is the item's own key, a batch's zero-padded so batches list in order).
PROFILE = "PROFILE"


def producer_key(producer_id: str) -> str:
    return f"PRODUCER#{producer_id}"


def product_key(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def lot_key(lot_id: str) -> str:
    return f"LOT#{lot_id}"


def batch_key(batch_no: int) -> str:
    return f"BATCH#{batch_no}"


def gtin_claim_key(gtin: str) -> str:
    """Partition key of the item that keeps a GTIN-14 to one product (sort key ``PROFILE``)."""
    return f"GTIN#{gtin}"


def lot_code_claim_key(lot_code: str) -> str:
    """Sort key (under the producer) of the item that keeps a producer's lot codes unique."""
    return f"LOTCODE#{lot_code}"


PRODUCERS = "PRODUCERS"
"""``gsi1pk`` under which every producer is listed (the OCOP office's list of producers)."""


def producer_listing_key(created_at: str, producer_id: str) -> str:
    """``gsi1sk`` of a producer in the office's list: by registration time, so newest lists first."""
    return f"PRODUCER#{created_at}#{producer_id}"


def batch_listing_key(batch_no: int) -> str:
    """``gsi1sk`` of a batch under its producer: zero-padded so batches list in number order."""
    return f"BATCH#{batch_no:010d}"


def event_key(at: str, event_id: str) -> str:
    """Sort key of one EPCIS event stored next to what it concerns: ordered by time."""
    return f"EVENT#{at}#{event_id[-12:]}"


_EVENT_KEY = re.compile(r"^EVENT#\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[A-Za-z0-9:_-]{1,12}$")


def is_event_key(sk: str) -> bool:
    """Whether ``sk`` is spelled as ``event_key`` spells one (a page token names one)."""
    return bool(_EVENT_KEY.match(sk))


def scan_key(scanned_at: str, scan_no: int) -> str:
    """A counted scan's sort key: ISO time first (time ranges are key conditions), then its
    number on the stamp, zero-padded so a stamp's scans sort in order."""
    return f"{scanned_at}#{scan_no:010d}"


def uncounted_scan_key(scanned_at: str, kind: str, nonce: str) -> str:
    """Sort key of a log line that has no number on the stamp: ``p`` (count pending, fallback
    path), ``u`` (unknown code), ``r`` (consumer report), ``l`` (a resolver lookup that is not
    a scan: HEAD, linkset, link-type redirect), ``n`` (not a person: a preview, bot,
    prefetch or HEAD, its kind on the line), ``c`` (a scratch-off PIN entry, issue 14), then a
    random nonce (a first claim's: from its request identity, so a retry rewrites the line)."""
    return f"{scanned_at}#{kind}{nonce}"


# --- the stamps table's rate counters (scanning.limits) --------------------------------------
def rate_key(limit: str, subject: str, window: int) -> str:
    """Hash key of one rate counter in the stamps table: ``~rate#{limit}#{subject}#{window}``.

    ``limit`` names the limit (``unknown``, ``report``, ``report-code``), ``subject`` is a
    client hash or a code, ``window`` the window's number. ``~`` is outside the code
    alphabet, so a counter never shares a key with a stamp."""
    return f"~rate#{limit}#{subject}#{window}"


# --- the alerts table (docs/DATA-MODEL.md) -------------------------------------------------
ALERT_SK = "ALERT"


def alert_key(alert_id: str) -> str:
    return f"ALERT#{alert_id}"


def alert_entry_key(province: str) -> str:
    """Sort key (under the alert's ``pk``) of the alert's entry in one more province's queue:
    ``SEE#{code}`` (today's GSO code; ``SEE#VN-xx`` in alerts from before issue 12) (issue 11: an alert is seen by every province of ``audience``)."""
    return f"SEE#{province}"


def stats_key(scope: str, shard: int) -> str:
    """Daily counters of one scope (``all``, ``province:{code}``, ``away:{code}`` ...) on one write shard."""
    return f"STATS#{scope}#{shard}"


def burst_key(kind: str, value: str) -> str:
    """The detector's counter of unknown codes per ``client`` hash or per ``place`` (sort key:
    the 10-minute window), or of reports per client hash (``report``) or of reports on codes
    never issued per jurisdiction (``report-unissued``), or wrong scratch-off PINs per code
    (``pin-wrong``, issue 14) (sort key: the day)."""
    return f"BURST#{kind}#{value}"


def seen_key(code: str) -> str:
    """Per-code marker partition: a stream record is processed once (idempotency)."""
    return f"SEEN#{code}"


def queue_key(status: str, value: str) -> str:
    """Alert-queue index partition: ``{status}#{province}`` or ``{status}#{type}``."""
    return f"{status}#{value}"
