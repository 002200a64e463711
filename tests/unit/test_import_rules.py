"""The layout's rules hold, and are checked by tools rather than remembered (issue 10)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "layers" / "domain" / "ocop_stamps"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on a copy's ocop_stamps + functions with the project's contracts."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tree}:{tree / 'layers' / 'domain'}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(DOMAIN, tree / "layers" / "domain" / "ocop_stamps", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "functions", tree / "functions", ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def test_given_the_tree_as_committed_when_import_linter_runs_then_every_contract_is_kept(tmp_path: Path) -> None:
    result = _lint_imports(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_given_a_page_that_reads_the_database_when_import_linter_runs_then_the_run_fails(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)
    page = tree / "layers" / "domain" / "ocop_stamps" / "pages" / "scan_page.py"
    page.write_text(page.read_text() + "\nfrom ocop_stamps.storage import repository  # noqa: E402, F401\n")

    result = _lint_imports(tree)

    assert result.returncode != 0
    assert "Pages import only core" in result.stdout and "BROKEN" in result.stdout


def test_given_a_function_that_makes_its_own_boto3_client_when_import_linter_runs_then_the_run_fails(
    tmp_path: Path,
) -> None:
    tree = _copy_tree(tmp_path)
    handler = tree / "functions" / "public_scan" / "app.py"
    handler.write_text(handler.read_text() + "\nimport boto3  # noqa: E402, F401\n")

    result = _lint_imports(tree)

    assert result.returncode != 0
    assert "Only storage imports boto3" in result.stdout


def test_given_the_domain_and_the_functions_then_only_settings_reads_the_environment() -> None:
    readers = []
    for path in [*DOMAIN.rglob("*.py"), *(ROOT / "functions").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bos\.environ\b|\bos\.getenv\b|\bgetenv\(|\benviron\.get\(", text):
            readers.append(str(path.relative_to(ROOT)))
    assert readers == ["layers/domain/ocop_stamps/core/settings.py"]
