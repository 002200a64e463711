"""Built size of the Lambda layers (issue 10), not a test: ``python tests/perf/layer_sizes.py``.

Needs network access to PyPI (or a mirror pip is configured for): each layer is installed
with pip the way Lambda would run it -- arm64 (manylinux2014_aarch64) wheels for CPython
3.12, binary only -- into a temporary directory, then measured:

- files, unzipped bytes: what counts against Lambda's 250 MB limit (function + all layers);
- zipped bytes: the layer's deployment package, ``python/...`` deflated as ``sam build``
  zips it (what is uploaded, and what a cold start downloads and unpacks);
- with ``.pyc``: after ``compileall`` as ``make build`` (infra/sam.mk) does for the layers,
  only when this script runs on Python 3.12 (the bytecode must match the runtime).

Rows:

- ``before``: the single layer before issue 10 (both requirement files, one layer);
- ``domain``: layers/domain -- requirements plus the ``ocop_stamps`` package itself;
- ``print``: layers/print -- requirements only;
- ``domain, no botocore``: the domain layer if pynamodb were installed with ``--no-deps``
  and botocore (with jmespath, urllib3, dateutil, six) taken from the Lambda runtime, which
  already provides boto3/botocore. ``sam build`` cannot do this from a requirements file,
  so the deployed domain layer still carries botocore; this row shows what it costs.

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
# botocore and what only it needs; the Lambda python3.12 runtime ships all of these with boto3
RUNTIME_PROVIDED = {"botocore", "boto3", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}


def requirement_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def name_of(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()


def pip_install(target: Path, requirements: list[str], *, no_deps: bool = False) -> None:
    if not requirements:
        return
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(target), *PIP_TARGET]
    if no_deps:
        command.append("--no-deps")
    subprocess.run([*command, *requirements], check=True)


def dependencies_of(target: Path, distribution: str) -> list[str]:
    """Requires-Dist of an installed distribution, environment markers for py3.12 applied."""
    for info in target.glob("*.dist-info"):
        meta = (info / "METADATA").read_text(encoding="utf-8", errors="replace")
        if re.search(rf"^Name: {re.escape(distribution)}$", meta, re.MULTILINE | re.IGNORECASE):
            found = []
            for line in re.findall(r"^Requires-Dist: (.+)$", meta, re.MULTILINE):
                spec, _, marker = line.partition(";")
                if "extra ==" in marker or "python_version < " in marker.replace('"', " "):
                    continue  # no extras asked for; version markers here only exclude 3.12
                found.append(spec.strip())
            return found
    raise LookupError(distribution)


def build(layer_dir: Path, requirements: list[str], *, package: Path | None, no_deps: set[str]) -> None:
    layer_dir.mkdir(parents=True)
    plain = [r for r in requirements if name_of(r) not in no_deps]
    pip_install(layer_dir, plain)
    for requirement in [r for r in requirements if name_of(r) in no_deps]:
        pip_install(layer_dir, [requirement], no_deps=True)
        probe = layer_dir.parent / f"{layer_dir.name}-probe"
        pip_install(probe, [requirement], no_deps=True)
        extra = [d for d in dependencies_of(probe, name_of(requirement)) if name_of(d) not in RUNTIME_PROVIDED]
        shutil.rmtree(probe)
        pip_install(layer_dir, extra)
    if package is not None:
        shutil.copytree(package, layer_dir / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.rmtree(layer_dir / "bin", ignore_errors=True)  # console scripts: not importable, not needed


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
    print_reqs = requirement_lines(PRINT / "requirements.txt")
    rows = {
        "before": (domain_reqs + print_reqs, DOMAIN / "ocop_stamps", set()),
        "domain": (domain_reqs, DOMAIN / "ocop_stamps", set()),
        "print": (print_reqs, None, set()),
        "domain, no botocore": (domain_reqs, DOMAIN / "ocop_stamps", {"pynamodb"}),
    }
    compile_pyc = sys.version_info[:2] == (3, 12)
    work = args.keep or Path(tempfile.mkdtemp(prefix="layer-sizes-"))
    results: dict[str, dict[str, object]] = {}
    try:
        for label, (requirements, package, no_deps) in rows.items():
            layer_dir = work / re.sub(r"\W+", "-", label).strip("-")
            if layer_dir.exists():
                shutil.rmtree(layer_dir)
            print(f"building {label} ...", file=sys.stderr)
            build(layer_dir, requirements, package=package, no_deps=no_deps)
            result: dict[str, object] = dict(measure(layer_dir))
            result["botocore"] = (layer_dir / "botocore").is_dir()
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
    print("| layer | files | unzipped MB | zipped MB | with .pyc: unzipped / zipped MB | botocore | numpy |")
    print("|---|---|---|---|---|---|---|")
    for label, r in results.items():
        pyc = f"{mb(r['unzipped_pyc'])} / {mb(r['zipped_pyc'])}" if "zipped_pyc" in r else "n/a (not Python 3.12)"
        print(
            f"| {label} | {r['files']:,} | {mb(r['unzipped'])} | {mb(r['zipped'])} | {pyc} "
            f"| {'yes' if r['botocore'] else 'no'} | {'yes' if r['numpy'] else 'no'} |"
        )
    print(f"\nIn both layers: {', '.join(overlap) or 'nothing'}")


if __name__ == "__main__":
    main()
