"""The SAM template (infra/template.yaml) against AWS's own tooling: cfn-lint, `sam validate
--lint`, the SAM transform's output through cfn-lint, and moto creating every table. The
template read as data: tests/unit/test_template.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers.template import EXPECTED_TABLES, ROOT, TEMPLATE_PATH, cfn

SAM_VENV = ROOT / ".venv-sam"
SAM = SAM_VENV / "bin" / "sam"
SAM_PYTHON = SAM_VENV / "bin" / "python"
# `make test` and `make integration` build .venv-sam first and set this: there the SAM checks
# below are the only run of `make lint-template`'s checks, so they must run, never skip.
REQUIRE_SAM = os.environ.get("OCOP_REQUIRE_SAM") == "1"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return cfn.load_template(TEMPLATE_PATH)


def _sam_env() -> dict[str, str]:
    return {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "ap-southeast-1"}


def _cfn_lint_command() -> list[str]:
    beside = Path(sys.executable).with_name("cfn-lint")
    found = str(beside) if beside.exists() else shutil.which("cfn-lint")
    if found is None:
        pytest.fail("cfn-lint is not installed (pip install -e '.[dev]')")
    return [found]


# --- linters ------------------------------------------------------------------------------
def test_given_the_template_when_cfn_lint_runs_then_it_reports_no_error_or_warning() -> None:
    result = subprocess.run([*_cfn_lint_command(), str(TEMPLATE_PATH)], capture_output=True, text=True, timeout=300)

    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.skipif(not SAM.exists() and not REQUIRE_SAM, reason="no .venv-sam/bin/sam: run `make sam-venv` first")
def test_given_the_template_when_sam_validate_lint_runs_then_it_is_valid() -> None:
    result = subprocess.run(
        [str(SAM), "validate", "--lint", "--template", str(TEMPLATE_PATH), "--region", "ap-southeast-1"],
        capture_output=True,
        text=True,
        timeout=300,
        env=_sam_env(),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


@pytest.mark.skipif(
    not SAM_PYTHON.exists() and not REQUIRE_SAM, reason="no .venv-sam (aws-sam-translator): run `make sam-venv`"
)
def test_given_the_sam_transform_when_cfn_lint_checks_its_output_then_no_cycle_or_error(tmp_path: Path) -> None:
    transformed = tmp_path / "transformed.json"
    with transformed.open("w") as out:
        subprocess.run(
            [str(SAM_PYTHON), cfn.__file__, "sam-transform", str(TEMPLATE_PATH)],
            stdout=out,
            check=True,
            timeout=300,
            env=_sam_env(),
        )

    result = subprocess.run([*_cfn_lint_command(), str(transformed)], capture_output=True, text=True, timeout=300)

    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# --- tables in moto -----------------------------------------------------------------------
def test_given_table_definitions_when_created_in_moto_then_dynamodb_accepts_them(template: dict[str, Any]) -> None:
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")

    with moto.mock_aws():
        client = boto3.client("dynamodb", region_name="ap-southeast-1")
        for logical_id, definition in cfn.table_definitions(template).items():
            client.create_table(TableName=logical_id, **definition)
        scans = client.describe_table(TableName="ScansTable")["Table"]

    assert scans["KeySchema"] == EXPECTED_TABLES["ScansTable"]["KeySchema"]
    assert scans["GlobalSecondaryIndexes"][0]["IndexName"] == "by_lot"
    assert scans["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
