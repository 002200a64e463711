"""DynamoDB faults the real service returns: named, retried inside the request's time, then answered.

Issue 13; the path-by-path table is docs/DATA-MODEL.md "DynamoDB faults". One mechanism
for every table:

* **One attempt per botocore call.** Every DynamoDB client is made with ``CONFIG`` (boto3:
  ``dynamodb_client``; pynamodb: ``models._Meta`` and ``connection``): no botocore retries,
  connect timeout ``CONNECT_TIMEOUT``, read timeout ``READ_TIMEOUT``. botocore's standard
  mode (pynamodb's default, 4 attempts) retries throttling and 5xx but not a transaction
  conflict (``TransactionCanceledException`` is a 400, ``TransactionConflictException`` is
  in neither of its lists), its waits (up to 1 + 2 + 4 s on throttling) know nothing of the
  request's deadline, and two layers of retries multiply.
* **One retry loop**, ``retrying``, around every storage function that calls DynamoDB
  (``tests/unit/test_faults.py`` checks none is missed). ``fault_of`` names the fault:

  - ``conflict``: ``TransactionConflictException`` (a single-item write met a transaction),
    or a ``TransactionCanceledException`` whose reasons are ``TransactionConflict`` (and
    throttling) only;
  - ``throttled``: ``ProvisionedThroughputExceededException``, ``ThrottlingException``,
    ``RequestLimitExceeded`` (and botocore's other throttling codes), or a cancellation for
    ``ProvisionedThroughputExceeded``/``ThrottlingError`` only;
  - ``unavailable``: ``InternalServerError``, ``ServiceUnavailable``, any HTTP 5xx, a
    connection error or timeout.

  Anything else -- a failed condition, a validation error -- is the caller's, at once.
  A fault is retried up to ``ATTEMPTS`` calls in all, waiting ``uniform(0, min(CAP,
  BASE * 2**n))`` ("full jitter", AWS Architecture Blog, *Exponential Backoff And
  Jitter*); a wait that would end past the request's deadline (``request_budget``) is not
  started.
* **Then a domain error**: a conflict that persists is ``busy()`` (409), anything else
  ``unavailable()`` (503); both carry ``Retry-After`` (``core.errors``).

A retried write is safe: a throttled, conflicting or cancelled request changed nothing.
After a 5xx or a timeout DynamoDB may have applied it; every write here is conditional or
rewrites the same item except three atomic counters (batch numbers, a stamp's scan count,
a client's unknown lookups), which may then count one extra -- as botocore's own retries
always could.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from ocop_stamps.core.errors import DomainError, busy, record_full, unavailable
from ocop_stamps.observability import count, logger

REFUSED = "DynamoDbRefused"
"""The metric counted once per call whose fault outlasted its retries (the `dynamodb-refused` alarm)."""


class Fault(StrEnum):
    conflict = "conflict"
    throttled = "throttled"
    unavailable = "unavailable"


# Error codes as DynamoDB (and botocore's standard retry mode) spell them.
THROTTLED_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "Throttling",
        "TooManyRequestsException",
        "TransactionInProgressException",
    }
)
UNAVAILABLE_CODES = frozenset(
    {"InternalServerError", "ServiceUnavailable", "ServiceUnavailableException", "RequestTimeout"}
)
CONFLICT_CODES = frozenset({"TransactionConflictException"})
# CancellationReasons codes of a TransactionCanceledException that a retry can clear.
CONFLICT_REASONS = frozenset({"TransactionConflict"})
THROTTLED_REASONS = frozenset({"ProvisionedThroughputExceeded", "ThrottlingError"})

CONNECT_TIMEOUT = 1.0  # seconds; DynamoDB answers in milliseconds inside the region
READ_TIMEOUT = 4.0
ATTEMPTS = 4  # calls in all, the first included
BACKOFF_BASE = {Fault.conflict: 0.05, Fault.throttled: 0.25, Fault.unavailable: 0.25}  # seconds
BACKOFF_CAP = 2.0
# Retry waits of one request end by this many seconds after it began, and never later than
# the function's remaining time less one whole attempt and a margin: API Gateway gives up
# at 29 s, the public and admin functions at their 10 s timeout.
REQUEST_BUDGET = 20.0
MARGIN = 1.0

CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1},
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
)
"""botocore configuration of every DynamoDB client: one attempt, short timeouts."""

# Swapped by tests for a fake clock (tests/integration/test_faults.py).
_clock: Callable[[], float] = time.monotonic
_sleep: Callable[[float], None] = time.sleep
_random: Callable[[], float] = random.random
# When this request's retry waits must have ended (``_clock`` time); per thread, as the local
# stack answers requests in threads.
_deadline: ContextVar[float | None] = ContextVar("ocop_dynamodb_deadline", default=None)


def dynamodb_client(region: str | None = None, endpoint: str | None = None) -> Any:
    """A boto3 DynamoDB client with ``CONFIG`` (callers cache it)."""
    import boto3

    return boto3.client("dynamodb", region_name=region or None, endpoint_url=endpoint or None, config=CONFIG)


@contextmanager
def request_budget(context: Any = None) -> Iterator[float]:
    """The retry budget of one request, in seconds: ``REQUEST_BUDGET``, less when the Lambda
    ``context`` has less time left than that plus one attempt and ``MARGIN``."""
    seconds = REQUEST_BUDGET
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        try:
            seconds = min(seconds, remaining() / 1000 - CONNECT_TIMEOUT - READ_TIMEOUT - MARGIN)
        except (TypeError, ValueError):  # a context that cannot say: the fixed budget
            pass
    token = _deadline.set(_clock() + max(0.0, seconds))
    try:
        yield max(0.0, seconds)
    finally:
        _deadline.reset(token)


def _reason_codes(exc: ClientError) -> list[str]:
    reasons = getattr(exc, "cancellation_reasons", None)  # pynamodb's VerboseClientError
    if reasons is None:
        reasons = exc.response.get("CancellationReasons") or []
    codes = []
    for reason in reasons:
        code = reason.get("Code") if isinstance(reason, dict) else getattr(reason, "code", None)
        if code and code != "None":
            codes.append(str(code))
    return codes


def _kind(exc: BaseException) -> Fault | None:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == "TransactionCanceledException":
            codes = set(_reason_codes(exc))
            if not codes or not codes <= CONFLICT_REASONS | THROTTLED_REASONS:
                return None  # a failed condition (or no reasons): the data decides, not time
            return Fault.conflict if codes & CONFLICT_REASONS else Fault.throttled
        if code in CONFLICT_CODES:
            return Fault.conflict
        if code in THROTTLED_CODES:
            return Fault.throttled
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return Fault.unavailable if code in UNAVAILABLE_CODES or status >= 500 else None
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return Fault.unavailable
    return None


def fault_of(exc: BaseException) -> Fault | None:
    """The DynamoDB fault ``exc`` is or wraps (pynamodb's ``cause``, ``raise ... from``);
    None for anything else, and for a ``DomainError`` (an answer already decided)."""
    todo: list[BaseException] = [exc]
    for _ in range(8):
        if not todo:
            break
        current = todo.pop(0)
        if isinstance(current, DomainError):
            return None
        kind = _kind(current)
        if kind is not None:
            return kind
        todo += [e for e in (getattr(current, "cause", None), current.__cause__) if isinstance(e, BaseException)]
    return None


def item_too_large(exc: BaseException) -> bool:
    """Whether ``exc`` is (or wraps) DynamoDB refusing a write that would make an item larger
    than 400 KB (``ValidationException`` "Item size ... exceeded the maximum allowed size",
    alone or as a transaction's cancellation reason). Not a fault: retrying cannot help."""
    todo: list[BaseException] = [exc]
    for _ in range(8):
        if not todo:
            break
        current = todo.pop(0)
        if isinstance(current, ClientError):
            error = current.response.get("Error", {})
            text = f"{error.get('Message', '')} {current}"
            codes = {str(error.get("Code", ""))} | set(_reason_codes(current))
            if codes & {"ValidationException", "ItemCollectionSizeLimitExceededException"} and (
                "item size" in text.lower() or "ItemCollectionSizeLimitExceeded" in "".join(codes)
            ):
                return True
        todo += [e for e in (getattr(current, "cause", None), current.__cause__) if isinstance(e, BaseException)]
    return False


def exhausted(fault: Fault) -> DomainError:
    """The answer once a fault outlasted its retries: 409 for a conflict, else 503."""
    return busy() if fault is Fault.conflict else unavailable()


def backoff(fault: Fault, retry: int) -> float:
    """Seconds to wait before retry number ``retry`` (1-based): full jitter, capped."""
    return _random() * min(BACKOFF_CAP, BACKOFF_BASE[fault] * 2 ** (retry - 1))


def retrying[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """``func`` run again on a DynamoDB fault (see the module docstring); a fault that
    outlasts ``ATTEMPTS`` calls or the request's budget raises ``exhausted(fault)``."""

    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 1
        while True:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                fault = fault_of(exc)
                if fault is None:
                    if item_too_large(exc):  # a 400 KB item: the data decides, answered 409
                        raise record_full() from exc
                    raise
                wait = backoff(fault, attempt)
                deadline = _deadline.get()
                if attempt >= ATTEMPTS or (deadline is not None and _clock() + wait > deadline):
                    logger.warning(
                        "dynamodb fault outlasted its retries",
                        extra={"operation": func.__qualname__, "fault": fault.value, "attempts": attempt},
                    )
                    count(REFUSED)
                    raise exhausted(fault) from exc
                attempt += 1
                _sleep(wait)

    call.retries_faults = True  # type: ignore[attr-defined]  # checked by tests/unit/test_faults.py
    return call
