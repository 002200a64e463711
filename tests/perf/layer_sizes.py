"""Built size of the Lambda layers (issues 10 and 16), not a test: ``python tests/perf/layer_sizes.py``.

Needs network access to PyPI (or a mirror pip is configured for): each layer is built the
way ``sam build`` builds it -- ``make build-<Layer>`` in ``layers/<name>`` (BuildMethod
makefile: the layer's ``requirements.lock``, arm64 (manylinux2014_aarch64) wheels for
CPython 3.12, ``pip install --no-deps``) -- into a temporary directory, then measured:

- files, unzipped bytes: what counts against Lambda's 250 MB limit (function + all layers);
- zipped bytes: the layer's deployment package, ``python/...`` deflated as ``sam build``
  zips it (what is uploaded, and what a cold start downloads and unpacks);
- with ``.pyc``: after ``compileall`` as ``make build`` (infra/sam.mk) does for the layers,
  only when this script runs on Python 3.12 (the bytecode must match the runtime);
- runtime packages: top-level packages of the Lambda runtime's (boto3, botocore, s3transfer,
  jmespath, urllib3, dateutil, six: ``ocop_local.layers.RUNTIME``) found in the layer.

Rows:

- ``domain, issue 10``: the domain layer as issue 10 built it (``sam build``'s python3.12
  method: ``requirements.txt`` with every dependency, botocore included), for comparison;
- ``domain``: layers/domain as deployed -- its lock plus the ``ocop_stamps`` package;
- ``print``: layers/print as deployed -- its lock.

Usage::

    python tests/perf/layer_sizes.py            # prints a Markdown table
    python tests/perf/layer_sizes.py --json     # the same figures as JSON
    python tests/perf/layer_sizes.py --keep DIR # keep the built layers under DIR
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "layers" / "domain"
PRINT = ROOT / "layers" / "print"
PIP_TARGET = [
    "--platform",
    "manylinux2014_aarch64",
    "--only-binary=:all:",
    "--python-version",
    "3.12",
    "--implementation",
    "cp",
]
# The top-level packages of what the Lambda python3.12 runtime ships (ocop_local.layers.RUNTIME)
RUNTIME_TOP_LEVEL = {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py"}


def requirement_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def pip_install(target: Path, requirements: list[str]) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(target), *PIP_TARGET]
    subprocess.run([*command, *requirements], check=True)


def build(layer_dir: Path, requirements: list[str], *, package: Path | None) -> None:
    """A layer as ``sam build``'s python3.12 method built it: requirements with dependencies."""
    layer_dir.mkdir(parents=True)
    pip_install(layer_dir, requirements)
    if package is not None:
        shutil.copytree(package, layer_dir / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.rmtree(layer_dir / "bin", ignore_errors=True)  # console scripts: not importable, not needed


def build_with_make(layer_dir: Path, source: Path, layer_id: str) -> None:
    """A layer as ``sam build`` builds it now: ``make build-<layer_id>`` (BuildMethod makefile)."""
    artifacts = layer_dir.with_name(layer_dir.name + "-artifacts")
    artifacts.mkdir(parents=True)
    make = ["make", "--no-print-directory", "-C", str(source), f"build-{layer_id}"]
    subprocess.run([*make, f"ARTIFACTS_DIR={artifacts}", f"PYTHON={sys.executable}"], check=True)
    shutil.move(artifacts / "python", layer_dir)
    artifacts.rmdir()


def measure(layer_dir: Path) -> dict[str, int]:
    files = [p for p in layer_dir.rglob("*") if p.is_file()]
    archive = layer_dir.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files):
            zf.write(path, Path("python") / path.relative_to(layer_dir))
    zipped = archive.stat().st_size
    archive.unlink()
    return {"files": len(files), "unzipped": sum(p.stat().st_size for p in files), "zipped": zipped}


def top_level(layer_dir: Path) -> set[str]:
    return {p.name for p in layer_dir.iterdir() if not p.name.endswith(".dist-info")}


def mb(n: int) -> str:
    return f"{n / 1_000_000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    parser.add_argument("--keep", type=Path, help="build under this directory and keep it")
    args = parser.parse_args()

    domain_reqs = requirement_lines(DOMAIN / "requirements.txt")
    builders = {
        "domain, issue 10": lambda d: build(d, domain_reqs, package=DOMAIN / "ocop_stamps"),
        "domain": lambda d: build_with_make(d, DOMAIN, "DomainLayer"),
        "print": lambda d: build_with_make(d, PRINT, "PrintLayer"),
    }
    compile_pyc = sys.version_info[:2] == (3, 12)
    work = args.keep or Path(tempfile.mkdtemp(prefix="layer-sizes-"))
    results: dict[str, dict[str, object]] = {}
    try:
        for label, make_layer in builders.items():
            layer_dir = work / re.sub(r"\W+", "-", label).strip("-")
            if layer_dir.exists():
                shutil.rmtree(layer_dir)
            print(f"building {label} ...", file=sys.stderr)
            make_layer(layer_dir)
            result: dict[str, object] = dict(measure(layer_dir))
            result["runtime_packages"] = sorted(p.name for p in layer_dir.iterdir() if p.name in RUNTIME_TOP_LEVEL)
            result["numpy"] = (layer_dir / "numpy").is_dir()
            if compile_pyc:
                compileall.compile_dir(layer_dir, quiet=1, workers=os.cpu_count() or 1)
                with_pyc = measure(layer_dir)
                result["unzipped_pyc"], result["zipped_pyc"] = with_pyc["unzipped"], with_pyc["zipped"]
            results[label] = result
        overlap = sorted(top_level(work / "domain") & top_level(work / "print"))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    if args.json:
        print(json.dumps({"layers": results, "in_both_layers": overlap}, indent=2))
        return
    print("| layer | files | unzipped MB | zipped MB | with .pyc: unzipped / zipped MB | runtime packages | numpy |")
    print("|---|---|---|---|---|---|---|")
    for label, r in results.items():
        pyc = f"{mb(r['unzipped_pyc'])} / {mb(r['zipped_pyc'])}" if "zipped_pyc" in r else "n/a (not Python 3.12)"
        print(
            f"| {label} | {r['files']:,} | {mb(r['unzipped'])} | {mb(r['zipped'])} | {pyc} "
            f"| {', '.join(r['runtime_packages']) or 'none'} | {'yes' if r['numpy'] else 'no'} |"
        )
    print(f"\nIn both layers: {', '.join(overlap) or 'nothing'}")


if __name__ == "__main__":
    main()
