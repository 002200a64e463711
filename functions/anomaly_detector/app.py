"""Anomaly detector: the Scans table's DynamoDB stream in, deduplicated alerts out.

Powertools batch processing handles the stream batch record by record, in stream order
(the stream is ordered per partition key, i.e. per code), and reports failures one by one
(``ReportBatchItemFailures``): Lambda then retries from the first failed record, bisects
a batch that keeps failing, and after ``MaximumRetryAttempts`` sends the batch's
description to the dead-letter queue. Once a code has a failed record in this batch, its
later records are failed too, so no code is ever processed out of order. Every record is
idempotent (``anomalies.process_scan``), so records retried after a partial failure
change nothing twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps.api.startup import start
from ocop_stamps.inspection import detector as anomalies
from ocop_stamps.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
start()


class OutOfOrder(Exception):
    """An earlier record of the same code failed in this batch: this one waits for it."""


def _publisher() -> Any:
    return anomalies.alert_publisher()


def make_record_handler(failed_codes: set[str], rules: anomalies.Rules) -> Any:
    def record_handler(record: DynamoDBRecord) -> str:
        if record.event_name is None or record.event_name.name != "INSERT" or record.dynamodb is None:
            return "skipped"  # a rewrite of the same scan (MODIFY) or a TTL deletion (REMOVE)
        image = dict(record.dynamodb.new_image or {})
        code = str(image.get("code", ""))
        if code in failed_codes:
            raise OutOfOrder(code)
        try:
            outcome = anomalies.process_scan(image, rules)
        except Exception:
            failed_codes.add(code)
            logger.exception("scan record failed", extra={"code": code, "scan_key": image.get("scan_key")})
            raise
        if outcome.new_alerts:
            publisher = _publisher()
            for alert in outcome.new_alerts:
                logger.info("alert raised", extra={"alert_id": alert["alert_id"], "type": alert["type"]})
            if publisher is not None:
                try:
                    anomalies.publish(outcome.new_alerts, publisher)
                except Exception:  # the alert is in the queue either way; do not retry the record
                    logger.exception("notification failed")
        return "processed" if outcome.processed else "duplicate"

    return record_handler


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    handler = make_record_handler(set(), anomalies.Rules.from_settings())
    return process_partial_response(event=event, record_handler=handler, processor=processor, context=context)
