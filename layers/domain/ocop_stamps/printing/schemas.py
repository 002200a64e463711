"""The body of ``POST /batches/{batch_id}/print-files``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, model_validator

from ocop_stamps.core.schema import ROUND_MM, RULES_VI, Strict
from ocop_stamps.printing.qr import ErrorLevel
from ocop_stamps.printing.sheets import PRESETS, Preset, Sheet

RULES_VI.setdefault(
    "give preset or custom, not both", "hãy chọn cỡ tem có sẵn (`preset`) hoặc cỡ tự đặt (`custom`), không chọn cả hai"
)

Format = Literal["pdf", "svg_zip", "png_zip"]


class CustomSheet(Strict):
    """A sheet of any size: labels, grid, margins and pitch in millimetres (A4 by default)."""

    label_w_mm: Annotated[StrictFloat, ROUND_MM] = Field(gt=5, le=300)
    label_h_mm: Annotated[StrictFloat, ROUND_MM] = Field(gt=5, le=300)
    cols: StrictInt = Field(default=1, ge=1, le=50)
    rows: StrictInt = Field(default=1, ge=1, le=100)
    margin_left_mm: Annotated[StrictFloat, ROUND_MM] = Field(default=0, ge=0, le=300)
    margin_top_mm: Annotated[StrictFloat, ROUND_MM] = Field(default=0, ge=0, le=500)
    pitch_x_mm: Annotated[StrictFloat, ROUND_MM] | None = Field(
        default=None, gt=0, le=300, description="Default: the label width (no gap)."
    )
    pitch_y_mm: Annotated[StrictFloat, ROUND_MM] | None = Field(
        default=None, gt=0, le=500, description="Default: the label height (no gap)."
    )
    page_w_mm: Annotated[StrictFloat, ROUND_MM] = Field(default=210, gt=10, le=1000)
    page_h_mm: Annotated[StrictFloat, ROUND_MM] = Field(default=297, gt=10, le=2000)

    def sheet(self) -> Sheet:
        return Sheet(
            self.label_w_mm,
            self.label_h_mm,
            self.cols,
            self.rows,
            self.margin_left_mm,
            self.margin_top_mm,
            self.pitch_x_mm or self.label_w_mm,
            self.pitch_y_mm or self.label_h_mm,
            self.page_w_mm,
            self.page_h_mm,
        )


class PrintFilesIn(Strict):
    format: Format = "pdf"
    preset: Preset | None = Field(
        default=None, description="a4-65: 38.1x21.2 mm; a4-40: 52.5x29.7 mm; a4-24: 70x37 mm. Default a4-65."
    )
    custom: CustomSheet | None = None
    first_serial: StrictInt | None = Field(default=None, ge=1, le=1_048_575)
    last_serial: StrictInt | None = Field(default=None, ge=1, le=1_048_575)
    dpi: StrictInt = Field(default=300, ge=72, le=1200, description="PNG only.")
    cut_marks: StrictBool = False
    error_correction: ErrorLevel = "M"

    @model_validator(mode="after")
    def _one_sheet(self) -> PrintFilesIn:
        if self.preset and self.custom:
            raise ValueError("give preset or custom, not both")
        if self.first_serial and self.last_serial and self.first_serial > self.last_serial:
            raise ValueError("last_serial must not be smaller than first_serial")
        return self

    def sheet(self) -> Sheet:
        return self.custom.sheet() if self.custom else PRESETS[self.preset or "a4-65"]


class PinLayerIn(Strict):
    """The body of ``POST /batches/{batch_id}/pin-layer`` (issue 14, docs/PIN.md): the PIN layer
    of a two-layer batch, on the same sheet as its QR labels (give the same preset or custom
    sheet and error correction as for the print files, so the panels line up)."""

    format: Literal["pdf", "csv"] = "pdf"
    preset: Preset | None = Field(default=None, description="As for the print files. Default a4-65.")
    custom: CustomSheet | None = None
    first_serial: StrictInt = Field(ge=1, le=1_048_575)
    last_serial: StrictInt = Field(ge=1, le=1_048_575)
    cut_marks: StrictBool = False
    error_correction: ErrorLevel = "M"

    @model_validator(mode="after")
    def _one_sheet(self) -> PinLayerIn:
        if self.preset and self.custom:
            raise ValueError("give preset or custom, not both")
        if self.first_serial > self.last_serial:
            raise ValueError("last_serial must not be smaller than first_serial")
        return self

    def sheet(self) -> Sheet:
        return self.custom.sheet() if self.custom else PRESETS[self.preset or "a4-65"]
