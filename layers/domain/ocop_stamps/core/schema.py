"""What every request body shares: the strict base model, field types, and the Vietnamese words for cross-field rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ocop_stamps.core.vocabulary import VN_TZ

MAX_BATCH_SIZE = 1_000_000

Text = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]
LongText = Annotated[str, Field(max_length=2000)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
EntityId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,48}$")]


def today_vn() -> dt.date:
    return dt.datetime.now(VN_TZ).date()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Cross-field rules above, in Vietnamese, for error messages shown to producers.
RULES_VI = {
    "decision_date is in the future": "ngày quyết định nằm ở tương lai",
    "valid_until must be after decision_date": "ngày hết hiệu lực phải sau ngày quyết định",
    "production_date is in the future": "ngày sản xuất nằm ở tương lai",
    "expiry_date must be after production_date": "hạn sử dụng phải sau ngày sản xuất",
    "origin.harvest_date must not be after production_date": "ngày thu hoạch không được sau ngày sản xuất",
    "last_serial must not be smaller than first_serial": "last_serial không được nhỏ hơn first_serial",
    "give either code or first_serial (with last_serial), not both": "hãy cho mã tem hoặc khoảng sê-ri, không cả hai",
    "a withdrawal needs a reason": "thu hồi chứng nhận cần có lý do",
    "a withdrawal takes no rating": "thu hồi chứng nhận không kèm hạng sao",
    "record, renew and downgrade need a rating": "ghi nhận, gia hạn hoặc hạ hạng cần thông tin hạng sao",
}
