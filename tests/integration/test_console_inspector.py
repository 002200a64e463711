"""The inspector's console pages (issue 15), on moto: the verification log in the inspector's
provinces only, its filters (a refused one next to its field), the CSV export through the
session, the alert queue and the acknowledge / resolve workflow with a note, a CSRF-less post
refused, and a producer kept out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from helpers.handlers import Shop, scan
from helpers.visits import networks, visit
from integration import test_console
from integration.test_console import sign_in
from integration.test_console_producer import Person, _csrf
from ocop_stamps.core.settings import get_settings

HANOI = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "HN"}
HCMC = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "SG"}
USERS = {
    **test_console.USERS,
    "inspector": {
        "sub": "u-hn",
        "cognito:username": "inspector-hn",
        "cognito:groups": ["inspector"],
        "custom:provinces": "01",  # Hà Nội
    },
}


@pytest.fixture
def console(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    monkeypatch.setenv("OCOP_CONSOLE_LOCAL_USERS", json.dumps(USERS))
    monkeypatch.setenv("CONSOLE_URL", "https://tem.example.vn/console")
    get_settings.cache_clear()
    yield Shop()
    get_settings.cache_clear()


def _inspector() -> Person:
    me = Person()
    sign_in(me, "inspector")
    return me


def _an_open_alert(shop: Shop, detector) -> tuple[Person, str]:  # type: ignore[no-untyped-def]
    """Three devices in Hà Nội scan one stamp in a day: a repeat alert there, in the inspector's queue."""
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for ip in networks(3):
        visit(f"/v/{code}", ip=ip, headers=HANOI)
    detector()
    me = _inspector()
    _, _, queue = me.get("/console/alerts")
    alert_id = re.search(r'href="/console/alerts/(al_[0-9a-f]+)"', queue)
    assert alert_id
    return me, alert_id.group(1)


def _codes_in_table(page: str) -> list[str]:
    return re.findall(r"<td><code>([^<]+)</code></td>", page)


def test_given_scans_in_two_provinces_when_a_hanoi_inspector_opens_the_log_then_only_hanoi_lines(
    console: Shop,
) -> None:
    shop = console
    shop.activate(1, 10)
    hanoi, saigon = shop.codes(1, 2)
    scan(hanoi, headers=HANOI)
    scan(saigon, headers=HCMC)
    me = _inspector()

    status, _, home = me.get("/console")
    status_log, _, page = me.get("/console/scans")
    refused, _, other = me.get("/console/scans", province="Hồ Chí Minh")

    assert status == 200 and 'href="/console/scans"' in home and 'href="/console/alerts"' in home
    assert status_log == 200 and _codes_in_table(page) == [hanoi]
    assert "Hà Nội" in page and "<td>tem chính hãng</td>" in page
    assert re.search(r"<td>\d{2}/\d{2}/\d{4} \d{2}:\d{2}</td>", page)  # Vietnam time, to the minute
    assert refused == 403 and 'aria-invalid="true"' in other and "phạm vi" in other and "scope" in other


def test_given_filters_when_searched_then_the_apis_filters_apply_and_a_bad_one_is_shown_at_its_field(
    console: Shop,
) -> None:
    shop = console
    shop.activate(1, 10)
    first, second = shop.codes(1, 2)
    scan(first, headers=HANOI)
    scan(second, headers=HANOI)
    me = _inspector()

    _, _, by_code = me.get("/console/scans", code=first)
    _, _, genuine = me.get("/console/scans", verdict="genuine", batch=shop.batch_id)
    _, _, expired = me.get("/console/scans", verdict="expired", batch=shop.batch_id)
    bad, _, wrong = me.get("/console/scans", batch="abc", **{"from": "2026-13-01"})

    assert _codes_in_table(by_code) == [first]
    assert sorted(_codes_in_table(genuine)) == sorted([first, second])
    assert _codes_in_table(expired) == [] and "Không có lượt quét nào" in expired
    assert bad == 400
    assert 'id="f-batch"' in wrong and 'aria-describedby="batch-err"' in wrong
    assert 'aria-describedby="from-err"' in wrong
    assert "phải là một số" in wrong and "must be a batch number" in wrong  # both languages
    assert 'value="abc"' in wrong  # what was typed stays


def test_given_more_lines_than_a_page_when_next_is_followed_then_the_rest_come(
    console: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocop_stamps.console import inspector

    monkeypatch.setattr(inspector, "PAGE_SIZE", 2)
    shop = console
    shop.activate(1, 10)
    codes = shop.codes(1, 3)
    for code in codes:
        scan(code, headers=HANOI)
    me = _inspector()

    _, _, first = me.get("/console/scans", lot=shop.lot["lot_id"])
    found = re.search(r'href="/console/scans\?([^"]+)">', first.split("Trang sau")[0].rsplit("<a", 1)[1] + ">")
    assert found
    query = dict(p.split("=", 1) for p in found.group(1).replace("&amp;", "&").split("&"))
    from urllib.parse import unquote_plus

    _, _, second = me.get("/console/scans", **{k: unquote_plus(v) for k, v in query.items()})

    assert len(_codes_in_table(first)) == 2 and len(_codes_in_table(second)) == 1
    assert sorted(_codes_in_table(first) + _codes_in_table(second)) == sorted(codes)


def test_given_filters_when_the_csv_is_downloaded_then_the_apis_csv_of_the_same_lines(console: Shop) -> None:
    import base64

    shop = console
    shop.activate(1, 10)
    hanoi, saigon = shop.codes(1, 2)
    scan(hanoi, headers=HANOI)
    scan(saigon, headers=HCMC)
    me = _inspector()

    _, _, page = me.get("/console/scans", lot=shop.lot["lot_id"])
    status, headers, body = me.get("/console/scans.csv", lot=shop.lot["lot_id"])
    text = base64.b64decode(body).decode("utf-8")

    assert f'href="/console/scans.csv?lot={shop.lot["lot_id"]}"' in page
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"] == 'attachment; filename="scans.csv"'
    assert text.startswith("\ufeffscanned_at") and headers["X-Row-Count"] == "1"
    assert hanoi in text and saigon not in text


def test_given_an_open_alert_when_acknowledged_then_resolved_with_a_note_then_its_history_shows_both(
    console: Shop, detector
) -> None:
    shop = console
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for ip in networks(3):  # three devices in Hà Nội in a day: a repeat alert there
        visit(f"/v/{code}", ip=ip, headers=HANOI)
    detector()
    me = _inspector()

    _, _, queue = me.get("/console/alerts")
    alert_id = re.search(r'href="/console/alerts/(al_[0-9a-f]+)"', queue)
    assert alert_id
    path = f"/console/alerts/{alert_id.group(1)}"
    _, _, page = me.get(path)
    token = _csrf(page)
    ack = me.post(f"{path}/status", {"csrf": token, "status": "acknowledged", "note": "Đang xác minh"})
    no_note = me.post(f"{path}/status", {"csrf": token, "status": "resolved", "note": ""})
    done = me.post(f"{path}/status", {"csrf": token, "status": "resolved", "note": "Khách quét <nhiều> lần"})
    _, _, after = me.get(path)
    _, _, open_now = me.get("/console/alerts")
    _, _, resolved = me.get("/console/alerts", status="resolved")

    assert ack[0] == 303 and ack[1]["Location"] == f"{path}?done=acknowledged"
    assert no_note[0] == 422 and 'aria-describedby="note-err note-hint"' in no_note[2]
    assert "Hãy ghi rõ lý do" in no_note[2] and "Say why in a note" in no_note[2]
    assert done[0] == 303
    assert "Đang xác minh" in after and "Khách quét &lt;nhiều&gt; lần" in after and "Đã kết thúc" in after
    assert 'name="status"' not in after  # closed: nothing more to do
    assert alert_id.group(1) not in open_now and alert_id.group(1) in resolved


def test_given_an_alert_page_when_posted_without_the_csrf_token_then_refused_and_unchanged(
    console: Shop, detector
) -> None:
    me, alert_id = _an_open_alert(console, detector)

    status, _, _ = me.post(f"/console/alerts/{alert_id}/status", {"status": "dismissed", "note": "x"})
    _, _, still = me.get("/console/alerts")

    assert status == 403 and alert_id in still


def test_given_a_producer_session_when_the_inspector_pages_are_opened_then_refused(console: Shop) -> None:
    me = Person()
    sign_in(me, "producer")

    pages = [me.get(p)[0] for p in ("/console/scans", "/console/scans.csv", "/console/alerts", "/console/alerts/al_00")]
    _, _, page = me.get("/console/scans")
    token = _csrf(page)
    posted = me.post("/console/alerts/al_00/status", {"csrf": token, "status": "acknowledged", "note": ""})[0]

    assert pages == [403, 403, 403, 403] and posted == 403


def test_given_dynamodb_conflicting_on_every_try_when_an_alert_is_moved_then_a_409_page_with_retry_after(
    console: Shop, detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typing import Any

    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    me, alert_id = _an_open_alert(console, detector)
    path = f"/console/alerts/{alert_id}"
    _, _, page = me.get(path)
    real = BaseClient._make_api_call

    def conflicting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems":
            raise ClientError({"Error": {"Code": "TransactionConflictException", "Message": "busy"}}, operation)
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", conflicting)
    status, headers, answer = me.post(f"{path}/status", {"csrf": _csrf(page), "status": "acknowledged", "note": "x"})
    monkeypatch.setattr(BaseClient, "_make_api_call", real)
    _, _, after = me.get(path)

    assert status == 409 and headers.get("Retry-After")
    assert 'role="alert"' in answer and 'lang="en"' in answer
    assert "Đang xác minh" not in after and ">x<" not in after
