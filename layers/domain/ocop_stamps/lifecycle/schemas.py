"""Request bodies of the lifecycle: voids, recalls and their lifting."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt, model_validator

from ocop_stamps.core.schema import MAX_BATCH_SIZE, Strict
from ocop_stamps.core.vocabulary import VoidReason


class VoidIn(Strict):
    """Void one stamp (by its code, or first_serial = last_serial) or a range of serials."""

    code: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    first_serial: StrictInt | None = Field(default=None, ge=1, le=MAX_BATCH_SIZE)
    last_serial: StrictInt | None = Field(default=None, ge=1, le=MAX_BATCH_SIZE)
    reason: VoidReason
    note: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _target(self) -> VoidIn:
        if (self.code is None) == (self.first_serial is None):
            raise ValueError("give either code or first_serial (with last_serial), not both")
        if self.first_serial is not None:
            self.last_serial = self.first_serial if self.last_serial is None else self.last_serial
            if self.last_serial < self.first_serial:
                raise ValueError("last_serial must not be smaller than first_serial")
        elif self.last_serial is not None:
            raise ValueError("give either code or first_serial (with last_serial), not both")
        return self


class RecallIn(Strict):
    reason: Annotated[str, Field(min_length=3, max_length=500)] = Field(description="Why (for inspectors).")
    message_vi: Annotated[str, Field(min_length=3, max_length=1000)] = Field(
        description="What consumers see on the scan page, in Vietnamese."
    )
    message_en: Annotated[str, Field(min_length=3, max_length=1000)] | None = None


class LiftIn(Strict):
    reason: Annotated[str, Field(min_length=3, max_length=500)]
