"""One Logger, Tracer and Metrics per function: handler and domain code log, trace and
count under the one service the template names.

The service and the namespace come from ``core.settings``: ``POWERTOOLS_SERVICE_NAME``,
which the template sets per function (``public_scan``, ``producer_api``, ...), and
``POWERTOOLS_METRICS_NAMESPACE`` (``OcopStamps``). They are read once, at import: one
process is one function. Layer: just above ``core``; nothing else of the package here.

**Tracing** (X-Ray) runs only where X-Ray is: in Lambda, not under ``sam local``, unless
``POWERTOOLS_TRACE_DISABLED`` (``Settings.tracing``). There ``tracer`` is Powertools'
``Tracer`` patching botocore alone (boto3 and pynamodb both reach AWS through it).
Anywhere else (tests, the local stack) it is a ``Tracer`` on a provider that records
nothing (``_Offline``): the decorators still wrap, so tests run the same code paths,
but ``aws_xray_sdk`` is never imported -- Powertools' own ``Tracer()`` imports
``aws_xray_sdk.core`` even when disabled, and that import builds an X-Ray botocore
client: 0.3-0.9 s on a development machine, more than ``import boto3``.
Responses never go on a trace (``capture_response=False`` on every decorator): they
hold the code keys, personal data, and up to 6 MB of page or print file.

**Metrics**: CloudWatch EMF in namespace ``OcopStamps``, unit Count, dimension
``service`` on every one; ``count`` prints each as one EMF line at once:

===================  ==================  ==================================================
metric               extra dimension     value, and where it is counted
===================  ==================  ==================================================
``Scans``            ``verdict``         1 per scan logged, by its headline verdict
                                         (``scanning.verification``)
``StampsIssued``     --                  the batch size, when a batch is issued
                                         (``issuing.batches``)
``LabelsRendered``   --                  labels in an inline print file or in one worker
                                         chunk (``printing.jobs``)
``FallbackWrites``   --                  1 per scan write sent to the fallback queue
``FallbackReplays``  --                  1 per pending scan the drain wrote
                                         (both ``scanning.fallback``)
``MachineFetches``   ``kind``            1 per preview, bot, prefetch or HEAD of a stamp's
                                         page, logged but not a scan (``scanning.verification``;
                                         their unknown codes count under ``Scans``)
``AlertsOpened``     ``alert_type``      1 per new alert; further occurrences are not
                                         counted (``inspection.detector``)
``UntrustedEdge``    ``reason``          1 per public request whose CloudFront viewer
                                         headers were ignored: ``no_secret`` (sent without
                                         the origin secret), ``wrong_secret``
                                         (``scanning.edge``)
``DynamoDbRefused``  --                  1 per DynamoDB call whose fault outlasted its
                                         retries: the request answered 409/503 or the
                                         batch is retried (``storage.faults``; alarm
                                         ``dynamodb-refused``)
``ColdStart``        ``function_name``   Powertools, on a process's first invocation
===================  ==================  ==================================================

``Scans`` is one metric with a ``verdict`` dimension rather than one metric per verdict:
one graph stacks every verdict (``SEARCH('{OcopStamps,service,verdict}
MetricName="Scans"', 'Sum', 300)``), a verdict added later shows up without touching a
dashboard, an alarm picks the one it watches (``verdict=unknown``: codes being guessed),
and the sum over verdicts is every scan. Alerts likewise, by ``alert_type``.

Each count is its own EMF line rather than part of the handler's batch: metrics with
different dimensions cannot share one (``verdict`` would stick to ``StampsIssued``), and
a line printed at once is never left pending -- nothing leaks into the next invocation,
nor between the functions that share one process in the local stack, nor out of unit
tests that call domain code without a handler. ``@metrics.log_metrics`` on every handler
adds ``ColdStart`` and flushes whatever a handler puts on ``metrics`` itself.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Generator, Sequence
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

from ocop_stamps.core.settings import get_settings

__all__ = ["count", "logger", "metrics", "tracer"]

SCANS = "Scans"
STAMPS_ISSUED = "StampsIssued"
LABELS_RENDERED = "LabelsRendered"
FALLBACK_WRITES = "FallbackWrites"
FALLBACK_REPLAYS = "FallbackReplays"
ALERTS_OPENED = "AlertsOpened"
UNTRUSTED_EDGE = "UntrustedEdge"
MACHINE_FETCHES = "MachineFetches"


class _Nothing(BaseSegment):
    """A subsegment that records nothing."""

    def close(self, end_time: int | None = None) -> None:
        pass

    def add_subsegment(self, subsegment: Any) -> None:
        pass

    def remove_subsegment(self, subsegment: Any) -> None:
        pass

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        pass


class _Offline(BaseProvider):
    """Powertools' tracing provider interface, recording nothing: tracing off, no X-Ray SDK."""

    _segment = _Nothing()

    @contextlib.contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Generator[BaseSegment, None, None]:
        yield self._segment

    @contextlib.asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> Any:
        yield self._segment

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass


def _tracer(service: str, on: bool) -> Tracer:
    if on:
        try:
            return Tracer(service=service, patch_modules=("botocore",))
        except ImportError:  # the layer was built without aws-lambda-powertools[tracer]
            logger.error("aws-xray-sdk is missing: tracing is off")
    offline = Tracer(service=service, provider=_Offline(), auto_patch=False, disabled=False)
    offline.disabled = True  # annotations and metadata are dropped before reaching the provider
    return offline


_settings = get_settings()
logger = Logger(service=_settings.service_name)
tracer = _tracer(_settings.service_name, _settings.tracing)
metrics = Metrics(namespace=_settings.metrics_namespace, service=_settings.service_name)

# Every count is its own EMF line, so the handler's batch is usually empty at the end of
# an invocation; Powertools' documented filter keeps log_metrics from warning each time.
warnings.filterwarnings("ignore", "No application metrics to publish*")


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Print one EMF line now: metric ``name`` (unit Count) = ``value``, dimensions
    ``service`` and ``dimensions``. Never raises: the work it counts stands regardless."""
    if _settings.metrics_disabled:
        return
    try:
        with single_metric(
            name=name,
            unit=MetricUnit.Count,
            value=value,
            namespace=_settings.metrics_namespace,
            default_dimensions={"service": _settings.service_name, **dimensions},
        ):
            pass
    except Exception:
        logger.exception("metric not written", extra={"metric": name})
