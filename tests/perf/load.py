"""Load test of the public scan path on the local stack (loopback only, bounded in time).

    .venv/bin/python tests/perf/load.py [--seconds 30] [--workers 16] [--codes 500]

Starts `python -m ocop_local serve` on a free 127.0.0.1 port (moto in memory), issues and
activates a batch through the API, then scans random codes of it from `--workers`
threads for `--seconds`. Afterwards it checks, through the inspector API, that every
answered scan has exactly one record in the verification log and that each code's
records are numbered 1..n (the stamp counter equals its records), and that the error
rate is 0. Prints requests/s and latency percentiles as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_stack(port: int, state: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocop_local", "serve", "--port", str(port), "--state-dir", str(state)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "Ctrl-C" in line:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
            return proc
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("the local stack did not start")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--codes", type=int, default=500)
    ap.add_argument("--max-requests", type=int, default=200_000)
    args = ap.parse_args()

    port = free_port()
    state = Path("/tmp") / f"ocop-load-{uuid.uuid4().hex[:8]}"
    proc = start_stack(port, state)
    base = f"http://127.0.0.1:{port}"
    try:
        tokens = json.loads((state / "dev-tokens.json").read_text())
        producer = {"Authorization": f"Bearer {tokens['producer']}"}
        inspector = {"Authorization": f"Bearer {tokens['inspector']}"}
        summary = json.loads((state / "demo-summary.json").read_text())
        product = next(p for p, owner in summary["products"].items() if owner == summary["producer_id"])
        lot = requests.post(
            f"{base}/lots",
            headers=producer,
            timeout=30,
            json={
                "product_id": product,
                "lot_code": f"LOAD-{uuid.uuid4().hex[:6]}",
                "production_date": "2026-11-01",
                "expiry_date": "2028-11-01",
                "quantity": args.codes,
                "origin": {"province": "Thái Nguyên"},
            },
        ).json()
        batch = requests.post(
            f"{base}/batches",
            headers={**producer, "Idempotency-Key": str(uuid.uuid4())},
            timeout=30,
            json={"product_id": product, "size": args.codes},
        ).json()
        requests.post(
            f"{base}/batches/{batch['batch_id']}/activations",
            headers=producer,
            timeout=30,
            json={"first_serial": 1, "last_serial": args.codes, "lot_id": lot["lot_id"]},
        ).raise_for_status()
        csv = requests.get(
            f"{base}/batches/{batch['batch_id']}/codes.csv?to={args.codes}", headers=producer, timeout=60
        )
        codes = [line.split(",")[1] for line in csv.text.splitlines()[1:]]

        sent: Counter[str] = Counter()
        statuses: Counter[int] = Counter()
        latencies: list[float] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            session = requests.Session()
            while time.monotonic() < stop_at:
                with lock:
                    if len(latencies) >= args.max_requests:
                        return
                code = rng.choice(codes)
                t = time.perf_counter()
                r = session.get(f"{base}/v/{code}", headers={"Accept": "application/json"}, timeout=60)
                elapsed = time.perf_counter() - t
                with lock:
                    latencies.append(elapsed)
                    statuses[r.status_code] += 1
                    if r.status_code == 200:
                        sent[code] += 1

        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started

        mismatches = []
        for code, n in sent.items():
            numbers: list[int] = []
            cursor = None
            while True:
                params = {"code": code, "limit": "200", **({"cursor": cursor} if cursor else {})}
                page = requests.get(f"{base}/scans", headers=inspector, params=params, timeout=60).json()
                numbers += [item["scan_no"] for item in page["items"]]
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            if sorted(numbers) != list(range(1, n + 1)):
                mismatches.append(
                    {"code": code, "answered": n, "log_numbers": sorted(numbers)[:10], "records": len(numbers)}
                )

        latencies.sort()
        total = len(latencies)
        report = {
            "workers": args.workers,
            "seconds": round(wall, 1),
            "requests": total,
            "requests_per_s": round(total / wall, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p99_ms": round(latencies[int(0.99 * (total - 1))] * 1000, 1),
            "statuses": dict(statuses),
            "error_rate": round(1 - statuses[200] / total, 4) if total else None,
            "codes_scanned": len(sent),
            "log_mismatches": len(mismatches),
            "examples": mismatches[:3],
        }
        print(json.dumps(report, indent=2))
        return 0 if not mismatches and statuses[200] == total else 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
