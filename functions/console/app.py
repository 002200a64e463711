"""The web console (issue 15): server-rendered pages for producers, behind the same HTTP API.

Thin: the console package (``ocop_stamps.console``) routes, signs sessions, renders; the
domain functions it calls are the API's own (docs/CONSOLE.md).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps.api.startup import request_budget, start
from ocop_stamps.console.app import handle
from ocop_stamps.issuing.idempotency import idempotency_config
from ocop_stamps.observability import logger, metrics, tracer

start()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency_config.register_lambda_context(context)
    with request_budget(context):
        return handle(event)
