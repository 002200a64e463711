"""What every request body shares: the strict base model, field types, and the Vietnamese words for cross-field rules.

Text (issue 13; NFC for issue 11): every ``str`` of every request body -- nested models and
lists included -- goes through ``clean_text`` in ``Strict`` before it is validated. The
choice is to *strip*, not refuse: invisible format characters (Unicode category Cf: the
bidi embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069, the marks
U+200E/U+200F/U+061C, zero-width U+200B-U+200D, the word joiner U+2060, U+FEFF, the soft
hyphen, tag characters; a zero-width joiner inside an emoji goes too) and control
characters (Cc) other than tab, line feed and carriage return are removed, then the text
is normalised to NFC (a name pasted from a Mac arrives decomposed). They arrive by copy and paste far
more often than by malice, a person cannot see them to remove them from an error message,
and once removed the text shows in its real order, so a reordered name can no longer pass
for another one on the consumer page or the labels. Lengths and patterns are checked on the
cleaned text (a name made only of invisible characters is empty, hence refused). A lone
surrogate cannot be stored at all and is refused (the API answers 400 before a schema
sees it; ``clean_text`` refuses it too).

Dates (issue 13): every date and time a body takes has a range (``core.dates``: nothing
before 2000-01-01, and a latest day that depends on what the date says), declared once
here as annotated types and used by every schema: ``PastDay``, ``SoonDay``, ``ExpiryDay``,
``RatingEndDay``, ``SoonMoment``. A date outside its range is a 422 naming the field, with
the problem in English and Vietnamese (``RULES_VI``).

Numbers and flags: a JSON body's numbers must be JSON numbers and its flags JSON booleans
(``StrictInt``, ``StrictFloat``, ``StrictBool`` in every schema): ``true`` is not 1, ``"5"``
is not 5 and 1.5 is not an integer. ``StrictFloat`` still takes a JSON integer. Query
parameters are declared in the functions, not here, and stay parsed from their text.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ocop_stamps.core import dates
from ocop_stamps.core.text import LONE_SURROGATE, clean_text

MAX_BATCH_SIZE = 1_000_000

Text = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]
LongText = Annotated[str, Field(max_length=2000)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
EntityId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,48}$")]


def _rounded(digits: int) -> AfterValidator:
    """Round a float to ``digits`` decimals: DynamoDB refuses numbers whose magnitude is
    below 1e-130 (a 500 before issue 13's break test), and no measurement here is finer."""
    return AfterValidator(lambda v: v if v is None else round(v, digits) + 0.0)


# A coordinate in decimal degrees to 7 decimals (about 1 cm); millimetres to 3 (1 µm):
# ``Annotated[StrictFloat, ROUND_DEGREES]``.
ROUND_DEGREES = _rounded(7)
ROUND_MM = _rounded(3)


def _within(window: dates.Window) -> AfterValidator:
    def check(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
        problem = window.problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


# Dates and times of request bodies, each with its range (core.dates; docs/LIMITS.md).
PastDay = Annotated[dt.date, _within(dates.PAST), Field(description="A date from 2000-01-01 to today (Vietnam).")]
SoonDay = Annotated[dt.date, _within(dates.SOON), Field(description="A date from 2000-01-01 to tomorrow (Vietnam).")]
ExpiryDay = Annotated[
    dt.date, _within(dates.SHELF_LIFE), Field(description="A date from 2000-01-01 to 10 years from today.")
]
RatingEndDay = Annotated[
    dt.date, _within(dates.RATING), Field(description="A date from 2000-01-01 to 3 years from today.")
]
SoonMoment = Annotated[
    dt.date | dt.datetime,
    _within(dates.SOON),
    Field(
        description="A date, or a time (ISO 8601; without a zone: Vietnam time), from 2000-01-01 to one day from now."
    ),
]


def _clean_all(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return type(value)(_clean_all(v) for v in value)
    if isinstance(value, dict):
        return {k: _clean_all(v) for k, v in value.items()}
    return value


class Strict(BaseModel):
    """The base of every request body: unknown fields refused, text trimmed and cleaned (see the module doc)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return _clean_all(value)


# Cross-field rules above, in Vietnamese, for error messages shown to producers.
RULES_VI = {
    **dates.PROBLEMS_VI,
    "expiry_date must be after production_date": "hạn sử dụng phải sau ngày sản xuất",
    "origin.harvest_date must not be after production_date": "ngày thu hoạch không được sau ngày sản xuất",
    "last_serial must not be smaller than first_serial": "sê-ri cuối (`last_serial`) không được nhỏ hơn sê-ri đầu (`first_serial`)",
    "give either code or first_serial (with last_serial), not both": "hãy cho mã tem hoặc khoảng sê-ri, không cả hai",
    "a withdrawal needs a reason": "thu hồi chứng nhận cần có lý do",
    "a withdrawal takes no rating": "thu hồi chứng nhận không kèm hạng sao",
    "record, renew and downgrade need a rating": "công nhận, công nhận lại hoặc hạ hạng cần thông tin hạng sao",
    LONE_SURROGATE: "chứa ký tự surrogate đơn lẻ (không phải văn bản Unicode)",
}
