"""Inspectors read the verification log of one code or one lot, newest first, page by page."""

from __future__ import annotations

from helpers.handlers import Shop, claims, invoke_json, sample, scan


def _log(**query: str) -> tuple[int, dict]:
    event = sample("inspector-scans-by-code", CODE="")
    event["queryStringParameters"] = query
    return invoke_json("inspector_api", event)


def test_given_scans_of_a_code_then_the_log_lists_them_newest_first(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for _ in range(3):
        scan(code)
    status, body = invoke_json("inspector_api", sample("inspector-scans-by-code", CODE=code))
    assert status == 200
    assert [i["scan_no"] for i in body["items"]] == [3, 2, 1]
    assert body["items"][0]["verdict"] == "genuine" and body["items"][0]["lot_id"] == shop.lot["lot_id"]
    assert body["next_cursor"] is None


def test_given_many_scans_of_a_lot_then_a_cursor_walks_every_page_once(shop: Shop):
    shop.activate(1, 20)
    for code in shop.codes(1, 7):
        scan(code)
    seen: list[str] = []
    cursor = None
    while True:
        query = {"lot": shop.lot["lot_id"], "limit": "3"}
        if cursor:
            query["cursor"] = cursor
        status, body = _log(**query)
        assert status == 200
        seen += [i["scanned_at"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 7 and seen == sorted(seen, reverse=True)


def test_given_unknown_codes_then_their_attempts_are_in_the_log_too(aws):
    scan("ABCD-EFGH-JKMN-PQRS")
    status, body = _log(code="abcd efgh jkmn pqrs")
    assert status == 200 and body["items"][0]["verdict"] == "unknown"
    assert body["items"][0]["reason"] == "check symbol mismatch"


def test_given_no_filter_then_a_national_inspector_reads_every_scan_newest_first(shop: Shop):
    shop.activate(1, 10)
    for code in shop.codes(1, 3):
        scan(code)
    scan("ABCD-EFGH-JKMN-PQRS")
    status, body = _log()
    assert status == 200
    assert len(body["items"]) == 4
    assert [i["scanned_at"] for i in body["items"]] == sorted((i["scanned_at"] for i in body["items"]), reverse=True)


def test_given_code_and_lot_together_then_both_must_match(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    scan(code)
    assert len(_log(code=code, lot=shop.lot["lot_id"])[1]["items"]) == 1
    status, body = _log(code=code, lot="lot_other")
    assert status == 200 and body["items"] == []


def test_given_a_tampered_cursor_then_400_asks_to_start_again(aws):
    status, body = _log(code="X", cursor="eyJub3QiOiJ2YWxpZCJ9")
    assert status == 400 and "cursor" in body["error"]["message"]


def test_given_a_producer_token_then_the_log_is_refused(aws):
    event = sample("inspector-scans-by-code", CODE="X")
    event["requestContext"]["authorizer"]["jwt"]["claims"] = claims("producer", "hoan-hoa")
    assert invoke_json("inspector_api", event)[0] == 403
    event["requestContext"]["authorizer"]["jwt"]["claims"] = claims("admin")
    assert invoke_json("inspector_api", event)[0] == 200


def test_given_a_limit_out_of_range_then_422(aws):
    assert _log(code="X", limit="0")[0] == 422
    assert _log(code="X", limit="500")[0] == 422
