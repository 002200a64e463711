"""The AWS side of the local stack: moto, tables, secrets -- and other servers where asked.

Tables are created from ``infra/template.yaml`` -- the same key schemas as deployed --
so a test or the local stack can never drift from what AWS will run.

Every AWS service is moto in-process, except a service that botocore's standard endpoint
variable moves: ``AWS_ENDPOINT_URL_DYNAMODB`` sends DynamoDB (and its streams, unless
``AWS_ENDPOINT_URL_DYNAMODB_STREAMS`` says otherwise) to another DynamoDB-compatible
server, ``AWS_ENDPOINT_URL_S3`` S3, and so on; the rest stay on moto. ``probe_dynamodb``
names at start what such a server lacks (docs/OPERATIONS.md, "Another DynamoDB").
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .template import load_template, table_definitions

# Logical id in the template -> (environment variable, local table name)
TABLES = {
    "CatalogTable": ("CATALOG_TABLE", "ocop-catalog"),
    "StampsTable": ("STAMPS_TABLE", "ocop-stamps"),
    "ScansTable": ("SCANS_TABLE", "ocop-scans"),
    "IdempotencyTable": ("IDEMPOTENCY_TABLE", "ocop-idempotency"),
    "AlertsTable": ("ALERTS_TABLE", "ocop-alerts"),
}
REGION = "ap-southeast-1"


def new_code_keys() -> str:
    return json.dumps({"1": secrets.token_hex(16)})


def local_secrets(state_dir: Path) -> dict[str, str]:
    """Code keys, PIN keys, salt, origin secret and SMS gateway secret for the local stack, made
    once and kept under .local/ (git-ignored). The local gateway sends the origin secret as
    CloudFront would; ``python -m ocop_local sms`` sends the SMS secret as a telco gateway would."""
    state_dir.mkdir(parents=True, exist_ok=True)
    keys = state_dir / "code-keys.json"
    if not keys.exists():
        keys.write_text(new_code_keys(), encoding="utf-8")
        keys.chmod(0o600)
    pins = state_dir / "pin-keys.json"  # the scratch-off PIN's own secret (issue 14)
    if not pins.exists():
        pins.write_text(new_code_keys(), encoding="utf-8")
        pins.chmod(0o600)
    salt = state_dir / "ip-hash-salt"
    if not salt.exists():
        salt.write_text(secrets.token_hex(16), encoding="utf-8")
        salt.chmod(0o600)
    origin = state_dir / "origin-secret.json"
    if not origin.exists():
        origin.write_text(json.dumps({"current": secrets.token_urlsafe(32)}), encoding="utf-8")
        origin.chmod(0o600)
    sms = sms_secret_file(state_dir)  # what `python -m ocop_local sms` sends as the gateway (issue 14)
    if not sms.exists():
        sms.write_text(json.dumps({"current": secrets.token_urlsafe(32)}), encoding="utf-8")
        sms.chmod(0o600)
    return {
        "OCOP_CODE_KEYS_FILE": str(keys),
        "OCOP_PIN_KEYS_FILE": str(pins),
        "OCOP_IP_HASH_SALT": salt.read_text(encoding="utf-8").strip(),
        "OCOP_ORIGIN_SECRET": origin.read_text(encoding="utf-8").strip(),
        "OCOP_SMS_SECRET": sms.read_text(encoding="utf-8").strip(),
    }


def sms_secret_file(state_dir: Path) -> Path:
    """The local SMS gateway secret (``{"current": ...}``), beside the other local secrets."""
    return state_dir / "sms-gateway-secret.json"


def base_environment(public_base_url: str = "http://127.0.0.1:3000") -> dict[str, str]:
    env = {var: name for var, name in TABLES.values()}
    env.update(
        {
            "PUBLIC_BASE_URL": public_base_url,
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", REGION),
            "POWERTOOLS_SERVICE_NAME": "ocop-local",
            "POWERTOOLS_METRICS_NAMESPACE": "ocop-local",
            "POWERTOOLS_TRACE_DISABLED": "1",
            # moto's DynamoDB Streams endpoint has no account-id form (current botocore asks for one)
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )
    moved = endpoint_variables()
    dynamodb = moved.get("AWS_ENDPOINT_URL_DYNAMODB")
    if dynamodb and "AWS_ENDPOINT_URL_DYNAMODB_STREAMS" not in moved:
        env["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = dynamodb  # a table's stream lives with the table
    if not moved or not os.environ.get("AWS_ACCESS_KEY_ID"):
        # moto answers any credentials; a server of the caller's keeps the caller's, if any.
        env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"})
    return env


ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"  # botocore: every service; with _<SERVICE>, that one only


def endpoint_variables(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """botocore's endpoint variables that are set: ``{"AWS_ENDPOINT_URL_DYNAMODB": url, ...}``."""
    env = os.environ if environ is None else environ
    return {
        name: value
        for name, value in env.items()
        if value and (name == ENDPOINT_VARIABLE or name.startswith(ENDPOINT_VARIABLE + "_"))
    }


def describe_backends(environ: Mapping[str, str] | None = None) -> str:
    """Where each service's calls go, in one line for the banner."""
    moved = endpoint_variables(environ)
    if ENDPOINT_VARIABLE in moved:
        return f"every AWS service at {moved[ENDPOINT_VARIABLE]} ({ENDPOINT_VARIABLE})"
    parts = [
        f"{name.removeprefix(ENDPOINT_VARIABLE + '_')} at {url}"
        for name, url in sorted(moved.items())
        if name != "AWS_ENDPOINT_URL_DYNAMODB_STREAMS" or url != moved.get("AWS_ENDPOINT_URL_DYNAMODB")
    ]
    memory = "moto (trong bộ nhớ / in memory, mất khi dừng / reset on stop)"
    return "; ".join([*parts, ("the rest: " if parts else "") + memory])


def create_tables(template: dict[str, Any] | None = None) -> list[str]:
    """Create every table of the template that does not exist yet; returns their names."""
    import boto3

    template = template or load_template()
    client = boto3.client("dynamodb", region_name=os.environ.get("AWS_DEFAULT_REGION", REGION))
    existing = set(client.list_tables()["TableNames"])
    made = []
    for logical_id, kwargs in table_definitions(template).items():
        if logical_id not in TABLES:
            continue
        name = os.environ.get(TABLES[logical_id][0], TABLES[logical_id][1])
        if name not in existing:
            client.create_table(TableName=name, **kwargs)
        made.append(name)
    return made


def migrate() -> dict[str, Any]:
    """Bring stored catalog items to today's shape (``ocop_stamps.migration``, idempotent) and
    old scan lines their producer's province (``storage.backfill``), as ``make migrate`` does for
    a deployed stack; the report as JSON."""
    from ocop_stamps.migration import runner
    from ocop_stamps.storage import backfill

    return {**runner.run().to_json(), "scans_home_province": backfill.home_provinces()}


class MotoLock:
    """One request at a time into moto (re-entrant), the request path's before the rest.

    On AWS the anomaly detector, the scan-log drain and the label worker read and write
    DynamoDB beside the scans, never queued with them; here one moto serves all of them, one
    request at a time, so under a burst the detector's queries and transactions took a fifth
    of moto's turns from the scans (issue 16, measured with ``tests/perf/load.py``). A request
    made in the background (``in_background``: a thread of those functions, or the stream
    consumer's) therefore waits while a request of the request path is waiting, for at most
    ``BACKGROUND_WAIT_SECONDS`` at a time, then takes its turn as any other: the detector
    falls behind during a burst and catches up after it, as it does on AWS when its shard
    iterator lags; it still sees every record, in order.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = threading.Condition()
        self._waiting = 0  # requests of the request path waiting for the lock
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, background: bool = False) -> None:
        me = threading.get_ident()
        if self._owner == me:  # only this thread sets it to its own id
            self._depth += 1
            return
        if background:
            deadline = time.monotonic() + BACKGROUND_WAIT_SECONDS
            while True:
                with self._state:
                    while self._waiting and (left := deadline - time.monotonic()) > 0:
                        self._state.wait(left)
                self._lock.acquire()
                if not self._waiting or time.monotonic() >= deadline:
                    break
                self._lock.release()  # a request of the request path came meanwhile: it goes first
        else:
            with self._state:
                self._waiting += 1
            try:
                self._lock.acquire()
            finally:
                with self._state:
                    self._waiting -= 1
                    if not self._waiting:
                        self._state.notify_all()
        self._owner, self._depth = me, 1

    def release(self) -> None:
        self._depth -= 1
        if not self._depth:
            self._owner = None
            self._lock.release()

    @contextmanager
    def held(self, background: bool) -> Iterator[None]:
        self.acquire(background)
        try:
            yield
        finally:
            self.release()

    def __enter__(self) -> None:
        self.acquire(in_background())

    def __exit__(self, *_exc: object) -> None:
        self.release()


BACKGROUND_WAIT_SECONDS = 0.5  # the longest a background request waits for the request path to pause
_background = threading.local()


def in_background() -> bool:
    """Whether this thread's requests to moto wait for the request path's (``MotoLock``)."""
    return getattr(_background, "on", False)


def run_in_background() -> None:
    """Mark this thread's moto requests as background ones, for the thread's life: the stream
    consumer's, and each execution environment of an event-fed function."""
    _background.on = True


_MOTO_LOCK = MotoLock()


def _serialize_moto() -> None:
    """One request at a time into moto's in-memory back end.

    moto is not thread-safe: it changes a table's dicts and lists in place with no lock,
    so two threads writing at once can crash it ("dictionary changed size during
    iteration") or let a reader see half a transaction. DynamoDB itself needs no such
    lock; this only keeps the local stack and the threaded tests honest about *our*
    concurrency (conditions, counters) rather than moto's. The lock is shared by every
    thread of the process: the gateway's execution environments, the stream consumer
    (``streams.StreamConsumer``) and the queue pollers. It is also what makes
    ``_journal_transactions`` exact.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber.__call__, "_ocop_locked", False):
        return
    original = BotocoreStubber.__call__

    def locked(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        with _MOTO_LOCK:
            return original(self, event_name, request, **kwargs)

    locked._ocop_locked = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = locked  # type: ignore[method-assign]
    lighter_moto()


def lighter_moto() -> None:
    """Every change to how moto works that leaves what it answers as it was (issue 16), in
    whichever process serves moto: this one, or ``ocop-moto`` (``processes._serve_moto``).
    Each is exact only one request at a time (``_MOTO_LOCK``), and each is compared with
    moto's own by ``tests/integration/test_local_moto.py``."""
    _journal_transactions()
    _partition_queries()
    _projections_of_what_is_asked()
    _update_expressions_parsed_once()
    _update_expressions_validated_lighter()
    _actions_listed_once()
    _items_sized_once()
    _plain_json_answers()


class _CopySharingTables:
    """``copy`` as moto's DynamoDB back end sees it once journaled: a ``Table`` is "deep-copied"
    as itself (the journal restores what a failed transaction touched instead); every
    other object is copied as before (``update_item`` copies the old item for the stream)."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, x: Any, memo: dict[int, Any] | None = None) -> Any:
        return x if isinstance(x, self._table_type) else copy.deepcopy(x, memo)


def _journal_transactions() -> None:
    """TransactWriteItems whose cost does not grow with the tables.

    moto (5.x, ``DynamoDBBackend.transact_write_items``) deep-copies the whole table once
    per item of a transaction, to restore it if an item fails: with the anomaly detector's
    five-odd items per scan on an Alerts table that gains a marker per scan, every scan
    cost more than the last. Here the items a transaction names are saved before it runs
    (their pre-images, and each touched table's stream length) and put back if it is
    cancelled; moto's own code does everything else -- conditions, the reasons of a
    cancellation, the stream records. The outcome is the same as moto's full copy (a test
    compares the two, ``tests/integration/test_local_moto.py``): a transaction only writes
    the items it names, and ``_MOTO_LOCK`` keeps any other request from running in between.
    """
    import moto.dynamodb.models as ddb_models
    from moto.dynamodb.exceptions import (
        MockValidationException,
        ResourceNotFoundException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "_ocop_journaled", False):
        return
    original = DynamoDBBackend.transact_write_items

    def journaled(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Any, Any, Any, bool, Any]] = []  # table, hash, range, hash existed, pre-image
        streams: dict[int, tuple[Any, int]] = {}
        entries = transact_items if isinstance(transact_items, list) else []
        # moto snapshots the tables an entry's first operation names *by name* (an ARN is not a
        # key of ``self.tables``) and restores those, whatever name the writes used
        restored = {
            id(self.tables[name])
            for entry in entries
            if isinstance(entry, dict) and entry
            for op in [next(iter(entry.values()))]
            if isinstance(op, dict) and isinstance(name := op.get("TableName"), str) and name in self.tables
        }
        for entry in entries:
            if not isinstance(entry, dict) or len(entry) != 1:
                continue  # moto refuses it when it comes to it, writing nothing of it
            ((kind, op),) = entry.items()
            try:
                named = op.get("TableName") if isinstance(op, dict) else None
                table = self.get_table(named) if isinstance(named, str) else None
            except ResourceNotFoundException:
                table = None  # moto cancels on it: nothing written there
            if table is None or id(table) not in restored:
                continue
            key = op.get("Item") if kind == "Put" else op.get("Key")
            if not isinstance(key, dict) or table.hash_key_attr not in key:
                continue
            if table.range_key_attr is not None and table.range_key_attr not in key:
                continue
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
            had_hash = hash_value in table.items  # before get_item, which may add an empty entry
            before = table.get_item(hash_value, range_value)
            saved.append((table, hash_value, range_value, had_hash, copy.deepcopy(before)))
            if table.stream_shard is not None:
                streams.setdefault(id(table), (table, len(table.stream_shard.items)))
        try:
            original(self, transact_items)
        except BaseException as exc:
            # moto restores its snapshots on a cancellation and on a validation error met inside
            # its loop; "one operation per entry" it raises outside the loop, restoring nothing
            if isinstance(exc, TransactWriteSingleOpException) or not isinstance(
                exc, (MockValidationException, TransactionCanceledException)
            ):
                raise
            for table, hash_value, range_value, had_hash, before in reversed(saved):
                if range_value is None:
                    if before is None:
                        table.items.pop(hash_value, None)
                    else:
                        table.items[hash_value] = before
                elif before is not None:
                    table.items[hash_value][range_value] = before
                else:
                    table.items.get(hash_value, {}).pop(range_value, None)
                    if not had_hash and not table.items.get(hash_value, True):
                        table.items.pop(hash_value, None)
            for table, length in streams.values():
                del table.stream_shard.items[length:]
            raise

    journaled._ocop_journaled = True  # type: ignore[attr-defined]
    journaled.__wrapped__ = original  # type: ignore[attr-defined]
    ddb_models.copy = _CopySharingTables(Table)  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = journaled  # type: ignore[method-assign]


# ``Table.query``'s parameters after ``hash_key``, in order (moto 5.x; DynamoDBBackend.query
# passes them by position)
_QUERY_PARAMETERS = (
    "range_comparison",
    "range_objs",
    "limit",
    "exclusive_start_key",
    "scan_index_forward",
    "projection_expressions",
    "index_name",
)


def _query_argument(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """One of ``Table.query``'s arguments after ``hash_key``, given by position or by name."""
    if name in kwargs:
        return kwargs[name]
    at = _QUERY_PARAMETERS.index(name)
    return args[at] if len(args) > at else None


def _partition_queries() -> None:
    """Query on a table's own key reads that partition only, as DynamoDB does.

    moto (5.x, ``Table.query``) lists and sorts every item of the table on each Query, then
    keeps those of the partition asked for: the anomaly detector's look at a code's recent
    scans cost more with every scan logged. Here a Query on the table's key (not an index)
    sees only the items of its partition, in the order ``all_items`` gives them; moto's code
    does the rest (conditions, filters, limits, pages), so the answer is the same. A Query
    on an index still reads the whole table (inspectors' lists; off the scan path).
    """
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_ocop_partitioned", False):
        return
    original = Table.query

    def partitioned(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        if _query_argument("index_name", args, kwargs) or hash_key is None or "all_items" in vars(self):
            return original(self, hash_key, *args, **kwargs)
        part = self.items.get(hash_key)  # .get: the defaultdict gains no empty partition

        def partition_items() -> list[Any]:
            if part is None:
                return []
            if not self.range_key_attr:
                return [part]
            return sorted(part.values(), key=lambda item: item.range_key)

        self.all_items = partition_items  # this call only: _MOTO_LOCK keeps other requests out
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    partitioned._ocop_partitioned = True  # type: ignore[attr-defined]
    partitioned.__wrapped__ = original  # type: ignore[attr-defined]
    Table.query = partitioned  # type: ignore[method-assign]


class _ProjectedResults:
    """``copy`` as moto's ``table`` module sees it: the one deep copy of a Query's results
    (``Table.query``) is skipped when ``projecting`` says a projection follows, which builds
    every answered item anew from its attributes; every other copy is made as before."""

    def __init__(self) -> None:
        self._next = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def projecting(self, soon: bool = True) -> None:
        self._next.shallow = soon

    def deepcopy(self, x: Any, memo: dict[int, Any] | None = None) -> Any:
        if getattr(self._next, "shallow", False):
            self._next.shallow = False
            return list(x)
        return copy.deepcopy(x, memo)


def _projections_of_what_is_asked() -> None:
    """A ProjectionExpression of top-level attributes converts those attributes only.

    moto (5.x, ``Item.project``) turns the *whole* item into plain Python once per projected
    attribute and back, after ``Table.query`` has deep-copied every result: the anomaly
    detector's look at a code's recent scans (9 of a record's ~25 attributes, up to 500
    records) was a third of moto's process under load (py-spy, 8 workers, issue 16). Here a
    projection of distinct top-level names converts just those attributes, each exactly as
    moto's ``Item.to_regular_json`` does, into a new item built as moto builds it; the deep
    copy before it is skipped, as the projection shares nothing with the stored items.
    Nested paths, list elements and repeated names take moto's own code. The answers are
    moto's own (``tests/integration/test_local_moto.py`` compares them).
    """
    import moto.dynamodb.models.table as table_module
    from moto.dynamodb.models.dynamo_type import Item, deserializer, serializer
    from moto.dynamodb.models.table import Table

    if getattr(Item.project, "_ocop_projected", False):
        return
    original = Item.project
    results = _ProjectedResults()

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        names = [path[0] for path in projection_expressions if len(path) == 1 and "[" not in path[0]]
        if len(names) != len(projection_expressions) or len(set(names)) != len(names):
            return original(self, projection_expressions)
        attrs = self.attrs
        wanted = {name: deserializer.deserialize(attrs[name].to_regular_json()) for name in names if name in attrs}
        return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=serializer.serialize(wanted)["M"])

    query = Table.query

    def projected_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        if _query_argument("projection_expressions", args, kwargs) and not _query_argument("index_name", args, kwargs):
            results.projecting()
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            results.projecting(False)  # a query that failed before its copy leaves none pending

    project._ocop_projected = True  # type: ignore[attr-defined]
    project.__wrapped__ = original  # type: ignore[attr-defined]
    projected_query.__wrapped__ = query  # type: ignore[attr-defined]
    Item.project = project  # type: ignore[method-assign]
    Table.query = projected_query  # type: ignore[method-assign]
    table_module.copy = results  # type: ignore[assignment]


def _update_expressions_parsed_once() -> None:
    """Each UpdateExpression text is parsed once, not twice per request.

    moto (5.x) parses an update's expression in the handler (to list its placeholders) and
    again in the back end (``DynamoDBBackend.update_item``), for every update and every
    transaction's update: ~6 % of moto's process under load, the detector's and the scan
    path's few expressions each time. The tree is only read (``find_clauses``) or deep-copied
    before it is validated and run (``UpdateExpressionValidator``), so one parsed tree per
    text serves every request; an expression moto refuses is parsed (and refused) each time.
    At most ``UPDATE_EXPRESSIONS_KEPT`` texts are kept.
    """
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    shipped = vars(UpdateExpressionParser)["make"]
    if getattr(shipped, "_ocop_once", False):
        return
    parse = shipped.__func__
    parsed: dict[str, Any] = {}

    def make(cls: Any, expression_str: str) -> Any:
        tree = parsed.get(expression_str)
        if tree is None:
            tree = parse(cls, expression_str)
            if len(parsed) >= UPDATE_EXPRESSIONS_KEPT:
                parsed.clear()
            parsed[expression_str] = tree
        return tree

    make.__wrapped__ = shipped  # type: ignore[attr-defined]  # moto's classmethod, as shipped
    once = classmethod(make)
    once._ocop_once = True  # type: ignore[attr-defined]
    UpdateExpressionParser.make = once  # type: ignore[method-assign, assignment]


UPDATE_EXPRESSIONS_KEPT = 512  # the stack has a few dozen; a bound for scripts that make their own


class _UnusualTree(Exception):
    """A tree ``_copy_tree`` leaves to ``copy.deepcopy``."""


_ATOMS = (str, int, float, bool, type(None))


def _copy_tree(root: Any) -> Any:
    """What ``copy.deepcopy`` makes of a parsed update expression, made directly.

    A parsed tree is nodes whose only attributes are ``type`` (a str), ``children`` (nodes
    and str/int leaves) and ``parent`` (the node that lists it): each node is made as
    ``deepcopy`` makes it (``cls.__new__``, then its attributes in their order), with the
    same leaves and the copied parent. Anything else -- another attribute, another kind of
    leaf, a node listed twice, a parent elsewhere, a subtree with a parent -- raises
    ``_UnusualTree``, and the caller deep-copies as moto does.
    """
    if root.parent is not None:
        raise _UnusualTree
    seen: set[int] = set()

    def clone(node: Any, parent: Any) -> Any:
        attributes = node.__dict__
        if id(node) in seen or len(attributes) != 3 or list(attributes) != ["type", "children", "parent"]:
            raise _UnusualTree
        seen.add(id(node))
        made = object.__new__(type(node))
        children = attributes["children"]
        copied = None
        if children is not None:
            if type(children) is not list:
                raise _UnusualTree
            copied = []
            for child in children:
                if type(child) in _ATOMS:
                    copied.append(child)
                elif hasattr(child, "children") and getattr(child, "parent", None) is node:
                    copied.append(clone(child, made))
                else:
                    raise _UnusualTree
        if type(attributes["type"]) is not str:
            raise _UnusualTree
        made.__dict__.update(type=attributes["type"], children=copied, parent=parent)
        return made

    return clone(root, None)


# A walker's kinds (its processing map's keys, in order) -> node type -> the index of the
# first kind that type is a subclass of (moto's ``process``: the first match wins), or -1.
# Walkers are made anew for every update (``Validator.get_ast_processors``); their kinds are
# the same classes each time, so what a type matches is decided once per run.
_KIND_OF_TYPE: dict[tuple[type, ...], dict[type, int]] = {}


class _Walker:
    """One walker's processing map as ``_update_expressions_validated_lighter`` walks it: the
    function that processes a node of a given type (None: not processed), and the walker's own
    ``pre_processing_of_child`` (None: moto's, which does nothing)."""

    __slots__ = ("functions", "hook", "index", "kinds")

    def __init__(self, mapping: dict[type, Callable[[Any], Any]], hook: Callable[[Any, int], None] | None):
        self.kinds, self.functions, self.hook = tuple(mapping), tuple(mapping.values()), hook
        self.index = _KIND_OF_TYPE.setdefault(self.kinds, {})

    def processes(self, kind: type) -> Callable[[Any], Any] | None:
        i = self.index.get(kind)
        if i is None:
            i = self.index[kind] = next((n for n, k in enumerate(self.kinds) if issubclass(kind, k)), -1)
        return None if i < 0 else self.functions[i]


_SEARCHED: dict[type, bool] = {}  # a type -> is it one moto's ``Node.find_clauses`` descends into


def _clause_counts(node: Any, clauses: tuple[type, ...]) -> dict[type, int]:
    """``{c: len(node.find_clauses([c])) for c in clauses}`` in one walk of ``node``'s subtree.

    moto's search, for one clause type c: a child of type c is counted and not searched
    further (for c); any other child that is an Expression or an UpdateExpressionFunction is
    searched. So a child counts for its type unless it lies inside a node of that same type.
    """
    from moto.dynamodb.parsing.ast_nodes import Expression, UpdateExpressionFunction  # type: ignore[attr-defined]

    counts = dict.fromkeys(clauses, 0)

    def search(parent: Any, inside: frozenset[type]) -> None:
        for child in parent.children or []:
            kind = type(child)
            if kind in counts and kind not in inside:
                counts[kind] += 1
            descend = _SEARCHED.get(kind)
            if descend is None:
                descend = _SEARCHED[kind] = isinstance(child, (Expression, UpdateExpressionFunction))
            if descend:
                search(child, inside | {kind} if kind in counts else inside)

    search(node, frozenset())
    return counts


def _update_expressions_validated_lighter() -> None:
    """An UpdateExpression's tree copied and walked for what it is, not more.

    moto (5.x) validates every update on a deep copy of its parsed tree (``Validator``), then
    walks it once per rule -- ten walks, each building its rule's map of node types anew at
    every node (``DepthFirstTraverser.nodes_to_be_processed``). For the scan path's stamp
    counter (one UpdateItem of seven actions), the copy was 37 % of the update and the maps
    another 15 % (py-spy, in-process, issue 16). Here the copy is ``_copy_tree`` (anything
    unusual still goes to ``copy.deepcopy``), and each walker builds its map once: every
    ``_processing_map`` in moto maps node types to the walker's own methods, the same at
    every node. What depends only on a node's type -- is it a Node (an ``ABCMeta`` check, a
    Python call each time), which kind of the map processes it -- is decided once per type
    for the run (``_Walker``), leaves are not walked into, and the one-clause check counts
    the three clause types in one walk (``_clause_counts``). What is validated and how is
    moto's own (``tests/integration/test_local_moto.py`` compares the answers).
    """
    import moto.dynamodb.parsing.validators as validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node  # type: ignore[attr-defined]

    if getattr(DepthFirstTraverser.traverse_node_recursively, "_ocop_walk", False):
        return
    walk = DepthFirstTraverser.traverse_node_recursively

    def deepcopy(x: Any, memo: dict[int, Any] | None = None) -> Any:
        if memo is None and isinstance(x, Node):
            try:
                return _copy_tree(x)
            except _UnusualTree:
                pass
        return copy.deepcopy(x, memo)

    is_node: dict[type, bool] = {}  # a type -> isinstance(an instance, Node): ABCMeta's check, once per type
    default_hook = DepthFirstTraverser.pre_processing_of_child

    def traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
        kept = self.__dict__.get("_ocop_map")
        if kept is None:
            hook = self.pre_processing_of_child
            kept = self.__dict__["_ocop_map"] = _Walker(
                self._processing_map(), None if getattr(hook, "__func__", None) is default_hook else hook
            )
        return _walk(node, child_id, kept)

    def _walk(node: Any, child_id: int, kept: _Walker) -> Any:
        # moto's traverse_node_recursively, with what depends only on a node's type (is it a
        # Node; which of the walker's kinds processes it, the first that matches as in
        # moto's ``process``) decided once per type, and moto's no-op hook not called
        kind = type(node)
        node_kind = is_node.get(kind)
        if node_kind is None:
            node_kind = is_node[kind] = isinstance(node, Node)
        if not node_kind:
            return node
        parent_node = node.parent
        if node.children is not None:
            hook = kept.hook
            for i, child_node in enumerate(node.children):
                if hook is not None:
                    hook(node, i)
                if is_node.get(type(child_node)) is not False:  # a leaf (str, value) is left as it is
                    _walk(child_node, i, kept)
        process = kept.processes(kind)
        if process is not None:
            node = process(node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
        return node

    count_actions = validators.ActionCountValidator.traverse
    clauses = (
        validators.UpdateExpressionAddClause,
        validators.UpdateExpressionRemoveClause,
        validators.UpdateExpressionSetClause,
    )

    def one_clause_each(self: Any, node: Any) -> Any:
        # moto checks every UpdateExpression node of the tree for a second ADD, REMOVE or SET
        # clause (each check a walk of its subtree); the root's clauses include every
        # subtree's, so when the root has at most one of each no check can fail and the tree
        # is returned as moto's walk returns it. Otherwise moto's walk finds which fails first.
        if isinstance(node, validators.UpdateExpression) and max(_clause_counts(node, clauses).values()) <= 1:
            return node
        return count_actions(self, node)

    one_clause_each.__wrapped__ = count_actions  # type: ignore[attr-defined]
    validators.ActionCountValidator.traverse = one_clause_each  # type: ignore[method-assign]
    traverse_node_recursively._ocop_walk = True  # type: ignore[attr-defined]
    traverse_node_recursively.__wrapped__ = walk  # type: ignore[attr-defined]
    deepcopy.__wrapped__ = validators.deepcopy  # type: ignore[attr-defined]
    DepthFirstTraverser.traverse_node_recursively = traverse_node_recursively  # type: ignore[method-assign]
    validators.deepcopy = deepcopy  # type: ignore[assignment]


# DynamoDB's item operations and DynamoDB Streams' GetRecords: their answers are items, keys,
# counts and capacity -- JSON as moto holds them (GetRecords: and one datetime a record).
# Table and stream descriptions are rare and keep moto's serialiser.
PLAIN_JSON_OPERATIONS = frozenset(
    {
        ("dynamodb", "GetItem"),
        ("dynamodb", "PutItem"),
        ("dynamodb", "UpdateItem"),
        ("dynamodb", "DeleteItem"),
        ("dynamodb", "Query"),
        ("dynamodb", "Scan"),
        ("dynamodb", "BatchGetItem"),
        ("dynamodb", "BatchWriteItem"),
        ("dynamodb", "TransactGetItems"),
        ("dynamodb", "TransactWriteItems"),
        ("dynamodbstreams", "GetRecords"),
    }
)


def _not_plain(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not plain JSON")


def _epoch_seconds(value: Any) -> Any:
    """A stream record's ``ApproximateCreationDateTime`` as moto's serialiser writes a JSON
    protocol's timestamp: epoch seconds, truncated to the millisecond."""
    from datetime import datetime

    from moto.core.serialize import TimestampSerializer

    if isinstance(value, datetime):
        return TimestampSerializer._timestamp_unixtimestamp(value)
    raise TypeError(f"{type(value).__name__} is not plain JSON")


_CAPACITY_UNITS = ("CapacityUnits", "ReadCapacityUnits", "WriteCapacityUnits")


def _capacity_as_double(value: Any) -> Any:
    """A ConsumedCapacity (one, a list, and the tables and indexes in each) with its units as
    floats, the wire's ``Double`` as moto's serialiser writes it (BatchGetItem counts ints)."""
    if isinstance(value, list):
        return [_capacity_as_double(v) for v in value]
    if not isinstance(value, dict):
        return value
    made: dict[str, Any] = {}
    for key, inner in value.items():
        if key in _CAPACITY_UNITS and isinstance(inner, int) and not isinstance(inner, bool):
            made[key] = float(inner)
        elif key == "Table":
            made[key] = _capacity_as_double(inner)
        elif key in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes") and isinstance(inner, dict):
            made[key] = {name: _capacity_as_double(units) for name, units in inner.items()}
        else:
            made[key] = inner
    return made


def _plain_json_answers() -> None:
    """DynamoDB's item operations (and Streams' GetRecords) answered as ``json.dumps`` of the
    result moto built.

    moto (5.2, ``ActionResult.execute_result``) walks every answer through its generic
    serialiser, shape by shape, trying several aliases of each member's name: for DynamoDB,
    whose results are already dicts in the wire's own names, that walk was most of moto's
    CPU per request (a Query of 5 items of 25 attributes: 47.6 ms against 7.1 ms, GetItem
    10.5 against 3.4, in-process with boto3, issue 16). Here a result of the operations in
    ``PLAIN_JSON_OPERATIONS`` that is plain JSON -- str, int, float, bool, lists, dicts, and
    GetRecords' datetimes as epoch seconds -- is dumped as it is, without its top-level
    ``None`` members; anything else (bytes of a binary attribute, a stream record with a
    binary attribute, an error) takes moto's own serialiser. What a botocore client parses
    is the same either way (``tests/integration/test_local_moto.py`` compares them).
    """
    from moto.core.responses import ActionResult

    if getattr(ActionResult.execute_result, "_ocop_plain", False):
        return
    original = ActionResult.execute_result

    def plain(self: Any, context: Any) -> Any:
        result = self.result
        operation = context.operation_model
        which = (operation.service_model.service_name, operation.name)
        if which in PLAIN_JSON_OPERATIONS and isinstance(result, dict):
            streams = which[0] == "dynamodbstreams"
            try:
                body = json.dumps(
                    {
                        k: _capacity_as_double(v) if k == "ConsumedCapacity" else v
                        for k, v in result.items()
                        if v is not None
                    },
                    default=_epoch_seconds if streams else _not_plain,
                    allow_nan=False,
                )
            except (TypeError, ValueError):
                return original(self, context)
            if streams and ('"B":' in body or '"BS":' in body):  # moto's serialiser encodes those itself
                return original(self, context)
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
        return original(self, context)

    plain._ocop_plain = True  # type: ignore[attr-defined]
    plain.__wrapped__ = original  # type: ignore[attr-defined]
    ActionResult.execute_result = plain  # type: ignore[method-assign]


def _items_sized_once() -> None:
    """A new item's size counted as it is built, not again for every attribute.

    moto (5.x) keeps an item's attributes in a ``LimitedSizeDict`` that, on every
    assignment, sizes every key and value already in it, so building an item of n
    attributes sizes ~n²/2 values: 15 % of a PutItem of a 25-attribute scan record
    (py-spy, in-process, issue 16). Here ``Item.__init__`` adds each attribute's size to a
    running total and refuses at the same attribute, with the same ``ItemSizeTooLarge``, as
    moto's check would (its keys are distinct, its values not changed meanwhile); later
    assignments (updates) keep moto's own check.
    """
    import moto.dynamodb.models.dynamo_type as dynamo_type

    item_type = dynamo_type.Item
    if getattr(item_type.__init__, "_ocop_sized", False):
        return
    made = item_type.__init__
    limited, typed, size_of = dynamo_type.LimitedSizeDict, dynamo_type.DynamoType, dynamo_type.bytesize
    store = dict.__setitem__

    def __init__(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        self.attrs = limited()
        total = 0
        for key, value in attrs.items():
            new = typed(value)
            size = size_of(key) + new.size()
            if total + size > ITEM_SIZE_LIMIT:
                raise dynamo_type.ItemSizeTooLarge
            store(self.attrs, key, new)
            total += size

    __init__._ocop_sized = True  # type: ignore[attr-defined]
    __init__.__wrapped__ = made  # type: ignore[attr-defined]
    item_type.__init__ = __init__  # type: ignore[method-assign]


ITEM_SIZE_LIMIT = 405000  # moto's (LimitedSizeDict.__setitem__): between DynamoDB's measured 409 and 410 KB


class _MethodNames:
    """A handler class's method names as moto lists them, listed again only when a name is
    asked that the last list lacks (a method added since): ``in`` answers as a fresh list
    would, unless a method was removed from the class, which nothing here does."""

    def __init__(self, listed: Callable[[type], list[str]], handler: type) -> None:
        self._listed, self._handler = listed, handler
        self._names = frozenset(listed(handler))

    def __contains__(self, name: object) -> bool:
        if name not in self._names:
            self._names = frozenset(self._listed(self._handler))
        return name in self._names


def _actions_listed_once() -> None:
    """Each request's action looked up among its handler's methods listed once, not anew.

    moto (5.x, ``BaseResponse.call_action``) lists every method of the handler's class with
    ``inspect.getmembers`` on every request, to see whether the action is one: 11 % of a
    GetItem in-process (py-spy, issue 16). Here each class's list is kept (``_MethodNames``).
    """
    import moto.core.responses as responses

    if isinstance(getattr(responses.method_names_from_class, "_ocop_kept", None), dict):
        return
    listed = responses.method_names_from_class
    kept: dict[type, _MethodNames] = {}

    def method_names_from_class(clazz: type) -> Any:
        names = kept.get(clazz)
        if names is None:
            names = kept[clazz] = _MethodNames(listed, clazz)
        return names

    method_names_from_class._ocop_kept = kept  # type: ignore[attr-defined]
    method_names_from_class.__wrapped__ = listed  # type: ignore[attr-defined]
    responses.method_names_from_class = method_names_from_class  # type: ignore[assignment]


@contextmanager
def moto_backend() -> Iterator[None]:
    """moto in-process for every service whose endpoint no ``AWS_ENDPOINT_URL_<SERVICE>``
    moves: moto answers only AWS's own addresses, so a call to a configured server goes
    there. With a server configured, moto leaves the credentials alone (the server may
    want the caller's; ``base_environment`` supplies test ones when there are none)."""
    from moto import mock_aws

    _serialize_moto()
    config: Any = {"core": {"mock_credentials": False}} if endpoint_variables() else None
    with mock_aws(config=config):
        yield


# What the stack needs of a DynamoDB-compatible server: name -> (what uses it, needed to run).
FEATURES = {
    "transactions": ("TransactWriteItems: lots, batches, activations, voids, recalls", True),
    "streams": ("DynamoDB Streams on the Scans table: the anomaly detector, hence alerts", False),
}


def probe_dynamodb() -> dict[str, str]:
    """``{feature: why}`` for each of ``FEATURES`` the DynamoDB in use lacks, probed after
    ``create_tables``: a transaction that writes nothing (a condition check), and the Scans
    table's stream. Whatever the server refuses counts as lacking: named at start, never
    found later as a 500."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    region = os.environ.get("AWS_DEFAULT_REGION", REGION)
    ddb = boto3.client("dynamodb", region_name=region)
    missing: dict[str, str] = {}
    catalog = os.environ.get(TABLES["CatalogTable"][0], TABLES["CatalogTable"][1])
    probe = {"pk": {"S": "PROBE#ocop-local"}, "sk": {"S": "PROBE"}}
    check = {"TableName": catalog, "Key": probe, "ConditionExpression": "attribute_not_exists(pk)"}
    try:
        ddb.transact_write_items(TransactItems=[{"ConditionCheck": check}])
    except (ClientError, BotoCoreError) as exc:
        missing["transactions"] = _reason(exc)
    scans = os.environ.get(TABLES["ScansTable"][0], TABLES["ScansTable"][1])
    try:
        arn = ddb.describe_table(TableName=scans)["Table"].get("LatestStreamArn")
        if not arn:
            raise LookupError("the table has no stream")
        boto3.client("dynamodbstreams", region_name=region).describe_stream(StreamArn=arn)
    except (ClientError, BotoCoreError, LookupError) as exc:
        missing["streams"] = _reason(exc)
    return missing


def lacking_line(missing: dict[str, str], where: str) -> str:
    """The one line that names what ``where`` lacks, and whether the stack can run without it."""
    parts = [f"{name} ({FEATURES[name][0]}; {why})" for name, why in missing.items()]
    fatal = any(FEATURES[name][1] for name in missing)
    outcome = "the stack cannot run on it" if fatal else "the stack runs without it"
    return f"{where} lacks {', '.join(parts)}: {outcome}."


def _reason(exc: Exception) -> str:
    if hasattr(exc, "response"):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', '?')}: {error.get('Message', '')}".strip().rstrip(":")
    return str(exc)


def apply_environment(env: dict[str, str]) -> None:
    os.environ.update(env)
    from ocop_stamps.core.settings import get_settings
    from ocop_stamps.scanning import verification
    from ocop_stamps.storage import parameters as domain_secrets
    from ocop_stamps.storage.models import bind_tables

    get_settings.cache_clear()  # settings are read once per cold start: this is one
    domain_secrets.reset_caches()
    verification.reset_cache()
    bind_tables(get_settings())


# Print files (issue 3): the bucket and queues of the template, made in moto.
PRINT_BUCKET_NAME = "ocop-print-files"  # S3 names are lower case; the logical id is not


def create_print_resources(template: dict[str, Any] | None = None) -> dict[str, str]:
    """The print-files bucket, the label-jobs queue and its dead-letter queue, with the
    template's visibility timeout and maxReceiveCount; returns the environment that
    points the functions at them (``PRINT_BUCKET``, ``PRINT_QUEUE_URL``, ...)."""
    import boto3

    template = template or load_template()
    resources = template["Resources"]
    region = os.environ.get("AWS_DEFAULT_REGION", REGION)
    s3 = boto3.client("s3", region_name=region)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if PRINT_BUCKET_NAME not in existing:
        s3.create_bucket(Bucket=PRINT_BUCKET_NAME, CreateBucketConfiguration={"LocationConstraint": region})
    queue_url, dlq_url, receives = _queue_with_dead_letters(resources, "LabelJobsQueue", "LabelJobsDeadLetterQueue")
    return {
        "PRINT_BUCKET": PRINT_BUCKET_NAME,
        "PRINT_QUEUE_URL": queue_url,
        "PRINT_DEAD_LETTER_QUEUE_URL": dlq_url,
        "PRINT_MAX_RECEIVES": str(receives),
    }


def _queue_with_dead_letters(resources: dict[str, Any], queue: str, dead_letters: str) -> tuple[str, str, int]:
    """A template queue and its dead-letter queue in moto, with the template's visibility
    timeout, retention and maxReceiveCount; returns (queue URL, DLQ URL, maxReceiveCount)."""
    import boto3

    sqs = boto3.client("sqs", region_name=os.environ.get("AWS_DEFAULT_REGION", REGION))
    dlq_props = resources[dead_letters]["Properties"]
    dlq_url = sqs.create_queue(
        QueueName=dead_letters, Attributes={"MessageRetentionPeriod": str(dlq_props["MessageRetentionPeriod"])}
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    props = resources[queue]["Properties"]
    receives = int(props["RedrivePolicy"]["maxReceiveCount"])
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": receives}
    url = sqs.create_queue(
        QueueName=queue,
        Attributes={"VisibilityTimeout": str(props["VisibilityTimeout"]), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    return url, dlq_url, receives


# Inspectors (issue 6): the alerts topic and the detector's dead-letter queue, made in moto.
def create_alert_resources() -> dict[str, str]:
    """The SNS topic new alerts go to, and a queue subscribed to it so the local stack
    and tests can read what inspectors would have been sent; returns the environment."""
    import boto3

    region = os.environ.get("AWS_DEFAULT_REGION", REGION)
    sns = boto3.client("sns", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    topic_arn = sns.create_topic(Name="AlertsTopic")["TopicArn"]
    inbox_url = sqs.create_queue(QueueName="AlertsInbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
    dlq_url = sqs.create_queue(QueueName="AnomalyDetectorDeadLetterQueue")["QueueUrl"]
    return {"ALERTS_TOPIC_ARN": topic_arn, "ALERTS_INBOX_URL": inbox_url, "ANOMALY_DLQ_URL": dlq_url}


def create_scan_fallback_queue(template: dict[str, Any] | None = None) -> dict[str, str]:
    """The queue scans go to when DynamoDB refuses them, with its dead-letter queue."""
    resources = (template or load_template())["Resources"]
    url, _, _ = _queue_with_dead_letters(resources, "ScanFallbackQueue", "ScanFallbackDeadLetterQueue")
    return {"SCAN_FALLBACK_QUEUE_URL": url}
