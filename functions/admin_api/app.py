"""Admin API: the provincial OCOP office registers producers and their products."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps import catalog
from ocop_stamps.http import make_resolver, principal
from ocop_stamps.responses import json_response
from ocop_stamps.schemas import ProducerIn, ProductIn

logger = Logger(service="admin-api")
app = make_resolver("OCOP stamps — admin API", "/docs/admin", "Register producers and OCOP products.")


@app.post("/producers", summary="Register a producer (chủ thể OCOP)")
def create_producer(body: ProducerIn) -> Response[str]:
    principal(app).require("admin")
    return json_response(201, catalog.register_producer(body))


@app.post("/products", summary="Register a product with its OCOP rating")
def create_product(body: ProductIn) -> Response[str]:
    principal(app).require("admin")
    return json_response(201, catalog.register_product(body))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
