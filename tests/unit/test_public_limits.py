"""The limits' windows and the 429 pages, without AWS (issue 13, kinds 5 and 8; docs/LIMITS.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from ocop_stamps.inspection import detector
from ocop_stamps.pages import scan_page
from ocop_stamps.scanning import limits
from ocop_stamps.storage import keys

COUNTERFEIT_WORDS = ("giả", "đừng mua", "không do hệ thống", "counterfeit", "fake", "do not buy", "not issued")


# --- windows --------------------------------------------------------------------------------
@pytest.fixture
def counters(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[int, int]]:
    """The rate counters as a dict: key -> (hits, expires_at)."""
    table: dict[str, tuple[int, int]] = {}

    def count_hit(key: str, expires_at: int) -> int:
        hits = table.get(key, (0, 0))[0] + 1
        table[key] = (hits, expires_at)
        return hits

    monkeypatch.setattr(limits.repo, "count_hit", count_hit)
    return table


def test_given_hits_within_a_limit_then_none_is_slowed_and_the_next_waits_until_the_window_ends(counters):
    limit = limits.Limit("report", 5, 3600)
    now = dt.datetime(2026, 11, 23, 6, 40, tzinfo=dt.UTC)

    waits = [limits.hit(limit, "client-a", now) for _ in range(7)]

    assert waits == [0] * 5 + [20 * 60] * 2  # 06:40 -> the hour's window ends at 07:00
    assert limits.hit(limit, "client-b", now) == 0  # another subject has its own counter
    assert limits.hit(limit, "client-a", now + dt.timedelta(minutes=20)) == 0  # a new window
    (key, (_, expires)) = next(iter(counters.items()))
    assert key == keys.rate_key("report", "client-a", int(now.timestamp()) // 3600) and key.startswith("~rate#")
    assert expires == int(dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC).timestamp())  # an hour after it ends


def test_given_the_per_code_day_then_it_ends_at_midnight_in_vietnam_not_utc(counters):
    limit = limits.Limit("report-code", 1, limits.DAY, limits.VN_OFFSET)
    before = dt.datetime(2026, 11, 23, 16, 59, 0, tzinfo=dt.UTC)  # 23:59 in Hà Nội

    assert limits.hit(limit, "CODE", before) == 0
    assert limits.hit(limit, "CODE", before) == 60
    assert limits.hit(limit, "CODE", before + dt.timedelta(minutes=1)) == 0  # 00:00 in Hà Nội: a new day


def test_given_no_subject_a_limit_of_zero_or_a_failing_counter_then_never_slowed(counters, monkeypatch):
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    assert limits.hit(limits.Limit("unknown", 0, 600), "client", now) == 0
    assert limits.hit(limits.Limit("unknown", 1, 600), None, now) == 0
    assert counters == {}

    def broken(key: str, expires_at: int) -> int:
        raise RuntimeError("throttled")

    monkeypatch.setattr(limits.repo, "count_hit", broken)
    assert limits.hit(limits.Limit("unknown", 1, 600), "client", now) == 0  # a brake, not a gate


# --- the 429 pages --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seconds", "vi", "en"),
    [
        (1, "1 phút", "1 minute"),
        (59, "1 phút", "1 minute"),
        (61, "2 phút", "2 minutes"),
        (600, "10 phút", "10 minutes"),
        (3600, "60 phút", "60 minutes"),
        (50_000, "14 giờ", "14 hours"),
    ],
)
def test_given_seconds_to_wait_then_said_in_minutes_or_hours_rounded_up(seconds: int, vi: str, en: str):
    assert (scan_page.wait_words(seconds, "vi"), scan_page.wait_words(seconds, "en")) == (vi, en)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_given_a_slowed_lookup_then_the_page_says_wait_and_check_the_code_and_nothing_about_fakes(lang: str):
    body = scan_page.render_slow_down("ABCD-EFGH", 540, lang)

    first, second = ("Hãy đợi khoảng 9 phút", "Please wait about 9 minutes")[:: 1 if lang == "vi" else -1]
    assert first in body and second in body and body.index(first) < body.index(second)
    assert ("hãy kiểm tra lại mã" if lang == "vi" else "check the code") in body
    assert 'value="ABCD-EFGH"' in body and "class=lang" not in body  # no switch: it would be one more lookup
    assert not any(word in body for word in COUNTERFEIT_WORDS)
    vi, en = scan_page.slow_down_messages(540)
    assert "Hãy đợi khoảng 9 phút" in vi and "Please wait about 9 minutes" in en
    assert not any(word in vi + en for word in COUNTERFEIT_WORDS)


@pytest.mark.parametrize(
    ("limit", "vi", "en"),
    [
        ("report", "Chúng tôi đã nhận được các báo cáo bạn gửi", "We have received the reports you sent"),
        ("report-code", "đã được báo cáo nhiều lần hôm nay", "has been reported many times today"),
    ],
)
def test_given_a_report_over_its_limit_then_thanks_and_already_received_in_both_languages(limit, vi, en):
    body = scan_page.render_report_limited("<b>X</b>", limit, 1800, "vi")

    assert "Cảm ơn bạn — báo cáo đã được ghi nhận" in body and "Thank you — your report was already received" in body
    assert body.index(vi) < body.index(en)  # Vietnamese first
    assert "<b>X</b>" not in body
    message_vi, message_en = scan_page.report_limited_messages("X", limit, 1800)
    assert vi in message_vi and en in message_en


# --- report alerts aggregate; lookups raise nothing -------------------------------------------
RULES = detector.Rules(
    repeat_24h=3, repeat_7d=10, travel_minutes=60, burst_client=20, burst_place=100, burst_window_seconds=600
)


def _report(**fields: object) -> dict[str, object]:
    line = {
        "code": "1ABCDEFGHJKM0001",
        "scan_key": "2026-11-23T06:05:00.000Z#r0a1b2c3d4e",
        "scanned_at": "2026-11-23T06:05:00.000Z",
        "kind": "report",
        "verdict": "report",
        "client_hash": "c1",
        "jurisdiction": "VN-HN",
        "report_where": "Chợ Đồng Xuân",
    }
    return {**line, **fields}


@pytest.mark.parametrize(
    ("fields", "bursts", "subject"),
    [
        ({}, {"report:c1": 9, "report-unissued:VN-HN": 7}, "unissued:VN-HN"),  # a code never issued
        ({"batch_no": 12}, {"report:c1": 3}, "code:1ABCDEFGHJKM0001"),  # the client's 3rd report today
        ({"batch_no": 12}, {"report:c1": 4}, "client:c1"),  # its 4th: one alert for the client
        ({"batch_no": 12, "client_hash": None}, {}, "code:1ABCDEFGHJKM0001"),  # no address: by code
    ],
)
def test_given_a_report_then_its_alert_subject_aggregates_made_up_codes_and_floods(fields, bursts, subject):
    (alert,) = detector.rules_for(_report(**fields), RULES, bursts, lambda code, since: [])

    assert (alert.type, alert.subject, alert.window) == ("consumer_report", subject, "2026-11-23")
    if subject.startswith("unissued"):
        assert "7 báo cáo trong ngày" in alert.summary_vi and alert.detail["count"] == 7


def test_given_a_lookup_line_then_the_detector_writes_and_raises_nothing(monkeypatch):
    def no_io(*args: object, **kwargs: object) -> None:
        raise AssertionError("the detector touched the alerts table for a lookup")

    monkeypatch.setattr(detector.store, "transact", no_io)
    monkeypatch.setattr(detector.store, "batch_get", no_io)

    outcome = detector.process_scan(_report(kind="lookup", verdict="lookup", batch_no=12), RULES)

    assert outcome.processed and outcome.new_alerts == []
