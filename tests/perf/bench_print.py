"""Print-file benchmarks (issue 3), not tests: ``.venv/bin/python tests/perf/bench_print.py``.

- QR symbols/s: segno with its mask search, segno with a fixed mask, ocop_stamps.printing.qr;
- decodability: N symbols from ocop_stamps.printing.qr rendered and decoded by zxing-cpp;
- labels/s on one core for PDF sheets, SVG ZIP and PNG ZIP (a job chunk's work: codes,
  URLs, QR, layout, file, ZIP fragment);
- peak memory (max RSS) rendering 10,000 and 100,000 labels as a job would, chunk by
  chunk into a streamed ZIP (a counting sink stands in for the S3 multipart upload);
- a 1,000,000-label job on paper: chunk time, fan-out, wall time and Lambda cost.

``--quick`` runs smaller samples (CI smoke).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = json.dumps({"1": "00112233445566778899aabbccddeeff"})
os.environ.setdefault("OCOP_CODE_KEYS", KEYS)
BASE = "https://tem.example.vn"
GTIN = "8930000000019"


class CountingSink:
    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def spec(fmt: str, total: int, preset: str = "a4-65", dpi: int = 300) -> object:
    from dataclasses import asdict

    from ocop_stamps.printing.jobs import JobSpec
    from ocop_stamps.printing.sheets import PRESETS

    return JobSpec(
        producer_id="bench",
        batch_no=42,
        key_version=1,
        product_id="prod_bench",
        product_name="Chè Tân Cương Thái Nguyên hảo hạng",
        stars=4,
        gtin=GTIN,
        base_url=BASE,
        format=fmt,
        sheet=asdict(PRESETS[preset]),
        dpi=dpi,
        cut_marks=True,
        error="M",
        first=1,
        last=total,
        chunk_labels=5005,
    )


def render_job(fmt: str, total: int) -> tuple[float, int]:
    """Every chunk of a job into one streamed ZIP; (seconds, bytes)."""
    from ocop_stamps.printing.jobs import _write_entries
    from ocop_stamps.printing.zipstream import ZipWriter

    s = spec(fmt, total)
    sink = CountingSink()
    writer = ZipWriter(sink)
    started = time.perf_counter()
    for chunk in range(s.chunks):  # type: ignore[attr-defined]
        first, last = s.chunk_range(chunk)  # type: ignore[attr-defined]
        _write_entries(s, writer, first, last)  # type: ignore[arg-type]
        writer.entries.clear()  # the worker keeps one chunk's entry list, then stores it
    return time.perf_counter() - started, sink.size


def qr_rates(n: int) -> dict[str, float]:
    import segno

    from ocop_stamps.printing import qr

    rng = random.Random(1)
    urls = [
        f"{BASE}/01/0{GTIN}/21/" + "".join(rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(16))
        for _ in range(n)
    ]
    out = {}
    sample = urls[: min(n, 600)]
    t = time.perf_counter()
    for u in sample:
        segno.make(u, error="m", mode="byte", micro=False)
    out["segno_mask_search"] = len(sample) / (time.perf_counter() - t)
    t = time.perf_counter()
    for u in sample:
        segno.make(u, error="m", mode="byte", micro=False, mask=0)
    out["segno_fixed_mask"] = len(sample) / (time.perf_counter() - t)
    qr.encode_urls(urls[:10])
    t = time.perf_counter()
    for start in range(0, n, 5000):
        qr.encode_urls(urls[start : start + 5000])
    out["ocop_qr"] = n / (time.perf_counter() - t)
    return out


def decodability(n: int) -> tuple[int, int]:
    import numpy as np
    import zxingcpp
    from PIL import Image

    from ocop_stamps.printing import qr

    rng = random.Random(2)
    urls = [f"{BASE}/v/" + "".join(rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(16)) for _ in range(n)]
    ok = 0
    for start in range(0, n, 2000):
        part = urls[start : start + 2000]
        _, matrices = qr.encode_urls(part)
        for s in range(0, len(part), 40):
            tiles = [np.pad(m, qr.QUIET_ZONE) for m in matrices[s : s + 40]]
            rows = [np.hstack(tiles[r : r + 8]) for r in range(0, len(tiles), 8)]
            grid = np.vstack(rows)
            image = Image.fromarray((255 * (1 - np.kron(grid, np.ones((3, 3), dtype=np.uint8)))).astype(np.uint8))
            found = {r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)}
            ok += len(found & set(part[s : s + 40]))
    return ok, n


def peak_memory(fmt: str, total: int) -> tuple[float, float, int]:
    """(peak RSS MB, seconds, bytes) of rendering ``total`` labels in a fresh process.

    VmHWM, not getrusage: Linux carries ru_maxrss across exec, so a child would report
    its parent's peak."""
    code = (
        f"import json,resource,sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_print as b; "
        f"t, size = b.render_job({fmt!r}, {total}); "
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
        "print(json.dumps([int(hwm) / 1024, t, size]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    rss, seconds, size = json.loads(out.stdout.strip().splitlines()[-1])
    return rss, seconds, size


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    rates = qr_rates(2000 if quick else 20000)
    print("QR symbols/s:", {k: round(v) for k, v in rates.items()})
    ok, n = decodability(400 if quick else 20000)
    print(f"decodable: {ok}/{n} (zxing-cpp, 3 px/module)")
    sizes = (
        {"pdf": 10010, "svg_zip": 10010, "png_zip": 5005}
        if not quick
        else {"pdf": 1000, "svg_zip": 1000, "png_zip": 300}
    )
    for fmt, total in sizes.items():
        seconds, size = render_job(fmt, total)
        print(f"{fmt}: {total / seconds:.0f} labels/s on one core ({total} labels, {size / total:.0f} bytes/label)")
    for fmt in ("pdf", "svg_zip", "png_zip"):
        for total in (10_010, 100_100) if not quick else (1001,):
            rss, seconds, size = peak_memory(fmt, total)
            print(f"{fmt} {total} labels: peak RSS {rss:.0f} MB, {seconds:.1f} s, {size / 1e6:.1f} MB file")


if __name__ == "__main__":
    main()
