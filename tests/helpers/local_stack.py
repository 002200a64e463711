"""The whole local stack in-process, on a random port: moto, tables from the template, the
real handlers behind the local gateway, dev tokens, demo data loaded through the API.

The ``local_stack`` fixture (tests/e2e/conftest.py) starts one per test module with
``start_local_stack``; e2e tests annotate it with ``LocalStack``. As in ``make dev``, the
anomaly detector reads the Scans table's stream in a thread of its own
(``streams.StreamConsumer``); a test that needs it to have seen its scans calls
``LocalStack.catch_up()``, which returns once it has (no sleeps).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocop_local import backend, demo, jobs, server, streams, tokens
from ocop_local.template import load_template


@dataclass
class LocalStack:
    base_url: str
    app: server.LocalGateway
    state_dir: Path
    tokens_file: Path
    summary: demo.DemoSummary
    consumer: streams.StreamConsumer  # the anomaly detector's event source

    def catch_up(self) -> int:
        """Return once the anomaly detector has been handed every scan logged so far."""
        return self.consumer.catch_up()

    @property
    def tokens(self) -> dict[str, str]:
        return json.loads(self.tokens_file.read_text(encoding="utf-8"))

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def invocation_count(self, function_id: str | None = None) -> int:
        counts = self.app.invocations
        return sum(counts.values()) if function_id is None else counts[function_id]

    def url(self, path: str) -> str:
        return self.base_url + path

    def template(self) -> dict[str, Any]:
        return load_template()


@contextmanager
def start_local_stack(state: Path) -> Iterator[LocalStack]:
    """Serve the stack from ``state`` until the block ends, then restore the environment."""
    saved = dict(os.environ)
    for name in backend.endpoint_variables():  # tests always run on moto
        os.environ.pop(name)
    template = load_template()
    try:
        with backend.moto_backend():
            app = server.make_app(template, state_dir=state)
            http = server.new_server(app, "127.0.0.1", 0)
            with server.serving(http) as base_url:
                server.apply_local_environment(server.local_environment(template, base_url, state))
                backend.create_tables(template)
                backend.migrate()  # as `make dev` does on start
                backend.apply_environment(backend.create_alert_resources())
                # print jobs as `make dev` runs them: moto's bucket and queue, the label worker
                # fed by a thread, presigned links served by this server (the console's print pages)
                print_env = backend.create_print_resources(template)
                print_env["OCOP_S3_PRESIGN_ENDPOINT"] = f"{base_url}{jobs.DOWNLOAD_PREFIX}"
                backend.apply_environment(print_env)
                http.app = jobs.with_downloads(app)
                poller = jobs.WorkerPoller(jobs.worker_handler(template), print_env["PRINT_QUEUE_URL"])
                poller.start()
                consumer = streams.StreamConsumer(
                    streams.detector_handler(template),
                    streams.StreamReader(os.environ.get("SCANS_TABLE", "ocop-scans")),
                    os.environ["ANOMALY_DLQ_URL"],
                )
                consumer.start()
                try:
                    tokens_file = tokens.write_dev_tokens(state / tokens.DEV_TOKENS_FILE, state_dir=state)
                    summary = demo.load_demo(app, state_dir=state)
                    yield LocalStack(base_url, app, state, tokens_file, summary, consumer)
                finally:
                    consumer.stop()
                    poller.stop()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        backend.apply_environment({})  # caches and table bindings back to the restored environment


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_banner(proc: subprocess.Popen[str], seconds: float) -> str:
    """What ``python -m ocop_local serve`` printed up to its "Ctrl-C" line (its banner: the
    stack is up), or up to its exit or ``seconds``; a test asserts on "Ctrl-C" in it."""
    assert proc.stdout is not None
    printed = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        printed.append(line)
        if "Ctrl-C" in line:
            break
    return "".join(printed)
