"""The ``ocop-stamps`` CLI (standard library only) against a stub API on 127.0.0.1."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ocop_stamps_cli import main as cli


class Stub(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, dict[str, str], Any]]] = []
    polls = 0

    def log_message(self, *args: Any) -> None:
        pass

    def _send(
        self, status: int, body: bytes, ctype: str = "application/json", extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _record(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        Stub.seen.append((self.command, self.path, dict(self.headers), body))
        return body

    def do_POST(self) -> None:
        body = self._record()
        if self.path == "/batches":
            self._send(201, json.dumps({"batch_id": "7", "size": body["size"]}).encode())
        elif self.path == "/batches/7/print-files" and body.get("last_serial") == 10:
            self._send(
                200, b"%PDF-1.3 small", "application/pdf", {"Content-Disposition": 'attachment; filename="b7.pdf"'}
            )
        elif self.path == "/batches/7/print-files":
            self._send(202, json.dumps({"job_id": "pj_1", "total_labels": 9000, "chunks_total": 2}).encode())
        else:
            self._send(404, json.dumps({"error": {"message": "no", "message_vi": "không"}}).encode())

    def do_GET(self) -> None:
        self._record()
        if self.path == "/print-jobs/pj_1":
            Stub.polls += 1
            done = Stub.polls >= 3
            job = {
                "status": "done" if done else "running",
                "labels_done": 9000 if done else 4500 * (Stub.polls - 1),
                "total_labels": 9000,
                "chunks_failed": 0,
                "file_name": "batch-7.zip",
                "bytes": 5,
                "download_url": f"http://127.0.0.1:{self.server.server_address[1]}/dl/batch-7.zip?X-Amz-Signature=x",
            }
            self._send(200, json.dumps(job).encode())
        elif self.path.startswith("/dl/"):
            self._send(200, b"PK\x05\x06z", "application/zip")
        else:
            self._send(
                404,
                json.dumps({"error": {"message": "Print job x is not one of yours.", "message_vi": "Không."}}).encode(),
            )


@pytest.fixture
def api() -> Iterator[str]:
    Stub.seen, Stub.polls = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_given_a_batch_request_when_sent_then_it_carries_the_token_and_a_fresh_idempotency_key(api: str) -> None:
    out = io.StringIO()
    assert cli.main(["--api", api, "--token", "T0K", "batch", "prod_x", "500"], out) == 0
    assert cli.main(["--api", api, "--token", "T0K", "batch", "prod_x", "500"], out) == 0

    posts = [s for s in Stub.seen if s[1] == "/batches"]
    keys = [s[2]["Idempotency-Key"] for s in posts]
    assert [s[2]["Authorization"] for s in posts] == ["Bearer T0K"] * 2
    assert posts[0][3] == {"product_id": "prod_x", "size": 500}
    assert len(set(keys)) == 2 and all(len(k) == 36 for k in keys)
    assert keys[0] in out.getvalue()


def test_given_a_small_range_when_printed_then_the_file_is_saved_under_its_served_name(
    api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()

    assert cli.main(["--api", api, "print", "7", "--to", "10"], out) == 0

    assert (tmp_path / "b7.pdf").read_bytes() == b"%PDF-1.3 small"


def test_given_a_large_range_when_printed_then_the_job_is_polled_with_progress_and_downloaded(
    api: str, tmp_path: Path
) -> None:
    out = io.StringIO()
    target = tmp_path / "job.zip"

    code = cli.main(
        ["--api", api, "--token", "t", "print", "7", "--format", "svg_zip", "--interval", "0", "-o", str(target)], out
    )

    assert code == 0
    assert target.read_bytes() == b"PK\x05\x06z"
    assert "4500/9000 labels" in out.getvalue() and "100.0%" in out.getvalue()
    download = next(s for s in Stub.seen if s[1].startswith("/dl/"))
    assert "Authorization" not in download[2]  # the presigned link carries its own signature


def test_given_an_api_error_when_shown_then_english_and_vietnamese_are_printed(
    api: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--api", api, "job", "pj_nope"], io.StringIO()) == 1
    err = capsys.readouterr().err
    assert "HTTP 404" in err and "Không." in err
