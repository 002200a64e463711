"""`make dev` on another DynamoDB-compatible server: moto in server mode, in a process of its
own on 127.0.0.1 (real sockets, its own threads), named by ``AWS_ENDPOINT_URL_DYNAMODB``,
with no AWS credentials anywhere. DynamoDB (and its streams) go to that server; S3, SQS and
SNS stay on the stack's in-process moto. A batch is issued, activated and scanned over
HTTP, some scans at once, and the records are read back from the server itself.
The pieces (endpoint variables, the probe of missing features):
tests/integration/test_other_backends.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from helpers.local_stack import free_port, read_banner

ROOT = Path(__file__).resolve().parents[2]
REGION = "ap-southeast-1"

pytest.importorskip("flask", reason="moto's server mode needs flask: pip install -e '.[dev]'")


def _sample_body(name: str) -> dict[str, Any]:
    return json.loads(json.loads((ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))["body"])


def _wait_for_port(port: int, proc: subprocess.Popen[Any], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def _no_aws_environment(tmp: Path) -> dict[str, str]:
    """This environment without credentials, profiles or endpoint variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_ACCESS_KEY", "AWS_SECRET", "AWS_SESSION", "AWS_PROFILE", "AWS_ENDPOINT_URL"))
    }
    env.update(
        {
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "none"),
            "AWS_CONFIG_FILE": str(tmp / "none"),
            "AWS_DEFAULT_REGION": REGION,
        }
    )
    return env


@pytest.fixture
def dynamodb_server(tmp_path: Path) -> Iterator[str]:
    """moto in server mode, in its own process: the DynamoDB-compatible server."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=_no_aws_environment(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_given_another_dynamodb_when_the_stack_runs_on_it_then_batches_activations_and_scans_work_over_http(
    dynamodb_server: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {**_no_aws_environment(tmp_path), "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_server}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocop_local", "serve", "--port", str(port), "--state-dir", str(tmp_path / "state")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    try:
        banner = read_banner(proc, 120)
        # it started (before: NoCredentialsError on the print bucket), and says where data lives
        assert "Ctrl-C" in banner, banner
        assert f"DYNAMODB at {dynamodb_server}; the rest: moto" in banner
        assert "lacks" not in banner  # moto's server has transactions and streams

        base = f"http://127.0.0.1:{port}"
        tokens = json.loads((tmp_path / "state" / "dev-tokens.json").read_text(encoding="utf-8"))
        producer = {"Authorization": f"Bearer {tokens['producer']}"}
        demo_batch = requests.get(f"{base}/batches/1", headers=producer, timeout=30)
        assert demo_batch.status_code == 200, demo_batch.text  # the demo loaded through the server
        product_id = demo_batch.json()["product_id"]

        lot = requests.post(
            f"{base}/lots",
            json={**_sample_body("producer-create-lot"), "product_id": product_id, "lot_code": "MS-2026-12"},
            headers=producer,
            timeout=30,
        )
        assert lot.status_code == 201, lot.text
        batch = requests.post(
            f"{base}/batches",
            json={"product_id": product_id, "size": 20},
            headers={**producer, "Idempotency-Key": "moto-server-1"},
            timeout=30,
        )
        assert batch.status_code == 201, batch.text
        batch_id = batch.json()["batch_id"]
        activation = requests.post(
            f"{base}/batches/{batch_id}/activations",
            json={"first_serial": 1, "last_serial": 10, "lot_id": lot.json()["lot_id"]},
            headers=producer,
            timeout=30,
        )
        assert activation.status_code == 201, activation.text
        codes_csv = requests.get(f"{base}/batches/{batch_id}/codes.csv", headers=producer, timeout=30)
        codes = [row.split(",")[1] for row in codes_csv.text.splitlines()[1:]]

        # eight scans at once, five of them of the same stamp: every one counted, none lost
        targets = [codes[0]] * 5 + codes[1:4]
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(
                pool.map(
                    lambda code: requests.get(f"{base}/v/{code}", headers={"Accept": "application/json"}, timeout=60),
                    targets,
                )
            )
        assert [a.status_code for a in answers] == [200] * 8
        assert {a.json()["verdict"] for a in answers[5:]} == {"genuine"}
        assert sorted(a.json()["scan"]["count"] for a in answers[:5]) == [1, 2, 3, 4, 5]

        # the records are on the server itself; the print bucket is not (S3 stayed on moto)
        server = {"region_name": REGION, "aws_access_key_id": "x", "aws_secret_access_key": "y"}
        ddb = boto3.client("dynamodb", endpoint_url=dynamodb_server, **server)
        assert {"ocop-catalog", "ocop-stamps", "ocop-scans"} <= set(ddb.list_tables()["TableNames"])
        logged = ddb.query(
            TableName="ocop-scans",
            KeyConditionExpression="code = :c",
            ExpressionAttributeValues={":c": {"S": codes[0]}},
        )["Items"]
        assert len(logged) == 5
        assert boto3.client("s3", endpoint_url=dynamodb_server, **server).list_buckets()["Buckets"] == []
    finally:
        proc.terminate()
        code = proc.wait(timeout=30)
    assert code == 0
