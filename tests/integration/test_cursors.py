"""Every list route's cursor is signed and bound (issue 13, kind 3): a forged cursor (base64 of a
well-formed but foreign key), a truncated one, one from another route, another query or another
caller's scope answers 400 ``invalid_cursor`` in both languages before anything is read; a real
cursor still walks every page once.

List routes with a cursor: GET /scans, GET /scans.csv (``Link: rel="next"``) and GET /alerts
(docs/LIMITS.md, "Pages and cursors"); the test below fails if the template gains another
route taking ``cursor`` that is not listed here.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers.handlers import Shop, claims, http_event, invoke, load_handler, scan
from ocop_local.template import http_routes, load_template
from ocop_stamps.storage import inspection as alerts_store
from ocop_stamps.storage import keys as table_keys

ITEMS = 3  # every list below holds 3 items and pages 1 at a time


def _inspector(provinces: str = "*") -> dict[str, Any]:
    c = claims("inspector")
    c["custom:provinces"] = provinces
    return c


def _call(route: str, query: dict[str, str], who: dict[str, Any] | None = None) -> tuple[int, dict[str, str], str]:
    return invoke("inspector_api", http_event("GET", route, route=route, query=query, claims=who or _inspector()))


def _next(route: str, status: int, headers: dict[str, str], text: str) -> tuple[int, str | None]:
    """(items on the page, the cursor of the next page) of one answer of ``route``."""
    assert status == 200, text
    if route == "/scans.csv":
        rows = len(text.strip().splitlines()) - 1
        link = headers.get("link")
        if not link:
            return rows, None
        return rows, parse_qs(urlsplit(link.split(">")[0].lstrip("<")).query)["cursor"][0]
    body = json.loads(text)
    return len(body["items"]), body["next_cursor"]


# --- the lists: three items each, and the query that pages them one at a time ---------------------------
def _scans(shop: Shop) -> None:
    shop.activate(1, 10)
    for code in shop.codes(1, ITEMS):
        scan(code)


def _alerts(shop: Shop) -> None:
    for i in range(ITEMS):
        alert_id = f"al_{i:04x}"
        at = f"2026-11-2{i}T00:00:00.000Z"
        item = {
            "pk": table_keys.alert_key(alert_id),
            "sk": table_keys.ALERT_SK,
            "kind": "alert",
            "alert_id": alert_id,
            "type": "repeat_24h",
            "status": "open",
            "province": "VN-69",
            "producer_id": shop.producer_id,
            "summary_vi": "Mã tem bị quét nhiều lần",
            "summary_en": "A code scanned many times",
            "history": [],
            "queue_province": table_keys.queue_key("open", "VN-69"),
            "queue_type": table_keys.queue_key("open", "repeat_24h"),
            "queue_sk": f"{at}#{alert_id}",
        }
        alerts_store.client().put_item(TableName=alerts_store.table(), Item=alerts_store.to_ddb(item))


class ListRoute:
    def __init__(
        self,
        route: str,
        fill: Callable[[Shop], None],
        query: Callable[[Shop], dict[str, str]],
        other_query: Callable[[Shop], dict[str, str]],
    ) -> None:
        self.route, self.fill, self.query, self.other_query = route, fill, query, other_query


LISTS = {
    "/scans": ListRoute(
        "/scans",
        _scans,
        lambda s: {"producer": s.producer_id, "limit": "1"},
        lambda s: {"producer": "other", "limit": "1"},
    ),
    "/scans.csv": ListRoute(
        "/scans.csv",
        _scans,
        lambda s: {"producer": s.producer_id, "rows": "1"},
        lambda s: {"producer": "other", "rows": "1"},
    ),
    "/alerts": ListRoute("/alerts", _alerts, lambda s: {"limit": "1"}, lambda s: {"limit": "1", "type": "repeat_24h"}),
}


def test_every_route_that_takes_a_cursor_is_covered_here():
    with_cursor = set()
    for route in http_routes(load_template()):
        if route.method != "GET" or route.path.startswith("/docs/") or not route.authorized:
            continue
        app = load_handler(Path(route.code_uri.rstrip("/")).name).app
        schema = app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)
        params = schema["paths"].get(route.path, {}).get("get", {}).get("parameters", [])
        if any(p["name"] == "cursor" for p in params):
            with_cursor.add(route.path)
    assert with_cursor == set(LISTS)


@pytest.fixture
def listed(shop: Shop, request: pytest.FixtureRequest) -> tuple[ListRoute, Shop, str]:
    """The list of the test's route filled, and the cursor of its second page."""
    lst = LISTS[request.param]
    lst.fill(shop)
    count, cursor = _next(lst.route, *_call(lst.route, lst.query(shop)))
    assert count == 1 and cursor
    return lst, shop, cursor


def _refused(status: int, text: str) -> None:
    assert status == 400, text
    error = json.loads(text)["error"]
    assert error["code"] == "invalid_cursor"
    assert "cursor" in error["message"] and "không hợp lệ" in error["message_vi"]


def _forged(route: str) -> list[str]:
    """Cursors a client can make: base64 of well-formed keys, as cursors were before they were signed."""
    if route == "/alerts":
        key = {"open#repeat_24h": {"pk": "ALERT#al_x", "sk": "ALERT", "queue_type": "open#x", "queue_sk": "z"}}
        return [base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")]
    position = {"0": ["2026-11-23T06:00:00.000Z#000001", "1ABCDEFGHJKMNPQR"]}
    return [
        base64.urlsafe_b64encode(zlib.compress(json.dumps(p).encode())).decode().rstrip("=")
        for p in (position, {"f": "0" * 12, "s": position})
    ]


@pytest.mark.parametrize("listed", LISTS, indirect=True)
def test_given_a_forged_or_truncated_or_undecodable_cursor_then_400_invalid_cursor(listed, ddb_calls: list):
    lst, shop, cursor = listed
    bad = [*_forged(lst.route), cursor[:-4], cursor[: len(cursor) // 2], "not a cursor", "%%%", "é", "1.2.3"]
    reads_before = len(ddb_calls)

    for forged in bad:
        _refused(*_call(lst.route, {**lst.query(shop), "cursor": forged})[::2])

    assert len(ddb_calls) == reads_before  # refused before any read


@pytest.mark.parametrize("listed", LISTS, indirect=True)
def test_given_a_cursor_from_another_route_then_400_invalid_cursor(listed):
    lst, shop, cursor = listed
    for other in LISTS.values():
        if other.route != lst.route:
            _refused(*_call(other.route, {**other.query(shop), "cursor": cursor})[::2])


@pytest.mark.parametrize("listed", LISTS, indirect=True)
def test_given_a_cursor_from_another_query_or_producer_then_400_invalid_cursor(listed):
    lst, shop, cursor = listed
    _refused(*_call(lst.route, {**lst.other_query(shop), "cursor": cursor})[::2])


@pytest.mark.parametrize("listed", LISTS, indirect=True)
def test_given_a_cursor_from_a_caller_with_another_scope_then_400_invalid_cursor(listed):
    lst, shop, cursor = listed
    for who in (_inspector("VN-69"), _inspector("VN-01,VN-69")):
        _refused(*_call(lst.route, {**lst.query(shop), "cursor": cursor}, who)[::2])


@pytest.mark.parametrize("listed", LISTS, indirect=True)
def test_given_real_cursors_then_every_item_is_paged_through_once(listed):
    lst, shop, cursor = listed
    seen = 1
    while cursor:
        count, cursor = _next(lst.route, *_call(lst.route, {**lst.query(shop), "cursor": cursor}))
        seen += count
    assert seen == ITEMS
