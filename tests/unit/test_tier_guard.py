"""The unit tier stays a unit tier: no module here imports what reaches AWS, the network, the
local stack or a browser, and the guard of conftest.py (no AWS call, no socket) still bites."""

from __future__ import annotations

import ast
import importlib
import socket
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent
# Top-level packages (and modules) a unit test must not import: AWS clients and their mock,
# HTTP clients, the browser, the fuzzer against the local stack, the local stack's back end.
FORBIDDEN = ("moto", "boto3", "botocore", "requests", "playwright", "schemathesis", "ocop_local.backend")
ALLOWED_HERE = {"conftest.py"}  # the guard itself patches botocore


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def test_given_the_unit_modules_when_their_imports_are_read_then_none_reaches_aws_the_network_or_a_browser() -> None:
    offenders = {
        path.name: bad
        for path in sorted(UNIT.glob("*.py"))
        if path.name not in ALLOWED_HERE and (bad := [n for n in _imports(path) if _forbidden(n)])
    }

    assert offenders == {}, "unit tests import what belongs in tests/integration or tests/e2e"


def test_given_a_unit_test_when_it_calls_aws_even_through_moto_then_it_fails() -> None:
    boto3 = importlib.import_module("boto3")  # what a misplaced test would do
    client = boto3.client("dynamodb", region_name="ap-southeast-1", aws_access_key_id="x", aws_secret_access_key="x")

    with pytest.raises(pytest.fail.Exception, match=r"unit tier: AWS call dynamodb\.ListTables"):
        client.list_tables()


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6], ids=["ipv4", "ipv6"])
def test_given_a_unit_test_when_it_opens_or_serves_a_socket_then_it_fails(family: socket.AddressFamily) -> None:
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    with socket.socket(family, socket.SOCK_STREAM) as s:
        with pytest.raises(pytest.fail.Exception, match="unit tier: socket connect"):
            s.connect((host, 9))
        with pytest.raises(pytest.fail.Exception, match="unit tier: socket bind"):
            s.bind((host, 0))
