"""Producer API: lots, batches of stamp codes, CSV manifests and activations.

Every route acts for the producer named in the caller's token and sees nothing else.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps import catalog, issuing
from ocop_stamps.http import make_resolver, principal
from ocop_stamps.idempotency import idempotency_config, issue_once
from ocop_stamps.labels import public_base_url
from ocop_stamps.responses import json_response
from ocop_stamps.schemas import ActivationIn, BatchIn, LotIn
from ocop_stamps.settings import get_settings

logger = Logger(service="producer-api")
app = make_resolver(
    "OCOP stamps — producer API",
    "/docs/producer",
    "Register lots, request batches of stamp codes, download them as CSV, bind them to lots.",
)


@app.post("/lots", summary="Register a production lot (lô sản xuất)")
def create_lot(body: LotIn) -> Response[str]:
    producer_id = principal(app).own_producer_id()
    return json_response(201, catalog.register_lot(producer_id, body))


@app.post("/batches", summary="Issue a batch of 1 to 1,000,000 stamp codes (idempotent with Idempotency-Key)")
def create_batch(body: BatchIn) -> Response[str]:
    producer_id = principal(app).own_producer_id()
    key = app.current_event.headers.get("idempotency-key")
    batch = issue_once(producer_id, key, body)
    return json_response(201, batch, {"Location": f"/batches/{batch['batch_id']}"})


@app.get("/batches/<batch_id>", summary="A batch and its activations")
def get_batch(batch_id: str) -> Response[str]:
    producer_id = principal(app).own_producer_id()
    return json_response(200, issuing.batch_view(issuing.own_batch(producer_id, batch_id)))


@app.get("/batches/<batch_id>/codes.csv", summary="The batch's codes as CSV for the print shop")
def get_codes_csv(
    batch_id: str,
    first: Annotated[int | None, Query(alias="from", ge=1, le=1_000_000)] = None,
    last: Annotated[int | None, Query(alias="to", ge=1, le=1_000_000)] = None,
) -> Response[str]:
    producer_id = principal(app).own_producer_id()
    batch = issuing.own_batch(producer_id, batch_id)
    lo, hi = issuing.csv_range(batch, first, last)
    headers = {
        "Content-Disposition": f'attachment; filename="batch-{batch_id}-{lo}-{hi}.csv"',
        "X-Total-Serials": str(int(batch.size)),
    }
    if hi < int(batch.size):
        headers["Link"] = f'</batches/{batch_id}/codes.csv?from={hi + 1}>; rel="next"'
    base = public_base_url(get_settings().public_base_url, app.current_event.raw_event)
    body = "".join(issuing.iter_csv(batch, lo, hi, base))
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=body, headers=headers)


@app.post("/batches/<batch_id>/activations", summary="Bind a range of serials to a lot (kích hoạt)")
def create_activation(batch_id: str, body: ActivationIn) -> Response[str]:
    producer_id = principal(app).own_producer_id()
    return json_response(201, issuing.activate(producer_id, batch_id, body))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency_config.register_lambda_context(context)
    return app.resolve(event, context)
