"""Data access: every DynamoDB call of the service goes through this module.

Each function does a constant number of requests; none scans a table. Those that do I/O
are traced: one X-Ray subsegment each in Lambda (``ocop_stamps.observability``), and
retried on a DynamoDB fault (throttling, transaction conflict, 5xx) by ``faults.retrying``:
one that outlasts its retries raises ``busy()`` (409) or ``unavailable()`` (503).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ocop_stamps.core.settings import get_settings
from ocop_stamps.observability import tracer
from ocop_stamps.storage import faults
from ocop_stamps.storage.keys import (
    PRODUCERS,
    PROFILE,
    batch_key,
    lot_code_claim_key,
    lot_key,
    producer_key,
    product_key,
)
from ocop_stamps.storage.models import (
    Activation,
    BatchItem,
    CatalogItem,
    CounterItem,
    EventItem,
    GtinClaim,
    LotCodeClaim,
    LotItem,
    ProducerItem,
    ProductItem,
    RateItem,
    ScanItem,
    StampItem,
)


class AlreadyExists(Exception):
    pass


class StaleRevision(Exception):
    pass


def _is_conditional_failure(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    if cause == "ConditionalCheckFailedException":
        return True
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)


def _get(model: type[Any], pk: str) -> Any | None:
    try:
        return model.get(pk, PROFILE)
    except DoesNotExist:
        return None


# --- producers, products, lots ---------------------------------------------------------


@tracer.capture_method(capture_response=False)
@faults.retrying
def get_producer(producer_id: str) -> ProducerItem | None:
    return _get(ProducerItem, producer_key(producer_id))  # type: ignore[no-any-return]


@tracer.capture_method(capture_response=False)
@faults.retrying
def get_product(product_id: str) -> ProductItem | None:
    return _get(ProductItem, product_key(product_id))  # type: ignore[no-any-return]


@tracer.capture_method(capture_response=False)
@faults.retrying
def get_lot(lot_id: str) -> LotItem | None:
    return _get(LotItem, lot_key(lot_id))  # type: ignore[no-any-return]


@tracer.capture_method(capture_response=False)
@faults.retrying
def get_batch(batch_no: int, *, consistent: bool = False) -> BatchItem | None:
    try:
        return BatchItem.get(batch_key(batch_no), PROFILE, consistent_read=consistent)
    except DoesNotExist:
        return None


@tracer.capture_method(capture_response=False)
@faults.retrying
def create(item: ProducerItem | ProductItem | BatchItem) -> None:
    """Insert a new item; AlreadyExists if its key is taken (never overwrite)."""
    try:
        item.save(condition=type(item).pk.does_not_exist())
    except PutError as exc:
        if _is_conditional_failure(exc):
            raise AlreadyExists(item.pk) from exc
        raise


@tracer.capture_method(capture_response=False)
@faults.retrying
def create_product(product: ProductItem, claim: GtinClaim) -> None:
    """Product and its GTIN claim in one transaction: both or neither; AlreadyExists(gtin
    claim key) when another product holds the GTIN."""
    _create_claimed(product, claim, claim.pk)


@tracer.capture_method(capture_response=False)
@faults.retrying
def create_lot(lot: LotItem, claim: LotCodeClaim) -> None:
    """Lot and its code claim in one transaction: both or neither."""
    _create_claimed(lot, claim, claim.sk)


def _create_claimed(item: CatalogItem, claim: CatalogItem, taken: str) -> None:
    """``item`` and the ``claim`` that keeps one of its values unique, written in one
    transaction, each on the condition that its key is new; AlreadyExists(``taken``) if not."""
    try:
        with _tx() as tx:
            tx.save(claim, condition=type(claim).pk.does_not_exist())
            tx.save(item, condition=type(item).pk.does_not_exist())
    except TransactWriteError as exc:
        if _is_conditional_failure(exc):
            raise AlreadyExists(taken) from exc
        raise


@tracer.capture_method(capture_response=False)
@faults.retrying
def producer_items(model: type[Any], producer_id: str, prefix: str, limit: int) -> list[Any]:
    """Up to ``limit`` of a producer's items of ``model`` (ProductItem, LotItem, BatchItem) whose
    ``gsi1sk`` starts with ``prefix`` (``PRODUCT#``, ``LOT#``, ``BATCH#``), last key first: one
    Query of the catalog's ``gsi1`` (a page of at most ``limit`` items, never the whole list)."""
    results = model.by_producer.query(
        producer_key(producer_id),
        model.gsi1sk.startswith(prefix),
        scan_index_forward=False,
        limit=limit,
    )
    return list(results)


@tracer.capture_method(capture_response=False)
@faults.retrying
def listed_producers(limit: int) -> list[ProducerItem]:
    """Up to ``limit`` producers, newest registered first: one Query of the catalog's ``gsi1``
    under ``PRODUCERS`` (a page, never the whole list). Producers stored before the list existed
    join it through the migration step ``producers-listed``."""
    query = ProducerItem.by_producer.query(
        PRODUCERS, ProducerItem.gsi1sk.startswith("PRODUCER#"), scan_index_forward=False, limit=limit
    )
    return list(query)


@tracer.capture_method(capture_response=False)
@faults.retrying
def products_with_gtin(gtin: str, limit: int = 2) -> list[ProductItem]:
    """Up to ``limit`` products registered with this GTIN-14 (one Query of the sparse
    ``by_gtin`` index, eventually consistent): more than one means the GTIN is ambiguous."""
    return list(ProductItem.by_gtin.query(gtin, limit=limit))


@tracer.capture_method(capture_response=False)
@faults.retrying
def lot_id_of_code(producer_id: str, lot_code: str) -> str | None:
    """The id of the producer's lot with this lot code (its ``LotCodeClaim``), or None."""
    try:
        return str(LotCodeClaim.get(producer_key(producer_id), lot_code_claim_key(lot_code)).lot_id)
    except DoesNotExist:
        return None


# --- batches -------------------------------------------------------------------------


@tracer.capture_method(capture_response=False)
@faults.retrying
def reserve_batch_number() -> int:
    """The next batch number: one atomic ADD, so concurrent requests never share one."""
    counter = CounterItem("COUNTER", "BATCH")
    counter.update(actions=[CounterItem.value.add(1), CounterItem.kind.set("counter")])
    return int(counter.value)


@lru_cache(maxsize=4)
def _connection_for(region: str, endpoint: str) -> Connection:
    """One pynamodb connection per (region, endpoint) the settings name, for transactions,
    with the models' settings (``models._Meta``). Kept for the process like the models' own:
    a new ``Connection`` makes a new botocore session and client, which reads the DynamoDB
    service model from disk again -- tens of ms on every transaction (issue 16)."""
    del region, endpoint  # the key only: pynamodb and botocore read them as the models do
    return Connection(
        max_retry_attempts=0,
        connect_timeout_seconds=faults.CONNECT_TIMEOUT,  # type: ignore[arg-type]
        read_timeout_seconds=faults.READ_TIMEOUT,  # type: ignore[arg-type]
    )


def _connection() -> Connection:
    settings = get_settings()
    return _connection_for(settings.aws_region, settings.dynamodb_endpoint)


def _tx() -> TransactWrite:
    return TransactWrite(connection=_connection())


def _commit(build: Any) -> None:
    """Run one transaction; a failed condition becomes ``StaleRevision`` (re-read, re-check)."""
    try:
        with _tx() as tx:
            build(tx)
    except TransactWriteError as exc:
        if _is_conditional_failure(exc):
            raise StaleRevision(str(exc)) from exc
        raise


def _save_events(tx: TransactWrite, events: list[EventItem]) -> None:
    for event in events:
        tx.save(event, condition=EventItem.sk.does_not_exist())  # history is append-only


@tracer.capture_method(capture_response=False)
@faults.retrying
def create_batch(batch: BatchItem, events: list[EventItem]) -> None:
    """The batch and its commissioning event, both or neither (one request)."""

    def build(tx: TransactWrite) -> None:
        tx.save(batch, condition=BatchItem.pk.does_not_exist())
        _save_events(tx, events)

    try:
        _commit(build)
    except StaleRevision as exc:
        raise AlreadyExists(batch.pk) from exc


@tracer.capture_method(capture_response=False)
@faults.retrying
def bind_range(
    batch: BatchItem,
    activation: Activation,
    lot: LotItem,
    recall_entry: dict[str, Any] | None,
    events: list[EventItem],
) -> None:
    """Range onto the batch, batch onto the lot, the packing event: one transaction.

    Conditions on both revisions: a concurrent activation of the batch, or a recall of
    the lot, makes this fail as ``StaleRevision`` and the caller re-reads.
    """
    batch_actions: list[Action] = [
        BatchItem.activations.set(BatchItem.activations.append([activation])),
        BatchItem.revision.add(1),
    ]
    if recall_entry is not None:  # binding stamps to a lot already recalled: they read recalled at once
        batch_actions.append(BatchItem.recalls[lot.lot_id].set(recall_entry))  # type: ignore[index,attr-defined]

    def build(tx: TransactWrite) -> None:
        tx.update(batch, actions=batch_actions, condition=BatchItem.revision == batch.revision)
        tx.update(
            lot,
            actions=[LotItem.batch_nos.add({int(batch.batch_no)}), LotItem.revision.add(1)],
            condition=LotItem.revision == lot.revision,
        )
        _save_events(tx, events)

    _commit(build)


@tracer.capture_method(capture_response=False)
@faults.retrying
def add_voids(batch: BatchItem, voids: list[Any], events: list[EventItem]) -> None:
    def build(tx: TransactWrite) -> None:
        tx.update(
            batch,
            actions=[BatchItem.voids.set(BatchItem.voids.append(voids)), BatchItem.revision.add(1)],
            condition=BatchItem.revision == batch.revision,
        )
        _save_events(tx, events)

    _commit(build)


@tracer.capture_method(capture_response=False)
@faults.retrying
def set_recall(
    lot: LotItem, state: dict[str, Any], batch_entry: dict[str, Any] | None, events: list[EventItem]
) -> None:
    """Recall (``batch_entry`` given) or lift (None) a lot, on the lot and on each of its batches."""

    def build(tx: TransactWrite) -> None:
        tx.update(
            lot,
            actions=[
                LotItem.recall.set(state),
                LotItem.recall_history.set(LotItem.recall_history.append([state])),
                LotItem.revision.add(1),
            ],
            condition=LotItem.revision == lot.revision,
        )
        for batch_no in sorted(lot.batch_nos or ()):
            path: Any = BatchItem.recalls[lot.lot_id]  # type: ignore[index]  # raw map: a path by key
            action = path.set(batch_entry) if batch_entry is not None else path.remove()
            tx.update(BatchItem(batch_key(int(batch_no)), PROFILE), actions=[action])
        _save_events(tx, events)

    _commit(build)


@tracer.capture_method(capture_response=False)
@faults.retrying
def set_rating(product: ProductItem, ocop: dict[str, Any], entry: dict[str, Any], events: list[EventItem]) -> None:
    def build(tx: TransactWrite) -> None:
        tx.update(
            product,
            actions=[
                ProductItem.ocop.set(ocop),
                ProductItem.ocop_history.set(ProductItem.ocop_history.append([entry])),
                ProductItem.revision.add(1),
            ],
            condition=ProductItem.revision == product.revision,
        )
        _save_events(tx, events)

    _commit(build)


@tracer.capture_method(capture_response=False)
@faults.retrying
def events_of(pk: str, after: str | None = None) -> Iterator[EventItem]:
    """The history of one lot, batch or product, oldest first, from just after the event
    whose sort key is ``after`` (read lazily, one DynamoDB page at a time)."""
    if after is None:
        return iter(EventItem.query(pk, EventItem.sk.startswith("EVENT#")))
    # "EVENT$" sorts right after every "EVENT#..." key; between is inclusive, so skip ``after``
    items = EventItem.query(pk, EventItem.sk.between(after, "EVENT$"))
    return (item for item in items if item.sk != after)


@tracer.capture_method(capture_response=False)
@faults.retrying
def get_lot_consistent(lot_id: str) -> LotItem | None:
    try:
        return LotItem.get(lot_key(lot_id), PROFILE, consistent_read=True)
    except DoesNotExist:
        return None


# --- stamps and scans ------------------------------------------------------------------


@tracer.capture_method(capture_response=False)
@faults.retrying
def count_scan(
    code: str, batch_no: int, serial: int, now: str, province: str | None, scanner: str | None = None
) -> StampItem:
    """+1 on the stamp's counter, creating its item on first scan; returns the new state.

    ``scanner`` (``scanning.scanners.scanner_of``) joins the stamp's set of scanners in the
    same request: one UpdateItem, whatever the set holds.
    """
    stamp = StampItem(code)
    actions: list[Action] = [
        StampItem.scan_count.add(1),
        StampItem.batch_no.set(batch_no),
        StampItem.serial.set(serial),
        StampItem.first_scan_at.set(StampItem.first_scan_at | now),
        StampItem.last_scan_at.set(now),
    ]
    # The first scan fixes the place, known or not: a later scan's place is never "first checked in".
    actions.append(StampItem.first_province.set(StampItem.first_province | (province or UNPLACED)))
    if scanner:
        actions.append(StampItem.scanners.add({scanner}))
    stamp.update(actions=actions)
    return _placed(stamp)


UNPLACED = "?"  # stored as first_province when the first scan had no place; read back as None


def _placed(stamp: StampItem) -> StampItem:
    if stamp.first_province == UNPLACED:
        stamp.first_province = None
    return stamp


@tracer.capture_method(capture_response=False)
@faults.retrying
def get_stamp(code: str) -> StampItem | None:
    """The stamp's current counter and scanners (one strongly consistent GetItem), None if never scanned."""
    try:
        return _placed(StampItem.get(code, consistent_read=True))
    except DoesNotExist:
        return None


@tracer.capture_method(capture_response=False)
@faults.retrying
def count_hit(key: str, expires_at: int) -> int:
    """+1 on one rate counter (``keys.rate_key``), created on first hit; the new count.
    ``expires_at``: epoch seconds for DynamoDB's TTL."""
    item = RateItem(key)
    item.update(actions=[RateItem.hits.add(1), RateItem.expires_at.set(expires_at)])
    return int(item.hits)


@tracer.capture_method(capture_response=False)
@faults.retrying
def record_scan(scan: ScanItem) -> None:
    """One PutItem: the record with its inspector index keys, TTL and salt version."""
    from ocop_stamps.core.settings import get_settings
    from ocop_stamps.storage import keys as scan_keys

    settings = get_settings()
    scan_keys.fill(scan, retention_days=settings.scan_retention_days, salt_version=settings.ip_hash_salt_version)
    scan.save()


# --- the scratch-off PIN (issue 14, docs/PIN.md) ---------------------------------------------
_NO_FAILURES_OR_UNDER = "(attribute_not_exists(pin_failures) OR pin_failures < :max)"


def _conditional_stamp_update(code: str, expression: str, condition: str, values: dict[str, Any]) -> tuple[bool, Any]:
    """One UpdateItem on a stamp with ``condition``: ``(True, the item after)``, or
    ``(False, the item as it was)`` when the condition failed -- DynamoDB returns it with the
    refusal (``ReturnValuesOnConditionCheckFailure``), so no second read is needed. The
    client is the model's own (one attempt, ``faults``' timeouts); pynamodb's update cannot ask
    for the old item."""
    client = StampItem._get_connection().connection.client
    try:
        answer = client.update_item(
            TableName=StampItem.Meta.table_name,
            Key={"code": {"S": code}},
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except client.exceptions.ConditionalCheckFailedException as refused:
        return False, _placed(StampItem.from_raw_data(refused.response.get("Item") or {"code": {"S": code}}))
    return True, _placed(StampItem.from_raw_data(answer["Attributes"]))


@tracer.capture_method(capture_response=False)
@faults.retrying
def claim_stamp(
    code: str,
    batch_no: int,
    serial: int,
    now: str,
    province: str | None,
    ref: str,
    max_failures: int,
    events: list[EventItem],
) -> tuple[bool, StampItem]:
    """Claim a stamp for its first buyer: ONE request (TransactWriteItems), so of two buyers at
    the same moment exactly one succeeds. The stamp's update applies only if it was never
    claimed and has fewer than ``max_failures`` wrong PINs; it sets when, where (province
    code, ``UNPLACED`` if unknown) and ``ref`` (a hash of the request's identity: a retry
    finds its own claim). ``events`` (the claim's EPCIS event, under its batch and its lot)
    are appended in the same transaction: a claim and its event, both or neither.

    Returns ``(True, the stamp's claim as written)`` or ``(False, the stamp as it was)``:
    DynamoDB returns the old item with a refused condition (``ReturnValuesOnConditionCheckFailure``)."""
    values = {
        ":t": {"S": now},
        ":p": {"S": province or UNPLACED},
        ":r": {"S": ref},
        ":b": {"N": str(batch_no)},
        ":s": {"N": str(serial)},
        ":max": {"N": str(max_failures)},
    }
    update = {
        "TableName": StampItem.Meta.table_name,
        "Key": {"code": {"S": code}},
        "UpdateExpression": (
            "SET claimed_at = :t, claimed_province = :p, claim_ref = :r, batch_no = if_not_exists(batch_no, :b), "
            "serial = if_not_exists(serial, :s)"
        ),
        "ConditionExpression": f"attribute_not_exists(claimed_at) AND {_NO_FAILURES_OR_UNDER}",
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    puts = [
        {
            "Put": {
                "TableName": EventItem.Meta.table_name,
                "Item": event.serialize(),
                "ConditionExpression": "attribute_not_exists(sk)",  # history is append-only
            }
        }
        for event in events
    ]
    client = StampItem._get_connection().connection.client
    try:
        client.transact_write_items(TransactItems=[{"Update": update}, *puts])
    except client.exceptions.TransactionCanceledException as refused:
        reasons = refused.response.get("CancellationReasons") or []
        first = reasons[0] if reasons else {}
        if first.get("Code") != "ConditionalCheckFailed":
            raise
        return False, _placed(StampItem.from_raw_data(first.get("Item") or {"code": {"S": code}}))
    claimed = StampItem(code, batch_no=batch_no, serial=serial, claimed_at=now, claim_ref=ref)
    claimed.claimed_province = province
    return True, claimed


@tracer.capture_method(capture_response=False)
@faults.retrying
def count_wrong_pin(code: str, batch_no: int, serial: int, max_failures: int) -> tuple[bool, StampItem]:
    """+1 wrong PIN on a stamp, if it has fewer than ``max_failures`` (one conditional
    UpdateItem). ``(True, stamp after)``, or ``(False, stamp as it was)``: its PIN was locked."""
    expression = "SET batch_no = if_not_exists(batch_no, :b), serial = if_not_exists(serial, :s) ADD pin_failures :one"
    values = {
        ":b": {"N": str(batch_no)},
        ":s": {"N": str(serial)},
        ":one": {"N": "1"},
        ":max": {"N": str(max_failures)},
    }
    return _conditional_stamp_update(code, expression, _NO_FAILURES_OR_UNDER, values)


@tracer.capture_method(capture_response=False)
@faults.retrying
def record_pin_download(batch_no: int, entry: dict[str, Any], line: ScanItem) -> None:
    """One download of a batch's PIN layer, recorded before the file is served, in ONE
    transaction: appended to the batch (the producer sees it) and a line in the verification
    log (inspectors see it). ``line`` gets its index keys here, as a scan's would."""
    from ocop_stamps.storage import keys as scan_keys

    settings = get_settings()
    scan_keys.fill(line, retention_days=settings.scan_retention_days, salt_version=settings.ip_hash_salt_version)
    batch = BatchItem(batch_key(batch_no), PROFILE)
    path: Any = BatchItem.pin_downloads

    def build(tx: TransactWrite) -> None:
        tx.update(batch, actions=[path.set((path | []).append([entry]))], condition=BatchItem.pk.exists())
        tx.save(line)

    _commit(build)
