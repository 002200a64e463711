"""Lambda's 6 MB response limit, measured as Lambda measures it, and the pages sized from it:
codes.csv for the longest base URL a deployment may have, scans.csv parts of the longest
reports, and the guard that answers 422 rather than API Gateway's bare 500.
docs/LIMITS.md, "Sizes and pages"."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from helpers.template import TEMPLATE_PATH, cfn
from ocop_stamps.core import limits
from ocop_stamps.issuing.batches import CSV_HEADER, csv_page_rows, csv_row

LIMIT = 6 * 1024 * 1024  # Lambda quotas: "Invocation payload (request and response) 6 MB"


def lambda_bytes(result: Any) -> int:
    """As the Python 3.12 runtime serializes a result (simplejson, ensure_ascii=False)."""
    text = json.dumps(result, ensure_ascii=False)
    return len(text.encode()) + 3 * (text.count("\u2028") + text.count("\u2029"))


@pytest.mark.parametrize(
    ("text", "cost"),
    [
        ("abc", 3),
        ('"', 2),  # escaped
        ("\\", 2),
        ("\r\n", 4),  # every CSV line ending costs 4
        ("\x01", 6),  # \u0001
        ("ệ", 3),  # UTF-8 as is
        ("\u2028", 6),  # simplejson escapes the line separators
        ("😀", 4),
    ],
)
def test_given_text_when_costed_then_it_is_what_it_adds_to_lambdas_payload(text: str, cost: int) -> None:
    assert limits.text_bytes(text) == cost == lambda_bytes({"b": text}) - lambda_bytes({"b": ""})


def test_given_a_result_at_the_limit_then_it_fits_and_one_byte_more_does_not() -> None:
    result: dict[str, Any] = {"statusCode": 200, "headers": {"Content-Type": "text/csv"}, "body": ""}
    result["body"] = "x" * (LIMIT - lambda_bytes(result))
    assert lambda_bytes(result) == LIMIT and limits.fits(result)
    result["body"] += "x"
    assert not limits.fits(result)
    # a body of control characters costs six times its length: the shortcut must not miss it
    result["body"] = "\x01" * (LIMIT // 6)
    assert not limits.fits(result)


def test_given_a_binary_body_then_the_largest_that_fits_is_three_quarters_of_the_budget() -> None:
    import base64

    raw = bytes(limits.binary_budget())
    assert len(base64.b64encode(raw)) <= limits.BODY_BUDGET < len(base64.b64encode(raw + b"123"))


# --- codes.csv --------------------------------------------------------------------------------
def _widest_page(base_url: str, gtin: str | None) -> tuple[int, dict[str, Any], str]:
    """The page of codes.csv with the widest rows a batch can have: a million stamps, the
    highest batch number, a 48-character product id; the response as the handler builds it."""
    batch = SimpleNamespace(size=1_000_000, batch_no=16_777_215, product_id="p" * 48)
    rows = csv_page_rows(batch, base_url, gtin)  # type: ignore[arg-type]
    prefix = f"{base_url}/01/{gtin}/21/" if gtin else f"{base_url}/v/"
    tail = f",{batch.batch_no},{batch.product_id}\r\n"
    first = batch.size - rows + 1
    body = CSV_HEADER + "".join(csv_row(s, "Z" * 16, prefix, tail) for s in range(first, batch.size + 1))
    result = {
        "statusCode": 200,
        "headers": {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="batch-{batch.batch_no}-{first}-{batch.size}.csv"',
            "X-Total-Serials": str(batch.size),
            "Link": f'</batches/{batch.batch_no}/codes.csv?from={first}>; rel="next"',
        },
        "body": body,
        "isBase64Encoded": False,
        "cookies": [],
    }
    return rows, result, csv_row(batch.size, "Z" * 16, prefix, tail)


def test_given_the_longest_base_url_a_deployment_allows_when_a_page_is_sized_then_it_fits_the_limit() -> None:
    longest = int(cfn.load_template(TEMPLATE_PATH)["Parameters"]["PublicBaseUrl"]["MaxLength"])
    base = "https://" + "a" * (longest - len("https://"))
    for gtin in (None, "08930000000019"):
        rows, result, row = _widest_page(base, gtin)
        assert lambda_bytes(result) <= LIMIT
        # and not needlessly small: the page fills the body's budget within a row per 100
        assert limits.text_bytes(result["body"]) > limits.BODY_BUDGET - rows // 100 * limits.text_bytes(row)
        assert rows > 10_000


def test_given_a_44_character_domain_then_the_default_page_is_smaller_than_50000_rows_and_fits() -> None:
    # the case: 50,000 rows were 6.29 MB of body before encoding
    base = "https://truyxuat.ocop-thainguyen.example.com"
    assert len(base) == 44
    rows, result, _ = _widest_page(base, "08930000000019")
    assert rows < 50_000 and lambda_bytes(result) <= LIMIT


# --- scans.csv --------------------------------------------------------------------------------
def test_given_thousands_of_the_longest_reports_when_exported_then_each_part_fits_and_none_is_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ocop_stamps.inspection import queries
    from ocop_stamps.scanning.reports import NOTE_MAX, WHERE_MAX
    from ocop_stamps.storage.models import ScanItem

    # the costliest text a report may carry: 3-byte letters, and quotes (doubled by CSV, escaped by JSON)
    reports = [
        ScanItem(
            "ABCDEFGHJKMNPQRS",
            f"2026-11-23T06:{i // 60 % 60:02d}:{i % 60:02d}.000Z#r{i:010x}",
            scanned_at=f"2026-11-23T06:{i // 60 % 60:02d}:{i % 60:02d}.000Z",
            kind="report",
            verdict="report",
            verdicts=["report"],
            channel="web",
            client_hash=f"{i:024x}",
            report_where="Ự" * WHERE_MAX,
            report_note='"' * NOTE_MAX,
        )
        for i in range(3_000)
    ]

    def query(_f: Any, _s: Any, limit: int, cursor: str | None = None, _route: str = "") -> queries.Page:
        start = int(cursor or 0)
        page = reports[start : start + limit]
        end = start + len(page)
        return queries.Page(page, str(end) if end < len(reports) else None)

    monkeypatch.setattr(queries, "query", query)
    cursor, seen, parts = None, [], 0
    while True:
        chunks, state = queries.export_csv(queries.Filters(), queries.Scope(None), 20_000, cursor)
        body = "".join(chunks)
        parts += 1
        assert limits.text_bytes(body) <= limits.BODY_BUDGET
        lines = body.split("\r\n")[1:-1]
        assert len(lines) == state["rows"]
        seen += [line.split(",")[0] for line in lines]
        cursor = state["next_cursor"]
        if not cursor:
            break
    # ~2.6 KB a row: 3,000 rows (7.7 MB) are two parts, every row once and in order
    assert parts == 2
    assert seen == [r.scanned_at for r in reports]


# --- the guard ----------------------------------------------------------------------------
def test_given_an_answer_lambda_would_refuse_when_it_leaves_a_resolver_then_422_says_to_ask_for_less() -> None:
    from ocop_stamps.api.resolver import within_limit

    too_big = {"statusCode": 200, "headers": {}, "body": "x" * LIMIT, "isBase64Encoded": False}
    answer = within_limit(too_big)
    assert answer["statusCode"] == 422 and lambda_bytes(answer) < 2_000
    error = json.loads(answer["body"])["error"]
    assert error["code"] == "response_too_large"
    assert "6 MB" in error["message"] and "6 MB" in error["message_vi"]
    small = {"statusCode": 200, "headers": {}, "body": "ok", "isBase64Encoded": False}
    assert within_limit(small) is small
