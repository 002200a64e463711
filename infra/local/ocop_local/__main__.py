"""``python -m ocop_local serve``: the whole API on 127.0.0.1, demo data loaded.
``python -m ocop_local token ROLE``: a local bearer token for curl.
``python -m ocop_local sms TEXT``: a fake inbound SMS through the running stack's gateway route.

    serve [--host 127.0.0.1] [--port 3000] [--no-demo] [--state-dir .local] [--allow-remote] [--processes N]
    token {admin,producer,inspector} [--producer-id ID] [--provinces A,B] [--ttl-seconds N]
    sms TEXT [--url http://127.0.0.1:3000] [--from 0912345678] [--message-id ID] [--form] [--json]
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from ocop_stamps.core.vocabulary import VERDICT_LABELS

from . import backend, demo, jobs, server, streams, tokens
from .template import Route, http_routes, load_template

# Worker processes of `serve` when not given: 0, the one-process stack, which starts in about
# half the time (the tests' and scripts' mode); `make dev` asks for 2, the mode that scales
# (docs/PERFORMANCE.md, "Issue 16": the figures that chose both).
DEFAULT_PROCESSES = 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(path: Path) -> str:
    """A path as short as it can be for copy and paste: relative to here when inside."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def banner(
    base_url: str,
    routes: Sequence[Route],
    tokens_file: Path,
    summary: demo.DemoSummary | None,
    data_backend: str,
) -> str:
    tok = _shown(tokens_file)
    default_state = tokens.default_state_dir().resolve()
    state_arg = "" if tokens_file.parent.resolve() == default_state else f" --state-dir {_shown(tokens_file.parent)}"
    lines = [
        "",
        "OCOP tem truy xuất — máy chủ cục bộ / local stack",
        f"  Địa chỉ / Base URL:     {base_url}",
        f"  Dữ liệu / Data:         {data_backend}",
        "",
        "Tuyến / Routes (infra/template.yaml):",
    ]
    for r in routes:
        access = "JWT" if r.authorized else "public"
        lines.append(f"  {r.method:<5} {r.path:<36} {access:<7} {r.function_id}")
    lines.append("")
    if summary is not None:
        labels = {verdict.value: f"{vi} / {en}" for verdict, (vi, en) in VERDICT_LABELS.items()}
        labels["mistyped"] = "gõ sai mã / mistyped"  # a demo stamp whose code is mistyped on purpose
        labels["before_2025"] = "lô trước 1/7/2025 / lot made before 1 July 2025"  # the address shown both ways
        lines.append("Thử quét tem / Try a stamp (trình duyệt / browser, or add -H 'Accept: application/json'):")
        for kind, url in summary.stamps.items():
            lines.append(f"  {labels.get(kind, kind):<32} {url}")
        owners: dict[str, list[str]] = {}
        for batch_id, owner in summary.batches.items():  # each batch under the producer that owns it
            owners.setdefault(owner, []).append(batch_id)
        for owner, ids in owners.items():
            lines.append(f"  Đợt tem / Batches of {owner}: {', '.join(ids)}")
        lines.append(f"  (producer token: {summary.producer_id})")
        if summary.reused:
            lines.append("  (dữ liệu demo đã có sẵn / demo data was already there)")
        lines.append("")
    else:
        lines += ["Không nạp dữ liệu demo / no demo data (--no-demo).", ""]
    first_batch = next(iter(summary.batches), "1") if summary else "1"
    py_token = f'python3 -c \'import json; print(json.load(open("{tok}"))["producer"])\''
    lines += [
        f"Mã xác thực / Tokens: {tok}  (admin, producer, inspector; 30 ngày / days)",
        f'  curl -H "Authorization: Bearer $(jq -r .producer {tok})" {base_url}/batches/{first_batch}',
        "  không có jq / without jq:",
        f'  curl -H "Authorization: Bearer $({py_token})" {base_url}/batches/{first_batch}',
        f"  token khác / another token: .venv/bin/python -m ocop_local token producer --producer-id tam-hoa{state_arg}",
        f"Tài liệu API / API docs: {base_url}/docs/producer  {base_url}/docs/admin  {base_url}/docs/inspector",
        f"Bảng điều khiển / Console: {base_url}/console  (đăng nhập bằng người dùng mẫu / sign in as a demo user)",
        "",
        "Dừng / Stop: Ctrl-C",
        "",
    ]
    return "\n".join(lines)


def _stop_on_sigterm() -> None:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def serve(args: argparse.Namespace) -> int:
    if not _is_loopback(args.host) and not args.allow_remote:
        print(
            f"Từ chối / refused: --host {args.host} is not a loopback address. The local stack has demo "
            "tokens and no real authentication; add --allow-remote if you really mean it.",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("ocop_local").setLevel(logging.INFO)
    state_dir = Path(args.state_dir) if args.state_dir else tokens.default_state_dir()
    template = load_template()
    routes = http_routes(template)
    data_backend = backend.describe_backends()
    _stop_on_sigterm()
    if args.processes > 0:
        return _serve_processes(args, state_dir, template, routes, data_backend)
    with backend.moto_backend():
        # Bound before the demo loads, so a busy port fails at once (werkzeug says so and exits 1).
        http = server.new_server(_Placeholder(), args.host, args.port)  # type: ignore[arg-type]
        base_url = server.base_url_of(http)
        try:
            env = server.local_environment(template, base_url, state_dir)
            server.apply_local_environment(env)
            app = server.make_app(template, state_dir=state_dir)
            http.app = app
            lacking = _make_resources(template, base_url)
            if lacking is None:
                return 2
            # the label worker's, the drain's and the anomaly detector's own handlers, here
            http.app = _start_event_sources(
                app,
                lacking,
                worker=jobs.worker_handler(template),
                drain=jobs.worker_handler(template, "ScanLogDrainFunction"),
                detector=lambda: streams.detector_handler(template),
            )
            _serve(args, http, app, base_url, routes, state_dir, data_backend)
        except KeyboardInterrupt:
            pass
        finally:
            http.server_close()
    print("\nĐã dừng / stopped.", flush=True)
    return 0


def _serve_processes(
    args: argparse.Namespace, state_dir: Path, template: dict[str, Any], routes: list[Route], data_backend: str
) -> int:
    """``serve`` with moto in a process of its own and the functions in ``args.processes``
    worker processes (``processes.py``); every child is stopped on the way out."""
    from . import processes

    moto = processes.MotoServer(processes.MOTO_INIT)
    pool: processes.WorkerPool | None = None
    http = None
    try:
        moto_url = moto.start()
        data_backend = data_backend.replace("moto (", f"moto at {moto_url}, {args.processes} worker processes (", 1)
        http = server.new_server(_Placeholder(), args.host, args.port)  # type: ignore[arg-type]
        base_url = server.base_url_of(http)
        env = server.local_environment(template, base_url, state_dir)  # credentials decided before the endpoint
        server.apply_local_environment({**env, **processes.moto_environment(moto)})
        pool = processes.WorkerPool(args.processes, os.environ)  # they import the handlers meanwhile
        app = processes.make_app(template, pool, state_dir=state_dir)
        http.app = app
        lacking = _make_resources(template, base_url)
        if lacking is None:
            return 2
        pool.configure(os.environ)
        http.app = _start_event_sources(
            app,
            lacking,
            worker=pool.handler(jobs.WORKER_ID),
            drain=pool.handler("ScanLogDrainFunction"),
            detector=lambda: pool.handler(streams.DETECTOR_ID),
        )
        _serve(args, http, app, base_url, routes, state_dir, data_backend)
    except KeyboardInterrupt:
        pass
    finally:
        if http is not None:
            http.server_close()
        if pool is not None:
            pool.stop()
        moto.stop()
    print("\nĐã dừng / stopped.", flush=True)
    return 0


def _make_resources(template: dict[str, Any], base_url: str) -> set[str] | None:
    """Tables, buckets, queues and the alerts topic, their names applied to the environment;
    returns the features the DynamoDB in use lacks (``backend.FEATURES``), or ``None`` (said on
    stderr) if it cannot run the stack."""
    where = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL") or "moto"
    try:
        backend.create_tables(template)
    except Exception as exc:  # unreachable, refused, or no such API: say so in one line
        print(f"DynamoDB at {where}: cannot create the tables ({exc})", file=sys.stderr, flush=True)
        return None
    missing = backend.probe_dynamodb()
    if missing:  # named now, in one line, rather than found later as a 500
        print(backend.lacking_line(missing, f"DynamoDB at {where}"), file=sys.stderr, flush=True)
        if any(backend.FEATURES[name][1] for name in missing):
            return None
    migrated = backend.migrate()  # records of an earlier run (a persistent endpoint) in today's shape
    if migrated["written"] or migrated["conflicts"] or migrated["scans_home_province"]["updated"]:
        print(f"Di chuyển dữ liệu / migration: {migrated}", flush=True)
    # print jobs: moto bucket and queues, presigned links served by this server
    made = backend.create_print_resources(template)
    made["OCOP_S3_PRESIGN_ENDPOINT"] = f"{base_url}{jobs.DOWNLOAD_PREFIX}"
    # inspectors (issue 6): the alerts topic, and the detector's dead-letter queue
    made.update(backend.create_alert_resources())
    # scans DynamoDB refused: queued by the public function, written by the drain
    made.update(backend.create_scan_fallback_queue(template))
    server.apply_local_environment({**os.environ, **made})
    return set(missing)


def _start_event_sources(
    app: Any,
    lacking: set[str],
    *,
    worker: Any,
    drain: Any,
    detector: Any,
) -> Any:
    """The label worker fed from its queue, the scan-log drain from the fallback queue, and the
    anomaly detector from the Scans table's stream (off the request path, a thread of its own);
    returns the WSGI app with presigned downloads and ``POST /_local/streams/catch-up``."""
    wsgi = jobs.with_downloads(app)
    jobs.WorkerPoller(worker, os.environ["PRINT_QUEUE_URL"]).start()
    if "streams" not in lacking:
        consumer = streams.StreamConsumer(
            detector(),
            streams.StreamReader(os.environ.get("SCANS_TABLE", "ocop-scans")),
            os.environ["ANOMALY_DLQ_URL"],
        )
        consumer.start()
        wsgi = streams.with_catch_up(wsgi, consumer)
    jobs.WorkerPoller(drain, os.environ["SCAN_FALLBACK_QUEUE_URL"]).start()
    return wsgi


def _serve(
    args: argparse.Namespace,
    http: Any,
    app: Any,
    base_url: str,
    routes: list[Route],
    state_dir: Path,
    data_backend: str,
) -> None:
    """Dev tokens, the demo (through ``app``), the banner; then serve until Ctrl-C or SIGTERM."""
    tokens_file = tokens.write_dev_tokens(state_dir / tokens.DEV_TOKENS_FILE, state_dir=state_dir)
    summary = None if args.no_demo else demo.load_demo(app, state_dir=state_dir)
    print(banner(base_url, routes, tokens_file, summary, data_backend), flush=True)
    http.serve_forever()  # returns on Ctrl-C or SIGTERM (werkzeug swallows the interrupt)


class _Placeholder:
    """The app until the real one is in place. The socket is bound before the demo loads but
    nothing is accepted until ``serve_forever``: early requests wait, then meet the real app."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("503 Service Unavailable", [("Content-Type", "application/json")])
        return [b'{"message":"Service Unavailable"}']


def token(args: argparse.Namespace) -> int:
    producer_id = args.producer_id
    provinces = [p for p in (args.provinces or "").split(",") if p.strip()]
    if args.role == "producer" and not producer_id:
        producer_id = demo.DEMO_PRODUCER
        print(f"(--producer-id not given: using the demo producer {producer_id})", file=sys.stderr)
    if args.role == "inspector" and not provinces:
        provinces = demo.demo_provinces()
    print(
        tokens.issue_token(
            args.role,
            producer_id=producer_id,
            provinces=provinces,
            ttl_seconds=args.ttl_seconds,
            state_dir=args.state_dir,
        )
    )
    return 0


def sms(args: argparse.Namespace) -> int:
    """Send ``args.text`` as a telco gateway would (docs/SMS.md): POST /sms/inbound over HTTP with
    the local gateway secret; print the reply (or, with --json, the whole answer)."""
    import json
    import secrets
    import urllib.error
    import urllib.parse
    import urllib.request

    state_dir = Path(args.state_dir) if args.state_dir else tokens.default_state_dir()
    secret_file = backend.sms_secret_file(state_dir)
    if not secret_file.exists():
        print(f"no {_shown(secret_file)}: start the stack first (make dev)", file=sys.stderr)
        return 2
    secret = json.loads(secret_file.read_text(encoding="utf-8"))["current"]
    message_id = args.message_id or "SM" + secrets.token_hex(16)
    if args.form:  # Twilio's shape
        fields = {"From": args.sender, "To": args.to, "Body": args.text, "MessageSid": message_id}
        data, kind = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    else:
        fields = {"from": args.sender, "to": args.to, "text": args.text, "message_id": message_id}
        data, kind = json.dumps(fields, ensure_ascii=False).encode(), "application/json"
    if not args.url.startswith(("http://", "https://")):
        print(f"--url must be an http(s) URL, not {args.url!r}", file=sys.stderr)
        return 2
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        args.url.rstrip("/") + "/sms/inbound",
        data=data,
        method="POST",
        headers={"Content-Type": kind, "Accept": "application/json", "X-Gateway-Secret": secret},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http(s) only
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read().decode()
    except urllib.error.URLError as exc:
        print(f"cannot reach {args.url}: {exc.reason} (is the stack running? make dev)", file=sys.stderr)
        return 2
    if args.json or status != 200:
        print(body)
        return 0 if status == 200 else 1
    print(json.loads(body)["reply"])
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ocop_local", description="The OCOP stamps local stack.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the template's HTTP API on 127.0.0.1 with demo data")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=3000)
    s.add_argument("--no-demo", action="store_true", help="start with empty tables")
    s.add_argument("--state-dir", default=None, help="keys and tokens (default: .local at the repository root)")
    s.add_argument("--allow-remote", action="store_true", help="allow a host that is not loopback")
    s.add_argument(
        "--processes",
        type=int,
        default=DEFAULT_PROCESSES,
        help="worker processes for the functions, moto in a process of its own (0: all in this process)",
    )
    s.set_defaults(func=serve)
    t = sub.add_parser("token", help="print a bearer token signed with the local key")
    t.add_argument("role", choices=tokens.ROLES)
    t.add_argument("--producer-id", default=None)
    t.add_argument("--provinces", default=None, help="comma-separated, for an inspector")
    t.add_argument("--ttl-seconds", type=int, default=tokens.DEV_TTL_SECONDS)
    t.add_argument("--state-dir", default=None)
    t.set_defaults(func=token)
    m = sub.add_parser("sms", help="send a fake inbound SMS to the running stack and print the reply")
    m.add_argument("text", help='the message, e.g. "OCOP ABCD-EFGH-JKMN-PQRS 123456"')
    m.add_argument("--url", default="http://127.0.0.1:3000", help="the local stack's base URL")
    m.add_argument("--from", dest="sender", default="0912345678", help="the sender's number (only its hash is kept)")
    m.add_argument("--to", default="8055", help="the service's number (not used)")
    m.add_argument("--message-id", default=None, help="the gateway's id (default: a new one; repeat one to retry)")
    m.add_argument("--form", action="store_true", help="send Twilio's form-encoded shape instead of JSON")
    m.add_argument("--json", action="store_true", help="print the whole JSON answer")
    m.add_argument("--state-dir", default=None, help="where the local secrets are (default: .local)")
    m.set_defaults(func=sms)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
