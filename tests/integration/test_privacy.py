"""No raw IP address, full user agent, token or secret is stored or logged."""

from __future__ import annotations

import boto3

from helpers.handlers import TEST_KEYS, Shop, invoke, sample, scan

UA = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
)
TOKEN = "eyJhbGciOiJSUzI1NiJ9.secret-token-payload.signature"


def _everything_stored() -> str:
    client = boto3.client("dynamodb")
    dump = []
    for table in client.list_tables()["TableNames"]:
        dump.append(str(client.scan(TableName=table)["Items"]))
    return "\n".join(dump)


def test_given_a_full_run_then_no_table_holds_a_raw_ip_or_user_agent(shop: Shop):
    shop.activate(1, 20)
    for code in shop.codes(1, 5):
        scan(code, headers={"x-forwarded-for": "198.51.100.23, 203.0.113.7"})
    scan("ABCD-EFGH-JKMN-PQRS")
    stored = _everything_stored()
    assert "203.0.113.7" not in stored and "198.51.100.23" not in stored
    assert UA not in stored and "SM-A145F" not in stored
    assert "chrome-mobile" in stored  # only the family is kept


def test_given_requests_with_tokens_then_logs_carry_no_token_ip_or_secret(shop: Shop, capsys):
    capsys.readouterr()
    code = shop.codes(1, 1)[0]
    event = sample("public-scan-json", CODE=code)
    event["headers"]["authorization"] = f"Bearer {TOKEN}"
    invoke("public_scan", event)
    event = sample("producer-get-batch")
    event["headers"]["authorization"] = f"Bearer {TOKEN}"
    event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:producer_id"] = shop.producer_id
    invoke("producer_api", event)
    broken = sample("producer-get-batch")
    broken["headers"]["authorization"] = f"Bearer {TOKEN}"
    del broken["requestContext"]["authorizer"]
    invoke("producer_api", broken)
    out = capsys.readouterr()
    logs = out.out + out.err
    assert TOKEN not in logs
    assert "203.0.113.7" not in logs
    assert TEST_KEYS.split('"')[3] not in logs  # the code key
