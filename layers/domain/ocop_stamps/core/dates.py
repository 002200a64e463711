"""Dates and times: the range the API takes for each kind of date, and stored dates read safely.

Ranges (issue 13; the table is docs/LIMITS.md, "Dates and times"). Nothing the service
records happened before ``EARLIEST`` (2000-01-01: the OCOP programme began in 2018, Decision
490/QĐ-TTg; the oldest decision, lot or certificate worth recording is far younger), and
the latest date depends on what the date says:

* ``PAST`` -- something that has happened (an OCOP decision, a production or harvest
  date): at most today in Vietnam;
* ``SOON`` -- something that happens about now (a process step, a field check): at most
  one day ahead (a date: tomorrow in Vietnam; a time: now + 24 hours), room for clocks and
  time zones but not for typing the year wrong;
* ``SHELF_LIFE`` -- an expiry date: at most 10 years from today (the longest real shelf
  lives, honey, dried herbs, rice wine, are well inside it);
* ``RATING`` -- the end of an OCOP rating: at most 3 years from today (a rating is valid at
  most 36 months from its decision, Decision 148/QĐ-TTg);
* ``QUERY`` -- an inspector's ``from``/``to`` filter: up to 2099-12-31, so "until whenever"
  can be written as a far date without reaching the end of the calendar.

A time without a time zone is a time in Vietnam. Problems are English sentences (the
``details`` of an error); ``PROBLEMS_VI`` gives each in Vietnamese.

Stored values: what is already in a table was typed by someone, maybe before these ranges
existed. ``day_of`` and ``show`` read any value -- a date, a time with or without a zone,
9999-12-31T23:59:59+14:00, text that is no date at all -- without ever raising, so a page or
an export never fails because of data a producer typed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ocop_stamps.core.vocabulary import VN_TZ

EARLIEST = dt.date(2000, 1, 1)
QUERY_LATEST = dt.date(2099, 12, 31)
TOO_EARLY = "must not be before 2000-01-01"


@dataclass(frozen=True)
class Window:
    """Dates from ``EARLIEST`` to a latest day: today + ``days``/``years`` in Vietnam, or ``fixed``."""

    too_late: str  # the problem of a value past the latest day (English)
    days: int = 0
    years: int = 0
    fixed: dt.date | None = None

    def latest_day(self, today: dt.date) -> dt.date:
        if self.fixed is not None:
            return self.fixed
        return add_years(today, self.years) + dt.timedelta(days=self.days)

    def problem(self, value: dt.date | dt.datetime, now: dt.datetime | None = None) -> str | None:
        """None if ``value`` is inside the window, else the sentence saying why not."""
        now = now or dt.datetime.now(dt.UTC)
        today = now.astimezone(VN_TZ).date()
        if isinstance(value, dt.datetime):
            moment = value if value.tzinfo is not None else value.replace(tzinfo=VN_TZ)
            if moment < dt.datetime.combine(EARLIEST, dt.time(), VN_TZ):
                return TOO_EARLY
            if self.days and self.fixed is None and not self.years:
                latest = now + dt.timedelta(days=self.days)
            else:
                latest = dt.datetime.combine(self.latest_day(today), dt.time.max, VN_TZ)
            return self.too_late if moment > latest else None
        if value < EARLIEST:
            return TOO_EARLY
        return self.too_late if value > self.latest_day(today) else None


PAST = Window("must not be in the future")
SOON = Window("must not be more than one day in the future", days=1)
SHELF_LIFE = Window("must not be more than 10 years from today", years=10)
RATING = Window("must not be more than 3 years from today", years=3)
QUERY = Window("must not be after 2099-12-31", fixed=QUERY_LATEST)

PROBLEMS_VI = {
    TOO_EARLY: "không được trước ngày 01/01/2000",
    PAST.too_late: "không được sau ngày hôm nay",
    SOON.too_late: "không được muộn hơn thời điểm hiện tại quá một ngày",
    SHELF_LIFE.too_late: "không được quá 10 năm kể từ hôm nay",
    RATING.too_late: "không được quá 3 năm kể từ hôm nay",
    QUERY.too_late: "không được sau ngày 31/12/2099",
}


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --- stored values, read without ever raising ---------------------------------------------------
def _moment(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def day_of(value: object) -> dt.date | None:
    """The day a stored date or time names (a time: its day in Vietnam when that exists, else
    its day as written); None for anything that is not a date."""
    if isinstance(value, dt.datetime):
        moment: dt.datetime | None = value
    elif isinstance(value, dt.date):
        return value
    else:
        text = str(value or "").strip()
        if len(text) <= 10:
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                return None
        moment = _moment(text)
    if moment is None:
        return None
    return _in_vietnam(moment).date()


def _in_vietnam(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Vietnam time; as written when it has no zone or Vietnam time would leave the calendar."""
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(VN_TZ)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-12:00 is in year 10000 in Vietnam
        return moment


def show(value: object) -> str:
    """``dd/mm/yyyy`` for a date, ``HH:MM, dd/mm/yyyy`` (Vietnam time) for a time, any other
    value as its text; never raises."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return _dmy(value)
    else:
        text = str(value)
        if len(text) <= 10:
            day = day_of(text)
            return _dmy(day) if day is not None else text
        parsed = _moment(text)
        if parsed is None:
            return text
        moment = parsed
    local = _in_vietnam(moment)
    return f"{local.hour:02d}:{local.minute:02d}, {_dmy(local.date())}"


def show_precise(value: object) -> str:
    """``dd/mm/yyyy HH:MM:SS`` in Vietnam time (exports); any other value as its text; never raises."""
    text = "" if value is None else str(value)
    moment = _moment(text) if len(text) > 10 else None
    if moment is None:
        return text
    local = _in_vietnam(moment)
    return f"{_dmy(local.date())} {local.hour:02d}:{local.minute:02d}:{local.second:02d}"


def _dmy(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
