"""Numbers DynamoDB cannot hold never reach it (issue 13 break test: a 500 on POST /lots).

DynamoDB refuses a number whose magnitude is below 1e-130; coordinates and millimetres are
rounded at the schema boundary (``core.schema.ROUND_DEGREES``, ``ROUND_MM``), so a tiny
float becomes 0 (or is refused by the field's own bounds) instead of failing the write.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ocop_stamps.catalog.schemas import Origin
from ocop_stamps.printing.schemas import CustomSheet


@pytest.mark.parametrize("tiny", [1e-200, 5e-324, -1e-131])
def test_given_a_tiny_coordinate_when_a_lot_origin_is_read_then_it_is_zero_not_a_number_dynamodb_refuses(
    tiny: float,
) -> None:
    origin = Origin.model_validate({"province": "Thái Nguyên", "latitude": tiny, "longitude": 105.123456789})
    assert origin.latitude == 0.0 and origin.longitude == 105.1234568  # about 1 cm


def test_given_tiny_millimetres_when_a_custom_sheet_is_read_then_margins_round_and_a_zero_pitch_is_refused() -> None:
    sheet = CustomSheet.model_validate({"label_w_mm": 30.00000001, "label_h_mm": 30, "margin_left_mm": 1e-300})
    assert sheet.margin_left_mm == 0.0 and sheet.label_w_mm == 30.0
    with pytest.raises(ValidationError, match="greater than 0"):
        CustomSheet.model_validate({"label_w_mm": 30, "label_h_mm": 30, "pitch_x_mm": 1e-200})
