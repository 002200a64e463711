"""The CLI is its own package: ``pip install ./cli`` gets ``ocop-stamps`` and nothing else.

A print shop's or an inspector's machine needs Python 3.12 and no more: the package
declares no dependencies, and its modules import nothing outside the standard library.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

CLI_DIR = Path(__file__).resolve().parents[2] / "cli"
PACKAGE = CLI_DIR / "ocop_stamps_cli"
HEAVY = {"pynamodb", "numpy", "reportlab", "pillow", "cryptography", "boto3", "botocore", "pydantic"}
# What the service itself is built on: none of it may reach the CLI, directly or not.
SERVICE = {"ocop_stamps", "ocop_local", "aws_lambda_powertools", "PIL", "segno", "moto"}


def _project() -> dict[str, object]:
    return tomllib.loads((CLI_DIR / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    """The distribution name of a requirement string, normalised (PEP 503)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def test_given_the_cli_package_when_its_metadata_is_read_then_it_declares_no_dependencies() -> None:
    project = _project()["project"]
    assert isinstance(project, dict)
    declared = list(project.get("dependencies", []))
    extras = [r for reqs in dict(project.get("optional-dependencies", {})).values() for r in reqs]

    assert declared == []
    assert {_name(r) for r in extras} & HEAVY == set()
    assert project["requires-python"] == ">=3.12"
    assert project["scripts"] == {"ocop-stamps": "ocop_stamps_cli.main:main"}


def test_given_every_module_of_the_cli_when_its_imports_are_read_then_each_is_the_standard_library() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    found: dict[str, set[str]] = {}
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # imports inside functions too
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found.setdefault(path.name, set()).update(n.split(".")[0] for n in names)

    assert {p.name for p in modules} >= {"__init__.py", "__main__.py", "main.py", "inspector.py"}
    outside = {
        module: sorted(n for n in names if n not in sys.stdlib_module_names and n != "ocop_stamps_cli")
        for module, names in found.items()
    }
    assert outside == {module: [] for module in found}


def test_given_a_python_with_no_site_packages_when_every_module_is_imported_then_only_the_standard_library_loads(
    tmp_path: Path,
) -> None:
    probe = f"""
import importlib, pkgutil, sys
sys.path.insert(0, {str(CLI_DIR)!r})
import ocop_stamps_cli
for info in pkgutil.iter_modules(ocop_stamps_cli.__path__, "ocop_stamps_cli."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
from ocop_stamps_cli.main import parser
commands = parser()._subparsers._group_actions[0].choices
print(sorted(commands))
loaded = {{name.split(".")[0] for name in sys.modules}} - {{"__main__"}}  # -c: the probe itself
print(sorted(n for n in loaded if n not in sys.stdlib_module_names and n != "ocop_stamps_cli"))
"""
    # -I: no environment, no user site, no current folder; -S: no site-packages at all
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path
    )

    assert done.returncode == 0, done.stderr
    commands, outside = done.stdout.splitlines()
    assert commands == str(sorted(["alert", "alerts", "batch", "csv", "export", "job", "print", "scans"]))
    assert outside == "[]"
    assert not SERVICE & set(outside)


def _setuptools_version() -> tuple[int, ...] | None:
    try:
        from importlib.metadata import version

        return tuple(int(p) for p in version("setuptools").split(".")[:2])
    except (ImportError, ValueError):
        return None


def test_given_the_cli_folder_when_built_and_installed_alone_then_the_ocop_stamps_command_runs(
    tmp_path: Path,
) -> None:
    # Offline and quick only with the build backend already here; pip would fetch it otherwise.
    found = _setuptools_version()
    if found is None or found < (68,):
        pytest.skip("setuptools>=68 is not installed next to pytest: building cli/ would need an index")
    source = tmp_path / "src"
    shutil.copytree(CLI_DIR, source, ignore=shutil.ignore_patterns("*.egg-info", "build", "__pycache__"))
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]

    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-index", "--no-build-isolation", "-w", str(wheels), str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("ocop_stamps_cli-*.whl")
    installed = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    ran = subprocess.run(
        [sys.executable, "-S", str(target / "bin" / "ocop-stamps"), "--help"],
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = whl.read(f"{dist_info}/METADATA").decode()
        entry_points = whl.read(f"{dist_info}/entry_points.txt").decode()
    assert installed.returncode == 0, installed.stderr
    assert re.search(r"^\[console_scripts\]\nocop-stamps = ocop_stamps_cli\.main:main$", entry_points, re.M)
    assert "Requires-Dist" not in metadata and "Requires-Python: >=3.12" in metadata
    assert {n.split("/")[0] for n in names} == {"ocop_stamps_cli", dist_info}
    assert ran.returncode == 0, ran.stderr
    assert "{batch,print,job,csv,scans,export,alerts,alert}" in ran.stdout
