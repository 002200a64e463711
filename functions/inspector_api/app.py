"""Inspector API: the verification log of one code or one lot, newest first."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps import scanlog
from ocop_stamps.http import make_resolver, principal
from ocop_stamps.responses import json_response

logger = Logger(service="inspector-api")
app = make_resolver("OCOP stamps — inspector API", "/docs/inspector", "Read verification logs.")


@app.get("/scans", summary="Verification log of one code or one lot, newest first")
def list_scans(
    code: Annotated[str | None, Query(max_length=64)] = None,
    lot: Annotated[str | None, Query(max_length=48, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[str]:
    principal(app).require("inspector", "admin")
    return json_response(200, scanlog.list_scans(code=code, lot=lot, limit=limit, cursor=cursor))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
