"""The request body of ``POST /sms/inbound`` (issue 14, docs/SMS.md): one text message a telco
SMS gateway received for the service's number.

Two shapes are read, one per content type, into the same model (each field names the one it
is read from first in JSON, then in Twilio's form):

* ``application/json`` -- ``{"from", "to", "text", "message_id", "received_at"}``, the shape
  most gateways' JSON webhooks send (httpSMS, LOX24, Swift and others differ only in names);
* ``application/x-www-form-urlencoded`` -- Twilio's incoming-message webhook: ``From``,
  ``To``, ``Body``, ``MessageSid`` (no time: the message is as old as the request).

Unknown fields are ignored, not refused (unlike every other body, ``core.schema.Strict``):
gateways add fields without notice -- Twilio says so of its webhook -- and a refused message is
an answer the buyer never gets.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AliasChoices, ConfigDict, Field, field_validator

from ocop_stamps.core.schema import Strict

MAX_TEXT = 1600  # characters: ten concatenated segments, the most Twilio delivers as one message


class SmsIn(Strict):
    """One inbound text message."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    sender: Annotated[
        str,
        Field(
            min_length=1,
            max_length=32,
            validation_alias=AliasChoices("from", "From"),
            description="The sender's number as the gateway gives it (E.164 or national: +84912345678, "
            "84912345678, 0912345678). Only a salted hash of it is kept.",
        ),
    ]
    to: Annotated[
        str | None,
        Field(
            default=None,
            max_length=32,
            validation_alias=AliasChoices("to", "To"),
            description="The service's number the message was sent to (not used).",
        ),
    ] = None
    text: Annotated[
        str,
        Field(
            default="",
            max_length=MAX_TEXT,
            validation_alias=AliasChoices("text", "Body"),
            description="The message: the stamp's code, optionally after the keyword OCOP, optionally followed "
            "by the PIN under the scratch-off layer ('OCOP ABCD-EFGH-JKMN-PQRS 123456').",
        ),
    ] = ""
    message_id: Annotated[
        str,
        Field(
            pattern=r"^[\x21-\x7e]{1,128}$",
            validation_alias=AliasChoices("message_id", "MessageSid"),
            description="The gateway's id of the message: a retry with the same id is answered again, never counted again.",
        ),
    ]
    received_at: Annotated[
        dt.datetime | None,
        Field(
            default=None,
            validation_alias=AliasChoices("received_at", "timestamp"),
            description="When the gateway received the message: ISO 8601 with its offset, or Unix seconds. "
            "The scan's time when within the last 24 hours; otherwise the time of the request.",
        ),
    ] = None

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("received_at needs a time zone offset (Z or +07:00)")
        return value
