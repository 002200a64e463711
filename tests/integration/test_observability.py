"""Observability (issue 10): one service per function for logs, traces and metrics, taken
from the template; EMF metrics for scans, stamps issued, labels, fallback writes and alerts;
tracing off (and the X-Ray SDK not imported) outside Lambda."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers.handlers import (
    EVENTS,
    FakeContext,
    Shop,
    as_producer,
    for_batch,
    invoke,
    load_handler,
    sample,
    scan,
    with_body,
)
from ocop_local import backend, jobs
from ocop_local import template as cfn
from ocop_stamps import observability
from ocop_stamps.core.settings import Settings, get_settings
from ocop_stamps.storage import repository

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "layers" / "domain"

# Imports a function's app.py as Lambda would and says what observability made of it.
PROBE = """
import importlib.util, json, sys
app = sys.argv[1]
sys.path.insert(0, app.rsplit("/", 1)[0])
spec = importlib.util.spec_from_file_location("app", app)
spec.loader.exec_module(importlib.util.module_from_spec(spec))
from ocop_stamps import observability as o
print(json.dumps({
    "logger": o.logger.service, "metrics": o.metrics.service, "tracer": o.tracer.service,
    "namespace": o.metrics.namespace, "tracing_off": o.tracer.disabled,
    "xray_imported": any(m.split(".")[0] == "aws_xray_sdk" for m in sys.modules),
}))
"""


def _clean_environment() -> dict[str, str]:
    """This process's environment less anything that would decide the answer for the probe."""
    drop = ("POWERTOOLS_", "LAMBDA_", "AWS_LAMBDA_", "_X_AMZN_", "AWS_SAM_", "OCOP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(DOMAIN), os.environ.get("PYTHONPATH", "")) if p)
    env.update({"AWS_DEFAULT_REGION": "ap-southeast-1", "AWS_ACCESS_KEY_ID": "testing"})
    env.update({"AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"})
    return env


def emf(out: str) -> list[dict[str, Any]]:
    """The EMF blobs among printed lines."""
    return [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"_aws"' in line]


def metric(blobs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Blobs that carry metric ``name``, each as {value, dimensions, namespace}."""
    found = []
    for blob in blobs:
        (directive,) = blob["_aws"]["CloudWatchMetrics"]
        if name in [m["Name"] for m in directive["Metrics"]]:
            (dims,) = directive["Dimensions"]
            found.append(
                {"value": blob[name], "dimensions": {d: blob[d] for d in dims}, "namespace": directive["Namespace"]}
            )
    return found


def ours(**dimensions: str) -> dict[str, str]:
    return {"service": observability.logger.service, **dimensions}


NAMESPACE = observability.metrics.namespace  # this process's: the local stack's or the default


# --- one service per function, the template's ---------------------------------------------------
TEMPLATE = cfn.load_template()
FUNCTION_IDS = [k for k, v in TEMPLATE["Resources"].items() if v.get("Type") == cfn.FUNCTION_TYPE]


@pytest.fixture(scope="module")
def probes() -> dict[str, dict[str, Any]]:
    """Every function imported in its own process with its template environment (in parallel)."""
    running = {}
    for function_id in FUNCTION_IDS:
        props = cfn.function_properties(TEMPLATE, function_id)
        app = (ROOT / "infra" / props["CodeUri"]).resolve() / "app.py"
        env = {**_clean_environment(), **cfn.function_environment(TEMPLATE, function_id)}
        running[function_id] = subprocess.Popen(
            [sys.executable, "-c", PROBE, str(app)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    answers = {}
    for function_id, proc in running.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{function_id}: {err[-3000:]}"
        answers[function_id] = json.loads(out.strip().splitlines()[-1])
    return answers


@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_given_a_function_with_its_template_environment_when_imported_then_it_logs_traces_and_counts_as_its_service(
    probes: dict[str, dict[str, Any]], function_id: str
) -> None:
    env = cfn.function_environment(TEMPLATE, function_id)
    seen = probes[function_id]

    assert seen["logger"] == seen["metrics"] == seen["tracer"] == env["POWERTOOLS_SERVICE_NAME"]
    assert seen["namespace"] == env["POWERTOOLS_METRICS_NAMESPACE"] == "OcopStamps"


@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_given_a_function_outside_lambda_when_imported_then_tracing_is_off_and_the_xray_sdk_never_loads(
    probes: dict[str, dict[str, Any]], function_id: str
) -> None:
    assert probes[function_id]["tracing_off"] is True
    assert probes[function_id]["xray_imported"] is False


def test_given_the_code_when_read_then_only_observability_makes_a_logger_tracer_or_metrics() -> None:
    makers = {"Logger", "Tracer", "Metrics"}
    offenders = []
    for path in [*(DOMAIN / "ocop_stamps").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]:
        if path.name == "observability.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in makers:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_given_observability_when_its_imports_are_read_then_it_sits_just_above_core() -> None:
    tree = ast.parse((DOMAIN / "ocop_stamps" / "observability.py").read_text(encoding="utf-8"))
    ours_ = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("ocop")]
    assert ours_ and all(m.startswith("ocop_stamps.core.") for m in ours_)


def test_given_the_settings_when_read_from_an_environment_then_service_namespace_and_tracing_follow_it() -> None:
    lambda_env = {"POWERTOOLS_SERVICE_NAME": "public_scan", "LAMBDA_TASK_ROOT": "/var/task"}

    assert (Settings.from_env({}).service_name, Settings.from_env({}).metrics_namespace) == (
        "ocop_stamps",
        "OcopStamps",
    )
    assert Settings.from_env(lambda_env).service_name == "public_scan"
    assert Settings.from_env(lambda_env).tracing is True
    assert Settings.from_env({}).tracing is False  # not in Lambda
    assert Settings.from_env({**lambda_env, "POWERTOOLS_TRACE_DISABLED": "true"}).tracing is False
    assert Settings.from_env({**lambda_env, "AWS_SAM_LOCAL": "true"}).tracing is False  # sam local: no X-Ray
    assert Settings.from_env({"POWERTOOLS_METRICS_DISABLED": "0"}).metrics_disabled is False


# --- metrics -------------------------------------------------------------------------------------
def test_given_a_stamp_when_scanned_through_the_public_function_then_one_scans_metric_by_verdict(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    capsys.readouterr()

    status, _ = scan(code)
    genuine = metric(emf(capsys.readouterr().out), "Scans")
    scan("ABCD-EFGH-JKMN-PQRS")
    unknown = metric(emf(capsys.readouterr().out), "Scans")

    assert status == 200
    assert genuine == [{"value": [1.0], "dimensions": ours(verdict="genuine"), "namespace": NAMESPACE}]
    assert [m["dimensions"] for m in unknown] == [ours(verdict="unknown")]


def test_given_a_page_shown_again_by_its_view_token_then_no_scan_is_counted(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    _, first = scan(code)
    capsys.readouterr()

    event = sample("public-scan-json", CODE=code)
    event["queryStringParameters"] = {"view": first["view_token"]}
    status, _, _ = invoke("public_scan", event)

    assert status == 200 and metric(emf(capsys.readouterr().out), "Scans") == []


def test_given_a_batch_when_issued_then_stamps_issued_counts_its_size(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()

    shop.issue(250)

    assert metric(emf(capsys.readouterr().out), "StampsIssued") == [
        {"value": [250.0], "dimensions": ours(), "namespace": NAMESPACE}
    ]


def test_given_a_small_print_file_when_rendered_inline_then_labels_rendered_counts_its_labels(
    shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    event = for_batch(as_producer(sample("producer-print-files"), shop.producer_id), shop.batch_id)
    event = with_body(event, format="svg_zip", first_serial=1, last_serial=3)
    capsys.readouterr()

    status, _, _ = invoke("producer_api", event)

    assert status == 200
    assert [m["value"] for m in metric(emf(capsys.readouterr().out), "LabelsRendered")] == [[3.0]]


def test_given_the_log_table_failing_when_scanned_then_a_fallback_write_and_later_a_replay_are_counted(
    shop: Shop, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = backend.create_scan_fallback_queue()["SCAN_FALLBACK_QUEUE_URL"]
    monkeypatch.setenv("SCAN_FALLBACK_QUEUE_URL", queue)
    get_settings.cache_clear()  # a new cold start sees the queue
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    record_scan = repository.record_scan

    def refused(_: Any) -> None:
        raise RuntimeError("injected: the log table refuses")

    monkeypatch.setattr(repository, "record_scan", refused)
    capsys.readouterr()
    scan(code)
    written = emf(capsys.readouterr().out)
    monkeypatch.setattr(repository, "record_scan", record_scan)
    jobs.drain(load_handler("scan_log_drain").lambda_handler, queue, batch_size=10)
    replayed = emf(capsys.readouterr().out)

    assert [m["value"] for m in metric(written, "FallbackWrites")] == [[1.0]]
    assert metric(written, "Scans")[0]["dimensions"] == ours(verdict="genuine")  # answered and counted anyway
    assert [m["value"] for m in metric(replayed, "FallbackReplays")] == [[1.0]]


def test_given_a_recalled_scan_on_the_stream_when_detected_then_alerts_opened_once_by_type(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    event = json.loads((EVENTS / "ddb-stream-scan-insert.json").read_text(encoding="utf-8"))
    handler = load_handler("anomaly_detector").lambda_handler
    capsys.readouterr()

    handler(event, FakeContext())
    first = metric(emf(capsys.readouterr().out), "AlertsOpened")
    handler(event, FakeContext())  # the same record again: no new alert
    again = metric(emf(capsys.readouterr().out), "AlertsOpened")

    assert first == [{"value": [1.0], "dimensions": ours(alert_type="recalled_scanned"), "namespace": NAMESPACE}]
    assert again == []


def test_given_a_count_outside_any_handler_then_it_is_printed_at_once_and_nothing_waits_for_the_next_invocation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()

    observability.count("StampsIssued", 5)
    printed = emf(capsys.readouterr().out)
    event = sample("public-scan-json", CODE="x")
    event.update({"routeKey": "GET /.well-known/gs1resolver", "rawPath": "/.well-known/gs1resolver"})
    event["requestContext"]["http"]["path"] = "/.well-known/gs1resolver"
    status, _, _ = invoke("public_scan", event)
    after = emf(capsys.readouterr().out)

    assert [m["value"] for m in metric(printed, "StampsIssued")] == [[5.0]]
    assert observability.metrics.metric_set == {}  # the handler's batch holds nothing of it
    assert status == 200 and metric(after, "StampsIssued") == []


def test_given_a_metric_that_cannot_be_written_then_the_counted_work_goes_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(**_: Any) -> Any:
        raise ValueError("injected: no metric today")

    monkeypatch.setattr(observability, "single_metric", broken)

    observability.count("Scans", verdict="genuine")  # does not raise

    assert emf(capsys.readouterr().out) == []


# --- tracing in Lambda ---------------------------------------------------------------------------
LAMBDA_PROBE = """
import json, sys
from ocop_local import backend
with backend.moto_backend():
    backend.apply_environment({})
    backend.create_tables()
    from ocop_stamps import observability as o
    from ocop_stamps.storage import repository
    import botocore.client
    batch = repository.get_batch(1)  # a traced call, botocore patched, under the function's segment
    print(json.dumps({
        "provider": type(o.tracer.provider).__module__, "disabled": o.tracer.disabled,
        "wrapped": hasattr(repository.get_batch, "__wrapped__"), "batch": batch,
        "botocore_patched": type(botocore.client.BaseClient._make_api_call).__name__ != "function",
    }))
"""


def test_given_lambda_with_the_xray_sdk_when_a_storage_call_runs_then_it_is_traced_through_xray() -> None:
    if importlib.util.find_spec("aws_xray_sdk") is None:
        pytest.skip("aws-lambda-powertools[tracer] (aws-xray-sdk) is not installed here")
    env = {**_clean_environment(), **backend.base_environment()}
    env.pop("POWERTOOLS_TRACE_DISABLED")
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(ROOT / "infra" / "local")])
    env.update({"LAMBDA_TASK_ROOT": str(ROOT / "functions" / "public_scan"), "AWS_LAMBDA_FUNCTION_NAME": "public_scan"})
    env.update({"POWERTOOLS_SERVICE_NAME": "public_scan", "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR"})
    env["_X_AMZN_TRACE_ID"] = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    env["AWS_XRAY_DAEMON_ADDRESS"] = "127.0.0.1:2000"  # UDP, nothing listens: segments are dropped

    proc = subprocess.run([sys.executable, "-c", LAMBDA_PROBE], env=env, capture_output=True, text=True, timeout=300)

    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {
        "provider": "aws_xray_sdk.core.async_recorder",
        "disabled": False,
        "wrapped": True,
        "batch": None,
        "botocore_patched": True,
    }
