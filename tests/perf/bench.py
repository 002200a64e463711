"""Benchmarks of the hot paths (not tests): run `make bench`, copy the figures to docs/PERFORMANCE.md.

- codes/s generating a batch's CSV on one core (target >= 150,000/s);
- DynamoDB requests to issue a batch of 10 and of 1,000,000 (target <= 5, the same);
- DynamoDB requests per scan on a warm function (target <= 3), and in-process scan time on moto;
- import time of the public scan function in a fresh process: <= 300 ms (issue 2), and
  <= 1.2x an ``import boto3`` timed in the same rounds (issue 10; tests/perf/cold_import.py).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
KEYS = json.dumps({"1": "00112233445566778899aabbccddeeff"})


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    )


def bench_csv(n: int = 1_000_000) -> dict[str, Any]:
    from ocop_stamps.issuing import batches as issuing
    from ocop_stamps.storage.models import BatchItem

    batch = BatchItem(
        "BATCH#7", "PROFILE", kind="batch", batch_no=7, product_id="prd_demo", producer_id="p", size=n, key_version=1
    )
    runs = []
    size = 0
    for _ in range(3):
        start = time.perf_counter()
        size = sum(len(chunk) for chunk in issuing.iter_csv(batch, 1, n, "https://tem.example.vn", gtin=None))
        runs.append(time.perf_counter() - start)
    best = min(runs)
    return {
        "codes": n,
        "seconds_best_of_3": round(best, 3),
        "codes_per_s": round(n / best),
        "csv_mb": round(size / 1e6, 1),
    }


def _counting() -> list[tuple[str, str]]:
    from botocore.client import BaseClient

    calls: list[tuple[str, str]] = []
    original = BaseClient._make_api_call

    def counting(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        calls.append((self.meta.service_model.service_name, op))
        return original(self, op, params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    return calls


@contextmanager
def moto_world() -> Iterator[list[tuple[str, str]]]:
    """moto with the template's tables and the domain pointed at them; yields the AWS call log."""
    from ocop_local import backend

    env = backend.base_environment("https://tem.example.vn")
    env.update({"OCOP_CODE_KEYS": KEYS, "OCOP_IP_HASH_SALT": "bench"})
    os.environ.update(env)
    with backend.moto_backend():
        backend.apply_environment({})
        backend.create_tables()
        yield _counting()


def bench_requests() -> dict[str, Any]:
    from helpers.handlers import Shop, scan
    from ocop_stamps.scanning import verification

    out: dict[str, Any] = {}
    with moto_world() as calls:
        shop = Shop()
        for size in (10, 1_000_000):
            calls.clear()
            shop.issue(size, key=f"bench-issue-{size}")
            out[f"issue_{size}"] = dict(Counter(op for _, op in calls)) | {"total": len(calls)}
        shop.activate(1, 500)
        codes = shop.codes(1, 300)
        verification.reset_cache()
        scan(codes[0])
        per_scan = []
        times = []
        for code in codes[1:]:
            calls.clear()
            start = time.perf_counter()
            scan(code)
            times.append(time.perf_counter() - start)
            per_scan.append(len(calls))
        out["scan_warm_requests_max"] = max(per_scan)
        out["scan_warm_requests_mean"] = round(statistics.mean(per_scan), 2)
        out["scan_in_process_ms_median_on_moto"] = round(statistics.median(times) * 1000, 2)
        calls.clear()
        scan(codes[0][:-1] + ("0" if codes[0][-1] != "0" else "1"))
        out["scan_malformed_requests"] = dict(Counter(op for _, op in calls))
    return out


def bench_import(runs: int = 10) -> dict[str, Any]:
    """The public scan function's import, fresh interpreter per run, ``.pyc`` compiled (as the
    built layer ships them), in the same rounds as ``import boto3``: cold_import.py's measure."""
    from cold_import import measure

    timings = measure(runs, only=["public_scan"])
    wall, cpu = timings["wall"]["public_scan"], timings["cpu"]["public_scan"]
    return {"runs": runs, **wall, "cpu_median_ms": cpu["median_ms"], "cpu_ratio_to_boto3": cpu["ratio_to_boto3"]}


def main() -> None:
    os.environ.setdefault("OCOP_CODE_KEYS", KEYS)
    results: dict[str, Any] = {"machine": machine(), "date": time.strftime("%Y-%m-%d")}
    results["csv"] = bench_csv()
    results["import_public_scan"] = bench_import()
    results["dynamodb"] = bench_requests()
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
