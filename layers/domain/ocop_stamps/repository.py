"""Data access: every DynamoDB call of the service goes through this module.

Each function does a constant number of requests; none scans a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from .models import (
    Activation,
    BatchItem,
    CounterItem,
    LotCodeClaim,
    LotItem,
    ProducerItem,
    ProductItem,
    ScanItem,
    StampItem,
)

PROFILE = "PROFILE"


class AlreadyExists(Exception):
    pass


class StaleRevision(Exception):
    pass


def producer_key(producer_id: str) -> str:
    return f"PRODUCER#{producer_id}"


def product_key(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def lot_key(lot_id: str) -> str:
    return f"LOT#{lot_id}"


def batch_key(batch_no: int) -> str:
    return f"BATCH#{batch_no}"


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


def get_producer(producer_id: str) -> ProducerItem | None:
    return _get(ProducerItem, producer_key(producer_id))  # type: ignore[no-any-return]


def get_product(product_id: str) -> ProductItem | None:
    return _get(ProductItem, product_key(product_id))  # type: ignore[no-any-return]


def get_lot(lot_id: str) -> LotItem | None:
    return _get(LotItem, lot_key(lot_id))  # type: ignore[no-any-return]


def get_batch(batch_no: int, *, consistent: bool = False) -> BatchItem | None:
    try:
        return BatchItem.get(batch_key(batch_no), PROFILE, consistent_read=consistent)
    except DoesNotExist:
        return None


def create(item: ProducerItem | ProductItem | BatchItem) -> None:
    """Insert a new item; AlreadyExists if its key is taken (never overwrite)."""
    try:
        item.save(condition=type(item).pk.does_not_exist())
    except PutError as exc:
        if _is_conditional_failure(exc):
            raise AlreadyExists(item.pk) from exc
        raise


def create_lot(lot: LotItem, claim: LotCodeClaim) -> None:
    """Lot and its code claim in one transaction: both or neither."""
    try:
        with TransactWrite(connection=Connection()) as tx:
            tx.save(claim, condition=LotCodeClaim.pk.does_not_exist())
            tx.save(lot, condition=LotItem.pk.does_not_exist())
    except TransactWriteError as exc:
        if _is_conditional_failure(exc):
            raise AlreadyExists(claim.sk) from exc
        raise


# --- batches -------------------------------------------------------------------------


def reserve_batch_number() -> int:
    """The next batch number: one atomic ADD, so concurrent requests never share one."""
    counter = CounterItem("COUNTER", "BATCH")
    counter.update(actions=[CounterItem.value.add(1), CounterItem.kind.set("counter")])
    return int(counter.value)


def append_activation(batch: BatchItem, activation: Activation) -> None:
    """Add a range to the batch if nobody changed it since we read it (optimistic lock)."""
    try:
        batch.update(
            actions=[
                BatchItem.activations.set(BatchItem.activations.append([activation])),
                BatchItem.revision.add(1),
            ],
            condition=BatchItem.revision == batch.revision,
        )
    except UpdateError as exc:
        if _is_conditional_failure(exc):
            raise StaleRevision(batch.pk) from exc
        raise


@dataclass
class Page:
    items: list[Any]
    last_key: dict[str, Any] | None


def _page(results: Any, limit: int) -> Page:
    items = list(results)
    return Page(items, results.last_evaluated_key if len(items) >= limit else None)


# --- stamps and scans ------------------------------------------------------------------


def count_scan(code: str, batch_no: int, serial: int, now: str, province: str | None) -> StampItem:
    """+1 on the stamp's counter, creating its item on first scan; returns the new state."""
    stamp = StampItem(code)
    actions: list[Action] = [
        StampItem.scan_count.add(1),
        StampItem.batch_no.set(batch_no),
        StampItem.serial.set(serial),
        StampItem.first_scan_at.set(StampItem.first_scan_at | now),
        StampItem.last_scan_at.set(now),
    ]
    if province:
        actions.append(StampItem.first_province.set(StampItem.first_province | province))
    stamp.update(actions=actions)
    return stamp


def record_scan(scan: ScanItem) -> None:
    scan.save()


def scans_of_code(code: str, limit: int, cursor: dict[str, Any] | None) -> Page:
    results = ScanItem.query(code, scan_index_forward=False, limit=limit, last_evaluated_key=cursor)
    return _page(results, limit)


def scans_of_lot(lot_id: str, limit: int, cursor: dict[str, Any] | None) -> Page:
    results = ScanItem.by_lot.query(lot_id, scan_index_forward=False, limit=limit, last_evaluated_key=cursor)
    return _page(results, limit)
