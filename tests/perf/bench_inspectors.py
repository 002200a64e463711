"""Inspector benchmarks (issue 6), in-process against moto: run
``.venv/bin/python tests/perf/bench_inspectors.py [--lot-scans N] [--stream-records M]``.

- stream records per second through the anomaly detector's handler, and DynamoDB requests
  per record (every botocore call counted);
- latency of one page (50, newest first) of a lot's log with N scans spread over the 8
  shards, first page and a deep page (cursor), and of a day's summary.

Scan records are written with the same model code as the public scan (``scan_keys.fill``
via ``repository.record_scan``'s logic) but through BatchWriteItem, so a big lot loads in
minutes rather than hours.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "infra" / "local"))


def _env() -> None:
    from ocop_local import backend

    env = backend.base_environment("https://tem.example.vn")
    env.update({"OCOP_CODE_KEYS": json.dumps({"1": "00" * 16}), "OCOP_IP_HASH_SALT": "bench"})
    os.environ.update(env)


def _record(i: int, lot: str, moment: float, *, code: str | None = None, scan_no: int = 1) -> Any:
    import datetime as dt

    from ocop_stamps.core.ids import iso
    from ocop_stamps.storage import keys as scan_keys
    from ocop_stamps.storage.models import ScanItem

    at = iso(dt.datetime.fromtimestamp(moment, dt.UTC))
    code = code or f"C{i:015d}"
    item = ScanItem(
        code,
        f"{at}#{scan_no:010d}",
        scanned_at=at,
        verdict="genuine",
        verdicts=["genuine"],
        channel="qr",
        country="VN",
        province="VN-HN" if i % 3 else "VN-69",
        client_hash=f"{i % 997:024x}",
        batch_no=1,
        serial=i + 1,
        scan_no=scan_no,
        lot_id=lot,
        product_id="prd_bench",
        producer_id="bench",
    )
    scan_keys.fill(item, retention_days=1827, salt_version="1")
    return item


def load_lot(n: int) -> float:
    from ocop_stamps.storage.models import ScanItem

    start = time.perf_counter()
    now = time.time() - n * 0.01
    with ScanItem.batch_write() as batch:
        for i in range(n):
            batch.save(_record(i, "lot_hot", now + i * 0.01))
    return time.perf_counter() - start


def bench_detector(m: int) -> dict[str, Any]:
    from botocore.client import BaseClient

    from helpers.handlers import FakeContext, load_handler
    from ocop_local import streams
    from ocop_stamps.storage import repository as repo

    handler = load_handler("anomaly_detector").lambda_handler
    reader = streams.StreamReader("ocop-scans")
    now = time.time() - m
    for i in range(m):  # every 4th record repeats a code: repeat-rule queries and alerts happen
        code = f"D{i // 4:015d}" if i % 4 else None
        repo.record_scan(_record(i, "lot_stream", now + i, code=code, scan_no=(i % 4) + 1))
    records = []
    while batch := reader.read(limit=1000):
        records += batch
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    in_aws = [0.0]

    def counting(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        calls[op] += 1
        t = time.perf_counter()
        try:
            return original(self, op, params)
        finally:
            in_aws[0] += time.perf_counter() - t

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    start = time.perf_counter()
    failures = 0
    for i in range(0, len(records), 100):
        failures += len(handler({"Records": records[i : i + 100]}, FakeContext())["batchItemFailures"])
    elapsed = time.perf_counter() - start
    BaseClient._make_api_call = original  # type: ignore[method-assign]
    return {
        "records": len(records),
        "failures": failures,
        "seconds": round(elapsed, 2),
        "records_per_s": round(len(records) / elapsed, 1),
        # moto deep-copies table state on every TransactWriteItems (O(table) per call):
        # the detector's own time is the rest
        "seconds_inside_moto": round(in_aws[0], 2),
        "records_per_s_excluding_moto": round(len(records) / max(elapsed - in_aws[0], 1e-9), 1),
        "ddb_requests_per_record": round(sum(v for k, v in calls.items() if k != "Publish") / len(records), 2),
        "requests": dict(calls),
    }


def bench_query(n: int) -> dict[str, Any]:
    from ocop_stamps.inspection import queries as scan_query

    scope = scan_query.Scope(None)
    filters = scan_query.make_filters(lot="lot_hot")
    first, deep = [], []
    cursor = None
    for _ in range(5):
        t = time.perf_counter()
        page = scan_query.query(filters, scope, 50)
        first.append(time.perf_counter() - t)
        cursor = page.next_cursor
    assert len(page.items) == 50
    for _ in range(20):  # walk 20 pages deeper
        t = time.perf_counter()
        page = scan_query.query(filters, scope, 50, cursor)
        deep.append(time.perf_counter() - t)
        cursor = page.next_cursor
    by_province = scan_query.make_filters(lot="lot_hot", province="VN-69")
    t = time.perf_counter()
    filtered = scan_query.query(by_province, scope, 50)
    filtered_s = time.perf_counter() - t
    return {
        "lot_scans": n,
        "first_page_ms_median": round(statistics.median(first) * 1000, 1),
        "next_pages_ms_median": round(statistics.median(deep) * 1000, 1),
        "lot_and_province_page_ms": round(filtered_s * 1000, 1),
        "filtered_page_items": len(filtered.items),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--lot-scans", type=int, default=100_000)
    p.add_argument("--stream-records", type=int, default=2_000)
    args = p.parse_args()
    _env()
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from ocop_local import backend

    with backend.moto_backend():
        backend.apply_environment({})
        backend.create_tables()
        # the detector first, on small tables: moto copies table state around every
        # TransactWriteItems, which would otherwise measure moto rather than the detector
        result: dict[str, Any] = {"detector": bench_detector(args.stream_records)}
        load_s = load_lot(args.lot_scans)
        result["load"] = {"scans": args.lot_scans, "seconds": round(load_s, 1)}
        result["query"] = bench_query(args.lot_scans)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
