"""SMS gateway: a buyer's text with a stamp's code (and PIN) in, the verdict's reply out (issue 14, docs/SMS.md)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ocop_stamps.api import sms_gateway
from ocop_stamps.api.resolver import error_event_response, make_resolver
from ocop_stamps.codes.labels import public_base_url
from ocop_stamps.core.errors import DomainError
from ocop_stamps.core.ids import utc_now
from ocop_stamps.core.settings import get_settings
from ocop_stamps.observability import logger, metrics, tracer
from ocop_stamps.scanning import sms
from ocop_stamps.scanning.schemas import SmsIn

app = make_resolver(
    "OCOP stamps — SMS gateway",
    "/docs/sms",
    "The inbound-message webhook a telco SMS gateway calls with a buyer's text (a stamp's code, "
    "optionally its PIN); the answer is the reply to send back: at most 160 GSM-7 characters, "
    "Vietnamese without diacritics. Authenticated by the shared secret in X-Gateway-Secret "
    "(no bearer token). Form-encoded (Twilio's From, To, Body, MessageSid) or JSON as below. docs/SMS.md.",
)

CHECK_PIN: sms.CheckPin | None = (
    sms.check_pin
)  # a two-layer stamp's PIN (issue 14, docs/PIN.md); None: not checked by SMS


@app.post(
    "/sms/inbound",
    summary="An inbound SMS: reply with the stamp's verdict (counted as a scan, channel sms)",
    description="A retry with the same message id gets the same reply and counts nothing. "
    "401 without X-Gateway-Secret, 403 with a wrong one, 400 for a body that cannot be read, "
    "422 for missing or invalid fields, 409 while the same message is being answered, "
    "503 with Retry-After when the data store is failing (nothing counted: retry).",
    responses={
        200: {
            "description": "The reply: JSON (reply, message_id, verdict, pin, length, encoding), "
            "or TwiML <Response><Message> for a form-encoded request."
        }
    },
    security=[],
)
def inbound(message: Annotated[SmsIn, Body()]) -> Response[Any]:
    now = utc_now()
    base = public_base_url(get_settings().public_base_url, app.current_event.raw_event)
    answer = sms.answer_once(
        message.message_id,
        message.text,
        message.sender,
        base,
        now=sms.scan_time(message.received_at, now),
        check_pin=CHECK_PIN,
        lambda_context=app.lambda_context,
    )
    return sms_gateway.reply(answer, message.message_id, twiml=bool(app.context.get("twiml")))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refused = sms_gateway.gate(event)  # the shared secret, before the body is read
    if refused is not None:
        return refused
    try:
        readable = sms_gateway.as_json(event)
    except DomainError as exc:
        return error_event_response(exc)
    accept = str((event.get("headers") or {}).get("accept", ""))
    app.append_context(twiml=sms_gateway.is_form(event) and "application/json" not in accept)
    return app.resolve(readable, context)
