"""Stable words of the public contract, each with its Vietnamese and English labels, held once.

Every set of values the service stores, accepts or shows is an enum here, and every table
keyed by one (labels, dispositions) sits next to it, keyed by its members: request schemas
(pydantic), the consumer page, the inspectors' summaries and alerts all import them from
here and keep no copy. Labels are ``(Vietnamese, English)`` pairs. Standard library only:
the scan path and ``ocop_stamps.pages`` import this without pydantic.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from enum import StrEnum

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
    expired = "expired"
    not_activated = "not_activated"
    repeat = "repeat"
    genuine = "genuine"


SEVERITY = {v: i for i, v in enumerate(Verdict)}

VERDICT_LABELS: dict[Verdict, Label] = {
    Verdict.unknown: ("không tồn tại", "unknown code"),
    Verdict.recalled: ("bị thu hồi", "recalled"),
    Verdict.void: ("tem đã hủy", "void"),
    Verdict.expired: ("hết hạn", "expired"),
    Verdict.not_activated: ("chưa kích hoạt", "not activated"),
    Verdict.repeat: ("quét lặp", "repeat scan"),
    Verdict.genuine: ("chính hãng", "genuine"),
}
"""Short names of the verdicts (charts, lists); the consumer page has its own sentences."""

REPORT = "report"
"""Verdict (and kind) of a consumer's report of a suspected fake in the scan log: not a scan's verdict."""

HEAD = "head"
"""Kind of a HEAD request on a stamp's page in the scan log (a link checker): looked up, never counted."""

UNCOUNTED_KINDS = frozenset({HEAD})
"""Scan-log kinds that are not a person's scan (issue 11): logged with their kind, never counted
toward ``repeat``, never alerted on, never "first checked"."""

LOG_VERDICT_LABELS: dict[str, Label] = {
    **{verdict.value: pair for verdict, pair in VERDICT_LABELS.items()},
    REPORT: ("báo tem giả", "reported fake"),
}
"""Every verdict a scan-log entry may carry (a scan's, or ``report``), in this order, with its short name."""


# --- the catalog ---------------------------------------------------------------------------
class ProducerKind(StrEnum):
    household = "household"
    cooperative = "cooperative"
    enterprise = "enterprise"
    individual = "individual"


PRODUCER_KIND_LABELS: dict[ProducerKind, Label] = {
    ProducerKind.household: ("Hộ sản xuất", "Household"),
    ProducerKind.cooperative: ("Hợp tác xã", "Cooperative"),
    ProducerKind.enterprise: ("Doanh nghiệp", "Enterprise"),
    ProducerKind.individual: ("Cá nhân", "Individual"),
}


class OcopGroup(StrEnum):
    """The six product groups of Decision 148/QĐ-TTg."""

    food = "food"
    beverage = "beverage"
    herbal = "herbal"
    textile_garment = "textile_garment"
    souvenir_furniture_decor = "souvenir_furniture_decor"
    community_tourism = "community_tourism"


OCOP_GROUP_LABELS: dict[OcopGroup, Label] = {
    OcopGroup.food: ("Thực phẩm", "Food"),
    OcopGroup.beverage: ("Đồ uống", "Beverage"),
    OcopGroup.herbal: ("Dược liệu và sản phẩm từ dược liệu", "Herbal products"),
    OcopGroup.textile_garment: ("Hàng thủ công mỹ nghệ, dệt may", "Handicraft and textiles"),
    OcopGroup.souvenir_furniture_decor: ("Đồ lưu niệm, nội thất, trang trí", "Souvenirs, furniture and decor"),
    OcopGroup.community_tourism: ("Dịch vụ du lịch cộng đồng", "Community tourism"),
}


class RatingStatus(StrEnum):
    """Where a product's OCOP rating stands today (``catalog.views.rating_status``)."""

    valid = "valid"
    lapsed = "lapsed"  # past its valid_until
    withdrawn = "withdrawn"


# --- a stamp's lifecycle -------------------------------------------------------------------
class VoidReason(StrEnum):
    damaged = "damaged"
    lost = "lost"
    stolen = "stolen"
    destroyed = "destroyed"
    misprinted = "misprinted"
    other = "other"


VOID_REASON_LABELS: dict[VoidReason, Label] = {
    VoidReason.damaged: ("tem hư hỏng", "damaged"),
    VoidReason.lost: ("tem thất lạc", "lost"),
    VoidReason.stolen: ("tem bị đánh cắp", "stolen"),
    VoidReason.destroyed: ("đã tiêu hủy", "destroyed"),
    VoidReason.misprinted: ("in lỗi", "misprinted"),
    VoidReason.other: ("lý do khác", "other"),
}


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


ALERT_TYPE_LABELS: dict[AlertType, Label] = {
    AlertType.repeat_24h: ("Quét lặp lại trong 24 giờ", "Repeat scans within 24 hours"),
    AlertType.repeat_7d: ("Quét lặp lại trong 7 ngày", "Repeat scans within 7 days"),
    AlertType.impossible_travel: ("Một mã ở hai nơi quá nhanh", "One code in two places too fast"),
    AlertType.unknown_burst: ("Dò mã (nhiều mã không tồn tại)", "Code guessing (many codes that do not exist)"),
    AlertType.void_scanned: ("Quét tem đã hủy", "Void stamp scanned"),
    AlertType.recalled_scanned: ("Quét tem của lô bị thu hồi", "Stamp of a recalled lot scanned"),
    AlertType.expired_scanned: ("Quét tem đã hết hạn", "Expired stamp scanned"),
    AlertType.not_activated_scanned: ("Quét tem chưa kích hoạt", "Unactivated stamp scanned"),
    AlertType.consumer_report: ("Người tiêu dùng báo tem giả", "A consumer reported a fake"),
}

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
