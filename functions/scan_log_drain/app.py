"""Scan-log drain: writes scans that DynamoDB refused at scan time (see ocop_stamps.scanning.fallback).

Powertools batch processing reports each failed message back to SQS, which redelivers
it; after the queue's maxReceiveCount it moves to the dead-letter queue for a person.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps.api.startup import start
from ocop_stamps.observability import logger, metrics, tracer
from ocop_stamps.scanning.fallback import replay

processor = BatchProcessor(event_type=EventType.SQS)
start()


def record_handler(record: SQSRecord) -> None:
    written = replay(json.loads(record.body))
    logger.info("pending scan written", extra={"code": written.code, "scan_key": written.scan_key})


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
