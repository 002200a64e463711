"""Request bodies of issuing: a batch of stamps, and the activation of a serial range."""

from __future__ import annotations

from pydantic import Field, StrictBool, StrictInt, model_validator

from ocop_stamps.core.schema import MAX_BATCH_SIZE, EntityId, Strict, Text


class BatchIn(Strict):
    product_id: EntityId
    size: StrictInt = Field(ge=1, le=MAX_BATCH_SIZE, description="Number of stamps, 1 to 1,000,000.")
    note: Text | None = None
    second_layer: StrictBool = Field(
        default=False,
        description=(
            "Two-layer stamps (tem cào, issue 14): each label also carries a scratch-off PIN that the "
            "first buyer enters to claim it (docs/PIN.md). Costs more to print. Default false."
        ),
    )


class ActivationIn(Strict):
    first_serial: StrictInt = Field(ge=1, le=MAX_BATCH_SIZE)
    last_serial: StrictInt = Field(ge=1, le=MAX_BATCH_SIZE)
    lot_id: EntityId

    @model_validator(mode="after")
    def _range(self) -> ActivationIn:
        if self.last_serial < self.first_serial:
            raise ValueError("last_serial must not be smaller than first_serial")
        return self
