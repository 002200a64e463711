"""The unit tier: domain logic on plain data. No AWS -- neither real nor moto --, no network,
no local stack, no browser.

The guard is deliberately small. For the length of every test in this folder an autouse
fixture shuts the two doors through which a test could reach anything outside the process:

- botocore's ``BaseClient._make_api_call``: every AWS call goes through it -- boto3's and
  pynamodb's alike, and moto's too, because moto answers from inside botocore (a socket
  guard alone would never see a moto call);
- ``socket.socket.connect`` / ``connect_ex`` / ``bind`` for IPv4 and IPv6: any HTTP client,
  any server -- the local stack binds its port, a browser would load from it.

Either one fails the test at once with ``pytest.fail`` (a BaseException, so handlers that
catch ``Exception`` and answer 500 cannot swallow it), naming the tier the test belongs in.
``test_tier_guard.py`` also reads every module here and refuses direct imports of moto,
boto3, botocore, requests, playwright, schemathesis and the local stack (``ocop_local.backend``),
and checks that the guard itself still bites.

Patching two functions is cheaper and more robust than blocking imports: the domain's
modules may import boto3 or botocore for their types or lazily, which is harmless; only a
call would leave the process.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient

INET = (socket.AF_INET, socket.AF_INET6)


def _refuse(what: str) -> None:
    pytest.fail(
        f"unit tier: {what}. Unit tests use no AWS (not even moto) and no network: "
        "move this test to tests/integration (moto) or tests/e2e (local stack, browser).",
        pytrace=True,
    )


@pytest.fixture(autouse=True)
def _no_aws_no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def aws_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        _refuse(f"AWS call {self.meta.service_model.service_name}.{operation_name}")

    def guarded(name: str) -> Any:
        real = getattr(socket.socket, name)

        def method(self: socket.socket, address: Any, *args: Any) -> Any:
            if self.family in INET:
                _refuse(f"socket {name} to {address!r}")
            return real(self, address, *args)

        return method

    monkeypatch.setattr(BaseClient, "_make_api_call", aws_call)
    for name in ("connect", "connect_ex", "bind"):
        monkeypatch.setattr(socket.socket, name, guarded(name))
    yield
