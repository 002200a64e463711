"""What goes into the Lambda layers (issue 16): every package a layer needs, pinned, and none
that the Lambda python3.12 runtime already provides.

    python infra/local/ocop_local/layers.py lock    # rewrite layers/*/requirements.lock (needs PyPI)
    python infra/local/ocop_local/layers.py check   # the locks against RUNTIME, offline

``layers/<name>/requirements.txt`` says what a layer asks for (ranges, as before).
``layers/<name>/requirements.lock`` is what ``sam build`` installs: pip's resolution of it for
Lambda (arm64 wheels for CPython 3.12), less the runtime's packages, each pinned, each line
noting what it needs from the runtime. ``sam build`` runs ``layers/<name>/Makefile``
(``BuildMethod: makefile``), which installs the lock with ``pip install --no-deps``: nothing
a lock does not name can enter a layer, so pynamodb's and aws-xray-sdk's botocore,
Powertools' jmespath and botocore's urllib3, dateutil and six are the runtime's.

``RUNTIME`` is the oldest version of each runtime package the layers are checked against.
AWS documents that the SDK in the Python runtimes "depends on the runtime version and your
AWS Region" and is updated over time (Lambda developer guide, "Building Lambda functions
with Python", "Runtime-included SDK versions"); python3.12 has shipped boto3/botocore 1.34
and later since it launched (December 2023). The floor below is therefore 1.34.0 with the
versions of its own dependencies of that time; ``check`` proves every locked package accepts
them, and ``tests/integration/test_layers.py`` imports the domain against exactly them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LAYERS = {"DomainLayer": ROOT / "layers" / "domain", "PrintLayer": ROOT / "layers" / "print"}
LOCK = "requirements.lock"
# Distribution -> the oldest version assumed in the python3.12 runtime (see the docstring).
RUNTIME = {
    "boto3": "1.34.0",
    "botocore": "1.34.0",
    "s3transfer": "0.9.0",
    "jmespath": "1.0.1",
    "urllib3": "1.26.18",
    "python-dateutil": "2.8.2",
    "six": "1.16.0",
}
# pip's flags for the wheels Lambda runs (arm64, CPython 3.12), and the markers they imply.
LAMBDA_WHEELS = [
    "--platform",
    "manylinux2014_aarch64",
    "--implementation",
    "cp",
    "--python-version",
    "3.12",
    "--only-binary=:all:",
]
LAMBDA_MARKERS = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
}
_RUNTIME_NOTE = "  # from the runtime: "


def normalize(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Locked:
    """One line of a lock: a distribution, its exact version, what it needs from the runtime."""

    name: str
    version: str
    from_runtime: tuple[str, ...] = ()

    def line(self) -> str:
        note = _RUNTIME_NOTE + ", ".join(self.from_runtime) if self.from_runtime else ""
        return f"{self.name}=={self.version}{note}"


def read_lock(layer_dir: Path) -> list[Locked]:
    """The lock of ``layer_dir``; ``LookupError`` without one."""
    path = layer_dir / LOCK
    if not path.exists():
        raise LookupError(f"{path} is missing: python infra/local/ocop_local/layers.py lock")
    locked = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line, _, note = raw.partition("#")
        if not line.strip():
            continue
        name, _, version = line.strip().partition("==")
        needs = note.removeprefix(" from the runtime: ").strip() if note.startswith(" from the runtime:") else ""
        locked.append(Locked(name, version, tuple(n.strip() for n in needs.split(", ") if n.strip())))
    return locked


def resolve(requirements: Path) -> list[Locked]:
    """pip's resolution of ``requirements`` for Lambda, less ``RUNTIME``; needs PyPI."""
    from packaging.requirements import Requirement

    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "report.json"
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed"]
        target = ["--report", str(report), "--target", str(Path(work) / "target"), *LAMBDA_WHEELS]
        subprocess.run([*pip, *target, "-r", str(requirements)], check=True)  # noqa: S603 -- our own pip
        installs = json.loads(report.read_text())["install"]
    locked = []
    for item in installs:
        meta = item["metadata"]
        if normalize(meta["name"]) in RUNTIME:
            continue
        extras = ["", *(item.get("requested_extras") or [])]
        needs = []
        for spec in meta.get("requires_dist") or []:
            requirement = Requirement(spec)
            if normalize(requirement.name) not in RUNTIME:
                continue
            marker = requirement.marker
            if marker is None or any(marker.evaluate({**LAMBDA_MARKERS, "extra": e}) for e in extras):
                needs.append(f"{normalize(requirement.name)}{requirement.specifier}")
        locked.append(Locked(normalize(meta["name"]), meta["version"], tuple(sorted(needs))))
    return sorted(locked, key=lambda x: x.name)


def write_lock(layer_dir: Path) -> list[Locked]:
    locked = resolve(layer_dir / "requirements.txt")
    header = [
        f"# {layer_dir.name} layer: what `sam build` installs (pip install --no-deps, layers/{layer_dir.name}/Makefile).",
        "# Generated by `python infra/local/ocop_local/layers.py lock` from requirements.txt for Lambda",
        "# (arm64, CPython 3.12); the packages the python3.12 runtime provides are left out (ocop_local.layers).",
    ]
    (layer_dir / LOCK).write_text("\n".join(header + [x.line() for x in locked]) + "\n", encoding="utf-8")
    return locked


def problems(layer_dir: Path) -> list[str]:
    """What is wrong with a layer's lock, offline: a runtime package in it, a requirement of
    requirements.txt it does not satisfy, a need from the runtime that ``RUNTIME`` does not meet."""
    from packaging.requirements import Requirement

    found = []
    locked = {normalize(x.name): x for x in read_lock(layer_dir)}
    for name in sorted(set(locked) & set(RUNTIME)):
        found.append(f"{name} is in the lock, but the Lambda runtime provides it")
    for raw in (layer_dir / "requirements.txt").read_text(encoding="utf-8").splitlines():
        spec = raw.partition("#")[0].strip()
        if not spec:
            continue
        requirement = Requirement(spec)
        entry = locked.get(normalize(requirement.name))
        if entry is None or not requirement.specifier.contains(entry.version, prereleases=True):
            found.append(f"{spec}: locked as {entry.version if entry else 'nothing'}")
    for entry in locked.values():
        for need in entry.from_runtime:
            requirement = Requirement(need)
            if not requirement.specifier.contains(RUNTIME[normalize(requirement.name)], prereleases=True):
                found.append(f"{entry.name} needs {need}; the runtime floor is {RUNTIME[normalize(requirement.name)]}")
    return found


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "lock":
        for layer_dir in LAYERS.values():
            print(f"{layer_dir.name}: {len(write_lock(layer_dir))} packages locked")
    failures = [f"{d.name}: {p}" for d in LAYERS.values() for p in problems(d)]
    print("\n".join(failures) or "the layer locks hold nothing the runtime provides, and need only what it has")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
