"""``ocop-stamps``: the command line for producers, print shops and inspectors.

Standard library only (urllib): ``pip install ./cli`` installs nothing else::

    ocop-stamps batch PRODUCT_ID SIZE [--note TEXT] [--idempotency-key KEY]
    ocop-stamps print BATCH_ID [--format pdf|svg_zip|png_zip] [--preset a4-65|a4-40|a4-24]
                      [--from N] [--to N] [--dpi 300] [--cut-marks] [-o FILE]
    ocop-stamps job JOB_ID [--wait] [-o FILE]                show (or wait for) a print job
    ocop-stamps csv BATCH_ID [--from N] [--to N] [-o FILE]  the CSV manifest, every part
    ocop-stamps scans | export | alerts | alert ...          inspectors (see inspector.py)

The API address and the bearer token come from ``--api``/``--token`` or the environment
(``OCOP_API``, ``OCOP_TOKEN``). Results go to stdout, progress bars and notes to stderr.
Small print files are saved at once; large ones start a job that is polled with a
progress bar and then downloaded from its presigned link. Files are written under
``NAME.part`` and renamed once complete, so a failed download never leaves a short file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, TextIO
from urllib.parse import quote, urlencode

_TIMEOUT = 60
_BLOCK = 256 * 1024


class ApiError(Exception):
    """The API refused, could not be reached, or answered something unexpected (exit 1)."""


class UsageError(ApiError):
    """The command line itself is wrong: nothing was sent or changed (exit 2)."""


class Client:
    """Bearer-token JSON requests to the API; absolute URLs (presigned links) go without the token."""

    def __init__(self, api: str, token: str | None) -> None:
        if not api.startswith(("http://", "https://")):
            raise UsageError(f"--api / OCOP_API must be an http(s) URL, not {api!r}")
        self.api = api.rstrip("/")
        self.token = token

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        """Sends one request; returns (status, lower-cased headers, the open response)."""
        absolute = path.startswith(("http://", "https://"))
        url = path if absolute else self.api + path
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 -- http(s) checked above
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token and not absolute:
            req.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            resp = urllib.request.urlopen(req, timeout=_TIMEOUT)  # noqa: S310
        except urllib.error.HTTPError as exc:
            raise ApiError(_error_text(exc.code, exc.read())) from None
        except urllib.error.URLError as exc:
            raise ApiError(f"cannot reach {self.api}: {exc.reason}") from None
        except (TimeoutError, ConnectionError) as exc:
            raise ApiError(f"cannot reach {self.api}: {exc}") from None
        return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp

    def json(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        """The JSON body of a request's answer."""
        _, _, resp = self.request(method, path, body, headers)
        return read_json(resp)


def read_json(resp: Any) -> Any:
    """An answer's JSON body, or a clear error when it is not JSON (wrong --api?)."""
    raw = resp.read()
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        raise ApiError(f"the API answered something that is not JSON (is --api right?): {raw[:120]!r}") from None


def _error_text(status: int, body: bytes) -> str:
    """The message of an error answer: the API's error shape, the gateway's, or the raw text."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict) and err.get("message"):
        text = f"HTTP {status}: {err['message']}"
        if err.get("message_vi"):
            text += f"\n  {err['message_vi']}"
        for detail in err.get("details") or []:
            if isinstance(detail, dict):
                text += f"\n  - {detail.get('field', '?')}: {detail.get('problem', '?')}"
        return text
    if isinstance(data, dict) and isinstance(data.get("message"), str):  # the gateway's own answers
        hint = {401: " (the token is missing, expired or not valid: check --token / OCOP_TOKEN)"}.get(status, "")
        return f"HTTP {status}: {data['message']}{hint}"
    return f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}"


def progress(done: int, total: int, err: TextIO, label: str = "") -> None:
    """A one-line progress bar, redrawn in place."""
    width = 30
    frac = 0.0 if total <= 0 else min(1.0, done / total)
    bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
    err.write(f"\r[{bar}] {frac * 100:5.1f}% {label}")
    err.flush()


def save_stream(resp: Any, target: BinaryIO, err: TextIO, total: int | None = None) -> int:
    """Copies a response to ``target`` block by block (a progress bar when the size is known)."""
    size = 0
    while block := resp.read(_BLOCK):
        target.write(block)
        size += len(block)
        if total:
            progress(size, total, err, f"{size / 1e6:.1f} MB")
    if total:
        err.write("\n")
    return size


@contextlib.contextmanager
def saving(path: str) -> Iterator[BinaryIO]:
    """Writes ``path.part``, renamed to ``path`` only once complete; removed on any failure."""
    part = path + ".part"
    try:
        with open(part, "wb") as target:
            yield target
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(part)
        raise


def next_link(headers: dict[str, str]) -> str | None:
    """The target of a ``Link: <...>; rel="next"`` header, if any."""
    link = headers.get("link", "")
    if link.startswith("<") and ">" in link and 'rel="next"' in link:
        return link[1 : link.index(">")]
    return None


def _filename(headers: dict[str, str], default: str) -> str:
    disposition = headers.get("content-disposition", "")
    if 'filename="' in disposition:
        name = disposition.split('filename="', 1)[1].split('"', 1)[0]
        return os.path.basename(name) or default
    return default


def _seg(value: str) -> str:
    """One path segment: an id can never turn into another path or a query."""
    return quote(value, safe="")


def _check_range(first: int | None, last: int | None) -> None:
    if first is not None and last is not None and first > last:
        raise UsageError(f"--from {first} is after --to {last}")


def cmd_batch(client: Client, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Requests a batch; stdout gets the batch as JSON, stderr the Idempotency-Key to retry with."""
    key = args.idempotency_key or str(uuid.uuid4())
    body: dict[str, Any] = {"product_id": args.product_id, "size": args.size}
    if args.note:
        body["note"] = args.note
    batch = client.json("POST", "/batches", body, {"Idempotency-Key": key})
    out.write(json.dumps(batch, ensure_ascii=False, indent=2) + "\n")
    err.write(f"(Idempotency-Key: {key} -- repeat it with --idempotency-key to retry safely)\n")
    return 0


def cmd_print(client: Client, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print files for a batch or a range: saved at once when small, else a job followed to the end."""
    _check_range(args.first, args.last)
    if args.first is not None or args.last is not None:
        size = int(client.json("GET", f"/batches/{_seg(args.batch_id)}")["size"])
        for flag, value in (("--from", args.first), ("--to", args.last)):
            if value is not None and value > size:
                raise UsageError(
                    f"batch {args.batch_id} has {size} stamps (serials 1-{size}): {flag} {value} is past its end"
                )
    body: dict[str, Any] = {"format": args.format, "preset": args.preset, "cut_marks": args.cut_marks, "dpi": args.dpi}
    if args.first is not None:
        body["first_serial"] = args.first
    if args.last is not None:
        body["last_serial"] = args.last
    status, headers, resp = client.request("POST", f"/batches/{_seg(args.batch_id)}/print-files", body)
    if status == 200:
        ext = "pdf" if args.format == "pdf" else "zip"
        name = args.output or _filename(headers, f"batch-{args.batch_id}.{ext}")
        with saving(name) as target:
            size = save_stream(resp, target, err, int(headers.get("content-length") or 0) or None)
        out.write(f"saved {name} ({size} bytes, {headers.get('x-label-count', '?')} labels)\n")
        return 0
    job = read_json(resp)
    err.write(f"job {job['job_id']}: {job['total_labels']} labels in {job['chunks_total']} chunks\n")
    return wait_and_download(client, job["job_id"], args.output, out, err, args.interval)


def wait_and_download(
    client: Client, job_id: str, output: str | None, out: TextIO, err: TextIO, interval: float = 2.0
) -> int:
    """Polls a print job with a progress bar, then downloads its file from the presigned link."""
    try:
        while True:
            job = client.json("GET", f"/print-jobs/{_seg(job_id)}")
            label = f"{job['labels_done']}/{job['total_labels']} labels"
            if job["chunks_failed"]:
                label += f", {job['chunks_failed']} chunk(s) failed"
            progress(job["labels_done"], job["total_labels"], err, label)
            if job["status"] in ("done", "failed"):
                err.write("\n")
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        err.write(f"\nstopped waiting; the job goes on: ocop-stamps job {job_id} --wait\n")
        return 130
    if job["status"] == "failed":
        err.write(f"job {job_id} failed: {job.get('failure', '')}\n")
        return 1
    name = output or os.path.basename(job["file_name"])
    _, headers, resp = client.request("GET", job["download_url"])
    with saving(name) as target:
        size = save_stream(resp, target, err, int(headers.get("content-length") or job.get("bytes") or 0) or None)
    out.write(f"saved {name} ({size} bytes)\n")
    return 0


def cmd_job(client: Client, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Shows a print job as JSON, or waits for it and downloads the file (--wait)."""
    if args.wait:
        return wait_and_download(client, args.job_id, args.output, out, err, args.interval)
    out.write(json.dumps(client.json("GET", f"/print-jobs/{_seg(args.job_id)}"), ensure_ascii=False, indent=2) + "\n")
    return 0


def cmd_csv(client: Client, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The CSV manifest: one range (--to), or from --from to the end, following every part."""
    _check_range(args.first, args.last)
    query = urlencode({k: v for k, v in (("from", args.first), ("to", args.last)) if v is not None})
    _, headers, resp = client.request(
        "GET", f"/batches/{_seg(args.batch_id)}/codes.csv" + (f"?{query}" if query else "")
    )
    follow = args.last is None and next_link(headers) is not None  # a large batch comes in parts
    first, total = args.first or 1, int(headers.get("x-total-serials") or 0)
    name = args.output or (
        f"batch-{args.batch_id}-{first}-{total}.csv" if follow else _filename(headers, f"batch-{args.batch_id}.csv")
    )
    size = lines = 0
    with saving(name) as target:
        while True:
            if size:  # a later part repeats the header line: keep the first only
                resp.readline()
            while block := resp.read(_BLOCK):
                target.write(block)
                size += len(block)
                lines += block.count(b"\n")
            if follow:
                progress(lines - 1, total - first + 1, err, f"{lines - 1} rows")
            link = next_link(headers) if follow else None
            if not link:
                break
            _, headers, resp = client.request("GET", link)
    if follow:
        err.write("\n")
    out.write(f"saved {name} ({size} bytes, {max(lines - 1, 0)} rows)\n")
    return 0


def serial(text: str) -> int:
    """A serial number from the command line (1 or more)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"serials start at 1, not {value}")
    return value


def parser() -> argparse.ArgumentParser:
    """The ``ocop-stamps`` argument parser, inspector commands included."""
    p = argparse.ArgumentParser(
        prog="ocop-stamps",
        description="OCOP stamps: batches, print files, print jobs, CSV; inspectors' log and alerts.",
    )
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
    pr.add_argument("--from", dest="first", type=serial, help="first serial (default 1)")
    pr.add_argument("--to", dest="last", type=serial, help="last serial (default: the batch's last)")
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
    c = sub.add_parser("csv", help="download the CSV manifest (every part of a large batch)")
    c.add_argument("batch_id")
    c.add_argument("--from", dest="first", type=serial)
    c.add_argument("--to", dest="last", type=serial)
    c.add_argument("-o", "--output")
    c.set_defaults(func=cmd_csv)
    from ocop_stamps_cli.inspector import add_commands  # inspectors (issue 6): scans, export, alerts, alert

    add_commands(sub)
    return p


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Runs one command; returns the exit status (0 done, 1 refused or failed, 2 usage)."""
    args = parser().parse_args(argv)
    out, err = out or sys.stdout, err or sys.stderr
    try:
        if not args.token:
            raise UsageError("no token: pass --token or set OCOP_TOKEN")
        return int(args.func(Client(args.api, args.token), args, out, err))
    except ApiError as exc:
        err.write(f"ocop-stamps: {exc}\n")
        return 2 if isinstance(exc, UsageError) else 1
    except OSError as exc:  # a file that cannot be written, a connection dropped mid-download
        err.write(f"ocop-stamps: {exc}\n")
        return 1
    except KeyboardInterrupt:
        err.write("\nocop-stamps: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
