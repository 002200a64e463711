"""The keyboard repair measured (issue 11; not a test): `.venv/bin/python tests/perf/bench_keyboard.py`.

- **genuine codes**: the share that a Vietnamese input method (Telex, VNI, VIQR; tests/helpers/
  keyboards.py) rewrites when the code is typed as printed under the QR (``ABCD-EFGH-JKMN-PQR7``)
  and in one piece, and what ``codes.typed.read`` makes of the rewritten text: the code typed
  (repaired), no code (the advice to turn the keyboard off) or another code (must be 0);
- **random strings**: 16 characters of the code alphabet typed through a random method, and
  random accented strings (letters a Vietnamese keyboard makes among code characters): how
  many the repair *wrongly* accepts, i.e. reads as a code that is not the string typed
  (target: 0 in 1,000,000 tries), and the expected number at 2^-36 per reading tried;
- the CPU time ``read`` takes on rewritten text (median, p99, max), and on a plain code.

No AWS: ``read`` does no I/O. Prints JSON; figures go to docs/PERFORMANCE.md, section
"Keyboard repair (issue 11)". ``--tries`` (default 1,000,000) sets the random tries of each
kind, ``--codes`` (default 100,000) the genuine codes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "layers" / "domain"))

from helpers.keyboards import METHODS, type_with  # noqa: E402
from ocop_stamps.codes import scheme  # noqa: E402
from ocop_stamps.codes.scheme import ALPHABET, CodeKeys, encode_many, group  # noqa: E402
from ocop_stamps.codes.typed import MAX_CANDIDATES, read  # noqa: E402

KEYS = CodeKeys({1: bytes.fromhex("00112233445566778899aabbccddeeff")})
VIETNAMESE = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
PER_READING = 2.0**-36  # check symbol 2^-5 x key version 2^-5 (one key) x tag 2^-26


def _timed(text: str) -> tuple[Any, float]:
    """The reading, and the CPU time it took (the machine is shared: wall time would also
    count other processes' turns)."""
    start = time.process_time()
    reading = read(text, KEYS)
    return reading, time.process_time() - start


def _progress(what: str, done: int) -> None:
    if done and done % 100_000 == 0:
        print(f"{time.strftime('%H:%M:%S')} {what}: {done:,}", file=sys.stderr, flush=True)


def _times(times: list[float]) -> dict[str, float]:
    if not times:
        return {}
    times.sort()
    return {
        "median_ms": round(statistics.median(times) * 1e3, 3),
        "p99_ms": round(times[int(0.99 * (len(times) - 1))] * 1e3, 3),
        "max_ms": round(times[-1] * 1e3, 3),
    }


def bench_genuine(n: int, rng: random.Random) -> dict[str, Any]:
    """Genuine codes from random batches, typed through each method, printed form and one piece."""
    codes: list[str] = []
    while len(codes) < n:
        batch = rng.randint(1, scheme.MAX_BATCH)
        first = rng.randint(1, scheme.MAX_SERIAL - 1000)
        codes.extend(encode_many(KEYS, batch, first, min(1000, n - len(codes))))
    out: dict[str, Any] = {"codes": n}
    any_rewrite = {"grouped": 0, "one_piece": 0}
    times: list[float] = []
    for form, shape in (("grouped", group), ("one_piece", lambda c: c)):
        rewritten_by_any = [False] * n
        for method in METHODS:
            counts = {"rewritten": 0, "repaired": 0, "advice": 0, "other_code": 0, "accent_free": 0}
            for i, code in enumerate(codes):
                shown = shape(code)
                sent = type_with(method, shown)
                if sent == shown:
                    continue
                rewritten_by_any[i] = True
                counts["rewritten"] += 1
                counts["accent_free"] += sent.isascii()  # a doubled key or a removed tone: no accent
                reading, took = _timed(sent)
                times.append(took)
                if reading.code == code:
                    counts["repaired"] += 1
                elif reading.code is None:
                    counts["advice"] += 1
                else:
                    counts["other_code"] += 1
            counts["rewritten_share"] = round(counts["rewritten"] / n, 4)
            counts["repaired_share_of_rewritten"] = round(counts["repaired"] / max(1, counts["rewritten"]), 5)
            out[f"{method}_{form}"] = counts
        any_rewrite[form] = sum(rewritten_by_any)
    out["rewritten_by_some_method_share"] = {form: round(k / n, 4) for form, k in any_rewrite.items()}
    out["read_rewritten"] = _times(times)
    plain = []
    for code in codes[:20000]:
        plain.append(_timed(code)[1])
    out["read_plain"] = _times(plain)
    return out


def bench_random(tries: int, rng: random.Random) -> dict[str, Any]:
    """Random alphabet strings typed through a random method and form: wrong acceptances."""
    accepted = wrong = through_repair = candidates = 0
    examples: list[dict[str, str]] = []
    times: list[float] = []
    for t in range(tries):
        _progress("random_typed", t)
        text = "".join(rng.choice(ALPHABET) for _ in range(16))
        method = rng.choice(METHODS)
        shown = group(text) if rng.random() < 0.5 else text
        sent = type_with(method, shown)
        reading, took = _timed(sent)
        if sent != shown:
            through_repair += 1
            candidates += reading.candidates
            times.append(took)
        if reading.code is not None:
            accepted += 1
            if reading.code != text:
                wrong += 1
                if len(examples) < 5:
                    examples.append({"typed": text, "sent": sent, "read_as": reading.code})
    return {
        "tries": tries,
        "rewritten_by_the_keyboard": through_repair,
        "accepted": accepted,  # only a string that is itself a code (2^-36 each) may be
        "wrongly_accepted": wrong,
        "wrong_examples": examples,
        "readings_tried": candidates,
        "expected_wrong_at_2^-36_per_reading": candidates * PER_READING,
        "read_rewritten": _times(times),
    }


def bench_accented(tries: int, rng: random.Random) -> dict[str, Any]:
    """Random strings of code characters with 1-3 accented letters: every acceptance is wrong."""
    accepted = candidates = capped = 0
    examples: list[dict[str, str]] = []
    times: list[float] = []
    for t in range(tries):
        _progress("random_accented", t)
        chars = [rng.choice(ALPHABET) for _ in range(rng.randint(12, 16))]
        for _ in range(rng.randint(1, 3)):
            chars[rng.randrange(len(chars))] = rng.choice(VIETNAMESE)
        text = "".join(chars)
        if rng.random() < 0.5:
            text = text.lower()
        reading, took = _timed(text)
        times.append(took)
        candidates += reading.candidates
        capped += reading.candidates > MAX_CANDIDATES
        if reading.code is not None:
            accepted += 1
            if len(examples) < 5:
                examples.append({"sent": text, "read_as": reading.code})
    return {
        "tries": tries,
        "wrongly_accepted": accepted,
        "wrong_examples": examples,
        "readings_tried": candidates,
        "gave_up_at_the_cap": capped,
        "expected_wrong_at_2^-36_per_reading": candidates * PER_READING,
        "read": _times(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=1_000_000)
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.time()
    report: dict[str, Any] = {
        "command": " ".join(["python", *sys.argv]),
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "system": f"{platform.system()} {platform.machine()}",
            "load_average_at_start": os.getloadavg(),
        },
        "max_candidates": MAX_CANDIDATES,
    }
    report["genuine"] = bench_genuine(args.codes, rng)
    report["random_typed"] = bench_random(args.tries, rng)
    report["random_accented"] = bench_accented(args.tries, rng)
    report["seconds"] = round(time.time() - started)
    report["machine"]["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
