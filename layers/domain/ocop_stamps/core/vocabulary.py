"""Stable words of the public contract, each with its Vietnamese and English labels, held once.

Every set of values the service stores, accepts or shows is an enum here, and every table
keyed by one (labels, dispositions) sits next to it, keyed by its members (the words of the
labels are in the catalogue, ``core.words``, docs/WORDS.md): request schemas
(pydantic), the consumer page, the inspectors' summaries and alerts all import them from
here and keep no copy. Labels are ``(Vietnamese, English)`` pairs. Standard library only:
the scan path and ``ocop_stamps.pages`` import this without pydantic.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from enum import StrEnum

from ocop_stamps.core import words

VN_TZ = dt.timezone(dt.timedelta(hours=7), "Asia/Ho_Chi_Minh")

# Crockford base32 (no I, L, O, U): the characters of stamp codes (DESIGN.md, "Code") and of ids.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

LANGS = ("vi", "en")
"""Languages of every page and message, Vietnamese first (the default)."""

Label = tuple[str, str]
"""(Vietnamese, English)."""


def ascii_text(text: str) -> str:
    """Vietnamese without its diacritics, for places that take ASCII only: 'Quét lặp' -> 'Quet lap'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


# --- what a scan concludes ---------------------------------------------------------------
class Verdict(StrEnum):
    """The public verdict vocabulary (DESIGN.md): stable strings, most serious first."""

    unknown = "unknown"
    recalled = "recalled"
    void = "void"
    claimed = "claimed"  # issue 14: a two-layer stamp whose PIN a buyer already confirmed (docs/PIN.md)
    expired = "expired"
    not_activated = "not_activated"
    repeat = "repeat"
    genuine = "genuine"


SEVERITY = {v: i for i, v in enumerate(Verdict)}

VERDICT_LABELS: dict[Verdict, Label] = {v: words.pair(f"verdict_short.{v.value}") for v in Verdict}
"""Short names of the verdicts (charts, lists); the consumer page has its own sentences."""

REPORT = "report"
"""Verdict (and kind) of a consumer's report of a suspected fake in the scan log: not a scan's verdict."""

LOOKUP = "lookup"
"""Verdict (and kind) of a Digital Link request about an issued code that is not a scan
(HEAD, linkset, link-type redirect): logged, never counted on the stamp, never alerted on."""


class PinOutcome(StrEnum):
    """What entering a stamp's scratch-off PIN concludes (issue 14, docs/PIN.md): stable
    strings of the public contract, most serious first."""

    already_claimed = "already_claimed"  # the right PIN, confirmed before by someone else
    locked = "locked"  # too many wrong PINs over the stamp's life: no PIN is checked any more
    wrong = "wrong"
    first = "first"  # the right PIN, never confirmed before: this buyer claims the stamp


PIN = "pin"
"""Kind of a scan-log line that records a PIN entry (issue 14); its verdict is ``pin_verdict(outcome)``."""


def pin_verdict(outcome: PinOutcome) -> str:
    """The log verdict of a PIN entry: ``pin_first``, ``pin_already_claimed``, ``pin_wrong``, ``pin_locked``."""
    return f"pin_{outcome.value}"


PIN_DOWNLOAD = "pin_download"
"""Verdict (and kind) of a log line recording a download of a batch's PIN layer by its owner
(issue 14, ``printing.pins``): who, when, which serials; never a scan, never alerted on."""

LOG_VERDICT_LABELS: dict[str, Label] = {
    **{verdict.value: pair for verdict, pair in VERDICT_LABELS.items()},
    REPORT: words.pair("verdict_short.report"),
    LOOKUP: words.pair("verdict_short.lookup"),
    **{pin_verdict(o): words.pair(f"verdict_short.{pin_verdict(o)}") for o in PinOutcome},
    PIN_DOWNLOAD: words.pair("verdict_short.pin_download"),
}
"""Every verdict a scan-log entry may carry (a scan's, or ``report``), in this order, with its short name."""


class ScanKind(StrEnum):
    """Who asked for a stamp's page (``scanning.traffic``); only a person's scan counts.

    The others are logged with their kind, never move the stamp's counter, never raise an
    alert about the stamp and never change its "first checked" (docs/COUNTING.md).
    """

    person = "person"
    preview = "preview"  # a chat app's or social network's link unfurler (Open Graph page)
    bot = "bot"  # search crawlers, mail link scanners, headless browsers, no user agent
    prefetch = "prefetch"  # a browser's prefetch or prerender (Sec-Purpose, Purpose, X-Moz)
    head = "head"  # a HEAD request (link checkers)


def is_person_scan(kind: str | None) -> bool:
    """True for a person's scan: ``person``, or no kind (log lines written before issue 11)."""
    return kind is None or kind == ScanKind.person


# --- the catalog ---------------------------------------------------------------------------
class ProducerKind(StrEnum):
    household = "household"
    cooperative = "cooperative"
    cooperative_group = "cooperative_group"  # tổ hợp tác (Decree 77/2019/NĐ-CP): an OCOP producer kind
    enterprise = "enterprise"
    individual = "individual"


PRODUCER_KIND_LABELS: dict[ProducerKind, Label] = {k: words.pair(f"producer_kind.{k.value}") for k in ProducerKind}


class OcopGroup(StrEnum):
    """The six product groups of Decision 148/QĐ-TTg (24 February 2023), in its order.

    Stable ASCII keys; the words shown are ``OCOP_GROUP_LABELS``. Values stored under the
    groups of the 2018-2022 rules are read through ``LEGACY_GROUPS`` and rewritten by the
    migration (docs/DATA-MODEL.md, "OCOP product groups").
    """

    food = "food"
    beverage = "beverage"
    herbal = "herbal"
    handicraft = "handicraft"
    ornamental = "ornamental"
    community_tourism = "community_tourism"


OCOP_GROUP_LABELS: dict[OcopGroup, Label] = {g: words.pair(f"ocop_group.{g.value}") for g in OcopGroup}

COUNTRY_LABELS: dict[str, Label] = {code.upper(): pair for code, pair in words.section("country").items()}
"""ISO 3166-1 alpha-2 code -> (Vietnamese, English) name: the countries a product's origin
(``made_in``, xuất xứ) may name. OCOP products are made in Vietnam; a country is added by one
line per language in the words catalogue (``country.xx``, the code in lower case)."""

LEGACY_GROUPS: dict[str, OcopGroup] = {
    "textile_garment": OcopGroup.handicraft,  # "Vải và may mặc" / "Hàng thủ công mỹ nghệ, dệt may"
    "souvenir_furniture_decor": OcopGroup.handicraft,  # "Lưu niệm - nội thất - trang trí"
}
"""Group keys of the 2018-2022 rules (Decisions 490/QĐ-TTg, 1048/QĐ-TTg) -> the group of Decision
148/QĐ-TTg they are in now. The other old keys (food, beverage, herbal, community_tourism) kept
their key; only their words changed."""

EXPIRY_REQUIRED: frozenset[OcopGroup] = frozenset({OcopGroup.food, OcopGroup.beverage, OcopGroup.herbal})
"""Groups whose lots must carry an expiry date (hạn sử dụng: Decree 43/2017/NĐ-CP, as amended by
Decree 111/2021/NĐ-CP, on labels of food, drinks and medicinal products). Handicrafts, ornamental
plants and animals, and tourism services have none: their lots may omit it and never read ``expired``."""


def current_group(value: object) -> OcopGroup | None:
    """The Decision 148 group a stored value names (an old key mapped by ``LEGACY_GROUPS``); None if none."""
    text = str(value or "")
    if text in LEGACY_GROUPS:
        return LEGACY_GROUPS[text]
    try:
        return OcopGroup(text)
    except ValueError:
        return None


class IssuingLevel(StrEnum):
    """Who recognised an OCOP rating: the level of the body that signed the decision."""

    district = "district"  # Ủy ban nhân dân cấp huyện: 3★ from 24/02/2023 until districts ended (30/06/2025)
    province = "province"  # Ủy ban nhân dân cấp tỉnh
    central = "central"  # the ministry in charge of agriculture (Bộ Nông nghiệp và Môi trường since 01/03/2025)


ISSUING_LEVEL_LABELS: dict[IssuingLevel, Label] = {x: words.pair(f"issuing_level.{x.value}") for x in IssuingLevel}


class RatingAction(StrEnum):
    """A step in a product's OCOP rating (``catalog.ratings.rate``)."""

    record = "record"
    renew = "renew"  # công nhận lại: a new decision for a product whose certificate runs out
    downgrade = "downgrade"
    withdraw = "withdraw"


RATING_ACTION_LABELS: dict[RatingAction, Label] = {a: words.pair(f"rating_action.{a.value}") for a in RatingAction}


class RatingStatus(StrEnum):
    """Where a product's OCOP rating stands today (``catalog.views.rating_status``)."""

    valid = "valid"
    lapsed = "lapsed"  # past its valid_until
    withdrawn = "withdrawn"


RATING_STATUS_TEXT: dict[RatingStatus, tuple[Label, Label]] = {
    s: (words.pair(f"rating_status.{s.value}_on"), words.pair(f"rating_status.{s.value}"))
    for s in (RatingStatus.lapsed, RatingStatus.withdrawn)
}
"""What the consumer page and the JSON answer say of a certificate that no longer holds: (with the
day, without it when the record has none), each (Vietnamese, English); ``{date}`` is dd/mm/yyyy."""


# --- a stamp's lifecycle -------------------------------------------------------------------
class VoidReason(StrEnum):
    damaged = "damaged"
    lost = "lost"
    stolen = "stolen"
    destroyed = "destroyed"
    misprinted = "misprinted"
    other = "other"


VOID_REASON_LABELS: dict[VoidReason, Label] = {r: words.pair(f"void_reason.{r.value}") for r in VoidReason}


# --- inspectors ----------------------------------------------------------------------------
class AlertType(StrEnum):
    repeat_24h = "repeat_24h"
    repeat_7d = "repeat_7d"
    impossible_travel = "impossible_travel"
    unknown_burst = "unknown_burst"
    void_scanned = "void_scanned"
    recalled_scanned = "recalled_scanned"
    expired_scanned = "expired_scanned"
    not_activated_scanned = "not_activated_scanned"
    consumer_report = "consumer_report"
    lot_mismatch = "lot_mismatch"  # a label's Digital Link names another lot than the stamp's
    pin_second_claim = "pin_second_claim"  # issue 14: a stamp's right PIN entered after it was claimed
    pin_guessing = "pin_guessing"  # issue 14: wrong PINs on one stamp (at the lock, or several a day)


ALERT_TYPE_LABELS: dict[AlertType, Label] = {a: words.pair(f"alert_type.{a.value}") for a in AlertType}


class ScanFlag(StrEnum):
    """What a scan record shows beside its verdicts (``flags``): the verdict stands, inspectors see these."""

    lot_mismatch = "lot_mismatch"  # the Digital Link's lot (AI 10) is not the lot the stamp is bound to


STATUS_ALERTS: dict[Verdict, AlertType] = {
    Verdict.void: AlertType.void_scanned,
    Verdict.recalled: AlertType.recalled_scanned,
    Verdict.expired: AlertType.expired_scanned,
    Verdict.not_activated: AlertType.not_activated_scanned,
}
"""A scan of a stamp in one of these states raises its alert, whatever the count."""


class AlertStatus(StrEnum):
    """The alert workflow: open -> acknowledged -> resolved | dismissed (``inspection.alerts``)."""

    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"
    dismissed = "dismissed"


class CheckResult(StrEnum):
    """An inspector's finding at a field check."""

    pass_ = "pass"  # noqa: S105 -- a finding, not a password
    fail = "fail"
    suspect = "suspect"


CHECK_DISPOSITIONS: dict[CheckResult, str | None] = {
    CheckResult.pass_: "conformant",
    CheckResult.fail: "non_conformant",
    CheckResult.suspect: None,  # no CBV disposition says "suspect": ocop:result says it
}
"""The CBV disposition a field check records for each result."""
