"""Admin API: the provincial OCOP office registers producers and their products."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps.api.resolver import make_resolver, principal, role_gate
from ocop_stamps.api.responses import json_response
from ocop_stamps.catalog import ratings
from ocop_stamps.catalog import registry as catalog
from ocop_stamps.catalog.schemas import ProducerIn, ProductIn, RatingIn
from ocop_stamps.codes.labels import public_base_url
from ocop_stamps.core.settings import get_settings
from ocop_stamps.observability import logger, metrics, tracer

app = make_resolver("OCOP stamps — admin API", "/docs/admin", "Register producers and OCOP products.")


@app.post("/producers", summary="Register a producer (chủ thể OCOP)")
def create_producer(body: ProducerIn) -> Response[Any]:
    principal(app).require("admin")
    return json_response(201, catalog.register_producer(body))


@app.post("/products", summary="Register a product with its OCOP rating")
def create_product(body: ProductIn) -> Response[Any]:
    principal(app).require("admin")
    return json_response(201, catalog.register_product(body))


@app.post("/products/<product_id>/ocop-rating", summary="Record, renew, downgrade or withdraw an OCOP rating")
def change_rating(product_id: str, body: RatingIn) -> Response[Any]:
    who = principal(app)
    who.require("admin")
    base = public_base_url(get_settings().public_base_url, app.current_event.raw_event)
    return json_response(201, ratings.rate(product_id, body, who.subject, base))


# Who may call what, checked before validation (ocop_stamps.api.resolver.role_gate).
ROUTE_ROLES: dict[str, tuple[str, ...]] = {
    "POST /producers": ("admin",),
    "POST /products": ("admin",),
    "POST /products/{product_id}/ocop-rating": ("admin",),
}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return role_gate(event, ROUTE_ROLES) or app.resolve(event, context)
