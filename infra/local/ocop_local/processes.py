"""The local stack on several processes (``serve --processes N``): Lambda's shape, on one machine.

In one process (``--processes 0``) the gateway, every function, the anomaly detector and moto
share one interpreter, hence one core (the GIL): 8 clients get what 1 gets
(docs/PERFORMANCE.md, "Issue 16"). With ``--processes N``:

* **moto is served once over loopback** (``MotoServer``): a process of its own on 127.0.0.1 at
  a free port, the one AWS back end of every other process (``AWS_ENDPOINT_URL``; a service
  another ``AWS_ENDPOINT_URL_<SERVICE>`` moves stays where it was moved, docs/OPERATIONS.md).
  Its requests are taken one at a time (``backend._MOTO_LOCK``, the request path's first), and
  moto is lightened *in that process* exactly as in one (``backend.lighter_moto``: journaled
  transactions, key Queries that read one partition, ...): the cost of a scan stays flat as
  the tables grow. The workers' DynamoDB and Streams requests do not take HTTP: they go over
  an authenticated ``multiprocessing`` connection to that process (``_through_pipe``,
  ``PIPE_VARIABLE``), each marked as the request path's or the background's.
* **the functions run in N worker processes** (``WorkerPool``), each importing every handler,
  like Lambda's concurrent execution environments: the gateway (this process) routes,
  authorizes and builds the event, then hands it to the least busy worker, which runs it in
  one of its function's environments (``server.LocalFunction``: the function's and the
  integration's timeouts are kept there) and sends the proxy result back over a pipe.
* the **stream consumer** stays one thread of this process, reading the Scans table's stream
  from moto and handing each batch, in order, to the detector in a worker (one batch at a
  time, so each code's scans are still seen in order); the queue pollers likewise hand the
  label worker's and the scan-log drain's events to the workers.

Every process listens on 127.0.0.1 only, and every child ends with its parent: on ``stop()``,
and, if the parent is killed, when the pipe to it closes (each child watches it).
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import multiprocessing
import os
import pickle
import re
import secrets
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from http import HTTPStatus
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, answer_challenge, deliver_challenge
from typing import Any
from urllib.parse import urlsplit

from . import backend, server
from .template import default_template_path, edge, function_properties, http_routes, load_template

log = logging.getLogger("ocop_local.processes")

# Queue- and stream-fed functions the workers also run (their handlers loaded on first use).
EVENT_FUNCTIONS = ("AnomalyDetectorFunction", "LabelWorkerFunction", "ScanLogDrainFunction")
# Execution environments per function in each worker: the pool as a whole has what one process
# has (server.LOCAL_CONCURRENCY) with 2 workers. Threads of one process share its core, so more
# would only add cold starts (each environment makes its own botocore session).
WORKER_CONCURRENCY = 4
START_SECONDS = 180.0  # a child that is not ready by then is a failed start
# A hook run in moto's process before it serves: given moto's WSGI app, it returns the app to
# serve (tests/perf/load.py adds its prefill there). None: moto's app as it is.
MotoInit = Callable[[Callable[..., Any]], Callable[..., Any]]
MOTO_INIT: MotoInit | None = None  # set by a script before ``serve`` (it must be picklable)
_CONTEXT = multiprocessing.get_context("spawn")  # a clean interpreter: no threads, no moto mock


def _name_process(name: str) -> None:
    """What ``ps -o comm`` and ``top`` show for this process (Linux; elsewhere nothing)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def _watch_parent(conn: Connection, on_gone: Callable[[], None]) -> None:
    """In a child: call ``on_gone`` when the parent says stop, or its end of ``conn`` closes
    (it exited, or was killed)."""

    def watch() -> None:
        try:
            conn.recv()
        except (EOFError, OSError):
            pass
        on_gone()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


# --- moto, served once -----------------------------------------------------------------------
def _serve_moto(conn: Connection, init: MotoInit | None) -> None:
    """The child's body: moto's server app, one request at a time, on 127.0.0.1:free port."""
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal: the parent stops us
    _name_process("ocop-moto")
    backend.lighter_moto()
    moto_app = DomainDispatcherApplication(create_backend_app)

    def one_at_a_time(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with backend._MOTO_LOCK:  # moto is not thread-safe; the journal needs it (backend.py)
            answer = _as_in_process(environ)
            if answer is None:
                return list(moto_app(environ, start_response))
        status, headers, body = answer
        start_response(f"{status} {HTTPStatus(status).phrase}", [(k, str(v)) for k, v in headers.items()])
        return [body.encode() if isinstance(body, str) else body]

    app = init(one_at_a_time) if init is not None else one_at_a_time
    http = make_server("127.0.0.1", 0, app, threaded=True, request_handler=server.QuietRequestHandler)
    key = secrets.token_bytes(32)
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=_serve_pipe, args=(listener, key), name="moto-pipe", daemon=True).start()
    conn.send((http.port, listener.getsockname()[:2], key.hex()))
    _watch_parent(conn, lambda: os._exit(0))
    http.serve_forever()


# --- DynamoDB over a pipe ----------------------------------------------------------------------
# The workers' DynamoDB and DynamoDB Streams requests -- every request of a scan and of the
# anomaly detector -- reach moto's process over a ``multiprocessing`` connection instead of
# HTTP: the request as botocore signed it, answered by moto's in-process path under the lock,
# as ``_as_in_process`` answers it over HTTP. Werkzeug's HTTP parsing and urllib3's were about a
# third of the stack's CPU per scan (issue 16). Every other service still goes over HTTP.
PIPE_VARIABLE = "OCOP_LOCAL_MOTO_PIPE"  # JSON: moto's url, the listener's address and key


def _serve_pipe(listener: socket.socket, key: bytes) -> None:
    """moto's process: one thread per connection, which first checks the client's key (as
    ``multiprocessing.connection.Listener`` does, but in that thread: a handshake in the accept
    loop made every other connection wait, a second and more when moto was busy), then answers
    each request under ``_MOTO_LOCK``, a background one's (``backend.in_background`` in the
    worker's thread: an event-fed function's) after the request path's."""

    def serve(sock: socket.socket) -> None:
        pipe = Connection(os.dup(sock.fileno()))
        # a client that never completes the handshake is cut off (shutdown wakes the read)
        cut = threading.Timer(HANDSHAKE_SECONDS, _shut, args=(sock,))
        cut.start()
        try:
            deliver_challenge(pipe, key)
            answer_challenge(pipe, key)
            cut.cancel()
            sock.close()  # the connection stays open on ``pipe``'s own descriptor
            while True:
                method, url, headers, body, background = pickle.loads(pipe.recv_bytes())  # noqa: S301 -- a peer that proved the key
                try:
                    with backend._MOTO_LOCK.held(background):
                        answered = _in_process(method, url, headers, body)
                except Exception as exc:  # moto failed: a 500 the client retries, as over HTTP
                    log.exception("moto failed on a request over the pipe")
                    answered = (500, {"Content-Type": "application/x-amz-json-1.0"}, _internal_error(exc))
                status, answer_headers, answer = answered or (400, {}, b'{"__type":"UnknownOperationException"}')
                data = answer.encode() if isinstance(answer, str) else answer
                pipe.send_bytes(pickle.dumps((status, dict(answer_headers), data)))
        except (EOFError, OSError, AuthenticationError):  # the client ended, was cut off, or had not the key
            pass
        finally:
            cut.cancel()
            sock.close()
            pipe.close()

    while True:
        try:
            sock, _ = listener.accept()
        except OSError:  # out of descriptors, say: the next client may fare better
            threading.Event().wait(0.1)
            continue
        threading.Thread(target=serve, args=(sock,), name="moto-pipe-conn", daemon=True).start()


HANDSHAKE_SECONDS = 10.0  # a client of the pipe has this long to prove it holds the key


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed
        pass


def _internal_error(exc: Exception) -> bytes:
    return json.dumps(
        {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": f"moto: {type(exc).__name__}"}
    ).encode()


class _RawBody(io.BytesIO):
    """An answer's body as botocore reads a raw HTTP response (``stream``)."""

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


_pipes = threading.local()


def _through_pipe(moto_url: str, address: tuple[str, int], key: bytes) -> Callable[..., Any]:
    """A botocore ``before-send`` handler: a DynamoDB or Streams request for moto's url, sent
    over this thread's connection to moto's process; None (send it as usual) for any other."""
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import ConnectionClosedError

    def forward(request: Any, **_kwargs: Any) -> Any:
        if not (request.url == moto_url or request.url.startswith(moto_url + "/")):
            return None  # another endpoint (or port 39175 when moto is on 3917)
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        host = _aws_host(headers.get("X-Amz-Target", ""), headers.get("Authorization", ""))
        if host is None:
            return None
        headers["Host"] = host
        body = request.body
        body = body.encode() if isinstance(body, str) else (body.read() if hasattr(body, "read") else body or b"")
        path = urlsplit(request.url).path or "/"
        pipe = getattr(_pipes, "conn", None)
        try:
            if pipe is None:
                pipe = _pipes.conn = Client(address, authkey=key)
            # bytes pickled here, not ``send``/``recv``: those pickle into a BytesIO whose buffer a
            # failed write's traceback kept exported, and CPython 3.12 crashed freeing it
            message = (request.method, f"https://{host}{path}", headers, body, backend.in_background())
            pipe.send_bytes(pickle.dumps(message))
            status, answer_headers, answer = pickle.loads(pipe.recv_bytes())  # noqa: S301 -- moto, which proved the key
        except (OSError, EOFError):
            broken = True
        else:
            broken = False
        if broken:
            # a broken connection is dropped (the next request makes a new one), and botocore
            # is told what it would be told of a dropped HTTP connection: it retries
            _pipes.conn = None
            if pipe is not None:
                pipe.close()
            raise ConnectionClosedError(endpoint_url=request.url)
        return AWSResponse(request.url, status, answer_headers, _RawBody(answer))

    return forward


def _use_pipe(environ: Mapping[str, str]) -> None:
    """In a worker, before any botocore session exists: DynamoDB's requests for moto go over the
    pipe (``PIPE_VARIABLE``); nothing changes when the variable is absent."""
    import botocore.handlers

    given = environ.get(PIPE_VARIABLE)
    if not given:
        return
    pipe = json.loads(given)
    handler = _through_pipe(pipe["url"], (pipe["host"], int(pipe["port"])), bytes.fromhex(pipe["key"]))
    botocore.handlers.BUILTIN_HANDLERS.append(("before-send", handler))


# Services answered as moto answers them in one process (``_as_in_process``): the scan path's
# and the detector's, by far the most requests. The host moto's in-process patterns expect.
# Both are signed as "dynamodb"; the target names the API (DynamoDB_20120810.GetItem).
_IN_PROCESS_HOSTS = {"DynamoDB": "dynamodb.{}.amazonaws.com", "DynamoDBStreams": "streams.dynamodb.{}.amazonaws.com"}
_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/([a-z0-9-]+)/dynamodb/aws4_request")


def _as_in_process(environ: dict[str, Any]) -> tuple[int, Mapping[str, Any], str | bytes] | None:
    """A DynamoDB or DynamoDB Streams request answered by moto's in-process path (the one
    ``mock_aws`` and the one-process stack use: ``BotocoreStubber.process_request``), not its
    Flask server: the same moto code and answers, for about half the server's CPU per request.
    ``None`` for every other request (moto's server app answers it). Called under the lock."""
    host = _aws_host(environ.get("HTTP_X_AMZ_TARGET", ""), environ.get("HTTP_AUTHORIZATION", ""))
    if host is None:
        return None
    headers = {name[5:].replace("_", "-").title(): value for name, value in environ.items() if name.startswith("HTTP_")}
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").title()] = environ[name]
    headers["Host"] = host
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    query = environ.get("QUERY_STRING")
    url = f"https://{host}{environ.get('PATH_INFO') or '/'}" + (f"?{query}" if query else "")
    return _in_process(environ["REQUEST_METHOD"], url, headers, body)


def _aws_host(target: str, authorization: str) -> str | None:
    """The AWS host moto's in-process path expects for a DynamoDB or Streams request, from its
    ``X-Amz-Target`` and the region its signature names; None for any other request."""
    scope = _SCOPE.search(authorization)
    api = target.partition("_")[0]
    if scope is None or api not in _IN_PROCESS_HOSTS:
        return None
    return _IN_PROCESS_HOSTS[api].format(scope.group(1))


def _in_process(
    method: str, url: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, Mapping[str, Any], str | bytes] | None:
    """moto's in-process answer (``BotocoreStubber.process_request``) to a request for an AWS
    ``url``, as over HTTP (``_as_in_process``) or the pipe (``_serve_pipe``). Called under the lock."""
    from botocore.awsrequest import AWSPreparedRequest, HTTPHeaders
    from moto.core.models import botocore_stubber

    prepared = HTTPHeaders()
    for name, value in headers.items():
        prepared[name] = value
    request = AWSPreparedRequest(method, url, prepared, body, stream_output=False)
    return botocore_stubber.process_request(request)  # type: ignore[no-any-return]


class MotoServer:
    """moto in a process of its own on 127.0.0.1; ``url`` once started."""

    def __init__(self, init: MotoInit | None = None) -> None:
        self.init = init
        self.url = ""
        self.pipe: dict[str, Any] = {}  # where DynamoDB's requests go (``_through_pipe``), once started
        self._conn: Connection | None = None
        self._process: Any = None

    def start(self) -> str:
        parent, child = _CONTEXT.Pipe()
        self._process = _CONTEXT.Process(target=_serve_moto, args=(child, self.init), name="ocop-moto", daemon=True)
        self._process.start()
        child.close()
        if not parent.poll(START_SECONDS):
            self.stop()
            raise RuntimeError("moto's server did not start")
        port, address, key = parent.recv()
        self.url = f"http://127.0.0.1:{port}"
        self.pipe = {"url": self.url, "host": address[0], "port": address[1], "key": key}
        self._conn = parent
        return self.url

    def stop(self) -> None:
        if self._conn is not None:
            _say_stop(self._conn)
        _end(self._process)
        if self._conn is not None:
            self._conn.close()


def _say_stop(conn: Connection) -> None:
    try:
        conn.send(("stop",))
    except OSError:  # already gone
        pass


def _end(process: Any, seconds: float = 10.0) -> None:
    """Wait for a child to exit; terminate it, then kill it, if it does not."""
    if process is None or process.pid is None:
        return
    process.join(seconds)
    if process.is_alive():
        process.terminate()
        process.join(seconds)
    if process.is_alive():
        process.kill()
        process.join(seconds)


# --- the workers -----------------------------------------------------------------------------
def pool_functions(template: Mapping[str, Any]) -> list[str]:
    """The functions a worker runs: every function behind an HTTP route, then the event-fed ones."""
    ids = dict.fromkeys(r.function_id for r in http_routes(template))
    for function_id in EVENT_FUNCTIONS:
        if function_id in template.get("Resources", {}):
            ids.setdefault(function_id)
    return list(ids)


def _local_functions(template: dict[str, Any], eager: set[str]) -> dict[str, server.LocalFunction]:
    folder = default_template_path().resolve().parent
    functions: dict[str, server.LocalFunction] = {}
    for function_id in pool_functions(template):
        props = function_properties(template, function_id)
        function = server.LocalFunction(
            function_id=function_id,
            code_path=(folder / props["CodeUri"]).resolve(),
            handler_name=props["Handler"],
            memory_mb=int(props.get("MemorySize", 128)),
            timeout_seconds=float(props.get("Timeout", 3)),
            concurrency=WORKER_CONCURRENCY,
            background=function_id in EVENT_FUNCTIONS,
        )
        if function_id in eager:
            function.handler  # noqa: B018 -- import now: a broken handler fails at start
        functions[function_id] = function
    return functions


def _work(conn: Connection, environ: dict[str, str], number: int) -> None:
    """The child's body: import every handler, then run what the gateway sends, many at once.

    Messages in: ``("env", {...})`` (the whole environment, once every resource exists),
    ``(id, function_id, event, integration_timeout)``. Out: ``("ready",)`` after each
    ``env``, ``(id, "ok", result)`` or ``(id, kind, text)`` with kind ``function-timeout``,
    ``integration-timeout`` or ``error`` (the traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _name_process(f"ocop-worker-{number}")
    os.environ.clear()
    os.environ.update(environ)
    _use_pipe(environ)  # before any botocore session is made
    server.apply_local_environment(environ)
    server.serialize_metrics()
    template = load_template()
    functions = _local_functions(template, {r.function_id for r in http_routes(template)} | {EVENT_FUNCTIONS[0]})
    sending = threading.Lock()
    runner = ThreadPoolExecutor(max_workers=64, thread_name_prefix="invoke")

    def send(message: tuple[Any, ...]) -> None:
        with sending:
            conn.send(message)

    def run(request_id: int, function_id: str, event: dict[str, Any], integration_timeout: float) -> None:
        try:
            send((request_id, "ok", functions[function_id].invoke(event, integration_timeout)))
        except server.FunctionTimedOut as exc:
            send((request_id, "function-timeout", str(exc)))
        except server.IntegrationTimedOut as exc:
            send((request_id, "integration-timeout", str(exc)))
        except BaseException:
            send((request_id, "error", traceback.format_exc()))

    send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the gateway died
            message = ("stop",)
        if message[0] == "stop":
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        if message[0] == "env":
            server.apply_local_environment(message[1])
            send(("ready",))
        else:
            runner.submit(run, *message)


class FunctionFailed(Exception):
    """The handler raised in a worker; the message is its traceback there."""


class _Worker:
    def __init__(self, number: int, environ: dict[str, str]) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_work, args=(child, environ, number), name=f"ocop-worker-{number}", daemon=True
        )
        self.process.start()
        child.close()
        self.busy = 0  # requests sent, not yet answered
        self.sending = threading.Lock()
        self.ready = threading.Semaphore(0)
        self.pending: dict[int, Future[Any]] = {}
        self.reader = threading.Thread(target=self._read, name=f"ocop-worker-{number}-reader", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            while True:
                message = self.conn.recv()
                if message[0] == "ready":
                    self.ready.release()
                else:
                    future = self.pending.pop(message[0])
                    future.set_result(message[1:])
        except (EOFError, OSError):
            for future in list(self.pending.values()):
                if not future.done():
                    future.set_result(("error", f"worker {self.process.pid} exited"))
            self.ready.release()

    def send(self, message: tuple[Any, ...]) -> None:
        with self.sending:
            self.conn.send(message)


class WorkerPool:
    """``processes`` worker processes; ``invoke`` runs one event in the least busy one."""

    def __init__(self, processes: int, environ: Mapping[str, str]) -> None:
        if processes < 1:
            raise ValueError("a pool needs at least one process")
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.workers = [_Worker(i + 1, dict(environ)) for i in range(processes)]

    def configure(self, environ: Mapping[str, str]) -> None:
        """Give every worker this environment (all resources made) and wait until each has its
        handlers imported and the environment applied. ``RuntimeError`` if one failed."""
        for worker in self.workers:
            if not worker.ready.acquire(timeout=START_SECONDS) or not worker.process.is_alive():
                raise RuntimeError(f"worker process {worker.process.pid} did not start")
        for worker in self.workers:
            worker.send(("env", dict(environ)))
        for worker in self.workers:
            if not worker.ready.acquire(timeout=START_SECONDS) or not worker.process.is_alive():
                raise RuntimeError(f"worker process {worker.process.pid} did not start")

    def invoke(
        self, function_id: str, event: dict[str, Any], integration_timeout: float = server.INTEGRATION_TIMEOUT_SECONDS
    ) -> Any:
        """The function's result, run in a worker as ``LocalFunction.invoke`` runs it there;
        ``FunctionTimedOut`` / ``IntegrationTimedOut`` as there; ``FunctionFailed`` if it raised."""
        future: Future[Any] = Future()
        with self._lock:
            worker = min(self.workers, key=lambda w: w.busy)
            worker.busy += 1
            request_id = next(self._ids)
            worker.pending[request_id] = future
        try:
            worker.send((request_id, function_id, event, integration_timeout))
            kind, value = future.result()
        finally:
            with self._lock:
                worker.busy -= 1
        if kind == "ok":
            return value
        if kind == "function-timeout":
            raise server.FunctionTimedOut(value)
        if kind == "integration-timeout":
            raise server.IntegrationTimedOut(value)
        raise FunctionFailed(f"{function_id} raised in a worker process:\n{value}")

    def handler(self, function_id: str) -> Callable[[dict[str, Any], Any], Any]:
        """A handler for ``streams.drain`` / ``jobs.drain``: the function, run in a worker (no
        integration timeout: an event source waits for the function's own)."""

        def invoke(event: dict[str, Any], _context: Any) -> Any:
            return self.invoke(function_id, event, float("inf"))

        return invoke

    def stop(self) -> None:
        """Tell every worker to stop, wait for the processes, then close the pipes. (A pipe is
        not closed first: a reader thread blocked on it would keep it open, unseen by the child.)"""
        for worker in self.workers:
            with worker.sending:
                _say_stop(worker.conn)
        for worker in self.workers:
            _end(worker.process)
            worker.reader.join(5)
            worker.conn.close()


class RemoteFunction:
    """What the gateway invokes for one function in process mode: the pool, by function id."""

    def __init__(self, function_id: str, pool: WorkerPool) -> None:
        self.function_id, self.pool = function_id, pool

    def invoke(self, event: dict[str, Any], integration_timeout: float = server.INTEGRATION_TIMEOUT_SECONDS) -> Any:
        return self.pool.invoke(self.function_id, event, integration_timeout)


def make_app(
    template: Mapping[str, Any], pool: WorkerPool, *, state_dir: str | os.PathLike[str] | None = None
) -> server.LocalGateway:
    """``server.make_app`` with every function run in ``pool`` instead of this process."""
    loaded = dict(template)
    routes = http_routes(loaded)
    functions: dict[str, Any] = {r.function_id: RemoteFunction(r.function_id, pool) for r in routes}
    return server.LocalGateway(routes, functions, state_dir=state_dir, edge_config=edge(loaded))


def moto_environment(moto: MotoServer) -> dict[str, str]:
    """Where every process's AWS calls go: ``AWS_ENDPOINT_URL`` at moto's server (and its pipe for
    DynamoDB, ``PIPE_VARIABLE``), unless the caller already moved every service; a per-service
    variable still wins for its service (the pipe carries only requests for moto's url)."""
    if os.environ.get(backend.ENDPOINT_VARIABLE):
        return {}
    return {backend.ENDPOINT_VARIABLE: moto.url, PIPE_VARIABLE: json.dumps(moto.pipe)}
