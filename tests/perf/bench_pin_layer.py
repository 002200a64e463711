"""PIN-layer benchmark (issue 14), not a test: ``.venv/bin/python tests/perf/bench_pin_layer.py``.

Labels/s on one core (CPU seconds, ``time.process_time``; three runs, median and range) of:

- the QR label sheet (``render.write_pdf``: codes, URLs, QR, PDF; a4-65, GTIN Digital Link,
  cut marks) -- what the print files do;
- the PIN layer PDF on the same sheet (``render.write_pin_pdf``, with each PIN derived by
  ``codes.pins.derive``) -- what ``POST /batches/{id}/pin-layer`` does after recording;
- the PIN CSV rows (codes, PINs, label URLs).

``--quick`` runs 1,300 labels instead of 10,010.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable

KEYS = json.dumps({"1": "00112233445566778899aabbccddeeff"})
os.environ.setdefault("OCOP_CODE_KEYS", KEYS)
os.environ.setdefault("OCOP_PIN_KEYS", json.dumps({"1": "ffeeddccbbaa99887766554433221100"}))
BASE = "https://tem.example.vn"
GTIN = "08930000000019"


def rate(work: Callable[[], int], runs: int = 3) -> tuple[float, float, float]:
    """(median, min, max) labels per CPU second."""
    rates = []
    for _ in range(runs):
        started = time.process_time()
        n = work()
        rates.append(n / (time.process_time() - started))
    return statistics.median(rates), min(rates), max(rates)


def main() -> None:
    from ocop_stamps.codes.labels import label_url
    from ocop_stamps.codes.pins import derive
    from ocop_stamps.printing import render
    from ocop_stamps.printing.qr import layout as qr_layout
    from ocop_stamps.printing.sheets import PRESETS, label_layout
    from ocop_stamps.storage.parameters import pin_keys

    total = 1_300 if "--quick" in sys.argv else 10_010
    sheet = PRESETS["a4-65"]
    info = render.LabelText("Chè Tân Cương Thái Nguyên hảo hạng", 4, pin_panel=True)
    lay = label_layout(sheet.label_w, sheet.label_h, qr_layout(len(label_url(BASE, "0" * 16, GTIN)), "M").size)
    keys = pin_keys()

    def qr_sheet() -> int:
        chunks = render.iter_stamps(42, 1, 1, total, BASE, GTIN)
        return render.write_pdf(io.BytesIO(), chunks, sheet, info, cut_marks=True)

    def pin_sheet() -> int:
        def chunks():  # type: ignore[no-untyped-def]
            for start in range(1, total + 1, 1000):
                serials = list(range(start, min(total, start + 999) + 1))
                yield serials, [derive(keys, 1, 42, s) for s in serials]

        return render.write_pin_pdf(io.BytesIO(), chunks(), sheet, lay, cut_marks=True)

    def derive_only() -> int:
        for s in range(1, total + 1):
            derive(keys, 1, 42, s)
        return total

    rate(pin_sheet, 1)  # warm: font registration, imports
    for name, work in (
        ("QR label sheet (PDF)", qr_sheet),
        ("PIN layer (PDF)", pin_sheet),
        ("PIN derivation", derive_only),
    ):
        median, low, high = rate(work)
        print(f"{name}: {median:,.0f} labels/s per core ({low:,.0f}–{high:,.0f}), {total:,} labels")
    out = io.BytesIO()
    render.write_pin_pdf(
        out, [(list(range(1, 66)), [derive(keys, 1, 42, s) for s in range(1, 66)])], sheet, lay, cut_marks=True
    )
    print(f"PIN layer bytes per label (one a4-65 sheet): {len(out.getvalue()) / 65:.0f}")


if __name__ == "__main__":
    main()
