"""Nothing about a scan is lost when DynamoDB throttles or fails (DESIGN.md, Architecture).

The scan path writes twice: the stamp's counter and the log line. botocore retries each
with backoff first. If a write still fails, the scan is answered anyway -- its verdict
never depends on the failed write being claimed done -- and the pending write goes to an
SQS queue that the scan-log drain function empties into the tables:

- the log line failed: the queue carries the complete record; the drain writes it under
  the same key (a redelivery rewrites the same item, never a second one);
- the counter failed: the scan's number is unknown, so the answer says nothing about
  repeats; the queue carries the record marked ``count_pending`` and the drain bumps the
  counter, then writes the record with the number it got;
- the catalog could not be read (issue 13): no verdict was given (503); the queue carries
  the scan marked ``judge_pending`` and the drain reads, counts, judges and writes it
  (``verification.replay_unchecked``);
- a consumer's report could not be written (issue 13): the queue carries the complete
  report, marked ``enrich_pending`` when its batch and lot could not be read either
  (``reports.enrich``); the drain writes it under its own key.

Metrics (``ocop_stamps.observability``): ``FallbackWrites`` +1 per record queued,
``FallbackReplays`` +1 per record the drain wrote.
"""

from __future__ import annotations

from typing import Any

from ocop_stamps.observability import FALLBACK_REPLAYS, FALLBACK_WRITES, count
from ocop_stamps.scanning.scanners import scanner_of
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.models import ScanItem
from ocop_stamps.storage.queues import FallbackUnavailable, send_scan_fallback

__all__ = ["FallbackUnavailable", "record_fields", "replay", "send"]


def record_fields(record: ScanItem) -> dict[str, Any]:
    return {k: v for k, v in record.attribute_values.items() if v is not None}


def send(
    record: ScanItem,
    *,
    count_pending: bool,
    judge_pending: bool = False,
    expected_gtin: str | None = None,
    enrich_pending: bool = False,
) -> None:
    """Queue a scan whose log line (or counter, ``count_pending``; or verdict, ``judge_pending``)
    could not be written, or a report (``enrich_pending``: its batch not read yet)."""
    body: dict[str, Any] = {"record": record_fields(record), "count_pending": count_pending}
    if judge_pending:
        body.update(judge_pending=True, expected_gtin=expected_gtin)
    if enrich_pending:
        body["enrich_pending"] = True
    send_scan_fallback(body)
    count(FALLBACK_WRITES)


def replay(body: dict[str, Any]) -> ScanItem:
    """Write one pending scan: bump the counter first if that is what failed, then the log line."""
    fields = dict(body["record"])
    if body.get("judge_pending"):
        from ocop_stamps.scanning.verification import replay_unchecked

        written = replay_unchecked(fields, body.get("expected_gtin"))
        count(FALLBACK_REPLAYS)
        return written
    if body.get("enrich_pending"):
        from ocop_stamps.scanning.reports import enrich

        record = ScanItem(**fields)
        enrich(record)
        fields = record_fields(record)
    if body.get("count_pending"):
        stamp = repo.count_scan(
            fields["code"],
            int(fields["batch_no"]),
            int(fields["serial"]),
            fields["scanned_at"],
            fields.get("province"),
            scanner_of(fields.get("client_hash")),  # the scanner joins the stamp's set, as on the scan path
        )
        fields["scan_no"] = int(stamp.scan_count)
        fields["scan_key"] = table_keys.scan_key(fields["scanned_at"], int(stamp.scan_count))
    record = ScanItem(**fields)
    repo.record_scan(record)
    count(FALLBACK_REPLAYS)
    return record
