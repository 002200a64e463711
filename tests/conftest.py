"""Shared fixtures: moto with tables built from infra/template.yaml, keys, tokens-as-claims."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ocop_local import backend

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
TEST_KEYS = json.dumps({"1": "00112233445566778899aabbccddeeff"})


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fresh moto back end with every table of the template, and the domain pointed at it."""
    env = backend.base_environment("https://tem.example.vn")
    env.update({"OCOP_CODE_KEYS": TEST_KEYS, "OCOP_IP_HASH_SALT": "test-salt", "OCOP_CACHE_SECONDS": "60"})
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.delenv("OCOP_CODE_KEYS_FILE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with backend.moto_backend():
        backend.apply_environment({})
        backend.create_tables()
        yield
    backend.apply_environment({})


def load_handler(name: str) -> ModuleType:
    """functions/<name>/app.py as a module of its own (every function's file is app.py)."""
    module_name = f"fn_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


class FakeContext:
    function_name = "test-function"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:test-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def http_event(
    method: str,
    path: str,
    *,
    route: str,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    claims: dict[str, Any] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, built on events/http-api-base.json."""
    event = load_event("http-api-base.json")
    event["routeKey"] = f"{method} {route}"
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["routeKey"] = f"{method} {route}"
    event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    if query:
        event["queryStringParameters"] = query
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        event["headers"]["content-type"] = "application/json"
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return event


def claims(role: str, producer_id: str | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"sub": f"user-{role}", "cognito:groups": f"[{role}]", "token_use": "id"}
    if producer_id:
        c["custom:producer_id"] = producer_id
    return c


def invoke(function: str, event: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    response = load_handler(function).lambda_handler(event, FakeContext())
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return response["statusCode"], headers, response.get("body") or ""


def invoke_json(function: str, event: dict[str, Any]) -> tuple[int, Any]:
    status, _, body = invoke(function, event)
    return status, json.loads(body) if body else None
