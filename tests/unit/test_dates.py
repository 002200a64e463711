"""Dates and times (issue 13, kind 2): every date the API takes has a range, and any date
already stored -- the end of the calendar, a time without a zone, no date at all -- reads
and renders without an error.

The ranges are in ``ocop_stamps.core.dates`` and docs/LIMITS.md ("Dates and times"); the
request schemas take them through the annotated types of ``ocop_stamps.core.schema``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from helpers.scan_results import result
from ocop_stamps.catalog.ratings import checked
from ocop_stamps.catalog.schemas import LotIn, OcopRating
from ocop_stamps.catalog.views import rating_status, shelf_life_days
from ocop_stamps.core import dates
from ocop_stamps.core.errors import BadRequest
from ocop_stamps.core.schema import RULES_VI, ExpiryDay, PastDay, RatingEndDay, SoonDay, SoonMoment
from ocop_stamps.core.vocabulary import VN_TZ
from ocop_stamps.inspection.queries import make_filters
from ocop_stamps.pages import scan_page

# 10:00 on 15 March 2026 in Vietnam
NOW = dt.datetime(2026, 3, 15, 3, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 15)
END_OF_CALENDAR = [
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-12:00",
    "9999-12-31T23:59:59",
    "0001-01-01T00:00",
    "9999-12-31T23:59:59.999999Z",
]


# --- the windows, at their edges -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("window", "latest"),
    [
        (dates.PAST, TODAY),
        (dates.SOON, dt.date(2026, 3, 16)),
        (dates.SHELF_LIFE, dt.date(2036, 3, 15)),
        (dates.RATING, dt.date(2029, 3, 15)),
        (dates.QUERY, dt.date(2099, 12, 31)),
    ],
)
def test_given_a_date_window_then_2000_01_01_to_its_latest_day_is_in_and_one_day_beyond_is_out(
    window: dates.Window, latest: dt.date
):
    assert window.problem(dt.date(2000, 1, 1), NOW) is None
    assert window.problem(latest, NOW) is None
    assert window.problem(dt.date(1999, 12, 31), NOW) == dates.TOO_EARLY
    assert window.problem(latest + dt.timedelta(days=1), NOW) == window.too_late
    assert window.problem(dt.date.max, NOW) == window.too_late
    assert window.problem(dt.date.min, NOW) == dates.TOO_EARLY


def test_given_a_time_then_soon_means_at_most_24_hours_ahead_and_no_zone_means_vietnam():
    assert dates.SOON.problem(NOW + dt.timedelta(hours=23), NOW) is None
    assert dates.SOON.problem(NOW + dt.timedelta(hours=25), NOW) == dates.SOON.too_late
    # 2000-01-01 00:00 in Vietnam is 1999-12-31 17:00 UTC
    assert dates.SOON.problem(dt.datetime(2000, 1, 1, 0, 0), NOW) is None
    assert dates.SOON.problem(dt.datetime(1999, 12, 31, 16, 59, tzinfo=dt.UTC), NOW) == dates.TOO_EARLY


@pytest.mark.parametrize("text", [t for t in END_OF_CALENDAR if len(t) > 10])
def test_given_a_time_at_the_end_of_the_calendar_then_every_window_refuses_it_without_an_error(text: str):
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    for window in (dates.PAST, dates.SOON, dates.SHELF_LIFE, dates.RATING, dates.QUERY):
        assert window.problem(moment, NOW) in (dates.TOO_EARLY, window.too_late)


def test_every_date_problem_has_its_vietnamese_words():
    problems = {dates.TOO_EARLY} | {w.too_late for w in (dates.PAST, dates.SOON, dates.SHELF_LIFE, dates.RATING)}
    assert problems | {dates.QUERY.too_late} <= set(dates.PROBLEMS_VI)
    assert all(RULES_VI[p] == dates.PROBLEMS_VI[p] for p in problems)


# --- the annotated types every schema uses ---------------------------------------------------------
@pytest.mark.parametrize("kind", [PastDay, SoonDay, ExpiryDay, RatingEndDay, SoonMoment])
@pytest.mark.parametrize("text", END_OF_CALENDAR)
def test_given_a_body_date_at_the_end_of_the_calendar_then_it_is_refused_with_a_reason(kind: Any, text: str):
    adapter = TypeAdapter(kind)
    try:
        adapter.validate_python(text)
    except ValidationError as exc:
        (error,) = exc.errors()
        # a date type given a time is refused for its shape; every other case for its range
        assert error["type"].startswith("date") or str(error["msg"]).removeprefix("Value error, ") in RULES_VI
    else:
        pytest.fail(f"{text} was accepted")


def test_given_ordinary_dates_then_the_types_take_them():
    today = dt.datetime.now(VN_TZ).date()
    assert TypeAdapter(PastDay).validate_python("2000-01-01") == dt.date(2000, 1, 1)
    assert TypeAdapter(PastDay).validate_python(today.isoformat()) == today
    assert TypeAdapter(SoonDay).validate_python((today + dt.timedelta(days=1)).isoformat())
    assert TypeAdapter(ExpiryDay).validate_python(dates.add_years(today, 9).isoformat())
    assert TypeAdapter(RatingEndDay).validate_python(dates.add_years(today, 2).isoformat())
    assert TypeAdapter(SoonMoment).validate_python("2026-01-01T08:00:00+07:00").hour == 8
    assert TypeAdapter(SoonMoment).validate_python("2026-01-01") == dt.date(2026, 1, 1)


def _lot(**changes: Any) -> dict[str, Any]:
    lot = {
        "product_id": "prd_1",
        "lot_code": "L1",
        "production_date": "2025-01-10",
        "expiry_date": "2026-01-10",
        "quantity": 10,
        "origin": {"province": "Thái Nguyên"},
    }
    lot.update(changes)
    return lot


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"production_date": "1999-12-31"}, "production_date", dates.TOO_EARLY),
        ({"production_date": "2999-01-01"}, "production_date", dates.PAST.too_late),
        ({"expiry_date": "9999-12-31"}, "expiry_date", dates.SHELF_LIFE.too_late),
        ({"origin": {"province": "Cao Bằng", "harvest_date": "0001-01-01"}}, "origin.harvest_date", dates.TOO_EARLY),
        ({"process_steps": [{"step": "Sấy", "when": "9999-12-31T23:59:59+14:00"}]}, "process_steps.0.when", "future"),
        ({"process_steps": [{"step": "Sấy", "when": "1970-01-01"}]}, "process_steps.0.when", dates.TOO_EARLY),
    ],
)
def test_given_a_lot_with_a_date_out_of_range_then_the_field_and_its_problem_are_named(
    changes: dict[str, Any], field: str, problem: str | None
):
    with pytest.raises(ValidationError) as caught:
        LotIn.model_validate(_lot(**changes))
    errors = caught.value.errors()
    assert [e for e in errors if ".".join(map(str, e["loc"])).startswith(field)], errors
    assert problem is None or any(problem in str(e["msg"]) for e in errors)


def test_given_a_rating_then_it_is_valid_at_most_36_months_from_its_decision():
    rating = {
        "stars": 4,
        "decision": {
            "number": "12/QĐ-UBND",
            "date": "2024-02-29",
            "issuing_level": "province",
            "issuing_body": "UBND tỉnh",
        },
        "certificate": {"number": "12/GCN"},
    }
    assert checked(OcopRating.model_validate(rating))["valid_until"] == "2027-02-28"
    shorter = OcopRating.model_validate({**rating, "valid_until": "2026-02-28"})
    assert checked(shorter)["valid_until"] == "2026-02-28"
    with pytest.raises(BadRequest, match="at most 36 months"):
        checked(OcopRating.model_validate({**rating, "valid_until": "2027-03-01"}))
    with pytest.raises(ValidationError, match="must not be before 2000-01-01"):
        OcopRating.model_validate({**rating, "decision": {**rating["decision"], "date": "1999-06-01"}})


# --- query filters -------------------------------------------------------------------------------
@pytest.mark.parametrize("text", END_OF_CALENDAR)
@pytest.mark.parametrize("name", ["since", "until"])
def test_given_a_log_filter_at_the_end_of_the_calendar_then_400_in_both_languages(text: str, name: str):
    with pytest.raises(BadRequest) as caught:
        make_filters(**{name: text})
    assert "2000-01-01" in caught.value.message or "2099-12-31" in caught.value.message
    assert "01/01/2000" in caught.value.message_vi or "31/12/2099" in caught.value.message_vi


def test_given_log_filters_at_the_edges_of_the_range_then_they_are_taken():
    f = make_filters(since="2000-01-01", until="2099-12-31")
    assert (f.since, f.until) == ("1999-12-31T17:00:00.000Z", "2099-12-31T17:00:00.000Z")
    assert make_filters(since="2026-01-01T08:00:00").since == "2026-01-01T01:00:00.000Z"  # no zone: Vietnam


# --- stored values: read and shown whatever they are ---------------------------------------------------
STORED = [*END_OF_CALENDAR, "", "hôm qua", "2026-02-30", "12345", "2026-13-01T00:00:00Z", "T" * 300]


@pytest.mark.parametrize("value", STORED)
def test_given_any_stored_value_then_it_reads_and_shows_without_an_error(value: str):
    dates.day_of(value)
    assert isinstance(dates.show(value), str)
    assert isinstance(dates.show_precise(value), str)
    shelf_life_days(value, value)
    rating_status({"stars": 4, "valid_until": value})


def test_given_a_stored_time_at_the_end_of_the_calendar_then_it_shows_as_written_in_its_own_zone():
    assert dates.show("9999-12-31T23:59:59-12:00") == "23:59, 31/12/9999"
    assert dates.show("0001-01-01T00:00:00+14:00") == "00:00, 01/01/0001"
    assert dates.show("9999-12-31T23:59:59+14:00") == "16:59, 31/12/9999"  # in Vietnam time
    assert dates.show("2026-10-30T08:00:00Z") == "15:00, 30/10/2026"
    assert dates.show("2026-10-30T08:00:00") == "08:00, 30/10/2026"  # no zone: as written
    assert dates.day_of("9999-12-31T23:59:59-12:00") == dt.date(9999, 12, 31)
    assert dates.day_of("hôm qua") is None


@pytest.mark.parametrize("value", STORED)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_given_a_scan_result_with_any_stored_date_then_the_page_renders(value: str, lang: str):
    res = result("expired", verdicts=["expired", "recalled", "void"])
    res["lot"]["production_date"] = res["lot"]["expiry_date"] = value
    res["lot"]["origin"]["harvest_date"] = value
    res["lot"]["process_steps"] = [{"step": "Sấy", "when": value}]
    res["product"]["ocop"].update(decision_date=value, valid_until=value)
    res["product"]["ocop"].pop("status", None)
    res["recall"] = {"recalled_at": value, "message": "Thu hồi"}
    res["void"] = {"voided_at": value, "reason": "damaged"}
    res["scan"]["first_scanned_at"] = value
    html = scan_page.render(res, lang)
    assert html.startswith("<!doctype html>") and html.endswith("</html>")
