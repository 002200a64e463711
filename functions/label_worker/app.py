"""Label worker: renders print-job chunks from the label-jobs queue into S3.

One SQS message = one chunk (``{"job_id", "chunk"}``). Powertools batch processing reports
each failed record on its own (``ReportBatchItemFailures``), so a failed chunk is retried
by SQS without redoing the others; on its last delivery (the queue's maxReceiveCount,
``PRINT_MAX_RECEIVES``) the job is marked failed and the message goes to the dead-letter
queue.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps.api.startup import start
from ocop_stamps.core.settings import get_settings
from ocop_stamps.observability import logger, metrics, tracer
from ocop_stamps.printing import jobs as print_jobs

processor = BatchProcessor(event_type=EventType.SQS)
start()


def record_handler(record: SQSRecord) -> str:
    message = json.loads(record.body)
    job_id, chunk = str(message["job_id"]), int(message["chunk"])
    try:
        outcome = print_jobs.render_chunk(job_id, chunk)
    except Exception as exc:
        tries = int(record.attributes.approximate_receive_count or 1)
        last_try = tries >= get_settings().print_max_receives
        logger.exception("chunk failed", extra={"job_id": job_id, "chunk": chunk, "try": tries, "last_try": last_try})
        if last_try:
            print_jobs.fail_chunk(job_id, chunk, type(exc).__name__)
        raise
    logger.info(outcome, extra={"job_id": job_id, "chunk": chunk})
    return outcome


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
