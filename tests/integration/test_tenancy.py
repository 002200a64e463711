"""Every authenticated route against every role and a foreign tenant (defence in depth).

API Gateway's JWT authorizer only proves who the caller is; each handler checks the
role and the tenant again. The matrix (tests/helpers/access.py) is held against
infra/template.yaml by tests/unit/test_tenancy.py, so a route added without a rule fails
there first.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers.access import ACCESS, ADMIN, FUNCTION_DIR, INSPECTOR, PRODUCER, ROUTES
from helpers.handlers import Shop, claims, http_event, invoke

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem", "SendMessage", "PutObject"}


def _bodies(shop: Shop) -> dict[str, Any]:
    """A valid body for each write route, so a refusal is the role check and not validation."""
    return {
        "POST /producers": {
            "name": "Hộ kinh doanh mới",
            "kind": "household",
            "address": {"commune": "Phường Thục Phán", "province": "Cao Bằng"},
        },
        "POST /products": {"producer_id": shop.producer_id, "name": "Sản phẩm mới", "group": "food"},
        "POST /products/{product_id}/ocop-rating": {"action": "withdraw", "reason": "Kiểm tra quyền"},
        "POST /lots": {
            "product_id": shop.product_id,
            "lot_code": "TENANCY-1",
            "production_date": "2026-01-01",
            "expiry_date": "2027-01-01",
            "quantity": 10,
            "origin": {"commune": "Phường Thục Phán", "province": "Cao Bằng"},
        },
        "POST /batches": {"product_id": shop.product_id, "size": 10},
        "POST /batches/{batch_id}/activations": {"first_serial": 1, "last_serial": 5, "lot_id": shop.lot["lot_id"]},
        "POST /batches/{batch_id}/voids": {"first_serial": 9, "reason": "damaged"},
        "POST /batches/{batch_id}/print-files": {"format": "svg_zip", "first_serial": 1, "last_serial": 2},
        "POST /batches/{batch_id}/pin-layer": {"format": "csv", "first_serial": 1, "last_serial": 2},
        "POST /lots/{lot_id}/recall": {"reason": "Kiểm tra quyền", "message_vi": "Thông báo kiểm tra quyền"},
        "POST /lots/{lot_id}/recall/lift": {"reason": "Kiểm tra quyền"},
        "POST /alerts/{alert_id}/status": {"status": "acknowledged", "note": "Kiểm tra quyền"},
        "POST /field-checks": {},
    }


def _call(route: Any, shop: Shop, who: dict[str, Any] | None, body: Any) -> int:
    params = {
        "batch_id": shop.batch_id,
        "lot_id": shop.lot["lot_id"],
        "product_id": shop.product_id,
        "job_id": "pj_0000000000000000",
        "alert_id": "al_00000000",
    }
    path_params = {k: v for k, v in params.items() if "{" + k + "}" in route.path}
    path = route.path
    for k, v in path_params.items():
        path = path.replace("{" + k + "}", v)
    event = http_event(route.method, path, route=route.path, body=body, claims=who, path_parameters=path_params)
    status, _, _ = invoke(FUNCTION_DIR[route.function_id], event)
    return status


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.route_key)
def test_given_each_role_when_calling_a_route_then_only_the_roles_it_is_for_get_past_the_gate(
    shop: Shop, ddb_calls: list[tuple[str, str]], route: Any
) -> None:
    other = Shop(producer_id="tam-hoa", size=10)
    body = _bodies(shop).get(route.route_key)
    callers = {
        ADMIN: claims(ADMIN),
        INSPECTOR: {**claims(INSPECTOR), "custom:provinces": "Thái Nguyên"},
        PRODUCER: claims(PRODUCER, shop.producer_id),
        "foreign-producer": claims(PRODUCER, other.producer_id),
        "no-group": {"sub": "user-nobody", "token_use": "id"},
        "no-token": None,
    }
    for name, who in callers.items():
        ddb_calls.clear()
        status = _call(route, shop, who, json.loads(json.dumps(body)) if body is not None else None)
        writes = [op for _, op in ddb_calls if op in WRITES]
        allowed = name in ACCESS[route.route_key]
        if name == "no-token":
            assert status == 401, (route.route_key, name, status)
        elif name == "foreign-producer":
            # another producer's batch, lot, product or job: never reached, never changed
            if PRODUCER in ACCESS[route.route_key] and route.route_key not in ("POST /lots", "POST /batches"):
                assert status in (403, 404, 422), (route.route_key, name, status)
            elif PRODUCER not in ACCESS[route.route_key]:
                assert status == 403, (route.route_key, name, status)
        elif not allowed:
            assert status in (401, 403), (route.route_key, name, status)
            assert not writes, (route.route_key, name, writes)
        else:
            assert status not in (401, 403), (route.route_key, name, status)


def test_given_a_foreign_producer_then_it_cannot_bind_void_recall_or_print_anothers_stamps(shop: Shop) -> None:
    other = Shop(producer_id="tam-hoa", size=10)
    bodies = _bodies(shop)
    for key in (
        "POST /batches/{batch_id}/activations",
        "POST /batches/{batch_id}/voids",
        "POST /batches/{batch_id}/print-files",
        "POST /batches/{batch_id}/pin-layer",
        "POST /lots/{lot_id}/recall",
        "GET /batches/{batch_id}/codes.csv",
        "GET /lots/{lot_id}/trace",
    ):
        route = next(r for r in ROUTES if r.route_key == key)
        status = _call(route, shop, claims(PRODUCER, other.producer_id), bodies.get(key))
        assert status == 404, (key, status)
    # and nothing changed for the owner
    status, _, body = invoke(
        "producer_api",
        http_event(
            "GET",
            f"/batches/{shop.batch_id}",
            route="/batches/{batch_id}",
            claims=claims(PRODUCER, shop.producer_id),
            path_parameters={"batch_id": shop.batch_id},
        ),
    )
    assert status == 200 and json.loads(body)["activations"] == []
