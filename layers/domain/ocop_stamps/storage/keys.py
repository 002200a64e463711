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
import zlib
from typing import Any

from ocop_stamps.core.provinces import NAMES, NO_PLACE, to_code

SHARDS = 8

# filter name -> (index name or None for the table, shard attribute)
INDEXES: dict[str, tuple[str | None, str]] = {
    "code": (None, "code"),
    "lot": ("by_lot", "lot_shard"),
    "batch": ("by_batch", "batch_shard"),
    "product": ("by_product", "product_shard"),
    "producer": ("by_producer", "producer_shard"),
    "province": ("by_province", "province_shard"),
    "verdict": ("by_verdict", "verdict_shard"),
}


def jurisdiction(scan_place: str | None, producer_province: str | None) -> str:
    """The province a scan belongs to for inspectors: where it was scanned when the edge
    told us (a ``VN-xx`` region), else the producer's province, else ``-`` (unknown)."""
    if scan_place in NAMES:
        return scan_place
    return (to_code(producer_province) if producer_province else None) or NO_PLACE


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
    scan.jurisdiction = jurisdiction(scan.province, scan.producer_province)
    scan.verdict_shard = f"{scan.verdict}#{s}"
    scan.province_shard = f"{scan.jurisdiction}#{s}"
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


def lot_code_claim_key(lot_code: str) -> str:
    """Sort key (under the producer) of the item that keeps a producer's lot codes unique."""
    return f"LOTCODE#{lot_code}"


def batch_listing_key(batch_no: int) -> str:
    """``gsi1sk`` of a batch under its producer: zero-padded so batches list in number order."""
    return f"BATCH#{batch_no:010d}"


def event_key(at: str, event_id: str) -> str:
    """Sort key of one EPCIS event stored next to what it concerns: ordered by time."""
    return f"EVENT#{at}#{event_id[-12:]}"


def scan_key(scanned_at: str, scan_no: int) -> str:
    """A counted scan's sort key: ISO time first (time ranges are key conditions), then its
    number on the stamp, zero-padded so a stamp's scans sort in order."""
    return f"{scanned_at}#{scan_no:010d}"


def uncounted_scan_key(scanned_at: str, kind: str, nonce: str) -> str:
    """Sort key of a log line that has no number on the stamp: ``p`` (count pending, fallback
    path), ``u`` (unknown code), ``r`` (consumer report), ``k`` (a look-up of another kind
    than a person's scan, e.g. ``head``), then a random nonce."""
    return f"{scanned_at}#{kind}{nonce}"


# --- the alerts table (docs/DATA-MODEL.md) -------------------------------------------------
ALERT_SK = "ALERT"


def alert_key(alert_id: str) -> str:
    return f"ALERT#{alert_id}"


def stats_key(scope: str, shard: int) -> str:
    """Daily counters of one scope (``all``, ``province:VN-xx`` ...) on one write shard."""
    return f"STATS#{scope}#{shard}"


def burst_key(kind: str, value: str) -> str:
    """Sliding-window counter of unknown codes per ``client`` hash or per ``place``."""
    return f"BURST#{kind}#{value}"


def seen_key(code: str) -> str:
    """Per-code marker partition: a stream record is processed once (idempotency)."""
    return f"SEEN#{code}"


def queue_key(status: str, value: str) -> str:
    """Alert-queue index partition: ``{status}#{province}`` or ``{status}#{type}``."""
    return f"{status}#{value}"
