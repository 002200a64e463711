"""Who may call each authenticated route of the template: the access matrix that the unit
tier holds against the template and the functions' own gates, and the integration tier runs
against every role and a foreign tenant (tests/*/test_tenancy.py)."""

from __future__ import annotations

from ocop_local.template import http_routes, load_template

ADMIN, PRODUCER, INSPECTOR = "admin", "producer", "inspector"
ACCESS: dict[str, set[str]] = {
    "POST /producers": {ADMIN},
    "POST /products": {ADMIN},
    "POST /products/{product_id}/ocop-rating": {ADMIN},
    "POST /lots": {PRODUCER},
    "POST /batches": {PRODUCER},
    "GET /batches/{batch_id}": {PRODUCER},
    "GET /batches/{batch_id}/codes.csv": {PRODUCER},
    "POST /batches/{batch_id}/activations": {PRODUCER},
    "POST /batches/{batch_id}/voids": {PRODUCER},
    "POST /batches/{batch_id}/print-files": {PRODUCER},
    "POST /batches/{batch_id}/pin-layer": {PRODUCER},  # the scratch-off PINs: the owner only (issue 14)
    "GET /print-jobs/{job_id}": {PRODUCER},
    "GET /batches/{batch_id}/epcis": {PRODUCER, ADMIN, INSPECTOR},
    "GET /lots/{lot_id}": {PRODUCER, ADMIN, INSPECTOR},
    "GET /lots/{lot_id}/epcis": {PRODUCER, ADMIN, INSPECTOR},
    "GET /lots/{lot_id}/trace": {PRODUCER, ADMIN, INSPECTOR},
    "POST /lots/{lot_id}/recall": {PRODUCER, ADMIN},
    "POST /lots/{lot_id}/recall/lift": {PRODUCER, ADMIN},
    "GET /scans": {INSPECTOR, ADMIN},
    "GET /scans.csv": {INSPECTOR, ADMIN},
    "GET /alerts": {INSPECTOR, ADMIN},
    "GET /alerts/{alert_id}": {INSPECTOR, ADMIN},
    "POST /alerts/{alert_id}/status": {INSPECTOR, ADMIN},
    "POST /field-checks": {INSPECTOR, ADMIN},
    "GET /summary": {INSPECTOR, ADMIN},
    "GET /summary/chart.svg": {INSPECTOR, ADMIN},
}
FUNCTION_DIR = {
    "ProducerApiFunction": "producer_api",
    "AdminApiFunction": "admin_api",
    "InspectorApiFunction": "inspector_api",
}
ROUTES = [r for r in http_routes(load_template()) if r.authorized]
