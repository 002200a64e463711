"""The OCOP rules as data, and old stored shapes read in today's shape (standard library only).

Who may recognise which rating, by the date of the decision (``RULES``); how long a
certificate holds (``VALIDITY_YEARS``); what the page says of a certificate that no longer
holds (``status_notice``); and the reading of ratings stored before the 2026 model
(``current_rating``), used on every read (``catalog.views``, the consumer page) and by the
migration that rewrites them (``ocop_stamps.migration``). docs/DATA-MODEL.md, "OCOP ratings".
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any, NamedTuple

from ocop_stamps.core import dates
from ocop_stamps.core.vocabulary import RATING_STATUS_TEXT, IssuingLevel, Label, RatingStatus

VALIDITY_YEARS = 3
"""A certificate holds at most 36 months from the decision (Decision 148/QĐ-TTg, Part II; unchanged
by Decision 1489/QĐ-TTg)."""


class Rules(NamedTuple):
    """Who recognises each star level under one set of rules, from ``since`` (a decision's date)."""

    since: dt.date
    name: Label
    levels: dict[int, IssuingLevel]


RULES: tuple[Rules, ...] = (
    Rules(
        dt.date.min,
        ("Quyết định 1048/QĐ-TTg ngày 21/08/2019", "Decision 1048/QĐ-TTg of 21 August 2019"),
        {3: IssuingLevel.province, 4: IssuingLevel.province, 5: IssuingLevel.central},
    ),
    Rules(
        dt.date(2023, 2, 24),
        ("Quyết định 148/QĐ-TTg ngày 24/02/2023", "Decision 148/QĐ-TTg of 24 February 2023"),
        {3: IssuingLevel.district, 4: IssuingLevel.province, 5: IssuingLevel.central},
    ),
    # Districts ended on 1 July 2025 (two-tier local government); Decision 1489/QĐ-TTg of
    # 6 July 2025 gave their 3★ to the province. A decision dated 1-5 July 2025 can only have
    # come from a province, so the amended rule is read from 1 July (docs/DATA-MODEL.md).
    Rules(
        dt.date(2025, 7, 1),
        ("Quyết định 1489/QĐ-TTg ngày 06/07/2025", "Decision 1489/QĐ-TTg of 6 July 2025"),
        {3: IssuingLevel.province, 4: IssuingLevel.province, 5: IssuingLevel.central},
    ),
)
"""Oldest first. Sources: Decision 1048/QĐ-TTg (21/08/2019): the province recognises 3-4★, the
ministry 5★; Decision 148/QĐ-TTg (24/02/2023): district 3★, province 4★, central 5★; Decision
1489/QĐ-TTg (06/07/2025): province 3-4★, central 5★ (Ministry of Agriculture and Environment)."""

MINISTRY_RENAMED = dt.date(2025, 3, 1)
MINISTRY: tuple[Label, Label] = (
    ("Bộ Nông nghiệp và Phát triển nông thôn", "Ministry of Agriculture and Rural Development"),
    ("Bộ Nông nghiệp và Môi trường", "Ministry of Agriculture and Environment"),
)
"""The central body that recognises 5★: before 1 March 2025 (the merger of the ministries), and since."""


def rules_on(day: dt.date) -> Rules:
    """The rules a decision dated ``day`` was made under."""
    return [r for r in RULES if r.since <= day][-1]


def ministry_on(day: dt.date) -> Label:
    """The ministry's name (vi, en) on ``day``."""
    return MINISTRY[1] if day >= MINISTRY_RENAMED else MINISTRY[0]


def valid_until_default(decision_date: dt.date) -> dt.date:
    """The last day a certificate holds when the decision names none: 36 months on."""
    return dates.add_years(decision_date, VALIDITY_YEARS)


# --- reading what was stored -----------------------------------------------------------------
LEGACY_RATING_KEYS = ("certificate_no", "issuing_body", "decision_date")
"""Keys of a rating stored before the 2026 model: one flat map, the certificate number and the
decision in one (``certificate_no``), the issuing body as free text."""


def guess_level(body: object) -> IssuingLevel | None:
    """The level an old free-text issuing body names ("UBND huyện Phú Bình" -> district); None if unclear."""
    text = unicodedata.normalize("NFC", str(body or "")).casefold()
    if not text:
        return None
    if "bộ " in f"{text} " or "trung ương" in text:
        return IssuingLevel.central
    if any(word in text for word in ("huyện", "quận", "thị xã")):
        return IssuingLevel.district
    if any(word in text for word in ("tỉnh", "thành phố")):
        return IssuingLevel.province
    return None


def is_legacy_rating(ocop: object) -> bool:
    """True for a rating map in the pre-2026 shape."""
    return isinstance(ocop, dict) and "decision" not in ocop and any(k in ocop for k in LEGACY_RATING_KEYS)


def current_rating(ocop: dict[str, Any]) -> dict[str, Any]:
    """A stored rating (or rating history entry) in today's shape; a current one is returned as is.

    Old: ``{stars, certificate_no, issuing_body, decision_date, valid_until, ...}``. New:
    ``{stars, decision: {number?, date, issuing_level?, issuing_body}, certificate: {number},
    valid_until, ...}``. The old ``certificate_no`` becomes the certificate's number (the decision's
    number was not recorded apart); the level is read from the body's words when they name one.
    Any other key (withdrawn, withdrawn_at, action, at, by, reason) is kept. Never raises.
    """
    if not is_legacy_rating(ocop):
        return ocop
    rest = {k: v for k, v in ocop.items() if k not in LEGACY_RATING_KEYS}
    decision: dict[str, Any] = {}
    if ocop.get("decision_date") is not None:
        decision["date"] = ocop["decision_date"]
    if ocop.get("issuing_body") is not None:
        decision["issuing_body"] = ocop["issuing_body"]
        level = guess_level(ocop["issuing_body"])
        if level is not None:
            decision["issuing_level"] = level.value
    reshaped = {**rest, "decision": decision}
    if ocop.get("certificate_no") is not None:
        reshaped["certificate"] = {"number": ocop["certificate_no"]}
    return reshaped


def decision_date(ocop: dict[str, Any]) -> object:
    """The decision's date as stored, whatever the shape; None when absent."""
    decision = ocop.get("decision")
    return decision.get("date") if isinstance(decision, dict) else ocop.get("decision_date")


# --- what is said of a certificate that no longer holds ------------------------------------------
def status_notice(ocop: dict[str, Any], status: RatingStatus | str | None) -> Label | None:
    """(Vietnamese, English) sentence for a lapsed or withdrawn certificate, with its day in
    Vietnam (dd/mm/yyyy), or without a day when none is recorded; None for a valid one."""
    try:
        texts = RATING_STATUS_TEXT[RatingStatus(str(status))]
    except (KeyError, ValueError):
        return None
    when = ocop.get("valid_until") if status == RatingStatus.lapsed else ocop.get("withdrawn_at")
    day = dates.day_of(when)
    if day is None:
        return texts[1]
    shown = dates.show(day)
    return texts[0][0].format(date=shown), texts[0][1].format(date=shown)
