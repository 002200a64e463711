"""Measurements of issue 11 (not tests): `.venv/bin/python tests/perf/bench_honest.py` prints JSON.

- DynamoDB requests, warm function, per answer: a person's scan (a stamp's first and a later
  one), a page shown again by its view token, a link preview (JSON and HTML), a crawler,
  a prefetch, the Digital Link for a preview, a preview of a code never issued;
- the time ``scanning.traffic.classify`` takes per request, and the preview page's weight.
Figures go to docs/PERFORMANCE.md, section "Honest counts (issue 11)".
"""

from __future__ import annotations

import contextlib
import gzip
import io
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

FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GTIN14 = "08930000000019"


def bench_requests(samples: int = 30) -> dict[str, Any]:
    from bench import moto_world

    from helpers.handlers import Shop
    from helpers.visits import visit
    from ocop_stamps.scanning import verification

    out: dict[str, Any] = {}
    with moto_world() as calls:
        shop = Shop()
        shop.activate(1, 400)
        codes = iter(shop.codes(1, 400))
        verification.reset_cache()
        first = next(codes)
        token = visit(f"/v/{first}")[2]["view_token"]  # warms the function's caches
        visit(f"/v/{first}", ua=FACEBOOK)

        cases = {
            "person_first_scan_of_a_stamp": lambda: visit(f"/v/{next(codes)}"),
            "person_later_scan": lambda: visit(f"/v/{first}"),
            "page_shown_again_view_token": lambda: visit(f"/v/{first}", query={"view": token}),
            "preview_json": lambda: visit(f"/v/{first}", ua=FACEBOOK),
            "preview_html": lambda: visit(f"/v/{first}", ua=FACEBOOK, html=True),
            "preview_digital_link": lambda: visit(f"/01/{GTIN14}/21/{first}", ua=FACEBOOK, html=True),
            "bot": lambda: visit(f"/v/{first}", ua=GOOGLEBOT, html=True),
            "prefetch": lambda: visit(f"/v/{first}", headers={"sec-purpose": "prefetch"}, html=True),
            "preview_of_a_code_never_issued": lambda: visit("/v/ABCD-EFGH-JKMN-PQRS", ua=FACEBOOK),
        }
        for label, fetch in cases.items():
            per: list[int] = []
            ops: Counter[str] = Counter()
            for _ in range(samples):
                calls.clear()
                fetch()
                dynamodb = [op for service, op in calls if service == "dynamodb"]
                per.append(len(dynamodb))
                ops = Counter(dynamodb)
            out[label] = {"dynamodb_requests_max": max(per), "last": dict(ops)}
    return out


def bench_classify(n: int = 20_000) -> dict[str, Any]:
    from ocop_stamps.scanning.traffic import classify

    phone = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
    out = {}
    for label, headers in (("person", {"user-agent": phone}), ("preview", {"user-agent": FACEBOOK})):
        times = []
        for _ in range(n):
            start = time.perf_counter()
            classify("GET", headers)
            times.append(time.perf_counter() - start)
        out[f"{label}_median_us"] = round(statistics.median(times) * 1e6, 2)
    return out


def bench_preview_weight() -> dict[str, int]:
    from helpers.scan_results import GENUINE
    from ocop_stamps.pages.preview_page import render_preview

    page = render_preview(GENUINE).encode()
    return {"raw_bytes": len(page), "gzip_bytes": len(gzip.compress(page, 9))}


def main() -> None:
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # keep EMF lines out of the JSON on stdout
    from bench import machine

    results: dict[str, Any] = {"machine": machine(), "date": time.strftime("%Y-%m-%d")}
    with contextlib.redirect_stdout(io.StringIO()):  # the handler's own EMF lines (ColdStart)
        results["dynamodb_requests_warm"] = bench_requests()
    results["classify"] = bench_classify()
    results["preview_page"] = bench_preview_weight()
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
