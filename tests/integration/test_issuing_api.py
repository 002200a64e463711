"""Producers issue batches of codes, download them as CSV, and bind serial ranges to lots."""

from __future__ import annotations

import csv
import io
import threading

from helpers.handlers import TEST_KEYS, Shop, for_batch, invoke, invoke_json, sample, with_body
from ocop_stamps.codes.scheme import decode
from ocop_stamps.storage.parameters import parse_code_keys

KEYS = parse_code_keys(TEST_KEYS)


def test_given_a_product_when_issuing_a_batch_then_it_comes_back_at_once_with_its_serial_range(shop: Shop):
    batch = shop.issue(250)
    assert batch["size"] == 250 and batch["first_serial"] == 1 and batch["last_serial"] == 250
    assert batch["product_id"] == shop.product_id and batch["activated_count"] == 0


def test_given_batches_of_ten_and_a_million_then_issuing_costs_the_same_few_dynamodb_requests(shop: Shop, ddb_calls):
    ddb_calls.clear()
    shop.issue(10, key="small-batch-key-1")
    small = list(ddb_calls)
    ddb_calls.clear()
    shop.issue(1_000_000, key="large-batch-key-1")
    large = list(ddb_calls)
    assert len(small) == len(large) <= 5
    assert [op for _, op in large] == [op for _, op in small]


def test_given_the_same_idempotency_key_when_retrying_then_one_batch_is_issued(shop: Shop):
    first = shop.issue(500, key="retry-after-timeout-42")
    again = shop.issue(500, key="retry-after-timeout-42")
    assert again == first
    following = shop.issue(1)
    assert int(following["batch_id"]) == int(first["batch_id"]) + 1  # no number was burned twice


def test_given_a_reused_idempotency_key_with_another_body_then_422(shop: Shop):
    shop.issue(500, key="same-key-different-size")
    event = with_body(shop.event("producer-issue-batch"), size=501)
    event["headers"]["idempotency-key"] = "same-key-different-size"
    status, body = invoke_json("producer_api", event)
    assert status == 422
    assert "Idempotency-Key" in body["error"]["message"]


def test_given_sizes_out_of_range_then_422_names_the_field_and_nothing_is_issued(shop: Shop, ddb_calls):
    for size in (0, -5, 1_000_001):
        ddb_calls.clear()
        status, body = invoke_json("producer_api", with_body(shop.event("producer-issue-batch"), size=size))
        assert status == 422
        assert body["error"]["details"][0]["field"] == "size"
        assert not [op for _, op in ddb_calls if op in ("PutItem", "UpdateItem")]


def test_given_another_producers_product_when_issuing_then_404(shop: Shop):
    other = Shop(producer_id="tam-hoa")
    event = shop.event("producer-issue-batch")
    event["body"] = event["body"].replace(shop.product_id, other.product_id)
    del event["headers"]["idempotency-key"]
    status, body = invoke_json("producer_api", event)
    assert status == 404
    assert body["error"]["message_vi"].startswith("Sản phẩm")


def test_given_concurrent_requests_then_every_batch_gets_its_own_number(shop: Shop):
    results: list[str] = []
    lock = threading.Lock()

    def issue() -> None:
        batch = shop.issue(100)
        with lock:
            results.append(batch["batch_id"])

    threads = [threading.Thread(target=issue) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == len(set(results)) == 12


def test_given_a_batch_when_downloading_its_csv_then_each_row_is_a_decodable_code_of_that_batch(shop: Shop):
    status, headers, body = shop.csv(1, 1000)
    assert status == 200 and headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 1000
    assert list(rows[0]) == ["serial", "code", "label_url", "batch_id", "product_id"]
    for row in rows:
        stamp = decode(KEYS, row["code"])
        assert (stamp.batch, stamp.serial) == (int(shop.batch_id), int(row["serial"]))
        # the sample product has a GTIN: its labels carry the GS1 Digital Link (labels.label_url)
        assert row["label_url"] == f"https://tem.example.vn/01/08930000000019/21/{row['code']}"
        assert row["product_id"] == shop.product_id and row["batch_id"] == shop.batch_id
    assert len({r["code"] for r in rows}) == 1000


def test_given_a_large_batch_then_the_csv_comes_in_pages_linked_to_the_next(shop: Shop):
    big = shop.issue(120_000)
    event = for_batch(shop.event("producer-codes-csv"), big["batch_id"])
    event["queryStringParameters"] = None
    status, headers, body = invoke("producer_api", event)
    assert status == 200
    assert body.count("\n") == 50_001
    assert headers["link"] == f'</batches/{big["batch_id"]}/codes.csv?from=50001>; rel="next"'
    assert headers["x-total-serials"] == "120000"


def test_given_a_range_outside_the_batch_then_400_says_the_valid_range(shop: Shop):
    status, _, body = shop.csv(990, 1001)
    assert status == 400
    assert "1000" in body


def test_given_another_producers_batch_then_it_is_not_found_whatever_the_route(shop: Shop):
    other = Shop(producer_id="tam-hoa")
    status, body = invoke_json("producer_api", for_batch(shop.event("producer-get-batch"), other.batch_id))
    assert status == 404
    status, _, _ = shop.csv(1, 10, batch_id=other.batch_id)
    assert status == 404
    status, _body = shop.activate(1, 10, batch_id=other.batch_id)
    assert status == 404


def test_given_a_non_numeric_batch_id_then_404_not_a_crash(shop: Shop):
    status, body = invoke_json("producer_api", for_batch(shop.event("producer-get-batch"), "abc<script>"))
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_given_a_producer_token_without_producer_id_then_403(aws):
    event = sample("producer-get-batch")
    del event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:producer_id"]
    status, body = invoke_json("producer_api", event)
    assert status == 403
    assert "not linked to a producer" in body["error"]["message"]


# --- activation ---------------------------------------------------------------------------


def test_given_printed_stamps_when_binding_a_range_then_the_batch_shows_it(shop: Shop):
    status, body = shop.activate(1, 400)
    assert status == 201
    assert body["activation"]["lot_id"] == shop.lot["lot_id"]
    status, batch = invoke_json("producer_api", for_batch(shop.event("producer-get-batch"), shop.batch_id))
    assert status == 200 and batch["activated_count"] == 400


def test_given_an_overlapping_range_then_409_names_the_bound_range_and_nothing_changes(shop: Shop):
    shop.activate(100, 200)
    status, body = shop.activate(150, 300)
    assert status == 409
    assert "100–200" in body["error"]["message"]
    _, batch = invoke_json("producer_api", for_batch(shop.event("producer-get-batch"), shop.batch_id))
    assert batch["activations"] == [batch["activations"][0]] and batch["activated_count"] == 101


def test_given_the_same_activation_retried_then_it_succeeds_once(shop: Shop):
    first = shop.activate(1, 50)
    again = shop.activate(1, 50)
    assert first[0] == again[0] == 201
    assert again[1]["batch"]["activated_count"] == 50


def test_given_a_range_beyond_the_batch_or_reversed_then_4xx(shop: Shop):
    status, body = shop.activate(900, 1001)
    assert status == 400 and "1 to 1000" in body["error"]["message"]
    status, body = shop.activate(10, 5)
    assert status == 422 and "last_serial" in body["error"]["details"][0]["problem"]


def test_given_a_lot_of_another_product_then_409(shop: Shop):
    status, other_product = invoke_json(
        "admin_api", with_body(sample("admin-create-product"), producer_id=shop.producer_id, gtin=None)
    )
    assert status == 201
    event = with_body(shop.event("producer-create-lot"), lot_code="OTHER", product_id=other_product["product_id"])
    _, lot = invoke_json("producer_api", event)
    status, body = shop.activate(1, 10, lot_id=lot["lot_id"])
    assert status == 409 and "another product" in body["error"]["message"]


def test_given_concurrent_overlapping_activations_then_exactly_one_wins(shop: Shop):
    lots = [shop.new_lot(f"RACE-{i}") for i in range(6)]
    outcomes: list[int] = []
    lock = threading.Lock()

    def bind(lot_id: str) -> None:
        status, _ = shop.activate(1, 100, lot_id=lot_id)
        with lock:
            outcomes.append(status)

    threads = [threading.Thread(target=bind, args=(lot["lot_id"],)) for lot in lots]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [201] + [409] * 5
    _, batch = invoke_json("producer_api", for_batch(shop.event("producer-get-batch"), shop.batch_id))
    assert len(batch["activations"]) == 1
