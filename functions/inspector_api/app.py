"""Inspector API: the verification log (filters, CSV), alerts, field checks, summaries."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps.api.resolver import make_resolver, principal, role_gate
from ocop_stamps.api.responses import json_response
from ocop_stamps.codes.labels import public_base_url
from ocop_stamps.core.settings import get_settings
from ocop_stamps.inspection import alerts, field_checks, summary
from ocop_stamps.inspection import queries as scan_query
from ocop_stamps.inspection.schemas import AlertStatusChange, FieldCheck
from ocop_stamps.observability import logger, metrics, tracer

app = make_resolver(
    "OCOP stamps — inspector API",
    "/docs/inspector",
    "Verification logs (filters, CSV export), the alert queue, field checks, summaries and charts.",
)

Text = Annotated[str | None, Query(max_length=64)]
Id = Annotated[str | None, Query(max_length=48, pattern=r"^[A-Za-z0-9_-]+$")]
# The log's filters, declared once: /scans and /scans.csv take exactly the same ones.
BatchNo = Annotated[str | None, Query(max_length=10, pattern=r"^[0-9]+$")]
ProducerId = Annotated[str | None, Query(max_length=64)]
VerdictName = Annotated[
    str | None,
    Query(
        max_length=20,
        # the log's verdicts, most serious first: a scan's, then report, lookup and the PIN entries (issue 14)
        description="One of: " + ", ".join(scan_query.VERDICTS) + " (docs/PIN.md for claimed and pin_*).",
    ),
]
Since = Annotated[str | None, Query(alias="from", max_length=40)]
Until = Annotated[str | None, Query(max_length=40)]
Cursor = Annotated[str | None, Query(max_length=8192)]
# Rows per CSV part at most; a part ends sooner when its rows would not fit Lambda's 6 MB
# response (long reports make long rows: inspection.queries.export_csv measures them).
MAX_EXPORT_ROWS = 20_000


def _scope() -> scan_query.Scope:
    return scan_query.Scope.of(principal(app))


def _filters(**kw: Any) -> scan_query.Filters:
    kw["since"], kw["until"] = kw.pop("from_"), kw.pop("to")
    return scan_query.make_filters(**kw)


@app.get(
    "/scans",
    summary="Verification log, newest first: filter by code, batch, lot, product, producer, province, verdict, time",
)
def list_scans(
    code: Text = None,
    batch: BatchNo = None,
    lot: Id = None,
    product: Id = None,
    producer: ProducerId = None,
    province: Text = None,
    verdict: VerdictName = None,
    from_: Since = None,
    to: Until = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Cursor = None,
) -> Response[Any]:
    scope = _scope()
    filters = _filters(
        code=code,
        batch=batch,
        lot=lot,
        product=product,
        producer=producer,
        province=province,
        verdict=verdict,
        from_=from_,
        to=to,
    )
    page = scan_query.query(filters, scope, limit, cursor)
    body = {"items": [scan_query.view(s) for s in page.items], "next_cursor": page.next_cursor}
    note = scan_query.province_note(province)
    if note:  # which province of today the filter was read as (an old name says so)
        body["province"] = note
    return json_response(200, body)


@app.get(
    "/scans.csv",
    summary="The same query as CSV (UTF-8 with BOM), up to 20,000 rows and 6 MB a part; Link rel=next for more",
)
def export_scans(
    code: Text = None,
    batch: BatchNo = None,
    lot: Id = None,
    product: Id = None,
    producer: ProducerId = None,
    province: Text = None,
    verdict: VerdictName = None,
    from_: Since = None,
    to: Until = None,
    rows: Annotated[int, Query(ge=1, le=MAX_EXPORT_ROWS)] = MAX_EXPORT_ROWS,
    cursor: Cursor = None,
) -> Response[str]:
    scope = _scope()
    filters = _filters(
        code=code,
        batch=batch,
        lot=lot,
        product=product,
        producer=producer,
        province=province,
        verdict=verdict,
        from_=from_,
        to=to,
    )
    chunks, state = scan_query.export_csv(filters, scope, rows, cursor)
    body = "".join(chunks)
    headers = {"Content-Disposition": 'attachment; filename="scans.csv"', "X-Row-Count": str(state["rows"])}
    if state["next_cursor"]:
        params = dict(app.current_event.query_string_parameters or {})
        params["cursor"] = state["next_cursor"]
        headers["Link"] = f'</scans.csv?{urlencode(params)}>; rel="next"'
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=body, headers=headers)


@app.get("/alerts", summary="The alert queue, newest first, by status, type and province")
def list_alerts(
    status: Annotated[str, Query(max_length=20)] = "open",
    type: Annotated[str | None, Query(max_length=40)] = None,
    province: Text = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Cursor = None,
) -> Response[Any]:
    scope = _scope()
    code = scan_query.province_filter(province) if province else None
    body = alerts.list_alerts(scope, status=status, kind=type, province=code, limit=limit, cursor=cursor)
    note = scan_query.province_note(province)
    if note:
        body["province"] = note
    return json_response(200, body)


@app.get("/alerts/<alert_id>", summary="One alert with its history")
def get_alert(alert_id: Annotated[str, Path(max_length=40, pattern=r"^al_[0-9a-f]+$")]) -> Response[Any]:
    return json_response(200, alerts.view(alerts.get_alert(alert_id, _scope())))


@app.post("/alerts/<alert_id>/status", summary="Acknowledge, resolve or dismiss an alert (with a note)")
def change_alert_status(
    alert_id: Annotated[str, Path(max_length=40, pattern=r"^al_[0-9a-f]+$")],
    body: Annotated[AlertStatusChange, Body()],
) -> Response[Any]:
    who = principal(app)
    scope = scan_query.Scope.of(who)
    updated = alerts.change_status(alert_id, body.status, body.note, who.subject, scope)
    return json_response(200, alerts.view(updated))


@app.post("/field-checks", summary="Record a field check (kiểm tra thực địa) in the lot's EPCIS history")
def record_field_check(body: Annotated[FieldCheck, Body()]) -> Response[Any]:
    who = principal(app)
    scope = scan_query.Scope.of(who)
    base = public_base_url(get_settings().public_base_url, app.current_event.raw_event)
    data = body.model_dump(mode="json")
    return json_response(201, field_checks.record_check(data, who.subject, scope, base))


@app.get("/summary", summary="Scans per day by verdict, top provinces, open alerts by type")
def get_summary(
    producer: ProducerId = None,
    product: Id = None,
    days: Annotated[int, Query(ge=1, le=summary.MAX_DAYS)] = 30,
) -> Response[Any]:
    return json_response(200, summary.summarize(_scope(), producer=producer, product=product, days=days))


@app.get("/summary/chart.svg", summary="The summary as a small SVG chart (verdicts, provinces or alerts)")
def get_summary_chart(
    chart: Annotated[str, Query(max_length=20)] = "verdicts",
    producer: ProducerId = None,
    product: Id = None,
    days: Annotated[int, Query(ge=1, le=summary.MAX_DAYS)] = 30,
) -> Response[str]:
    data = summary.summarize(_scope(), producer=producer, product=product, days=days)
    svg = summary.chart(data, chart)
    return Response(
        status_code=200,
        content_type="image/svg+xml; charset=utf-8",
        body=svg,
        headers={"Cache-Control": "private, max-age=60", "X-Content-Type-Options": "nosniff"},
    )


# Who may call what, checked before validation (ocop_stamps.api.resolver.role_gate).
ROUTE_ROLES: dict[str, tuple[str, ...]] = {
    key: ("inspector", "admin")
    for key in (
        "GET /scans",
        "GET /scans.csv",
        "GET /alerts",
        "GET /alerts/{alert_id}",
        "POST /alerts/{alert_id}/status",
        "POST /field-checks",
        "GET /summary",
        "GET /summary/chart.svg",
    )
}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return role_gate(event, ROUTE_ROLES) or app.resolve(event, context)
