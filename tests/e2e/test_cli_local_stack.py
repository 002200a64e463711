"""``ocop-stamps`` end to end: the real local stack (gateway, JWT authorizer, handlers, moto)
over real HTTP, with the label worker fed from the queue and presigned downloads served as
``make dev`` serves them, and the anomaly detector fed from the Scans table's stream by the
stack's stream consumer.

One flow per user: a producer (batch, csv, print, job) and an inspector (scans, export,
alerts, alert). The stub-API tests in ``test_cli.py`` cover every option and error path.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ocop_local import backend, jobs, server
from ocop_stamps.printing import jobs as print_jobs
from ocop_stamps.storage import printing as print_store
from ocop_stamps_cli import main as cli

if TYPE_CHECKING:
    from helpers.local_stack import LocalStack


CLI_DIR = Path(__file__).resolve().parents[2] / "cli"
CSV_PART_ROWS = 100  # OCOP_CSV_MAX_ROWS here, so a 300-stamp batch's CSV comes in three parts
CHUNK_LABELS = 25  # OCOP_PRINT_CHUNK_LABELS here, so a 60-label job has three chunks
INLINE_LABELS = 40  # print files above this become a job here (2,000 when deployed)


@dataclass
class Stack:
    api: str  # the gateway plus presigned downloads, as `make dev` serves it
    local: LocalStack

    def token(self, role: str) -> str:
        return self.local.tokens[role]

    def run_detector(self) -> None:
        """Wait until the stack's stream consumer has handed every scan to the detector."""
        self.local.catch_up()

    def scan(self, url: str) -> dict[str, str]:
        """A consumer scans a stamp (JSON answer), over HTTP on the same server."""
        path = url.split("://", 1)[1].split("/", 1)[1]
        req = urllib.request.Request(f"{self.api}/{path}", headers={"Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def stack(local_stack: LocalStack) -> Iterator[Stack]:
    """The module's local stack, plus print jobs, downloads and the anomaly detector."""
    template = local_stack.template()
    env = backend.create_print_resources(template)  # alerts: made by the local stack
    http = server.new_server(jobs.with_downloads(local_stack.app), "127.0.0.1", 0)  # type: ignore[arg-type]
    patch = pytest.MonkeyPatch()
    patch.setattr(print_jobs, "INLINE_MAX_LABELS", INLINE_LABELS)
    with server.serving(http) as api:
        env |= {
            "OCOP_S3_PRESIGN_ENDPOINT": api + jobs.DOWNLOAD_PREFIX,
            "OCOP_PRINT_CHUNK_LABELS": str(CHUNK_LABELS),
            "OCOP_CSV_MAX_ROWS": str(CSV_PART_ROWS),
        }
        backend.apply_environment(env)
        print_store.reset_clients()
        worker = jobs.WorkerPoller(jobs.worker_handler(template), env["PRINT_QUEUE_URL"], interval=0.1)
        worker.start()
        try:
            yield Stack(api, local_stack)
        finally:
            worker.stop()
            patch.undo()
            for name in env:
                os.environ.pop(name, None)
            backend.apply_environment({})
            print_store.reset_clients()


def ocop(stack: Stack, role: str, *args: str) -> Run:
    """``ocop-stamps --api … --token <role's dev token> ARGS``, in this process."""
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--api", stack.api, "--token", stack.token(role), *args], out, err)
    return Run(code, out.getvalue(), err.getvalue())


# --- producers and print shops --------------------------------------------------------------
@pytest.fixture(scope="module")
def batch(stack: Stack) -> dict[str, object]:
    """A 300-stamp batch the demo producer requested with ``ocop-stamps batch``."""
    summary = stack.local.summary
    product = next(p for p, owner in summary.products.items() if owner == summary.producer_id)
    result = ocop(
        stack, "producer", "batch", product, "300", "--note", "In thử CLI", "--idempotency-key", "cli-e2e-0001"
    )
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_given_a_producer_when_a_batch_is_requested_twice_with_one_key_then_one_batch_is_issued(
    stack: Stack, batch: dict[str, object]
) -> None:
    summary = stack.local.summary
    product = next(p for p, owner in summary.products.items() if owner == summary.producer_id)

    again = ocop(
        stack, "producer", "batch", product, "300", "--note", "In thử CLI", "--idempotency-key", "cli-e2e-0001"
    )

    assert batch["size"] == 300 and batch["note"] == "In thử CLI"
    assert again.code == 0 and json.loads(again.out)["batch_id"] == batch["batch_id"]
    assert "cli-e2e-0001" in again.err


def test_given_a_batch_in_parts_when_its_csv_is_downloaded_then_every_serial_is_there_once_under_one_header(
    stack: Stack, batch: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    whole = ocop(stack, "producer", "csv", str(batch["batch_id"]))
    some = ocop(stack, "producer", "csv", str(batch["batch_id"]), "--from", "11", "--to", "20", "-o", "some.csv")

    assert whole.code == 0, whole.err
    lines = (tmp_path / f"batch-{batch['batch_id']}-1-300.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "serial,code,label_url,batch_id,product_id"
    assert [int(line.split(",")[0]) for line in lines[1:]] == list(range(1, 301))
    assert all(line.split(",")[2].endswith(line.split(",")[1]) for line in lines[1:])
    assert some.code == 0, some.err
    assert (tmp_path / "some.csv").read_text(encoding="utf-8").splitlines()[1:] == lines[11:21]


def test_given_a_small_range_when_printed_then_a_pdf_comes_back_at_once(
    stack: Stack, batch: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = ocop(stack, "producer", "print", str(batch["batch_id"]), "--from", "1", "--to", "13", "--cut-marks")

    assert result.code == 0, result.err
    saved = re.search(r"saved (\S+) \(\d+ bytes, 13 labels\)", result.out)
    assert saved, result.out
    assert (tmp_path / saved.group(1)).read_bytes().startswith(b"%PDF")


def test_given_the_readme_example_when_to_is_past_the_batch_end_then_the_cli_says_so(
    stack: Stack, batch: dict[str, object]
) -> None:
    result = ocop(stack, "producer", "print", str(batch["batch_id"]), "--format", "svg_zip", "--to", "20000")

    assert result.code == 2
    assert f"batch {batch['batch_id']} has 300 stamps (serials 1-300): --to 20000 is past its end" in result.err


def test_given_a_large_range_when_printed_then_a_job_runs_and_its_zip_is_downloaded_and_can_be_fetched_again(
    stack: Stack, batch: dict[str, object], tmp_path: Path
) -> None:
    target = tmp_path / "labels.zip"

    printed = ocop(
        stack, "producer", "print", str(batch["batch_id"]), "--format", "svg_zip", "--to", "60", "--interval", "0.1",
        "-o", str(target),
    )  # fmt: skip

    assert printed.code == 0, printed.err
    names = zipfile.ZipFile(target).namelist()
    assert len([n for n in names if n.endswith(".svg")]) == 60 and "manifest.csv" in names
    job_id = re.search(r"job (pj_\w+): 60 labels in 3 chunks", printed.err)
    assert job_id, printed.err
    shown = ocop(stack, "producer", "job", job_id.group(1))
    again = ocop(stack, "producer", "job", job_id.group(1), "--wait", "-o", str(tmp_path / "again.zip"))
    assert json.loads(shown.out)["status"] == "done" and json.loads(shown.out)["labels_done"] == 60
    assert again.code == 0 and (tmp_path / "again.zip").read_bytes() == target.read_bytes()


def test_given_a_job_that_is_not_the_producers_when_shown_then_the_apis_message_is_printed(stack: Stack) -> None:
    result = ocop(stack, "producer", "job", "pj_0000")

    assert result.code == 1
    assert "HTTP 404: Print job pj_0000 is not one of your print jobs." in result.err
    assert "Lệnh in pj_0000 không thuộc các lệnh in của bạn." in result.err


def test_given_an_inspector_token_when_a_producer_command_runs_then_the_refusal_is_printed(
    stack: Stack, batch: dict[str, object]
) -> None:
    result = ocop(stack, "inspector", "csv", str(batch["batch_id"]))

    assert result.code == 1
    assert result.err.startswith("ocop-stamps: HTTP 403: ")


# --- inspectors ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scanned(stack: Stack) -> dict[str, str]:
    """Consumers scanned the demo's genuine stamp twice and a never-activated one once; the
    detector has read the stream. Returns the two codes."""
    stamps = stack.local.summary.stamps
    genuine = stack.scan(stamps["genuine"])
    stack.scan(stamps["genuine"])
    unbound = stack.scan(stamps["not_activated"])
    stack.run_detector()
    return {"genuine": genuine["code"], "not_activated": unbound["code"]}


def test_given_scans_when_an_inspector_lists_the_log_by_code_then_each_scan_is_a_line(
    stack: Stack, scanned: dict[str, str]
) -> None:
    result = ocop(stack, "inspector", "scans", "--code", scanned["genuine"], "--verdict", "genuine")

    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) >= 2
    assert all(scanned["genuine"] in line and " genuine " in line for line in lines)


def test_given_scans_when_an_inspector_exports_them_then_a_csv_with_one_bom_and_a_row_per_scan_is_written(
    stack: Stack, scanned: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "log.csv"
    listed = ocop(stack, "inspector", "scans", "--code", scanned["genuine"], "--limit", "200")

    result = ocop(stack, "inspector", "export", "--code", scanned["genuine"], "-o", str(target))

    assert result.code == 0, result.err
    data = target.read_bytes()
    assert data.startswith("\ufeff".encode()) and data.count("\ufeff".encode()) == 1
    rows = data.decode("utf-8-sig").splitlines()[1:]
    assert len(rows) == len(listed.out.splitlines())
    assert all(scanned["genuine"] in row for row in rows)
    assert result.out == f"{len(rows)} rows -> {target}\n"
    assert "100.0%" in result.err


def test_given_a_never_activated_stamp_scanned_when_the_inspector_works_the_alert_then_it_moves_to_resolved(
    stack: Stack, scanned: dict[str, str]
) -> None:
    listed = ocop(stack, "inspector", "alerts", "--type", "not_activated_scanned")
    assert listed.code == 0, listed.err
    alert_id = listed.out.split()[0]

    unexplained = ocop(stack, "inspector", "alert", "resolve", alert_id)
    acked = ocop(stack, "inspector", "alert", "ack", alert_id, "--note", "Đang xác minh tại cửa hàng")
    in_progress = ocop(stack, "inspector", "alerts", "--status", "acknowledged")
    resolved = ocop(stack, "inspector", "alert", "resolve", alert_id, "--note", "Tem dán nhầm, đã thu hồi")
    too_late = ocop(stack, "inspector", "alert", "dismiss", alert_id, "--note", "x")

    assert alert_id.startswith("al_") and "not_activated_scanned" in listed.out
    assert unexplained.code == 1 and "Say why in a note when resolving or dismissing an alert." in unexplained.err
    assert acked.out == f"{alert_id}: acknowledged\n"
    assert alert_id in in_progress.out
    assert resolved.out == f"{alert_id}: resolved\n"
    assert too_late.code == 1 and "HTTP 409: The alert is resolved; it cannot become dismissed." in too_late.err


def test_given_only_the_standard_library_when_the_cli_runs_as_its_own_program_then_it_reads_the_log(
    stack: Stack, scanned: dict[str, str]
) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(CLI_DIR)}
    env |= {"OCOP_API": stack.api, "OCOP_TOKEN": stack.token("inspector")}

    # -S: no site-packages at all, as on a print shop's machine with nothing but Python
    done = subprocess.run(
        [sys.executable, "-S", "-m", "ocop_stamps_cli", "scans", "--code", scanned["genuine"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert scanned["genuine"] in done.stdout and " genuine " in done.stdout
