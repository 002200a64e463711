"""``ocop-stamps``: the command line for producers and print shops.

Standard library only (urllib), so it adds nothing to the Lambda layer it ships in::

    ocop-stamps batch PRODUCT_ID SIZE [--note TEXT]          request a batch (idempotent)
    ocop-stamps print BATCH_ID [--format pdf|svg_zip|png_zip] [--preset a4-65|a4-40|a4-24]
                      [--from N] [--to N] [--dpi 300] [--cut-marks] [-o FILE]
    ocop-stamps job JOB_ID [--wait] [-o FILE]                show (or wait for) a print job
    ocop-stamps csv BATCH_ID [--from N] [--to N] [-o FILE]  the CSV manifest

The API address and the bearer token come from ``--api``/``--token`` or the environment
(``OCOP_API``, ``OCOP_TOKEN``). Small print files are saved at once; large ones start a
job that is polled with a progress bar and then downloaded from its presigned link.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from typing import Any, BinaryIO, TextIO

_TIMEOUT = 60


class ApiError(Exception):
    pass


class Client:
    def __init__(self, api: str, token: str | None) -> None:
        if not api.startswith(("http://", "https://")):
            raise ApiError(f"--api / OCOP_API must be an http(s) URL, not {api!r}")
        self.api = api.rstrip("/")
        self.token = token

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        url = path if path.startswith(("http://", "https://")) else self.api + path
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 -- http(s) checked above
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token and not path.startswith(("http://", "https://")):
            req.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            resp = urllib.request.urlopen(req, timeout=_TIMEOUT)  # noqa: S310
        except urllib.error.HTTPError as exc:
            raise ApiError(_error_text(exc.code, exc.read())) from None
        except urllib.error.URLError as exc:
            raise ApiError(f"cannot reach {self.api}: {exc.reason}") from None
        return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp


def _error_text(status: int, body: bytes) -> str:
    try:
        err = json.loads(body)["error"]
        return f"HTTP {status}: {err['message']}\n  {err.get('message_vi', '')}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}"


def progress(done: int, total: int, out: TextIO, label: str = "") -> None:
    """A one-line progress bar, redrawn in place."""
    width = 30
    frac = 0.0 if total <= 0 else min(1.0, done / total)
    bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
    out.write(f"\r[{bar}] {frac * 100:5.1f}% {label}")
    out.flush()


def save_stream(resp: Any, target: BinaryIO, out: TextIO, total: int | None = None) -> int:
    size = 0
    while block := resp.read(256 * 1024):
        target.write(block)
        size += len(block)
        if total:
            progress(size, total, out, f"{size / 1e6:.1f} MB")
    if total:
        out.write("\n")
    return size


def _filename(headers: dict[str, str], default: str) -> str:
    disposition = headers.get("content-disposition", "")
    if 'filename="' in disposition:
        name = disposition.split('filename="', 1)[1].split('"', 1)[0]
        return os.path.basename(name) or default
    return default


def cmd_batch(client: Client, args: argparse.Namespace, out: TextIO) -> int:
    key = args.idempotency_key or str(uuid.uuid4())
    body: dict[str, Any] = {"product_id": args.product_id, "size": args.size}
    if args.note:
        body["note"] = args.note
    _, _, resp = client.request("POST", "/batches", body, {"Idempotency-Key": key})
    batch = json.load(resp)
    out.write(json.dumps(batch, ensure_ascii=False, indent=2) + "\n")
    out.write(f"(Idempotency-Key: {key} -- repeat it to retry safely)\n")
    return 0


def cmd_print(client: Client, args: argparse.Namespace, out: TextIO) -> int:
    body: dict[str, Any] = {"format": args.format, "preset": args.preset, "cut_marks": args.cut_marks, "dpi": args.dpi}
    if args.first:
        body["first_serial"] = args.first
    if args.last:
        body["last_serial"] = args.last
    status, headers, resp = client.request("POST", f"/batches/{args.batch_id}/print-files", body)
    if status == 200:
        name = args.output or _filename(headers, f"batch-{args.batch_id}.{'pdf' if args.format == 'pdf' else 'zip'}")
        with open(name, "wb") as target:
            size = save_stream(resp, target, out, int(headers.get("content-length") or 0) or None)
        out.write(f"saved {name} ({size} bytes, {headers.get('x-label-count', '?')} labels)\n")
        return 0
    job = json.load(resp)
    out.write(f"job {job['job_id']}: {job['total_labels']} labels in {job['chunks_total']} chunks\n")
    return wait_and_download(client, job["job_id"], args.output, out, args.interval)


def wait_and_download(client: Client, job_id: str, output: str | None, out: TextIO, interval: float = 2.0) -> int:
    while True:
        _, _, resp = client.request("GET", f"/print-jobs/{job_id}")
        job = json.load(resp)
        label = f"{job['labels_done']}/{job['total_labels']} labels"
        if job["chunks_failed"]:
            label += f", {job['chunks_failed']} chunk(s) failed"
        progress(job["labels_done"], job["total_labels"], out, label)
        if job["status"] in ("done", "failed"):
            out.write("\n")
            break
        time.sleep(interval)
    if job["status"] == "failed":
        out.write(f"job failed: {job.get('failure', '')}\n")
        return 1
    name = output or job["file_name"]
    _, headers, resp = client.request("GET", job["download_url"])
    with open(name, "wb") as target:
        size = save_stream(resp, target, out, int(headers.get("content-length") or job.get("bytes") or 0) or None)
    out.write(f"saved {name} ({size} bytes)\n")
    return 0


def cmd_job(client: Client, args: argparse.Namespace, out: TextIO) -> int:
    if args.wait:
        return wait_and_download(client, args.job_id, args.output, out, args.interval)
    _, _, resp = client.request("GET", f"/print-jobs/{args.job_id}")
    out.write(json.dumps(json.load(resp), ensure_ascii=False, indent=2) + "\n")
    return 0


def cmd_csv(client: Client, args: argparse.Namespace, out: TextIO) -> int:
    query = "&".join(f"{k}={v}" for k, v in (("from", args.first), ("to", args.last)) if v)
    _, headers, resp = client.request("GET", f"/batches/{args.batch_id}/codes.csv" + (f"?{query}" if query else ""))
    name = args.output or _filename(headers, f"batch-{args.batch_id}.csv")
    with open(name, "wb") as target:
        size = save_stream(resp, target, out)
    out.write(f"saved {name} ({size} bytes)\n")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ocop-stamps", description="OCOP stamps: batches, print files, print jobs.")
    p.add_argument("--api", default=os.environ.get("OCOP_API", "http://127.0.0.1:3000"), help="API base URL (OCOP_API)")
    p.add_argument("--token", default=os.environ.get("OCOP_TOKEN"), help="bearer token (OCOP_TOKEN)")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("batch", help="request a batch of stamp codes")
    b.add_argument("product_id")
    b.add_argument("size", type=int)
    b.add_argument("--note")
    b.add_argument("--idempotency-key", help="default: a new UUID (printed, to retry safely)")
    b.set_defaults(func=cmd_batch)
    pr = sub.add_parser("print", help="download print files (a job with a progress bar when large)")
    pr.add_argument("batch_id")
    pr.add_argument("--format", choices=["pdf", "svg_zip", "png_zip"], default="pdf")
    pr.add_argument("--preset", choices=["a4-65", "a4-40", "a4-24"], default="a4-65")
    pr.add_argument("--from", dest="first", type=int)
    pr.add_argument("--to", dest="last", type=int)
    pr.add_argument("--dpi", type=int, default=300)
    pr.add_argument("--cut-marks", action="store_true")
    pr.add_argument("-o", "--output")
    pr.add_argument("--interval", type=float, default=2.0, help="seconds between polls of a job")
    pr.set_defaults(func=cmd_print)
    j = sub.add_parser("job", help="show a print job, or --wait for it and download")
    j.add_argument("job_id")
    j.add_argument("--wait", action="store_true")
    j.add_argument("-o", "--output")
    j.add_argument("--interval", type=float, default=2.0)
    j.set_defaults(func=cmd_job)
    c = sub.add_parser("csv", help="download the CSV manifest")
    c.add_argument("batch_id")
    c.add_argument("--from", dest="first", type=int)
    c.add_argument("--to", dest="last", type=int)
    c.add_argument("-o", "--output")
    c.set_defaults(func=cmd_csv)
    from ocop_stamps_cli.inspector import add_commands  # inspectors (issue 6): scans, export, alerts, alert

    add_commands(sub)
    return p


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    out = out or sys.stdout
    try:
        return int(args.func(Client(args.api, args.token), args, out))
    except ApiError as exc:
        sys.stderr.write(f"ocop-stamps: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
