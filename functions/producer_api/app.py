"""Producer API: lots, batches of stamp codes, CSV manifests and activations.

Every route acts for the producer named in the caller's token and sees nothing else;
lot and batch read routes (history, trace) are also open to admins and inspectors, and
a recall may be issued or lifted by an admin.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps.api.resolver import make_resolver, principal, role_gate
from ocop_stamps.api.responses import json_response
from ocop_stamps.catalog import registry as catalog
from ocop_stamps.catalog.schemas import LotIn
from ocop_stamps.catalog.views import history as stored_history
from ocop_stamps.catalog.views import lot_view
from ocop_stamps.codes.labels import public_base_url
from ocop_stamps.core.settings import get_settings
from ocop_stamps.epcis import history
from ocop_stamps.issuing import activation
from ocop_stamps.issuing import batches as issuing
from ocop_stamps.issuing.idempotency import idempotency_config, issue_once
from ocop_stamps.issuing.schemas import ActivationIn, BatchIn
from ocop_stamps.lifecycle import recalls, voids
from ocop_stamps.lifecycle.schemas import LiftIn, RecallIn, VoidIn
from ocop_stamps.observability import logger, metrics, tracer
from ocop_stamps.printing import jobs as print_jobs
from ocop_stamps.printing import pins as pin_layer
from ocop_stamps.printing.schemas import PinLayerIn, PrintFilesIn
from ocop_stamps.traceability.records import lot_trace

# Lot and batch histories are evidence: inspectors and admins read them too.
READERS = ("producer", "admin", "inspector")
app = make_resolver(
    "OCOP stamps — producer API",
    "/docs/producer",
    "Register lots, request batches of stamp codes, download them as CSV, bind them to lots.",
)


@app.post("/lots", summary="Register a production lot (lô sản xuất)")
def create_lot(body: LotIn) -> Response[Any]:
    producer_id = principal(app).own_producer_id()
    return json_response(201, catalog.register_lot(producer_id, body))


@app.post("/batches", summary="Issue a batch of 1 to 1,000,000 stamp codes (idempotent with Idempotency-Key)")
def create_batch(body: BatchIn) -> Response[Any]:
    producer_id = principal(app).own_producer_id()
    key = app.current_event.headers.get("idempotency-key")
    batch = issue_once(producer_id, key, body, _base_url())
    return json_response(201, batch, {"Location": f"/batches/{batch['batch_id']}"})


@app.get("/batches/<batch_id>", summary="A batch and its activations")
def get_batch(batch_id: str) -> Response[Any]:
    producer_id = principal(app).own_producer_id()
    return json_response(200, issuing.batch_view(issuing.own_batch(producer_id, batch_id)))


@app.get(
    "/batches/<batch_id>/codes.csv",
    summary="The batch's codes as CSV for the print shop, in pages under 6 MB; Link rel=next for more",
)
def get_codes_csv(
    batch_id: str,
    first: Annotated[int | None, Query(alias="from", ge=1, le=1_000_000)] = None,
    last: Annotated[int | None, Query(alias="to", ge=1, le=1_000_000)] = None,
) -> Response[str]:
    producer_id = principal(app).own_producer_id()
    batch = issuing.own_batch(producer_id, batch_id)
    base, gtin = _base_url(), issuing.batch_gtin(batch)
    # a page is as many rows as fit Lambda's 6 MB response with this batch's label URLs
    lo, hi = issuing.csv_range(batch, first, last, issuing.csv_page_rows(batch, base, gtin))
    headers = {
        "Content-Disposition": f'attachment; filename="batch-{batch_id}-{lo}-{hi}.csv"',
        "X-Total-Serials": str(int(batch.size)),
    }
    if hi < int(batch.size):
        headers["Link"] = f'</batches/{batch_id}/codes.csv?from={hi + 1}>; rel="next"'
    body = "".join(issuing.iter_csv(batch, lo, hi, base, gtin=gtin))
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=body, headers=headers)


@app.post("/batches/<batch_id>/activations", summary="Bind a range of serials to a lot (kích hoạt)")
def create_activation(batch_id: str, body: ActivationIn) -> Response[Any]:
    producer_id = principal(app).own_producer_id()
    return json_response(201, activation.activate(producer_id, batch_id, body, _base_url()))


@app.post("/batches/<batch_id>/voids", summary="Void stamps: one code, or a range of serials (hủy tem)")
def create_void(batch_id: str, body: VoidIn) -> Response[Any]:
    producer_id = principal(app).own_producer_id()
    return json_response(201, voids.void(producer_id, batch_id, body, _base_url()))


# EPCIS 2.0's paging: a page holds as many events as fit Lambda's 6 MB response, and
# `Link: <...?nextPageToken=...>; rel="next"` leads to the next one.
PageToken = Annotated[str | None, Query(alias="nextPageToken", max_length=200)]


@app.get(
    "/batches/<batch_id>/epcis",
    summary="The batch's lifecycle as an EPCIS 2.0 JSON-LD document, in pages under 6 MB (Link rel=next)",
)
def get_batch_epcis(batch_id: str, next_page_token: PageToken = None) -> Response[Any]:
    batch = issuing.own_batch(principal(app).scope(*READERS), batch_id)
    return _epcis(batch.pk, f"/batches/{batch_id}/epcis", next_page_token)


@app.get("/lots/<lot_id>", summary="A lot with its origin, process steps and recall state")
def get_lot(lot_id: str) -> Response[Any]:
    lot = catalog.own_lot(principal(app).scope(*READERS), lot_id)
    view = lot_view(lot)
    view["recall_history"] = stored_history(lot.recall_history)
    return json_response(200, view)


@app.post("/lots/<lot_id>/recall", summary="Recall a lot (thu hồi): every scan of its stamps says so")
def recall_lot(lot_id: str, body: RecallIn) -> Response[Any]:
    who = principal(app)
    return json_response(201, recalls.recall(who.scope("producer", "admin"), lot_id, body, who.subject, _base_url()))


@app.post("/lots/<lot_id>/recall/lift", summary="Lift a lot's recall; both steps stay in its history")
def lift_recall(lot_id: str, body: LiftIn) -> Response[Any]:
    who = principal(app)
    return json_response(201, recalls.lift(who.scope("producer", "admin"), lot_id, body, who.subject, _base_url()))


@app.get(
    "/lots/<lot_id>/epcis",
    summary="The lot's lifecycle as an EPCIS 2.0 JSON-LD document, in pages under 6 MB (Link rel=next)",
)
def get_lot_epcis(lot_id: str, next_page_token: PageToken = None) -> Response[Any]:
    lot = catalog.own_lot(principal(app).scope(*READERS), lot_id)
    return _epcis(lot.pk, f"/lots/{lot_id}/epcis", next_page_token)


def _epcis(pk: str, path: str, token: str | None) -> Response[Any]:
    here = f"{path}?{urlencode({'nextPageToken': token})}" if token else path
    doc, next_token = history.epcis_page(pk, f"{_base_url()}{here}", token)
    headers = {"Content-Type": "application/ld+json; charset=utf-8"}
    if next_token:
        headers["Link"] = f'<{path}?{urlencode({"nextPageToken": next_token})}>; rel="next"'
    return json_response(200, doc, headers)


@app.get("/lots/<lot_id>/trace", summary="One step back, one step forward: the lot for a provincial portal")
def get_lot_trace(lot_id: str) -> Response[Any]:
    return json_response(200, lot_trace(principal(app).scope(*READERS), lot_id))


@app.post(
    "/batches/<batch_id>/print-files",
    summary="Print files (PDF sheets, SVG or PNG ZIP): in the response up to 2,000 labels, else a job (202)",
)
def create_print_files(batch_id: str, body: PrintFilesIn):  # type: ignore[no-untyped-def]  # binary body: no response model
    producer_id = principal(app).own_producer_id()
    result = print_jobs.request_print_files(producer_id, batch_id, body, _base_url())
    if isinstance(result, print_jobs.PrintFile):
        headers = {
            "Content-Disposition": f'attachment; filename="{result.file_name}"',
            "X-Label-Count": str(result.labels),
        }
        return Response(status_code=200, content_type=result.content_type, body=result.body, headers=headers)
    return json_response(202, result, {"Location": result["status_url"]})


@app.post(
    "/batches/<batch_id>/pin-layer",
    summary="The scratch-off PIN layer of a two-layer batch (PDF on the QR labels' sheet, or CSV), owner only, recorded",
)
def download_pin_layer(batch_id: str, body: PinLayerIn):  # type: ignore[no-untyped-def]  # binary body: no response model
    caller = principal(app)
    producer_id = caller.own_producer_id()
    result = pin_layer.download_pin_layer(producer_id, caller.subject, batch_id, body, _base_url())
    headers = {
        "Content-Disposition": f'attachment; filename="{result.file_name}"',
        "X-Label-Count": str(result.labels),
        "Cache-Control": "no-store",  # PINs: never kept by a cache on the way
    }
    text = result.content_type.startswith("text/")  # the CSV as text, the PDF as bytes (base64 on the wire)
    body = result.body.decode() if text else result.body
    return Response(status_code=200, content_type=result.content_type, body=body, headers=headers)


@app.get("/print-jobs/<job_id>", summary="A print job's progress, and its download link when done")
def get_print_job(job_id: str) -> Response[Any]:
    return json_response(200, print_jobs.get_job(principal(app).own_producer_id(), job_id))


def _base_url() -> str:
    return public_base_url(get_settings().public_base_url, app.current_event.raw_event)


# Who may call what, checked before validation (ocop_stamps.api.resolver.role_gate).
ROUTE_ROLES: dict[str, tuple[str, ...]] = {
    "POST /lots": ("producer",),
    "POST /batches": ("producer",),
    "GET /batches/{batch_id}": ("producer",),
    "GET /batches/{batch_id}/codes.csv": ("producer",),
    "POST /batches/{batch_id}/activations": ("producer",),
    "POST /batches/{batch_id}/voids": ("producer",),
    "POST /batches/{batch_id}/print-files": ("producer",),
    "POST /batches/{batch_id}/pin-layer": ("producer",),
    "GET /print-jobs/{job_id}": ("producer",),
    "GET /batches/{batch_id}/epcis": READERS,
    "GET /lots/{lot_id}": READERS,
    "GET /lots/{lot_id}/epcis": READERS,
    "GET /lots/{lot_id}/trace": READERS,
    "POST /lots/{lot_id}/recall": ("producer", "admin"),
    "POST /lots/{lot_id}/recall/lift": ("producer", "admin"),
}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency_config.register_lambda_context(context)
    return role_gate(event, ROUTE_ROLES) or app.resolve(event, context)
