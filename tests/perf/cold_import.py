"""Cold import of the public scan function, as a ratio to ``import boto3`` (issue 10; not a test).

    .venv/bin/python tests/perf/cold_import.py [--runs 10] [--baseline OTHER_TREE] [--no-modules]

Each sample is a fresh interpreter timing one import statement from inside (interpreter
start-up excluded, ``.pyc`` compiled first, as the built layer ships them). Labels are
sampled round-robin, one warm-up round discarded, so a busy machine slows them alike;
the figure to read is each label's median divided by the median of ``import boto3`` in
the same run (target for the public scan function: <= 1.2x). ``--baseline`` times the
public scan function of another checkout (e.g. ``git worktree add /tmp/before HEAD~3``)
in the same rounds, for a before/after measured side by side.

Then, unless ``--no-modules``, it lists the ``ocop_stamps`` modules loaded by importing the
function and by answering one ``/v/{code}`` scan of an activated stamp (JSON, then the
HTML page) on moto, in a fresh process.

Prints JSON; copy the figures to docs/PERFORMANCE.md ("Issue 10 — layout").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# What the public function cannot do without (DynamoDB through pynamodb/botocore, the
# Powertools Logger, AES for the code scheme): the floor under its import, for information.
FLOOR = (
    "import pynamodb.models, pynamodb.connection, pynamodb.transactions; "
    "from aws_lambda_powertools import Logger; "
    "from cryptography.hazmat.primitives.ciphers import Cipher"
)
TIMED = (
    "import sys, time; {setup}; t, c = time.perf_counter(), time.process_time(); {stmt}; "
    "print(time.perf_counter() - t, time.process_time() - c)"
)


def _function(root: Path, name: str) -> tuple[str, str]:
    return f"sys.path.insert(0, {str(root / 'functions' / name)!r})", "import app"


def labels(root: Path, baseline: Path | None = None) -> dict[str, tuple[Path, str, str]]:
    """label -> (tree, setup, timed statement)."""
    out = {
        "boto3": (root, "pass", "import boto3"),
        "public_scan": (root, *_function(root, "public_scan")),
        "third_party_floor": (root, "pass", FLOOR),
        "producer_api": (root, *_function(root, "producer_api")),
    }
    if baseline is not None:
        out["public_scan (baseline)"] = (baseline, *_function(baseline, "public_scan"))
    return out


def _env(tree: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(tree / "layers" / "domain"))


def sample(tree: Path, setup: str, stmt: str) -> tuple[float, float]:
    """Seconds to run ``stmt`` in a new interpreter (``setup`` not timed): wall clock, and
    the process's CPU time (less disturbed by other work on a shared machine)."""
    code = TIMED.format(setup=setup, stmt=stmt)
    res = subprocess.run(
        [sys.executable, "-c", code], env=_env(tree), cwd=tree, capture_output=True, text=True, check=True
    )
    wall, cpu = res.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def compile_tree(tree: Path) -> None:
    folders = [str(tree / "layers" / "domain"), str(tree / "functions")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], check=True)


def measure(
    runs: int, baseline: Path | None = None, root: Path = ROOT, only: Iterable[str] | None = None
) -> dict[str, Any]:
    """Median milliseconds per label over ``runs`` rounds (wall clock and CPU), and each
    median as a ratio to the median of ``import boto3`` on the same clock (always timed)."""
    todo = labels(root, baseline)
    if only is not None:
        todo = {label: todo[label] for label in todo if label in {"boto3", *only}}
    for tree in {tree for tree, _, _ in todo.values()}:
        compile_tree(tree)
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in todo}
    names = list(todo)
    for i in range(runs + 1):
        shift = i % len(names)
        for label in names[shift:] + names[:shift]:  # rotate the order: no label always runs first
            timing = sample(*todo[label])
            if i:  # round 0 warms the file cache
                samples[label].append(timing)
    out: dict[str, Any] = {}
    for clock, k in (("wall", 0), ("cpu", 1)):
        boto3 = statistics.median(t[k] for t in samples["boto3"])
        out[clock] = {
            label: {
                "median_ms": round(statistics.median(t[k] for t in values) * 1000, 1),
                "min_ms": round(min(t[k] for t in values) * 1000, 1),
                "ratio_to_boto3": round(statistics.median(t[k] for t in values) / boto3, 2),
            }
            for label, values in samples.items()
        }
    return out


def _child_modules(root: Path) -> None:
    """In a fresh process: issue and activate stamps on moto, then forget every ocop_stamps
    module, import the public function and answer one scan; print what was loaded."""
    import importlib.util

    sys.path[:0] = [str(root / "tests" / "perf"), str(root / "tests")]  # that checkout's fixtures
    from bench import moto_world

    from helpers.handlers import FakeContext, Shop, sample

    def loaded() -> list[str]:
        return sorted(name for name in sys.modules if name.split(".")[0] == "ocop_stamps")

    out: dict[str, Any] = {}
    with moto_world():
        shop = Shop()
        shop.activate(1, 10)
        code = shop.codes(1, 1)[0]
        for name in [n for n in sys.modules if n.split(".")[0] in ("ocop_stamps", "fn_public_scan")]:
            del sys.modules[name]
        spec = importlib.util.spec_from_file_location("cold_public_scan", root / "functions" / "public_scan" / "app.py")
        assert spec and spec.loader
        app = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(app)
        out["after_import"] = loaded()
        for kind in ("json", "html"):
            response = app.lambda_handler(sample(f"public-scan-{kind}", CODE=code), FakeContext())
            assert response["statusCode"] == 200, response
            out[f"after_{kind}_scan"] = loaded()
    print(json.dumps(out))


def modules(root: Path = ROOT) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        str(p) for p in (root / "layers" / "domain", root / "infra" / "local", root / "tests", root / "tests" / "perf")
    )
    res = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child-modules", str(root)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    lists: dict[str, list[str]] = json.loads(res.stdout.strip().splitlines()[-1])
    out: dict[str, Any] = {}
    for stage, names in lists.items():
        packages = [n for n in names if (root / "layers" / "domain" / n.replace(".", "/") / "__init__.py").exists()]
        out[stage] = {
            "count": len(names),
            "packages": len(packages),
            "modules": [n for n in names if n not in packages],
        }
    first = set(lists["after_import"])
    out["loaded_by_the_scans"] = sorted(set(lists["after_html_scan"]) - first)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--baseline", type=Path, help="another checkout whose public scan function to time alongside")
    parser.add_argument("--no-modules", action="store_true")
    parser.add_argument("--child-modules", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_modules:
        _child_modules(args.child_modules)
        return
    from bench import machine

    results: dict[str, Any] = {"machine": machine(), "runs": args.runs}
    results["cold_import"] = measure(args.runs, args.baseline.resolve() if args.baseline else None)
    if not args.no_modules:
        results["ocop_stamps_modules"] = modules()
        if args.baseline:
            results["ocop_stamps_modules (baseline)"] = modules(args.baseline.resolve())
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
