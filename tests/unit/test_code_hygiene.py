"""The code base itself (issue 10): no module named like a standard-library module, no dead code.

A module called ``secrets``, ``http`` or ``trace`` shadows the standard library for any
code run with its folder on ``sys.path`` (a Lambda function's folder, the layer's
``python/``) and reads as the stdlib module to anyone skimming imports. Dead code is found
by vulture, configured in pyproject.toml (``[tool.vulture]``) with the names only a
framework uses listed in ``tests/vulture_whitelist.py``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    ROOT / "layers/domain/ocop_stamps",
    ROOT / "functions",
    ROOT / "infra/local/ocop_local",
    ROOT / "cli/ocop_stamps_cli",
]
WHITELIST = ROOT / "tests/vulture_whitelist.py"


def _module_names(root: Path) -> set[tuple[str, Path]]:
    """Every name a module or package under ``root`` (``root`` itself included) can be imported as, by its last part."""
    names = {(root.name, root)}
    for path in root.rglob("*.py"):
        names.add((path.stem, path))
        names.update((folder.name, root / folder) for folder in path.relative_to(root).parents if folder.name)
    return {(name, where) for name, where in names if not (name.startswith("__") and name.endswith("__"))}


def _shadowing(roots: list[Path], base: Path = ROOT) -> list[str]:
    return sorted(
        f"{where.relative_to(base)} is named like the standard library's {name!r}"
        for root in roots
        for name, where in _module_names(root)
        if name in sys.stdlib_module_names
    )


def test_given_every_module_and_package_when_named_then_none_is_named_like_a_standard_library_module() -> None:
    assert _shadowing(PACKAGES) == []


def test_given_a_module_named_like_the_standard_library_when_checked_then_it_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "http").mkdir(parents=True)
    (package / "trace.py").write_text("")
    (package / "http" / "client_side.py").write_text("")
    (package / "records.py").write_text("")
    assert _shadowing([package], tmp_path) == [
        "pkg/http is named like the standard library's 'http'",
        "pkg/trace.py is named like the standard library's 'trace'",
    ]


# --- dead code ---------------------------------------------------------------------------------
def _vulture(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vulture", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_given_the_code_when_vulture_reads_it_then_nothing_is_unused() -> None:
    run = _vulture()  # paths, confidence, whitelist and framework names: [tool.vulture] in pyproject.toml

    assert run.returncode == 0 and not run.stdout, "dead code (remove it, or whitelist it with a reason):\n" + (
        run.stdout + run.stderr
    )


def test_given_a_dead_function_when_vulture_reads_it_then_it_is_reported(tmp_path: Path) -> None:
    module = tmp_path / "dead.py"
    module.write_text("def used() -> int:\n    return 1\n\n\ndef never_called() -> int:\n    return 2\n\n\nused()\n")

    run = _vulture(str(module), "--min-confidence", "60")

    assert run.returncode != 0 and "never_called" in run.stdout and "'used'" not in run.stdout


def _defined_names() -> set[str]:
    names: set[str] = set()
    for root in PACKAGES:
        for path in root.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(node.name)
                elif isinstance(node, ast.Name | ast.Attribute) and isinstance(node.ctx, ast.Store):
                    names.add(node.id if isinstance(node, ast.Name) else node.attr)
    return names


def test_given_the_whitelist_when_read_then_every_name_on_it_still_exists_in_the_code() -> None:
    listed = {
        node.attr
        for node in ast.walk(ast.parse(WHITELIST.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "_"
    }

    assert listed, "the whitelist names nothing"
    assert sorted(listed - _defined_names()) == []
