"""The ``ocop-stamps`` CLI (standard library only) against a small stub API on 127.0.0.1.

Every command, its main options and its error paths, at the level a user notices: what is
sent, what lands on stdout (results), stderr (progress and messages) and disk, and the
exit status. The same commands run end to end on the real local stack in
``test_cli_local_stack.py``.
"""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ocop_stamps_cli import main as cli

BOM = "\ufeff".encode()


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # dict/list: sent as JSON; bytes: as they are
    headers: dict[str, str] = field(default_factory=dict)
    ctype: str = "application/json"

    def payload(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body, ensure_ascii=False).encode()


@dataclass
class Seen:
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: Any

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}


Route = Answer | Callable[[Seen], Answer]


class FakeApi:
    """Answers ``(method, path without query)`` with canned answers (or a function of the
    request), records every request, 404s in the API's error shape otherwise."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.seen: list[Seen] = []
        self.url = ""

    def on(self, method: str, path: str, answer: Route) -> None:
        self.routes[(method, path)] = answer

    def sent(self, method: str, route: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.route == route]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                seen = Seen(self.command, self.path, dict(self.headers), body)
                api.seen.append(seen)
                route = api.routes.get((self.command, seen.route))
                if route is None:
                    answer = Answer(
                        404, {"error": {"code": "not_found", "message": "Not here.", "message_vi": "Không."}}
                    )
                else:
                    answer = route(seen) if callable(route) else route
                payload = answer.payload()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.ctype)
                self.send_header("Content-Length", str(len(payload)))
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

        return Handler


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(api: FakeApi | str, *args: str, token: str | None = "T0K") -> Run:
    """``ocop-stamps --api URL [--token T] ARGS``; stdout and stderr captured apart."""
    out, err = io.StringIO(), io.StringIO()
    url = api.url if isinstance(api, FakeApi) else api
    argv = ["--api", url, *(["--token", token] if token else []), *args]
    code = cli.main(argv, out, err)
    return Run(code, out.getvalue(), err.getvalue())


def error(status: int, message: str, message_vi: str = "", **extra: Any) -> Answer:
    return Answer(status, {"error": {"code": "x", "message": message, "message_vi": message_vi, **extra}})


def a_batch_of(size: int) -> Answer:
    return Answer(200, {"batch_id": "7", "size": size, "first_serial": 1, "last_serial": size})


# --- batch -----------------------------------------------------------------------------------
def test_given_a_batch_request_when_sent_twice_then_each_carries_the_token_and_a_fresh_idempotency_key(
    api: FakeApi,
) -> None:
    api.on("POST", "/batches", lambda s: Answer(201, {"batch_id": "7", "size": s.body["size"]}))

    first, second = run(api, "batch", "prod_x", "500"), run(api, "batch", "prod_x", "500")

    posts = api.sent("POST", "/batches")
    keys = [p.headers["Idempotency-Key"] for p in posts]
    assert first.code == second.code == 0
    assert [p.headers["Authorization"] for p in posts] == ["Bearer T0K"] * 2
    assert posts[0].body == {"product_id": "prod_x", "size": 500}
    assert len(set(keys)) == 2 and all(len(k) == 36 for k in keys)
    assert json.loads(first.out) == {"batch_id": "7", "size": 500}  # stdout is the batch, nothing else
    assert keys[0] in first.err


def test_given_a_note_and_a_key_when_a_batch_is_retried_then_both_are_sent_as_given(api: FakeApi) -> None:
    api.on("POST", "/batches", Answer(201, {"batch_id": "7", "size": 10, "note": "Tết"}))

    result = run(api, "batch", "prod_x", "10", "--note", "Tết", "--idempotency-key", "retry-0001")

    sent = api.sent("POST", "/batches")[0]
    assert result.code == 0
    assert sent.body == {"product_id": "prod_x", "size": 10, "note": "Tết"}
    assert sent.headers["Idempotency-Key"] == "retry-0001"
    assert json.loads(result.out)["note"] == "Tết"


# --- print -----------------------------------------------------------------------------------
def test_given_a_small_range_when_printed_then_the_file_is_saved_under_its_served_name(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    api.on("GET", "/batches/7", a_batch_of(1000))
    pdf = Answer(
        200, b"%PDF-1.3 small", headers={"Content-Disposition": 'attachment; filename="b7.pdf"', "X-Label-Count": "10"}
    )
    api.on("POST", "/batches/7/print-files", pdf)

    result = run(api, "print", "7", "--from", "1", "--to", "10", "--preset", "a4-40", "--cut-marks", "--dpi", "600")

    assert result.code == 0
    assert (tmp_path / "b7.pdf").read_bytes() == b"%PDF-1.3 small"
    assert "saved b7.pdf (14 bytes, 10 labels)" in result.out
    assert api.sent("POST", "/batches/7/print-files")[0].body == {
        "format": "pdf",
        "preset": "a4-40",
        "cut_marks": True,
        "dpi": 600,
        "first_serial": 1,
        "last_serial": 10,
    }
    assert list(tmp_path.iterdir()) == [tmp_path / "b7.pdf"]  # no .part left behind


def _job_api(api: FakeApi, *, fail: bool = False) -> None:
    """A 9,000-label job that is done (or failed) on the third poll."""
    polls: list[int] = []

    def job(_: Seen) -> Answer:
        polls.append(1)
        n = len(polls)
        body: dict[str, Any] = {
            "job_id": "pj_1",
            "status": "running" if n < 3 else ("failed" if fail else "done"),
            "labels_done": min(9000, 4500 * (n - 1)),
            "total_labels": 9000,
            "chunks_failed": 1 if fail and n >= 3 else 0,
        }
        if n >= 3 and fail:
            body["failure"] = "chunk 1 failed 3 times"
        elif n >= 3:
            body.update(file_name="batch-7.zip", bytes=5, download_url=f"{api.url}/dl/batch-7.zip?X-Amz-Signature=x")
        return Answer(200, body)

    api.on("POST", "/batches/7/print-files", Answer(202, {"job_id": "pj_1", "total_labels": 9000, "chunks_total": 2}))
    api.on("GET", "/print-jobs/pj_1", job)
    api.on("GET", "/dl/batch-7.zip", Answer(200, b"PK\x05\x06z", ctype="application/zip"))


def test_given_a_large_batch_when_printed_then_the_job_is_polled_with_progress_on_stderr_and_downloaded(
    api: FakeApi, tmp_path: Path
) -> None:
    _job_api(api)
    target = tmp_path / "job.zip"

    result = run(api, "print", "7", "--format", "svg_zip", "--interval", "0", "-o", str(target))

    assert result.code == 0
    assert target.read_bytes() == b"PK\x05\x06z"
    assert "4500/9000 labels" in result.err and "100.0%" in result.err
    assert result.out == f"saved {target} (5 bytes)\n"
    assert "first_serial" not in api.sent("POST", "/batches/7/print-files")[0].body  # the whole batch
    assert api.sent("GET", "/batches/7") == []  # no range given: no size check needed
    download = api.sent("GET", "/dl/batch-7.zip")[0]
    assert "Authorization" not in download.headers  # the presigned link carries its own signature


def test_given_the_readme_example_when_to_is_past_the_batch_end_then_it_says_so_and_prints_nothing(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    api.on("GET", "/batches/7", a_batch_of(1000))

    result = run(api, "print", "7", "--format", "svg_zip", "--from", "1", "--to", "20000")

    assert result.code == 2
    assert "batch 7 has 1000 stamps (serials 1-1000): --to 20000 is past its end" in result.err
    assert api.sent("POST", "/batches/7/print-files") == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "50", "--to", "10"], "--from 50 is after --to 10"),
        (["--from", "0"], "serials start at 1, not 0"),
        (["--to", "ten"], "invalid serial value: 'ten'"),
    ],
    ids=["from-after-to", "from-zero", "not-a-number"],
)
def test_given_a_range_that_cannot_be_when_printed_then_nothing_is_sent(
    api: FakeApi, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    try:
        code = run(api, "print", "7", *args)
        text = code.err
        status = code.code
    except SystemExit as exc:  # argparse refuses the value itself
        status, text = int(exc.code or 0), capsys.readouterr().err

    assert status == 2
    assert message in text
    assert api.seen == []


def test_given_a_job_that_fails_when_printed_then_the_failure_is_shown_and_no_file_is_left(
    api: FakeApi, tmp_path: Path
) -> None:
    _job_api(api, fail=True)
    target = tmp_path / "job.zip"

    result = run(api, "print", "7", "--interval", "0", "-o", str(target))

    assert result.code == 1
    assert "job pj_1 failed: chunk 1 failed 3 times" in result.err
    assert "1 chunk(s) failed" in result.err
    assert not target.exists() and api.sent("GET", "/dl/batch-7.zip") == []


# --- job -------------------------------------------------------------------------------------
def test_given_a_job_id_when_shown_then_its_state_is_printed_as_json(api: FakeApi) -> None:
    _job_api(api)

    result = run(api, "job", "pj_1")

    assert result.code == 0
    assert json.loads(result.out)["labels_done"] == 0
    assert len(api.sent("GET", "/print-jobs/pj_1")) == 1


def test_given_a_job_started_elsewhere_when_waited_for_then_it_is_downloaded_to_the_chosen_file(
    api: FakeApi, tmp_path: Path
) -> None:
    _job_api(api)
    target = tmp_path / "labels.zip"

    result = run(api, "job", "pj_1", "--wait", "--interval", "0", "-o", str(target))

    assert result.code == 0
    assert target.read_bytes() == b"PK\x05\x06z"
    assert len(api.sent("GET", "/print-jobs/pj_1")) == 3
    assert "100.0%" in result.err


def test_given_a_job_waited_for_without_o_then_it_is_saved_under_the_jobs_file_name(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _job_api(api)

    assert run(api, "job", "pj_1", "--wait", "--interval", "0").code == 0

    assert (tmp_path / "batch-7.zip").read_bytes() == b"PK\x05\x06z"


def test_given_someone_elses_job_when_shown_then_the_apis_message_is_printed_in_english_and_vietnamese(
    api: FakeApi,
) -> None:
    api.on("GET", "/print-jobs/pj_nope", error(404, "Print job pj_nope is not one of yours.", "Không phải của bạn."))

    result = run(api, "job", "pj_nope")

    assert result.code == 1
    assert result.err == ("ocop-stamps: HTTP 404: Print job pj_nope is not one of yours.\n  Không phải của bạn.\n")
    assert result.out == ""


# --- csv -------------------------------------------------------------------------------------
HEADER = b"serial,code,label_url,batch_id,product_id\r\n"


def _rows(first: int, last: int) -> bytes:
    return b"".join(f"{n},C{n},https://t/v/C{n},7,p\r\n".encode() for n in range(first, last + 1))


def _csv_api(api: FakeApi, size: int, part: int) -> None:
    """``GET /batches/7/codes.csv`` as the API serves it: ``part`` rows at most, Link to the next."""

    def codes(seen: Seen) -> Answer:
        lo = int(seen.query.get("from", 1))
        hi = int(seen.query.get("to", min(size, lo + part - 1)))
        headers = {
            "Content-Disposition": f'attachment; filename="batch-7-{lo}-{hi}.csv"',
            "X-Total-Serials": str(size),
        }
        if hi < size:
            headers["Link"] = f'</batches/7/codes.csv?from={hi + 1}>; rel="next"'
        return Answer(200, HEADER + _rows(lo, hi), headers, "text/csv; charset=utf-8")

    api.on("GET", "/batches/7/codes.csv", codes)


def test_given_a_batch_when_its_csv_is_downloaded_then_it_is_saved_under_the_served_name(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _csv_api(api, size=5, part=100)

    result = run(api, "csv", "7")

    assert result.code == 0
    assert (tmp_path / "batch-7-1-5.csv").read_bytes() == HEADER + _rows(1, 5)
    assert "5 rows" in result.out
    assert api.sent("GET", "/batches/7/codes.csv")[0].query == {}


def test_given_from_and_to_when_the_csv_is_downloaded_then_only_that_range_is_asked_and_written_to_o(
    api: FakeApi, tmp_path: Path
) -> None:
    _csv_api(api, size=1000, part=100)
    target = tmp_path / "range.csv"

    result = run(api, "csv", "7", "--from", "11", "--to", "20", "-o", str(target))

    assert result.code == 0
    assert target.read_bytes() == HEADER + _rows(11, 20)
    assert [s.query for s in api.sent("GET", "/batches/7/codes.csv")] == [{"from": "11", "to": "20"}]


def test_given_a_batch_larger_than_one_part_when_its_csv_is_downloaded_then_every_part_is_joined_once(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _csv_api(api, size=250, part=100)

    result = run(api, "csv", "7")

    assert result.code == 0
    assert (tmp_path / "batch-7-1-250.csv").read_bytes() == HEADER + _rows(1, 250)  # one header line
    assert [s.query for s in api.sent("GET", "/batches/7/codes.csv")] == [{}, {"from": "101"}, {"from": "201"}]
    assert "250 rows" in result.out and "100.0%" in result.err


def test_given_a_part_that_fails_when_a_csv_is_downloaded_then_no_short_file_is_left(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _csv_api(api, size=250, part=100)
    good = api.routes[("GET", "/batches/7/codes.csv")]
    assert callable(good)
    api.on(
        "GET",
        "/batches/7/codes.csv",
        lambda s: error(503, "Try again.", "Thử lại.") if s.query.get("from") == "201" else good(s),
    )

    result = run(api, "csv", "7")

    assert result.code == 1
    assert "HTTP 503: Try again." in result.err
    assert list(tmp_path.iterdir()) == []


# --- scans (inspectors) ------------------------------------------------------------------------
SCAN = {
    "scanned_at": "2026-11-20T03:04:05Z",
    "verdict": "genuine",
    "code": "ABCD-EFGH-JKMN-PQRS",
    "jurisdiction": "VN-69",
    "lot_id": "lot_1",
    "scan_no": 3,
}


def test_given_filters_when_the_log_is_listed_then_each_becomes_its_query_parameter_and_a_line_per_scan(
    api: FakeApi,
) -> None:
    api.on("GET", "/scans", Answer(200, {"items": [SCAN, {**SCAN, "verdict": "not_activated"}], "next_cursor": None}))

    result = run(
        api,
        "scans",
        *("--code", "ABCD-EFGH-JKMN-PQRS", "--lot", "lot_1", "--batch", "7", "--product", "prod_x"),
        *("--producer", "hoan-hoa", "--province", "Thái Nguyên", "--verdict", "genuine"),
        *("--from", "2026-11-01", "--to", "2026-11-30", "--limit", "20"),
    )

    assert result.code == 0
    assert api.sent("GET", "/scans")[0].query == {
        "code": "ABCD-EFGH-JKMN-PQRS",
        "lot": "lot_1",
        "batch": "7",
        "product": "prod_x",
        "producer": "hoan-hoa",
        "province": "Thái Nguyên",
        "verdict": "genuine",
        "from": "2026-11-01",
        "to": "2026-11-30",
        "limit": "20",
    }
    lines = result.out.splitlines()
    assert len(lines) == 2
    assert lines[0].split() == ["2026-11-20T03:04:05Z", "genuine", "ABCD-EFGH-JKMN-PQRS", "VN-69", "lot=lot_1", "#3"]
    assert "not_activated" in lines[1]


def _paged_scans(api: FakeApi) -> None:
    pages = {None: ([SCAN], "c2"), "c2": ([{**SCAN, "scan_no": 2}], "c3"), "c3": ([{**SCAN, "scan_no": 1}], None)}

    def scans(seen: Seen) -> Answer:
        items, cursor = pages[seen.query.get("cursor")]
        return Answer(200, {"items": items, "next_cursor": cursor})

    api.on("GET", "/scans", scans)


def test_given_more_than_one_page_when_listed_without_all_then_the_first_page_and_a_hint_are_shown(
    api: FakeApi,
) -> None:
    _paged_scans(api)

    result = run(api, "scans", "--lot", "lot_1")

    assert result.code == 0
    assert len(result.out.splitlines()) == 1
    assert "--all" in result.err
    assert len(api.sent("GET", "/scans")) == 1


def test_given_more_than_one_page_when_listed_with_all_then_every_page_is_followed_by_cursor(api: FakeApi) -> None:
    _paged_scans(api)

    result = run(api, "scans", "--lot", "lot_1", "--all")

    assert [line.split()[-1] for line in result.out.splitlines()] == ["#3", "#2", "#1"]
    assert [s.query.get("cursor") for s in api.sent("GET", "/scans")] == [None, "c2", "c3"]
    assert all(s.query["lot"] == "lot_1" for s in api.sent("GET", "/scans"))
    assert result.err == ""


def test_given_no_scans_match_when_listed_then_it_says_so_on_stderr(api: FakeApi) -> None:
    api.on("GET", "/scans", Answer(200, {"items": [], "next_cursor": None}))

    result = run(api, "scans", "--code", "ABCD-EFGH-JKMN-PQRS")

    assert (result.code, result.out, result.err) == (0, "", "(no scans match)\n")


# --- export (inspectors) -----------------------------------------------------------------------
CSV_HEAD = BOM + "scanned_at (thời điểm (UTC)),code (mã tem)\r\n".encode()


def _export_api(api: FakeApi) -> None:
    """``/scans.csv`` in three parts, each with the BOM and header line, linked by cursor."""
    parts = {
        None: (b"t1,A\r\nt2,B\r\n", 2, "k2"),
        "k2": (b"t3,C\r\n", 1, "k3"),
        "k3": (b"t4,D\r\n", 1, None),
    }

    def export(seen: Seen) -> Answer:
        rows, count, cursor = parts[seen.query.get("cursor")]
        headers = {"X-Row-Count": str(count), "Content-Disposition": 'attachment; filename="scans.csv"'}
        if cursor:
            query = "&".join(f"{k}={v}" for k, v in seen.query.items() if k != "cursor")
            headers["Link"] = f'</scans.csv?{query}&cursor={cursor}>; rel="next"'
        return Answer(200, CSV_HEAD + rows, headers, "text/csv; charset=utf-8")

    api.on("GET", "/scans.csv", export)


def test_given_an_export_of_several_parts_when_run_then_one_csv_with_one_bom_and_header_is_written(
    api: FakeApi, tmp_path: Path
) -> None:
    _export_api(api)
    target = tmp_path / "lot.csv"

    result = run(api, "export", "--lot", "lot_1", "--verdict", "genuine", "--from", "2026-11-01", "-o", str(target))

    assert result.code == 0
    assert target.read_bytes() == CSV_HEAD + b"t1,A\r\nt2,B\r\nt3,C\r\nt4,D\r\n"
    assert target.read_bytes().count(BOM) == 1
    queries = [s.query for s in api.sent("GET", "/scans.csv")]
    assert queries[0] == {"lot": "lot_1", "verdict": "genuine", "from": "2026-11-01"}
    assert [q.get("cursor") for q in queries] == [None, "k2", "k3"]
    assert all(q["lot"] == "lot_1" for q in queries)
    assert result.out == f"4 rows -> {target}\n"
    assert "100.0%" in result.err and "4 dòng / rows" in result.err and "\r[" in result.err


def test_given_an_export_without_o_then_it_is_written_to_scans_csv(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _export_api(api)

    assert run(api, "export").code == 0

    assert (tmp_path / "scans.csv").read_bytes().startswith(CSV_HEAD + b"t1,A")


def test_given_an_export_refused_when_run_then_no_file_is_created(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    api.on("GET", "/scans.csv", error(403, "That province is outside your scope.", "Ngoài phạm vi."))

    result = run(api, "export", "--province", "Hà Nội")

    assert result.code == 1
    assert "HTTP 403: That province is outside your scope." in result.err
    assert list(tmp_path.iterdir()) == []


# --- alerts and alert (inspectors) -------------------------------------------------------------
ALERT = {
    "alert_id": "al_1f",
    "status": "open",
    "type": "not_activated_scanned",
    "occurrences": 4,
    "province": "VN-69",
    "province_name": "Thái Nguyên",
    "summary_vi": "Tem chưa kích hoạt bị quét",
}


def test_given_filters_when_alerts_are_listed_then_they_are_sent_and_each_alert_is_one_line(api: FakeApi) -> None:
    api.on("GET", "/alerts", Answer(200, {"items": [ALERT], "next_cursor": None}))

    result = run(api, "alerts", "--status", "acknowledged", "--type", "repeat_24h", "--province", "Thái Nguyên")

    assert result.code == 0
    assert api.sent("GET", "/alerts")[0].query == {
        "status": "acknowledged",
        "type": "repeat_24h",
        "province": "Thái Nguyên",
        "limit": "50",
    }
    assert result.out.split() == [
        "al_1f",
        "open",
        "not_activated_scanned",
        "x4",
        "Thái",
        "Nguyên",
        *"Tem chưa kích hoạt bị quét".split(),
    ]


def test_given_no_filters_when_alerts_are_listed_then_the_open_queue_is_asked(api: FakeApi) -> None:
    api.on("GET", "/alerts", Answer(200, {"items": [], "next_cursor": None}))

    result = run(api, "alerts")

    assert api.sent("GET", "/alerts")[0].query == {"status": "open", "limit": "50"}
    assert (result.code, result.out, result.err) == (0, "", "(no open alerts)\n")


@pytest.mark.parametrize(
    ("action", "note", "status"),
    [("ack", None, "acknowledged"), ("resolve", "Đã xác minh", "resolved"), ("dismiss", "Trùng lặp", "dismissed")],
)
def test_given_an_alert_when_acted_on_then_the_status_and_note_are_sent_and_the_new_status_shown(
    api: FakeApi, action: str, note: str | None, status: str
) -> None:
    api.on("POST", "/alerts/al_1f/status", lambda s: Answer(200, {**ALERT, "status": s.body["status"]}))

    result = run(api, "alert", action, "al_1f", *(["--note", note] if note else []))

    assert result.code == 0
    assert api.sent("POST", "/alerts/al_1f/status")[0].body == {"status": status, **({"note": note} if note else {})}
    assert result.out == f"al_1f: {status}\n"


def test_given_a_resolve_without_note_when_the_api_refuses_then_its_reason_is_shown(api: FakeApi) -> None:
    api.on(
        "POST",
        "/alerts/al_1f/status",
        error(400, "Say why in a note when resolving or dismissing an alert.", "Hãy ghi rõ lý do (note)."),
    )

    result = run(api, "alert", "resolve", "al_1f")

    assert result.code == 1
    assert "HTTP 400: Say why in a note" in result.err and "Hãy ghi rõ lý do" in result.err


# --- what every command shares ------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["batch", "p", "1"],
        ["print", "7"],
        ["job", "pj_1"],
        ["csv", "7"],
        ["scans"],
        ["export"],
        ["alerts"],
        ["alert", "ack", "al_1"],
    ],
    ids=lambda a: a[0],
)
def test_given_no_token_when_any_command_runs_then_it_says_how_to_give_one_and_sends_nothing(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run(api, *args, token=None)

    assert result.code == 2
    assert result.err == "ocop-stamps: no token: pass --token or set OCOP_TOKEN\n"
    assert api.seen == [] and list(tmp_path.iterdir()) == []


def test_given_the_environment_when_no_flags_are_given_then_ocop_api_and_ocop_token_are_used(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.on("GET", "/alerts", Answer(200, {"items": [], "next_cursor": None}))
    monkeypatch.setenv("OCOP_API", api.url + "/")
    monkeypatch.setenv("OCOP_TOKEN", "from-env")

    assert cli.main(["alerts"], io.StringIO(), io.StringIO()) == 0

    assert api.sent("GET", "/alerts")[0].headers["Authorization"] == "Bearer from-env"


def test_given_a_refused_token_when_the_gateway_answers_401_then_the_user_is_told_to_check_the_token(
    api: FakeApi,
) -> None:
    api.on("GET", "/scans", Answer(401, {"message": "Unauthorized"}))

    result = run(api, "scans")

    assert result.code == 1
    assert "HTTP 401: Unauthorized (the token is missing, expired or not valid: check --token / OCOP_TOKEN)" in (
        result.err
    )


def test_given_an_invalid_field_when_the_api_answers_422_then_each_field_and_problem_is_listed(api: FakeApi) -> None:
    details = [{"field": "size", "problem": "Input should be less than or equal to 1000000"}]
    api.on(
        "POST",
        "/batches",
        error(422, "Some fields are missing or invalid: size.", "Trường sai: size.", details=details),
    )

    result = run(api, "batch", "prod_x", "2000000")

    assert result.code == 1
    assert result.err.splitlines() == [
        "ocop-stamps: HTTP 422: Some fields are missing or invalid: size.",
        "  Trường sai: size.",
        "  - size: Input should be less than or equal to 1000000",
    ]


def test_given_an_api_that_is_not_running_when_a_command_runs_then_it_says_it_cannot_reach_it() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = run(f"http://127.0.0.1:{port}", "alerts")

    assert result.code == 1
    assert result.err.startswith(f"ocop-stamps: cannot reach http://127.0.0.1:{port}:")
    assert "Traceback" not in result.err


def test_given_an_api_url_that_is_not_http_when_a_command_runs_then_it_is_refused_as_usage(api: FakeApi) -> None:
    result = run("127.0.0.1:3000", "alerts")

    assert result.code == 2
    assert "must be an http(s) URL" in result.err


def test_given_api_pointing_at_something_else_when_it_answers_html_then_the_user_is_told(api: FakeApi) -> None:
    api.on("GET", "/alerts", Answer(200, b"<html>hello</html>", ctype="text/html"))

    result = run(api, "alerts")

    assert result.code == 1
    assert "not JSON (is --api right?)" in result.err


def test_given_an_output_file_that_cannot_be_written_when_saving_then_the_reason_is_shown_without_a_traceback(
    api: FakeApi, tmp_path: Path
) -> None:
    _csv_api(api, size=5, part=100)

    result = run(api, "csv", "7", "-o", str(tmp_path / "no-such-folder" / "x.csv"))

    assert result.code == 1
    assert "No such file or directory" in result.err and "Traceback" not in result.err
