"""Load test of the public scan path on the local stack (loopback only, bounded in time).

    .venv/bin/python tests/perf/load.py [--seconds 20] [--workers 1,8] [--codes 200]
                                        [--cost-scans 200] [--prefill 100000] [--processes 0,2]

For each value of ``--processes`` in turn (one run measures the modes back to back), starts
`python -m ocop_local serve --processes N` on a free 127.0.0.1 port (moto in memory; with
N > 0 moto in a process of its own and the functions in N worker processes) in a child
process of this script (``--serve``: the same ``serve``, plus a command on its stdin that
pre-fills the tables, below), issues and activates a batch through the API, then:

0. **warm-up**: every code of the batch scanned once, one after another, and the detector
   caught up (``warm_up``): the costs below are of scans of codes already seen, in
   environments already made, so the two compare the tables' size and nothing else.
1. **cost of a scan, empty tables**: ``--cost-scans`` scans one after another (over a fifth of
   the batch's codes kept for it; step 3 scans another fifth in the same pattern, and the
   throughput runs the remaining three fifths, so each cost's codes have the same history and
   only the tables' size differs between the two); the server
   process's CPU time (user + system, ``/proc/<pid>/stat``) from before the first scan to
   the moment the anomaly detector has caught up with the last one
   (``POST /_local/streams/catch-up``), divided by the scans: the whole cost of a scan,
   the detector's share included (with worker processes: the child and all its descendants,
   also given per process: gateway, ``ocop-moto``, workers). Also the answer's median latency.
2. **throughput**: for each worker count in ``--workers``, that many threads scan random
   codes for ``--seconds``: scans/s, p50/p99, the cores the server's processes kept busy (and
   this script's own, the clients'); then how long the detector took to catch up.
3. **cost of a scan, ``--prefill`` logged scans**: the child writes that many scan records
   straight into moto's back end (``prefill``: clones of a real record of the run under
   ``--prefill / 10`` other codes, each with the detector's marker in the Alerts table, as
   if they had been scanned and seen; the stream is off while it writes, so the detector
   is not handed 100,000 old records), then step 1 again.

Afterwards it checks, through the inspector API, that every answered scan has exactly one
record in the verification log and that each code's records are numbered 1..n (the stamp
counter equals its records), and that the error rate is 0. Prints JSON; exit 1 on a
mismatch or an error.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
CATCH_UP = "/_local/streams/catch-up"
PREFILLED = "PREFILLED"  # the child's answer line on stdout: "PREFILLED <records> <seconds>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the child: the local stack, and the prefill command -----------------------------------
def prefill(records: int, per_code: int = 10) -> int:
    """Write ``records`` scan records (clones of the newest real one, ``per_code`` per code,
    under codes no stamp has) straight into moto's Scans table, and each one's ``SEEN``
    marker into the Alerts table, as the anomaly detector would have left it. The stream is
    off while writing; every moto request waits (``backend._MOTO_LOCK``)."""
    from moto.dynamodb.models import dynamodb_backends

    from ocop_local import backend
    from ocop_local.lambda_context import ACCOUNT_ID
    from ocop_stamps.storage.keys import seen_key, shard_of

    region = os.environ.get("AWS_DEFAULT_REGION", backend.REGION)
    ddb = dynamodb_backends[ACCOUNT_ID][region]
    scans = ddb.get_table(os.environ.get("SCANS_TABLE", "ocop-scans"))
    alerts = ddb.get_table(os.environ.get("ALERTS_TABLE", "ocop-alerts"))
    with backend._MOTO_LOCK:
        model = max(scans.all_items(), key=lambda item: item.attrs["scan_key"].value).to_json()["Attributes"]
        stream, scans.stream_shard = scans.stream_shard, None
        try:
            for i in range(records):
                code = f"PREFILL{i // per_code:09d}"
                scan_key = f"{model['scan_key']['S']}#{i:07d}"
                item = dict(model, code={"S": code}, scan_key={"S": scan_key})
                shard = shard_of(code, scan_key)
                for name, value in model.items():
                    if name.endswith("_shard") and "S" in value:
                        item[name] = {"S": f"{value['S'].rsplit('#', 1)[0]}#{shard}"}
                scans.put_item(item)
                alerts.put_item(
                    {
                        "pk": {"S": seen_key(code)},
                        "sk": {"S": scan_key},
                        "kind": {"S": "seen"},
                        "expires_at": {"N": str(int(time.time()) + 8 * 86400)},
                    }
                )
        finally:
            scans.stream_shard = stream
    return records


PREFILL_PATH = "/_load/prefill"


def prefill_app(app: Any) -> Any:
    """moto's WSGI app in its own process (``--processes N``), plus ``POST /_load/prefill?records=N``,
    which runs ``prefill`` there (``processes.MOTO_INIT``; load tests only)."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != PREFILL_PATH:
            return app(environ, start_response)
        records = int(environ.get("QUERY_STRING", "").partition("=")[2])
        written = prefill(records)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"records": written}).encode()]

    return wsgi


PROFILE_PATH = "/_load/profile"


def profiled_prefill_app(app: Any) -> Any:
    """``prefill_app``, with every request moto answers profiled (cProfile, one request at a
    time: moto takes them one at a time anyway); ``GET /_load/profile`` answers the top
    functions by own time and by cumulative time, and the profiled seconds."""
    import cProfile
    import io
    import pstats

    profile, lock, inner = cProfile.Profile(), threading.Lock(), prefill_app(app)

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == PROFILE_PATH:
            with lock:
                out = io.StringIO()
                stats = pstats.Stats(profile, stream=out)
                stats.sort_stats("tottime").print_stats(25)
                stats.sort_stats("cumulative").print_stats(40)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [out.getvalue().encode()]
        if environ.get("PATH_INFO") == PREFILL_PATH:  # not a request of the stack's
            return inner(environ, start_response)
        with lock:
            profile.enable()
            try:
                return list(inner(environ, start_response))
            finally:
                profile.disable()

    return wsgi


def serve_child(port: int, state: Path, processes: int, profile: bool = False) -> int:
    """``python -m ocop_local serve`` in this process, reading ``prefill N`` from stdin (with
    worker processes, the prefill runs in moto's process, through ``prefill_app``)."""
    from ocop_local import processes as local_processes
    from ocop_local.__main__ import main as ocop_local_main

    moto_url: list[str] = []

    def commands() -> None:
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "moto":
                moto_url.append(argument)
            elif command == "prefill":
                started = time.monotonic()
                if moto_url:
                    url = f"{moto_url[0]}{PREFILL_PATH}?records={int(argument)}"
                    written = requests.post(url, timeout=3600).json()["records"]
                else:
                    written = prefill(int(argument))
                print(f"{PREFILLED} {written} {time.monotonic() - started:.1f}", flush=True)

    threading.Thread(target=commands, name="load-commands", daemon=True).start()
    local_processes.MOTO_INIT = profiled_prefill_app if profile else prefill_app
    argv = ["serve", "--port", str(port), "--state-dir", str(state), "--processes", str(processes)]
    return ocop_local_main(argv)


class Child:
    """The local stack in a child process: its stdout is followed for the banner and the
    prefill answers; its CPU time is read from /proc."""

    def __init__(self, port: int, state: Path, processes: int, profile: bool = False) -> None:
        self.started = time.monotonic()
        self.moto_url = ""
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), str(state), str(processes), "1" if profile else "0"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.seen = threading.Condition()
        threading.Thread(target=self._follow, daemon=True).start()
        if not self.wait_for("Ctrl-C", 180):
            self.proc.kill()
            raise SystemExit("the local stack did not start:\n" + "".join(self.lines[-30:]))
        self.start_seconds = round(time.monotonic() - self.started, 1)
        moto = next((x for x in self.lines if "moto at http://" in x), None)
        if moto:  # tell the child where its moto is, for the prefill
            assert self.proc.stdin is not None
            self.moto_url = moto.split("moto at ", 1)[1].split(",")[0]
            self.proc.stdin.write(f"moto {self.moto_url}\n")
            self.proc.stdin.flush()

    def _follow(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.seen:
                self.lines.append(line)
                self.seen.notify_all()

    def wait_for(self, text: str, timeout: float) -> str | None:
        with self.seen:
            found = self.seen.wait_for(lambda: next((x for x in self.lines if text in x), None), timeout)
            if found:
                self.lines.remove(found)
            return found

    def prefill(self, records: int) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"prefill {records}\n")
        self.proc.stdin.flush()
        answer = self.wait_for(PREFILLED, 3600)
        if not answer:
            raise SystemExit("the prefill did not finish")
        return float(answer.split()[2])

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) of the child and each of its descendants, by role: the
        gateway (the child itself: gateway, stream consumer, pollers), ``ocop-moto`` and the
        ``ocop-worker-*`` processes (their names, ``processes._name_process``), ``other``."""
        stats: dict[int, tuple[int, str, float]] = {}  # pid -> (parent, name, seconds)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            name = text[text.index("(") + 1 : text.rindex(")")]
            fields = text.rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
            stats[int(entry.name)] = (int(fields[1]), name, seconds)
        roles: Counter[str] = Counter()
        for pid, (_, name, seconds) in stats.items():
            ancestor = pid
            while ancestor in stats and ancestor != self.proc.pid:
                ancestor = stats[ancestor][0]
            if ancestor != self.proc.pid:
                continue
            role = "gateway" if pid == self.proc.pid else name
            role = "workers" if role.startswith("ocop-worker") else role
            roles[role if role in ("gateway", "ocop-moto", "workers") else "other"] += seconds
        return dict(roles)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _own_cpu() -> float:
    """This process's CPU seconds (the load generator's own share of the machine)."""
    times = os.times()
    return times.user + times.system


# --- the client --------------------------------------------------------------------------
def set_up_batch(base: str, state: Path, codes: int) -> list[str]:
    tokens = json.loads((state / "dev-tokens.json").read_text())
    producer = {"Authorization": f"Bearer {tokens['producer']}"}
    summary = json.loads((state / "demo-summary.json").read_text())
    product = next(p for p, owner in summary["products"].items() if owner == summary["producer_id"])
    sample = json.loads(json.loads((ROOT / "events" / "producer-create-lot.json").read_text())["body"])
    answer = requests.post(
        f"{base}/lots",
        headers=producer,
        timeout=60,
        json={**sample, "product_id": product, "lot_code": f"LOAD-{uuid.uuid4().hex[:6]}", "quantity": codes},
    )
    answer.raise_for_status()
    lot = answer.json()
    batch = requests.post(
        f"{base}/batches",
        headers={**producer, "Idempotency-Key": str(uuid.uuid4())},
        timeout=60,
        json={"product_id": product, "size": codes},
    ).json()
    requests.post(
        f"{base}/batches/{batch['batch_id']}/activations",
        headers=producer,
        timeout=60,
        json={"first_serial": 1, "last_serial": codes, "lot_id": lot["lot_id"]},
    ).raise_for_status()
    csv = requests.get(f"{base}/batches/{batch['batch_id']}/codes.csv?to={codes}", headers=producer, timeout=60)
    return [line.split(",")[1] for line in csv.text.splitlines()[1:]]


class Scanner:
    """Scans through the API, counting answers per code for the log check."""

    def __init__(self, base: str, codes: list[str]) -> None:
        self.base, self.codes = base, codes
        # the two costs scan codes of their own, alike (each seen once, at the warm-up); the
        # throughput runs scan the rest: a code's own history (which the detector reads)
        # is then the same in both costs, and only the tables' size differs
        share = max(1, len(codes) // 5)
        self.cost_codes = {"empty": codes[:share], "logged": codes[share : 2 * share]}
        self.load_codes = codes[2 * share :] or codes
        self.sent: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.lock = threading.Lock()

    def one(self, session: requests.Session, code: str) -> float:
        started = time.perf_counter()
        r = session.get(f"{self.base}/v/{code}", headers={"Accept": "application/json"}, timeout=60)
        elapsed = time.perf_counter() - started
        with self.lock:
            self.statuses[r.status_code] += 1
            if r.status_code == 200:
                self.sent[code] += 1
        return elapsed

    def catch_up(self) -> tuple[float, int]:
        started = time.perf_counter()
        r = requests.post(f"{self.base}{CATCH_UP}", timeout=3600)
        r.raise_for_status()
        return time.perf_counter() - started, int(r.json()["records"])

    def warm_up(self) -> int:
        """Every code scanned once, one after another, and the detector caught up: each
        process's environments, caches and the codes' first-scan records are made before
        any cost is measured, so both costs compare scans of codes already seen."""
        session = requests.Session()
        for code in self.codes:
            self.one(session, code)
        self.catch_up()
        return len(self.codes)

    def cost(self, child: Child, scans: int, which: str) -> dict[str, Any]:
        """Server CPU per scan (detector included) and latency, ``scans`` one at a time over
        the codes kept for this cost (``cost_codes[which]``), in the same order for both."""
        codes = self.cost_codes[which]
        rng, session = random.Random(1), requests.Session()
        picks = [rng.randrange(len(codes)) for _ in range(scans)]
        self.one(session, codes[picks[0]])  # this session's connection and thread
        self.catch_up()
        before = child.cpu_seconds()
        started = time.perf_counter()
        latencies = [self.one(session, codes[i]) for i in picks]
        self.catch_up()
        after = child.cpu_seconds()
        spent = {role: after[role] - before.get(role, 0.0) for role in after}
        return {
            "scans": scans,
            "server_cpu_ms_per_scan": round(sum(spent.values()) / scans * 1000, 1),
            "by_process_ms_per_scan": {role: round(cpu / scans * 1000, 1) for role, cpu in sorted(spent.items())},
            "wall_ms_per_scan": round((time.perf_counter() - started) / scans * 1000, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
        }

    def throughput(self, child: Child, workers: int, seconds: float, seed: int) -> dict[str, Any]:
        latencies: list[float] = []
        before, load_before = child.cpu_seconds(), _own_cpu()
        stop_at = time.monotonic() + seconds

        def worker(n: int) -> None:
            rng, session = random.Random(seed * 100 + n), requests.Session()
            while time.monotonic() < stop_at:
                elapsed = self.one(session, rng.choice(self.load_codes))
                with self.lock:
                    latencies.append(elapsed)

        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
        during, load_during = child.cpu_seconds(), _own_cpu()
        lag, _ = self.catch_up()
        latencies.sort()
        total = len(latencies)
        return {
            "workers": workers,
            "seconds": round(wall, 1),
            "scans": total,
            "scans_per_s": round(total / wall, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p99_ms": round(latencies[int(0.99 * (total - 1))] * 1000, 1),
            "detector_catch_up_s": round(lag, 1),
            # cores busy while the clients ran (the detector's catching up after excluded)
            "server_cores": round(sum(during[r] - before.get(r, 0.0) for r in during) / wall, 2),
            "server_cores_by_process": {r: round((during[r] - before.get(r, 0.0)) / wall, 2) for r in sorted(during)},
            "client_cores": round((load_during - load_before) / wall, 2),
        }

    def log_mismatches(self, inspector: dict[str, str]) -> list[dict[str, Any]]:
        mismatches = []
        for code, n in self.sent.items():
            numbers: list[int] = []
            cursor = None
            while True:
                params = {"code": code, "limit": "200", **({"cursor": cursor} if cursor else {})}
                page = requests.get(f"{self.base}/scans", headers=inspector, params=params, timeout=120).json()
                numbers += [item["scan_no"] for item in page["items"]]
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            if sorted(numbers) != list(range(1, n + 1)):
                mismatches.append({"code": code, "answered": n, "log_numbers": sorted(numbers)[:10]})
        return mismatches


def run(processes: int, args: argparse.Namespace) -> dict[str, Any]:
    """Every measure, on a stack started with ``--processes processes``."""
    port = free_port()
    state = Path(tempfile.mkdtemp(prefix="ocop-load-"))  # its secrets and tokens: removed at the end
    load_at_start = os.getloadavg()[0]
    profile = bool(args.profile_moto) and processes > 0
    child = Child(port, state, processes, profile)
    base = f"http://127.0.0.1:{port}"
    try:
        scanner = Scanner(base, set_up_batch(base, state, args.codes))
        report: dict[str, Any] = {
            "processes": processes,
            "load_avg_at_start": round(load_at_start, 1),
            "start_seconds": child.start_seconds,
        }
        report["warm_up_scans"] = scanner.warm_up()
        report["cost_empty"] = scanner.cost(child, args.cost_scans, "empty")
        report["throughput"] = [
            scanner.throughput(child, int(w), args.seconds, seed=10 + i) for i, w in enumerate(args.workers.split(","))
        ]
        rates = [t["scans_per_s"] for t in report["throughput"]]
        report["throughput_ratio"] = round(rates[-1] / rates[0], 2) if rates[0] else None
        if args.prefill:
            report["prefill_seconds"] = child.prefill(args.prefill)
            report[f"cost_{args.prefill}_logged"] = scanner.cost(child, args.cost_scans, "logged")
            before = report["cost_empty"]["server_cpu_ms_per_scan"]
            after = report[f"cost_{args.prefill}_logged"]["server_cpu_ms_per_scan"]
            report["cost_ratio"] = round(after / before, 2)
        tokens = json.loads((state / "dev-tokens.json").read_text())
        mismatches = scanner.log_mismatches({"Authorization": f"Bearer {tokens['inspector']}"})
        answered = sum(scanner.statuses.values())
        report |= {
            "statuses": dict(scanner.statuses),
            "error_rate": round(1 - scanner.statuses[200] / answered, 4) if answered else None,
            "codes_scanned": len(scanner.sent),
            "log_mismatches": len(mismatches),
            "examples": mismatches[:3],
            "ok": not mismatches and scanner.statuses[200] == answered,
        }
        with child.seen:  # what the server logged of its failures, to see why
            failures = [line[:3000] for line in child.lines if '"level":"ERROR"' in line or " -> 5" in line]
        if failures:
            report["server_errors"] = failures[:5]
        if profile:
            text = requests.get(f"{child.moto_url}{PROFILE_PATH}", timeout=600).text
            Path(args.profile_moto).write_text(text, encoding="utf-8")
        return report
    finally:
        child.stop()
        shutil.rmtree(state, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--workers", default="1,8", help="worker counts, comma-separated")
    ap.add_argument("--codes", type=int, default=200)
    ap.add_argument("--cost-scans", type=int, default=200)
    ap.add_argument("--prefill", type=int, default=100_000, help="logged scans for the second cost (0: skip)")
    ap.add_argument(
        "--processes",
        default="0",
        help="`serve --processes` values, comma-separated, measured one after the other (0: one process)",
    )
    ap.add_argument(
        "--profile-moto",
        default="",
        help="with worker processes: write cProfile's view of moto's process over the whole run to this file",
    )
    ap.add_argument("--serve", nargs=4, metavar=("PORT", "STATE", "PROCESSES", "PROFILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        return serve_child(int(args.serve[0]), Path(args.serve[1]), int(args.serve[2]), args.serve[3] == "1")

    report = {
        "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "runs": [run(int(n), args) for n in args.processes.split(",")],
    }
    print(json.dumps(report, indent=2))
    return 0 if all(r["ok"] for r in report["runs"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
