"""What a 307 to the default link costs a consumer on a slow connection (issue 11, fault 11; not a test).

    .venv/bin/python tests/perf/bench_redirect.py [--rtt-ms 300] [--kbps 400] [-n 30]

In-process on moto (the public function as deployed, warm), with the network simulated: each
HTTP exchange waits one round trip (``--rtt-ms``) plus the time its response (status line,
headers, body) takes at ``--kbps`` downstream -- a phone on a slow mobile link that already
has its connection open (no DNS, TCP or TLS set-up: that cost is paid once by both paths).

Two ways a label's Digital Link reaches the consumer page, ``n`` stamps each:

- ``in_place``: ``/01/{gtin}/21/{code}`` answered with the page itself (one exchange);
- ``via_307``: ``/01/{gtin}/21/{code}?src=poster`` answered 307 to the default link
  ``/v/{code}?src=poster``, followed (two exchanges).

Printed as JSON: per path the median and p90 of the simulated total (ms), the function's
own time, DynamoDB requests, and the scan count after it (each stamp must read exactly 1).
Figures go to docs/PERFORMANCE.md, "Digital Link: the 307 to the default link".
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "perf"))
GTIN14 = "08930000000019"


def _event(path: str, query: list[tuple[str, str]]) -> dict[str, Any]:
    from helpers.handlers import sample

    event = sample("public-digital-link")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event.pop("pathParameters", None)
    if query:
        event["queryStringParameters"] = dict(query)
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query)
    return event


def _exchange(path: str, query: list[tuple[str, str]], rtt: float, kbps: float) -> tuple[int, dict[str, str], float]:
    """One request over the simulated link: (status, headers, function seconds)."""
    from helpers.handlers import invoke

    start = time.perf_counter()
    status, headers, body = invoke("public_scan", _event(path, query))
    served = time.perf_counter() - start
    size = len(f"HTTP/1.1 {status}\r\n") + sum(len(f"{k}: {v}\r\n") for k, v in headers.items()) + len(body.encode())
    time.sleep(rtt + size * 8 / (kbps * 1000))
    return status, headers, served


def run(n: int, rtt_ms: float, kbps: float) -> dict[str, Any]:
    from bench import moto_world

    from helpers.handlers import Shop
    from helpers.visits import scan_count

    rtt = rtt_ms / 1000
    out: dict[str, Any] = {"rtt_ms": rtt_ms, "downstream_kbps": kbps, "stamps_per_path": n}
    with moto_world() as calls:
        shop = Shop()
        shop.activate(1, 2 * n + 1)
        codes = shop.codes(1, 2 * n + 1)
        _exchange(f"/01/{GTIN14}/21/{codes[0]}", [], 0, kbps)  # warm the function and its caches
        for name, batch in (("in_place", codes[1 : n + 1]), ("via_307", codes[n + 1 :])):
            totals, served, requests, counts, hops = [], [], [], [], []
            for code in batch:
                calls.clear()
                start = time.perf_counter()
                if name == "in_place":
                    status, _, fn = _exchange(f"/01/{GTIN14}/21/{code}", [], rtt, kbps)
                    hop_fn = 0.0
                else:
                    status, headers, hop_fn = _exchange(f"/01/{GTIN14}/21/{code}", [("src", "poster")], rtt, kbps)
                    assert status == 307, status
                    url = urlsplit(headers["location"])
                    status, _, fn = _exchange(url.path, parse_qsl(url.query), rtt, kbps)
                totals.append(time.perf_counter() - start)
                assert status == 200, status
                served.append(fn + hop_fn)
                hops.append(hop_fn)
                requests.append(len(calls))
                counts.append(scan_count(code))
            totals.sort()
            out[name] = {
                "total_ms_median": round(statistics.median(totals) * 1000, 1),
                "total_ms_p90": round(totals[int(0.9 * len(totals))] * 1000, 1),
                "function_ms_median": round(statistics.median(served) * 1000, 2),
                "redirect_hop_function_ms_median": round(statistics.median(hops) * 1000, 2),
                "dynamodb_requests_max": max(requests),
                "scan_counts": sorted(set(counts)),
            }
    out["added_by_307_ms_median"] = round(out["via_307"]["total_ms_median"] - out["in_place"]["total_ms_median"], 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rtt-ms", type=float, default=300)
    parser.add_argument("--kbps", type=float, default=400)
    parser.add_argument("-n", type=int, default=30)
    args = parser.parse_args()
    print(json.dumps(run(args.n, args.rtt_ms, args.kbps), indent=2))


if __name__ == "__main__":
    main()
