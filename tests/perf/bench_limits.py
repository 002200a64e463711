"""Issue 16 benchmark, not a test: the print path against what this machine can do.

    PYTHONPATH=layers/domain:tests/perf:tests .venv/bin/python tests/perf/bench_limits.py [--quick] [--codes]

``--codes`` measures only the codes and codes.csv ratios (same definitions, same repeats).

Every figure is a ratio of two rates measured side by side in one run, in CPU seconds of this
process (``time.process_time``), so that the load of a shared machine cancels out as far as
it can; each ratio is measured three times and printed as median and spread (min-max).

- PDF: labels per CPU-second of a job chunk (codes, URLs, QR, sheet, 5,005 labels on a4-65
  with a GTIN Digital Link and cut marks) against the *zlib cap*: labels per CPU-second that
  zlib alone reaches compressing the file's own content streams at ReportLab's level. Also
  the code before issue 16 (``baseline16``) on its own content, and the new rate against the
  old content's cap (the fixed yardstick of the issue's "today ~30 %"). Bytes per label.
- Decodability: pages of every PDF made here (first, middle, last) rasterised with pdfium at
  300 and 150 dpi, every QR decoded by zxing-cpp; the script exits non-zero if one label of
  the sample does not decode to its URL, or if a QR matrix differs from segno's.
- QR symbols per CPU-second on the real label URLs, 1,000 per call as ``iter_stamps`` feeds
  them: ``printing.qr`` now against ``baseline16.qr``, alternating four times; matrices
  module for module as segno's.
- Codes per CPU-second (``encode_many``, 10,000 per call) against AES-ECB blocks per
  CPU-second through ``cryptography``: on one 16 MB call (the yardstick of the issue's
  29M blocks/s) and at its best (4,096-block calls into a reused buffer). A code needs ten
  AES blocks, so codes/s can never pass a tenth of the best AES rate.
- codes.csv rows per CPU-second (``issuing.batches.iter_csv``, consumed chunk by chunk as
  the job worker streams the manifest) against ``encode_many`` over the same serials.
"""

from __future__ import annotations

import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("OCOP_CODE_KEYS", json.dumps({"1": "00112233445566778899aabbccddeeff"}))
BASE = "https://tem.example.vn"
GTIN = "8930000000019"
NAME = "Chè Tân Cương Thái Nguyên hảo hạng"
FAILURES: list[str] = []


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(CPU seconds of this process, result) of one call."""
    started = time.process_time()
    result = fn()
    return time.process_time() - started, result


def contents(pdf: bytes) -> list[bytes]:
    """The decompressed Flate streams of a ReportLab PDF that are page or form content."""
    import re

    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, flags=re.S):
        try:
            data = zlib.decompress(stream)
        except zlib.error:
            continue
        if b" Tf " in data or b" cm " in data:  # content, not the embedded font
            out.append(data)
    return out


def zlib_seconds(streams: list[bytes], repeat: int = 3) -> float:
    """CPU seconds zlib needs for the streams, at ReportLab's level (``zlib.compress`` default), best of ``repeat``."""
    best = float("inf")
    for _ in range(repeat):
        seconds, _ = cpu(lambda: [zlib.compress(s) for s in streams])
        best = min(best, seconds)
    return best


def pdf_once(render: Any, chunks: list[Any]) -> tuple[float, bytes]:
    from ocop_stamps.printing.sheets import PRESETS

    out = io.BytesIO()
    seconds, _ = cpu(lambda: render.write_pdf(out, chunks, PRESETS["a4-65"], render.LabelText(NAME, 4), cut_marks=True))
    return seconds, out.getvalue()


def stamps(render: Any, total: int) -> list[Any]:
    return list(render.iter_stamps(42, 1, 1, total, BASE, GTIN))


def check_pdf(pdf: bytes, chunks: list[Any], label: str) -> int:
    """Decode the QRs of the first, middle and last page at 300 and 150 dpi; records failures."""
    import pypdfium2 as pdfium

    from helpers.qr import decode_all

    doc = pdfium.PdfDocument(pdf)
    urls = [u for chunk in chunks for u in chunk.urls]
    per_page = 65
    checked = 0
    for index in sorted({0, len(doc) // 2, len(doc) - 1}):
        expected = sorted(urls[index * per_page : (index + 1) * per_page])
        for dpi in (300, 150):
            found = decode_all(doc[index].render(scale=dpi / 72).to_pil())
            checked += len(expected)
            if found != expected:
                missing = len(set(expected) - set(found))
                FAILURES.append(
                    f"{label}: page {index + 1} at {dpi} dpi: {missing} of {len(expected)} labels not decoded"
                )
    return checked


def check_qr_against_segno(urls: list[str]) -> None:
    import numpy as np
    import segno

    from ocop_stamps.printing import qr

    _, matrices = qr.encode_urls(urls)
    for url, matrix in zip(urls, matrices, strict=True):
        ref = segno.make(url, error="m", mode="byte", micro=False, boost_error=True)
        if not np.array_equal(np.array([list(r) for r in ref.matrix], dtype=np.uint8), matrix):
            FAILURES.append(f"QR of {url} differs from segno's")


def qr_rates(urls: list[str]) -> tuple[float, float]:
    """Symbols per CPU-second, before and now, alternating four times (old, new, old, ...)
    so that a change of the machine's load falls on both."""
    from baseline16 import qr as old

    from ocop_stamps.printing import qr

    seconds = [0.0, 0.0]
    for module in (old, qr):
        module.encode_urls(urls[:10])
    for _ in range(4):
        for k, module in enumerate((old, qr)):
            spent, _ = cpu(lambda m=module: [m.encode_urls(urls[s : s + 1000]) for s in range(0, len(urls), 1000)])
            seconds[k] += spent
    return 4 * len(urls) / seconds[0], 4 * len(urls) / seconds[1]


def aes_rates() -> tuple[float, float]:
    """AES-ECB blocks per CPU-second: one 16 MB call, and 4,096-block calls into a reused buffer."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    enc = Cipher(algorithms.AES(bytes(range(16))), modes.ECB()).encryptor()
    big = bytes(16 * 1_000_000)
    seconds, _ = cpu(lambda: [enc.update(big) for _ in range(3)])
    one_call = 3_000_000 / seconds
    small = bytes(16 * 4096)
    out = bytearray(16 * 4096 + 15)
    seconds, _ = cpu(lambda: [enc.update_into(small, out) for _ in range(1000)])
    return one_call, 4096 * 1000 / seconds


def code_rates(total: int) -> dict[str, float]:
    from baseline16 import scheme as old

    from ocop_stamps.codes import scheme
    from ocop_stamps.issuing import batches
    from ocop_stamps.storage.parameters import code_keys

    keys = code_keys()
    old_keys = old.CodeKeys({1: bytes.fromhex("00112233445566778899aabbccddeeff")})
    rates = {}
    seconds, _ = cpu(lambda: [old.encode_many(old_keys, 42, s, 10_000) for s in range(1, total, 10_000)])
    rates["encode_many_before"] = total / seconds
    seconds, _ = cpu(lambda: [scheme.encode_many(keys, 42, s, 10_000) for s in range(1, total, 10_000)])
    rates["encode_many"] = total / seconds
    batch = SimpleNamespace(batch_no=42, key_version=1, product_id="prod_bench_0123456789")
    kept: list[str] = []

    def stream() -> int:  # as the job worker streams the manifest: chunk by chunk, none kept
        size = 0
        for piece in batches.iter_csv(batch, 1, total, BASE, gtin=GTIN):  # type: ignore[arg-type]
            size += len(piece)
            if len(kept) < 2:
                kept.append(piece)
        return size

    seconds, _ = cpu(stream)
    rates["csv"] = total / seconds
    first_rows = "".join(kept).split("\r\n")[1:4]
    codes = scheme.encode_many(keys, 42, 1, 3)
    if [row.split(",")[1] for row in first_rows] != codes:
        FAILURES.append("codes.csv rows do not carry encode_many's codes")
    return rates


def add_code_rates(add: Callable[[str, float], None], quick: bool) -> None:
    """One repeat of the codes and codes.csv ratios against AES-ECB, into ``add``."""
    one_call, best = aes_rates()
    codes = code_rates(100_000 if quick else 500_000)
    add("aes blocks/s, one 16 MB call", one_call)
    add("aes blocks/s, 4096-block calls", best)
    add("encode_many codes/s before", codes["encode_many_before"])
    add("encode_many codes/s", codes["encode_many"])
    add("codes.csv rows/s", codes["csv"])
    add("codes / AES blocks (one 16 MB call)", codes["encode_many"] / one_call)
    add("codes / AES blocks (4096-block calls)", codes["encode_many"] / best)
    add("codes now / before", codes["encode_many"] / codes["encode_many_before"])
    add("csv / encode_many", codes["csv"] / codes["encode_many"])


def report(rows: dict[str, list[float]]) -> None:
    width = max(len(k) for k in rows)
    for name, values in rows.items():
        fmt = "{:.2f}" if "/" in name and "/s" not in name and "bytes" not in name else "{:,.0f}"
        print(f"{name:<{width}}  {spread(values, fmt)}")


def codes_only(quick: bool) -> int:
    print("machine:", machine())
    rows: dict[str, list[float]] = {}
    for rep in range(3):
        add_code_rates(lambda name, value: rows.setdefault(name, []).append(value), quick)
        print(f"run {rep + 1} done", flush=True)
    print()
    report(rows)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if FAILURES:
        print("FAILED:", *FAILURES, sep="\n  ")
        return 1
    return 0


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def machine() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines()
            if line.startswith("Model name")
        )
    except StopIteration:
        model = platform.processor()
    return f"{model}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}"


def main() -> int:
    from baseline16 import render as old_render

    from ocop_stamps.codes.scheme import ALPHABET
    from ocop_stamps.printing import render

    quick = "--quick" in sys.argv
    if "--codes" in sys.argv:
        return codes_only(quick)
    labels = 1300 if quick else 5005
    print("machine:", machine())
    import random

    rng = random.Random(1)
    urls = [
        f"{BASE}/01/0{GTIN}/21/" + "".join(rng.choice(ALPHABET) for _ in range(16))
        for _ in range(2000 if quick else 20000)
    ]
    check_qr_against_segno(urls[:300])
    rows: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        rows.setdefault(name, []).append(value)

    decoded = 0
    for rep in range(3):
        # PDF sheets, today's code and the code before issue 16, each against its content's zlib cap
        chunks = stamps(render, labels)
        old_chunks = stamps(old_render, labels)
        seconds, pdf = pdf_once(render, chunks)
        old_seconds, old_pdf = pdf_once(old_render, old_chunks)
        cap = labels / zlib_seconds(contents(pdf))
        old_cap = labels / zlib_seconds(contents(old_pdf))
        rate, old_rate = labels / seconds, labels / old_seconds
        add("pdf labels/s", rate)
        add("pdf labels/s before", old_rate)
        add("pdf zlib cap, own content (labels/s)", cap)
        add("pdf zlib cap, content before (labels/s)", old_cap)
        add("PDF / zlib cap on its own content", rate / cap)
        add("PDF before / zlib cap on its own content", old_rate / old_cap)
        add("PDF / zlib cap on the content before", rate / old_cap)
        add("PDF now / before", rate / old_rate)
        add("pdf bytes/label", len(pdf) / labels)
        add("pdf bytes/label before", len(old_pdf) / labels)
        if rep == 0:
            decoded += check_pdf(pdf, chunks, "PDF")
        # QR symbols
        before, now = qr_rates(urls)
        add("qr symbols/s before", before)
        add("qr symbols/s", now)
        add("QR now / before", now / before)
        # codes and codes.csv against AES-ECB
        add_code_rates(add, quick)
        print(f"run {rep + 1} done", flush=True)
    print()
    report(rows)
    print(
        f"\nlabel images decoded: {decoded} checked (first, middle and last page at 300 and 150 dpi, pdfium + zxing-cpp)"
    )
    if FAILURES:
        print("FAILED:", *FAILURES, sep="\n  ")
        return 1
    print("every sampled label decoded; QR matrices module for module segno's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
