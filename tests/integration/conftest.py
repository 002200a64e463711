"""The integration tier: the functions' handlers called in-process with events from events/,
against moto (in-process AWS) with every table of infra/template.yaml; the CLI against a
stub API on loopback; the template against cfn-lint, SAM and moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpers.handlers import TEST_KEYS, TEST_ORIGIN_SECRET, TEST_PIN_KEYS, Shop, load_handler
from ocop_local import backend, streams


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fresh moto back end with every table of the template, and the domain pointed at it."""
    for name in backend.endpoint_variables():  # every service on moto, whatever the shell says
        monkeypatch.delenv(name)
    env = backend.base_environment("https://tem.example.vn")
    env.update({"OCOP_CODE_KEYS": TEST_KEYS, "OCOP_IP_HASH_SALT": "test-salt", "OCOP_CACHE_SECONDS": "60"})
    env["OCOP_PIN_KEYS"] = TEST_PIN_KEYS
    env["OCOP_ORIGIN_SECRET"] = TEST_ORIGIN_SECRET  # requests that carry it came "through CloudFront"
    monkeypatch.delenv("OCOP_CODE_KEYS_FILE", raising=False)
    monkeypatch.delenv("OCOP_PIN_KEYS_FILE", raising=False)
    monkeypatch.delenv("ORIGIN_SECRET_ID", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with backend.moto_backend():
        backend.apply_environment({})
        backend.create_tables()
        yield
    backend.apply_environment({})


@pytest.fixture
def shop(aws: None) -> Shop:
    return Shop()


@pytest.fixture
def ddb_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every AWS API call made through botocore (pynamodb and boto3 alike), as (service, operation)."""
    from botocore.client import BaseClient

    calls: list[tuple[str, str]] = []
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.append((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return calls


@pytest.fixture
def detector(aws: None) -> Any:
    """Drains the Scans table's stream (moto) through the detector's own handler."""
    env = backend.create_alert_resources()
    for key, value in env.items():
        backend.os.environ[key] = value
    backend.apply_environment({})
    reader = streams.StreamReader("ocop-scans")
    handler = load_handler("anomaly_detector").lambda_handler

    def run() -> dict[str, int]:
        return streams.drain(handler, reader, dead_letter_url=env["ANOMALY_DLQ_URL"])

    run.inbox = env["ALERTS_INBOX_URL"]  # type: ignore[attr-defined]
    yield run
    for key in env:
        backend.os.environ.pop(key, None)
