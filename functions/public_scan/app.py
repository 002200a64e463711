"""Public scan: anyone opening a stamp's URL gets the verdict, as HTML or JSON.

The hot path: it imports only what a scan needs and answers in at most three
DynamoDB requests on a warm function.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps.labels import public_base_url
from ocop_stamps.models import bind_tables
from ocop_stamps.responses import json_response
from ocop_stamps.scan_page import render
from ocop_stamps.settings import get_settings
from ocop_stamps.verification import ScanContext, verify

logger = Logger(service="public-scan")
bind_tables(get_settings())
app = APIGatewayHttpResolver()  # one route, path only: no body to validate
NO_STORE = {"Cache-Control": "no-store", "Vary": "Accept"}


def _wants_json(accept: str) -> bool:
    return "application/json" in accept.lower()


@app.get("/v/<code>")
def scan(code: str) -> Response[str]:
    event = app.current_event
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    query = event.query_string_parameters or {}
    ctx = ScanContext(
        source_ip=event.request_context.http.source_ip,
        user_agent=headers.get("user-agent"),
        headers=headers,
        channel="typed" if query.get("ch") == "typed" else "qr",
    )
    result = verify(code, ctx, public_base_url(get_settings().public_base_url, event.raw_event))
    status = 404 if result["verdict"] == "unknown" else 200
    if _wants_json(headers.get("accept", "")):
        return json_response(status, result, NO_STORE)
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=render(result), headers=NO_STORE)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
