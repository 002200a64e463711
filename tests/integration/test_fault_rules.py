"""storage.faults, the one mechanism behind issue 13: which DynamoDB errors are faults, how
often and how long they are retried, what the caller is told after, and that every DynamoDB
client and every storage function is under it."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from pynamodb.exceptions import GetError, TransactWriteError, VerboseClientError

from ocop_stamps.core.errors import Conflict, RecordFull, Unavailable
from ocop_stamps.storage import faults, repository
from ocop_stamps.storage import inspection as inspection_store
from ocop_stamps.storage import printing as print_store
from ocop_stamps.storage.faults import Fault, fault_of
from ocop_stamps.storage.models import ALL_MODELS

ONE_ATTEMPT = {"mode": "standard", "total_max_attempts": 1}


def client_error(code: str, reasons: list[str] | None = None, status: int = 400, message: str = "x") -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, "Op")


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (client_error("ProvisionedThroughputExceededException"), Fault.throttled),
        (client_error("ThrottlingException"), Fault.throttled),
        (client_error("RequestLimitExceeded"), Fault.throttled),
        (client_error("InternalServerError", status=500), Fault.unavailable),
        (client_error("ServiceUnavailable", status=503), Fault.unavailable),
        (client_error("SomethingNew", status=502), Fault.unavailable),
        (client_error("TransactionConflictException"), Fault.conflict),
        (client_error("TransactionCanceledException", ["None", "TransactionConflict"]), Fault.conflict),
        (client_error("TransactionCanceledException", ["ThrottlingError", "None"]), Fault.throttled),
        (
            client_error("TransactionCanceledException", ["ProvisionedThroughputExceeded", "TransactionConflict"]),
            Fault.conflict,
        ),
        (client_error("TransactionCanceledException", ["ConditionalCheckFailed", "TransactionConflict"]), None),
        (client_error("TransactionCanceledException", []), None),
        (client_error("ConditionalCheckFailedException"), None),
        (client_error("ValidationException"), None),
        (client_error("ResourceNotFoundException"), None),
        (EndpointConnectionError(endpoint_url="https://dynamodb"), Fault.unavailable),
        (ReadTimeoutError(endpoint_url="https://dynamodb"), Fault.unavailable),
        (ValueError("not a fault"), None),
    ],
)
def test_given_an_error_dynamodb_returns_then_it_is_named_a_fault_or_left_to_the_caller(error, fault):
    assert fault_of(error) == fault


def test_given_pynamodb_and_powertools_wrappers_then_the_fault_inside_is_found():
    from pynamodb.connection.base import CancellationReason

    conflict = VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "x"}},
        "TransactWriteItems",
        cancellation_reasons=[None, CancellationReason(code="TransactionConflict")],
    )
    assert fault_of(TransactWriteError("Failed to write transaction items", conflict)) == Fault.conflict
    throttled = GetError("Failed to get item", client_error("ProvisionedThroughputExceededException"))
    assert fault_of(throttled) == Fault.throttled
    try:
        try:
            raise client_error("ThrottlingException")
        except ClientError as exc:
            raise RuntimeError("Failed to save in progress record to idempotency store") from exc
    except RuntimeError as wrapped:
        assert fault_of(wrapped) == Fault.throttled
    already_answered = Unavailable("busy", "bận")
    already_answered.__cause__ = client_error("ThrottlingException")
    assert fault_of(already_answered) is None  # never retried twice over


class Clock:
    def __init__(self) -> None:
        self.now, self.waits = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(faults, "_clock", lambda: c.now)
    monkeypatch.setattr(faults, "_sleep", c.sleep)
    monkeypatch.setattr(faults, "_random", lambda: 1.0)
    return c


def flaky(errors: list[BaseException]) -> Any:
    calls = []

    @faults.retrying
    def op() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "done"

    op.calls = calls  # type: ignore[attr-defined]
    return op


def test_given_faults_that_clear_then_the_call_succeeds_after_waits_that_grow_and_are_capped(clock: Clock):
    op = flaky([client_error("ThrottlingException")] * 3)
    assert op() == "done" and len(op.calls) == 4
    assert clock.waits == [0.25, 0.5, 1.0]  # full jitter drawn at its longest: BASE * 2**n, below CAP


def test_given_a_conflict_that_persists_then_409_retry_after_after_every_attempt(clock: Clock):
    op = flaky([client_error("TransactionConflictException")] * 10)
    with pytest.raises(Conflict) as caught:
        op()
    assert len(op.calls) == faults.ATTEMPTS and caught.value.headers() == {"Retry-After": "1"}
    assert sum(clock.waits) < 0.5  # conflicts clear in milliseconds: short waits


def test_given_a_throttle_that_persists_then_503_with_retry_after(clock: Clock):
    op = flaky([client_error("ProvisionedThroughputExceededException")] * 10)
    with pytest.raises(Unavailable) as caught:
        op()
    assert caught.value.status == 503 and caught.value.retry_after == 5
    assert caught.value.code == "unavailable" and caught.value.message_vi


def test_given_anything_but_a_fault_then_it_is_raised_at_once(clock: Clock):
    op = flaky([client_error("ConditionalCheckFailedException")])
    with pytest.raises(ClientError):
        op()
    assert len(op.calls) == 1 and clock.waits == []


class Context:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


@pytest.mark.parametrize(
    ("context", "budget"),
    [(None, 20.0), (Context(29), 20.0), (Context(10), 4.0), (Context(3), 0.0)],
    ids=["no context", "29 s function", "10 s function", "3 s left"],
)
def test_given_a_request_then_its_retry_budget_leaves_one_attempt_and_a_margin_before_its_timeout(context, budget):
    with faults.request_budget(context) as seconds:
        assert seconds == pytest.approx(budget)
    assert faults._deadline.get() is None  # and it ends with the request


def test_given_a_request_near_its_deadline_then_no_wait_past_it_is_started(clock: Clock):
    op = flaky([client_error("ThrottlingException")] * 10)
    with faults.request_budget(Context(6.6)), pytest.raises(Unavailable):  # 0.6 s to wait in
        op()
    assert clock.waits == [0.25] and len(op.calls) == 2  # the next wait (0.5 s) would end past it
    assert sum(clock.waits) <= 0.6


def test_given_every_dynamodb_client_then_botocore_makes_one_attempt_with_short_timeouts(aws):
    from ocop_stamps.issuing import idempotency

    clients = {
        "pynamodb models": [m._get_connection().connection.client for m in ALL_MODELS],
        "transactions": [repository._connection().client],
        "alerts table": [inspection_store.client()],
        "print jobs": [print_store._ddb()],
        "idempotency table": [idempotency.persistence().client],
    }
    for name, found in clients.items():
        for client in found:
            config = client.meta.config
            assert config.retries == ONE_ATTEMPT, name
            assert (config.connect_timeout, config.read_timeout) == (faults.CONNECT_TIMEOUT, faults.READ_TIMEOUT), name


STORAGE_IO = {
    repository: lambda src: "@tracer.capture_method" in src,
    inspection_store: lambda src: "@tracer.capture_method" in src,
    print_store: lambda src: "_ddb()" in src,
}


def test_given_the_storage_modules_then_every_function_that_calls_dynamodb_retries_its_faults():
    unguarded = []
    for module, calls_dynamodb in STORAGE_IO.items():
        for name, func in vars(module).items():
            if not inspect.isfunction(func) or func.__module__ != module.__name__ or name.startswith("_"):
                continue
            source = inspect.getsource(func)
            if calls_dynamodb(source) and not getattr(func, "retries_faults", False):
                unguarded.append(f"{module.__name__}.{name}")
    assert unguarded == []


def test_given_requests_answered_at_once_in_threads_then_each_keeps_its_own_budget(clock: Clock):
    import threading

    both_inside = threading.Barrier(2)
    seen: dict[str, float | None] = {}

    def request(name: str, context: Context) -> None:
        with faults.request_budget(context):
            both_inside.wait(timeout=10)  # the local stack answers requests in threads
            seen[name] = faults._deadline.get()

    threads = [threading.Thread(target=request, args=a) for a in (("public", Context(10)), ("producer", Context(29)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"public": 4.0, "producer": 20.0}


@pytest.mark.parametrize(
    "error",
    [
        client_error("ValidationException", message="Item size to update has exceeded the maximum allowed size"),
        client_error("ValidationException", message="Item size has exceeded the maximum allowed size"),
        client_error(
            "TransactionCanceledException",
            reasons=["None", "ValidationException"],
            message="Transaction cancelled [None, ValidationException]: Item size has exceeded the maximum allowed size",
        ),
    ],
)
def test_given_a_write_that_would_pass_400_kb_then_409_record_full_in_both_languages_at_once(clock: Clock, error):
    op = flaky([error])
    with pytest.raises(RecordFull) as caught:
        op()
    assert len(op.calls) == 1 and clock.waits == []  # not a fault: retrying cannot help
    assert caught.value.status == 409 and caught.value.code == "record_full"
    assert "400 KB" in str(caught.value) and "400 KB" in caught.value.message_vi


def test_given_a_real_item_over_400_kb_in_moto_then_the_write_answers_record_full(aws):
    @faults.retrying
    def save_huge() -> None:  # as a recall, void or rating appended to a full history would
        faults.dynamodb_client().put_item(
            TableName="ocop-catalog", Item={"pk": {"S": "LOT#huge"}, "sk": {"S": "PROFILE"}, "h": {"S": "ữ" * 140_000}}
        )

    with pytest.raises(RecordFull):
        save_huge()
