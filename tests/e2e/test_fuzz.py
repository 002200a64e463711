"""Fuzz every API's own OpenAPI description against the local stack (schemathesis).

Small enough for CI (``OCOP_FUZZ_EXAMPLES`` examples per operation, default 5); run a
larger budget with ``OCOP_FUZZ_EXAMPLES=200 .venv/bin/pytest tests/e2e/test_fuzz.py``.
Checks: no server error, and every response matches the schema the API publishes.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from helpers.local_stack import LocalStack

EXAMPLES = int(os.environ.get("OCOP_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, response_schema_conformance]


def _fuzz(local_stack: LocalStack, api: str, role: str) -> list[str]:
    schema = schemathesis.openapi.from_url(local_stack.url(f"/docs/{api}?format=json"))
    token = local_stack.bearer(role)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def run(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(base_url=local_stack.base_url, headers=token, timeout=60)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    return failures


@pytest.mark.slow
@pytest.mark.parametrize(("api", "role"), [("producer", "producer"), ("admin", "admin"), ("inspector", "inspector")])
def test_given_fuzzed_requests_to_every_operation_then_no_server_error_and_responses_match_the_spec(
    local_stack: LocalStack, api: str, role: str
) -> None:
    failures = _fuzz(local_stack, api, role)
    assert not failures, "\n\n".join(failures)
