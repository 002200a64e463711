"""Benchmarks of the consumer page (issue 5; not tests): `.venv/bin/python tests/perf/bench_consumer.py`.

- page weight per verdict, raw and gzip-compressed (target: under 30 KB compressed);
- server time to render one page in-process, warm (render alone, and the whole handler on moto);
- DynamoDB requests per scan page (HTML) and per GS1 Digital Link page, warm function;
- import time of the public function (the same measurement as bench.py's bench_import).
Figures go to docs/PERFORMANCE.md, section "Consumer page (issue 5)".
"""

from __future__ import annotations

import gzip
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
sys.path.insert(0, str(ROOT / "tests" / "perf"))
KEYS = json.dumps({"1": "00112233445566778899aabbccddeeff"})


def bench_weight() -> dict[str, Any]:
    from helpers.scan_results import BANNERS
    from ocop_stamps.pages.scan_page import render

    out = {}
    for name, (res, _vi, _en) in BANNERS.items():
        html = render(res).encode()
        out[name] = {"raw_bytes": len(html), "gzip_bytes": len(gzip.compress(html, 9))}
    return out


def bench_render(n: int = 2000) -> dict[str, Any]:
    from helpers.scan_results import GENUINE, REPEAT
    from ocop_stamps.pages.scan_page import render

    out = {}
    for name, res in (("genuine", GENUINE), ("repeat", REPEAT)):
        for _ in range(100):
            render(res)
        times = []
        for _ in range(n):
            start = time.perf_counter()
            render(res)
            times.append(time.perf_counter() - start)
        times.sort()
        out[name] = {"median_us": round(statistics.median(times) * 1e6), "p99_us": round(times[int(0.99 * n)] * 1e6)}
    return out


def bench_handler() -> dict[str, Any]:
    from bench import moto_world

    from helpers.handlers import Shop, invoke, sample
    from ocop_stamps.scanning import verification

    out: dict[str, Any] = {}
    with moto_world() as calls:
        shop = Shop()
        shop.activate(1, 300)
        codes = shop.codes(1, 201)
        gtin = "08930000000019"
        verification.reset_cache()

        def html(code: str) -> tuple[int, str]:
            status, _, body = invoke("public_scan", sample("public-scan-html", CODE=code))
            return status, body

        def digital(code: str) -> tuple[int, str]:
            event = sample("public-digital-link", GTIN=gtin, CODE=code)
            status, _, body = invoke("public_scan", event)
            return status, body

        for label, fetch, batch in (
            ("scan_page_html", html, codes[1:101]),
            ("digital_link_html", digital, codes[101:]),
        ):
            fetch(codes[0])  # warm
            per, times = [], []
            for code in batch:
                calls.clear()
                start = time.perf_counter()
                status, body = fetch(code)
                times.append(time.perf_counter() - start)
                per.append(len(calls))
                assert status == 200, body[:200]
            out[label] = {
                "requests_max": max(per),
                "requests_by_operation_last": dict(Counter(op for _, op in calls)),
                "handler_ms_median_on_moto": round(statistics.median(times) * 1000, 2),
            }
        calls.clear()
        event = sample("public-digital-link", GTIN=gtin, CODE=codes[5])
        event["queryStringParameters"] = {"linkType": "linkset"}
        invoke("public_scan", event)
        out["linkset_requests_warm"] = dict(Counter(op for _, op in calls))
    return out


def main() -> None:
    from bench import bench_import, machine

    os.environ.setdefault("OCOP_CODE_KEYS", KEYS)
    results: dict[str, Any] = {"machine": machine(), "date": time.strftime("%Y-%m-%d")}
    results["page_weight"] = bench_weight()
    results["render_in_process"] = bench_render()
    results["handler"] = bench_handler()
    results["import_public_scan"] = bench_import()
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
