"""Every export comes in parts Lambda will return: codes.csv with a realistic public domain,
scans.csv of a code with thousands of long reports, a lot's EPCIS history larger than 6 MB.

``helpers.handlers.invoke`` holds every response to Lambda's 6 MiB payload limit (as the
Python 3.12 runtime serializes it), so each part below is checked against it; each test
then follows the ``Link: rel="next"`` headers, as the CLI does, and finds every row or
event exactly once. docs/LIMITS.md, "Sizes and pages".
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from helpers.handlers import (
    LAMBDA_RESPONSE_LIMIT,
    Shop,
    claims,
    for_batch,
    http_event,
    invoke,
    invoke_json,
    lambda_payload_bytes,
)
from ocop_stamps.core.settings import get_settings

# A realistic public domain: 44 characters, as in the issue (50,000 rows were 6.29 MB).
BASE_44 = "https://truyxuat.ocop-thainguyen.example.com"


def _next(headers: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    link = headers.get("link")
    if not link:
        return None
    assert link.startswith("<") and link.endswith('>; rel="next"'), link
    target = urlsplit(link[1 : link.index(">")])
    return target.path, dict(parse_qsl(target.query))


@pytest.fixture
def public_domain(monkeypatch: pytest.MonkeyPatch, aws: None) -> str:
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE_44)
    get_settings.cache_clear()
    yield BASE_44
    get_settings.cache_clear()


def test_given_a_44_character_domain_when_a_large_batch_is_downloaded_then_each_page_fits_and_every_code_comes_once(
    public_domain: str,
) -> None:
    assert len(public_domain) == 44
    shop = Shop()
    batch = shop.issue(100_000)
    event = for_batch(shop.event("producer-codes-csv"), batch["batch_id"])
    event["queryStringParameters"] = None
    serials: list[int] = []
    codes: set[str] = set()
    pages = []
    while True:
        status, headers, body = invoke("producer_api", event)  # fails if Lambda would refuse it
        assert status == 200, body
        rows = list(csv.reader(io.StringIO(body)))[1:]
        pages.append(len(rows))
        serials += [int(r[0]) for r in rows]
        codes |= {r[1] for r in rows}
        assert all(r[2].startswith(public_domain + "/01/") and r[2].endswith(r[1]) for r in rows)
        found = _next(headers)
        if found is None:
            break
        path, query = found
        assert path == f"/batches/{batch['batch_id']}/codes.csv"
        event["queryStringParameters"] = query

    # the default page is no longer 50,000 rows: that many would be over the limit here
    assert pages[0] < 50_000 and len(pages) == 3
    assert serials == list(range(1, 100_001)) and len(codes) == 100_000


def test_given_a_range_larger_than_a_page_then_400_names_the_page_size_of_this_batch(public_domain: str) -> None:
    shop = Shop(size=60_000)
    status, _, body = shop.csv(1, 60_000)
    assert status == 400
    error = json.loads(body)["error"]
    assert "rows per download" in error["message"] and "dòng" in error["message_vi"]


# --- scans.csv: a code with many long reports -----------------------------------------------
def _long_reports(code: str, count: int) -> None:
    """``count`` consumers' reports on ``code``, each with the longest text a report takes,
    written straight to the Scans table (the public route would rate-limit one client)."""
    from ocop_stamps.scanning.reports import NOTE_MAX, WHERE_MAX
    from ocop_stamps.storage import keys
    from ocop_stamps.storage.models import ScanItem

    where = ("Chợ Đồng Xuân, quầy số 7, phố Hàng Khoai, quận Hoàn Kiếm, Hà Nội " * 3)[:WHERE_MAX]
    note = ('Nhãn in mờ, "mã" cào lộ sẵn, nắp không niêm phong; người bán nói hàng xách tay. ' * 8)[:NOTE_MAX]
    with ScanItem.batch_write() as batch:
        for i in range(count):
            at = f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i // 60) % 60:02d}.{i % 1000:03d}Z"
            item = ScanItem(
                code,
                keys.uncounted_scan_key(at, "r", secrets.token_hex(5)),
                scanned_at=at,
                kind="report",
                verdict="report",
                verdicts=["report"],
                channel="web",
                country="VN",
                province="VN-HN",
                client_hash=secrets.token_hex(12),
                ua_family="Chrome Mobile",
                report_where=where,
                report_note=note,
            )
            keys.fill(item, retention_days=1827, salt_version="1")
            batch.save(item)


def test_given_many_long_reports_on_a_code_when_exported_then_each_part_fits_and_every_report_comes_once(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto reads a few hundred rows in the time DynamoDB reads thousands: the limit is scaled
    # down with the data (the full-size case: tests/unit/test_limits.py, on the same code)
    from ocop_stamps.inspection import queries

    budget = 60_000
    monkeypatch.setattr(queries, "BODY_BUDGET", budget)
    code = "ABCDEFGHJKMNPQRS"
    _long_reports(code, 150)
    inspector = {**claims("inspector"), "custom:provinces": "*"}
    query: dict[str, str] = {"code": code}
    seen: list[tuple[str, str]] = []
    parts = 0
    while True:
        event = http_event("GET", "/scans.csv", route="/scans.csv", claims=inspector, query=query)
        status, headers, body = invoke("inspector_api", event)
        assert status == 200, body
        assert lambda_payload_bytes(body) - 2 <= budget  # the body as a JSON string, as Lambda counts it
        parts += 1
        rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))[1:]
        assert int(headers["x-row-count"]) == len(rows) > 0
        seen += [(r[0], r[15]) for r in rows]  # scanned_at, client hash: one report each
        found = _next(headers)
        if found is None:
            break
        assert found[0] == "/scans.csv"
        query = found[1]

    # 150 rows of ~1 KB cannot be one part of 60 KB; the parts split them without loss or repeat
    assert parts >= 3
    assert len(seen) == 150 and len(set(seen)) == 150


# --- EPCIS: a lot's history larger than one response --------------------------------------
def _big_events(pk: str, count: int, size: int) -> list[str]:
    """``count`` EPCIS ObjectEvents of about ``size`` bytes each under ``pk``; their ids."""
    from ocop_stamps.epcis.history import event_item
    from ocop_stamps.storage.models import EventItem

    ids = []
    with EventItem.batch_write() as batch:
        for i in range(count):
            event_id = f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
            event: dict[str, Any] = {
                "type": "ObjectEvent",
                "eventID": event_id,
                "eventTime": "2026-11-23T06:00:00.000Z",
                "eventTimeZoneOffset": "+07:00",
                "action": "OBSERVE",
                "bizStep": "inspecting",
                "epcList": [f"https://id.gs1.org/01/08930000000019/21/CODE{n:012d}" for n in range(size // 52)],
            }
            batch.save(event_item(pk, event))  # keyed by time, then by the id's last 12 digits
            ids.append(event_id)
    return ids


def test_given_a_lot_history_over_6_mb_when_read_as_epcis_then_pages_fit_and_hold_every_event_once(shop: Shop) -> None:
    from ocop_stamps.storage.keys import lot_key

    lot_id = shop.lot["lot_id"]
    stored = _big_events(lot_key(lot_id), 70, 100_000)
    who = claims("producer", shop.producer_id)
    query: dict[str, str] | None = None
    seen: list[str] = []
    pages = 0
    while True:
        event = http_event(
            "GET",
            f"/lots/{lot_id}/epcis",
            route="/lots/{lot_id}/epcis",
            claims=who,
            query=query,
            path_parameters={"lot_id": lot_id},
        )
        status, headers, body = invoke("producer_api", event)  # fails if Lambda would refuse it
        assert status == 200, body
        pages += 1
        doc = json.loads(body)
        assert doc["type"] == "EPCISDocument"
        seen += [e["eventID"] for e in doc["epcisBody"]["eventList"]]
        found = _next(headers)
        if found is None:
            break
        assert found[0] == f"/lots/{lot_id}/epcis"
        query = found[1]

    assert pages == 2
    # the lot's own registration events come first, then the 70 large ones, each once, in order
    assert seen[-70:] == stored and len(seen) == len(set(seen))


def test_given_a_page_token_that_names_no_event_then_400_in_both_languages(shop: Shop) -> None:
    lot_id = shop.lot["lot_id"]
    event = http_event(
        "GET",
        f"/lots/{lot_id}/epcis",
        route="/lots/{lot_id}/epcis",
        claims=claims("producer", shop.producer_id),
        query={"nextPageToken": "UFJPRklMRQ"},  # base64 of "PROFILE": a real key, not an event's
        path_parameters={"lot_id": lot_id},
    )
    status, body = invoke_json("producer_api", event)
    assert status == 400
    assert "nextPageToken" in body["error"]["message"] and "nextPageToken" in body["error"]["message_vi"]


def test_given_the_helper_then_it_measures_as_lambda_does() -> None:
    # "é" is 2 bytes, CR LF 4 once escaped, U+2028 6 (the runtime's simplejson escapes it)
    result = {"body": "é\r\n\u2028"}
    assert lambda_payload_bytes(result) == len('{"body": ""}') + 2 + 4 + 6
    assert LAMBDA_RESPONSE_LIMIT == 6_291_456
