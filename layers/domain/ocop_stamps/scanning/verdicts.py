"""Verdict rules: what a scan concludes, all that apply, most serious first."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from ocop_stamps.core.vocabulary import SEVERITY, Verdict


class StampFacts(NamedTuple):
    """What the stamp's data says, for ``judge``.

    ``scanners``: distinct scanners that checked the stamp (``scanning.scanners``; 0 when not
    known, e.g. a count that went to the fallback queue, or a preview that counts nothing);
    ``repeat_threshold``: the product's number of scanners a genuine item may have.
    """

    activated: bool
    scanners: int
    repeat_threshold: int
    expiry_date: dt.date | None = None
    recalled: bool = False
    void: bool = False


def judge(facts: StampFacts, today: dt.date) -> list[Verdict]:
    """Every verdict that applies, most serious first; ``repeat`` only past the scanner threshold."""
    found: list[Verdict] = []
    if facts.recalled:
        found.append(Verdict.recalled)
    if facts.void:
        found.append(Verdict.void)
    if facts.expiry_date is not None and today > facts.expiry_date:
        found.append(Verdict.expired)
    if not facts.activated:
        found.append(Verdict.not_activated)
    if facts.scanners > facts.repeat_threshold:
        found.append(Verdict.repeat)
    return sorted(found, key=SEVERITY.__getitem__) or [Verdict.genuine]


KEYBOARD_ADVICE = (
    "Tắt bộ gõ tiếng Việt rồi nhập lại mã: mã tem chỉ có chữ không dấu và chữ số, "
    "nhưng bộ gõ đã tự thêm dấu (ví dụ EE thành Ê, AS thành Á).",
    "Turn off the Vietnamese keyboard and type the code again: stamp codes have only plain "
    "letters and digits, but the keyboard added accents (EE became Ê, AS became Á).",
)
"""The message of an ``unknown`` answer with hint ``keyboard`` (issue 11): not a fake, a keyboard."""

MESSAGES: dict[Verdict, tuple[str, str]] = {
    Verdict.genuine: ("Sản phẩm chính hãng", "Genuine product"),
    Verdict.repeat: (
        "Cảnh báo: mã tem này đã được kiểm tra nhiều lần — có thể là tem sao chép",
        "Warning: this code has been checked many times — the label may be a copy",
    ),
    Verdict.not_activated: (
        "Tem chưa được kích hoạt: tem chưa gắn với lô sản xuất nào",
        "Stamp not activated: it was never bound to a production lot",
    ),
    Verdict.void: ("Tem đã bị hủy bởi nhà sản xuất", "This stamp was cancelled by its producer"),
    Verdict.recalled: ("Lô hàng này đã bị thu hồi", "This lot has been recalled"),
    Verdict.expired: ("Sản phẩm đã hết hạn sử dụng", "This product is past its expiry date"),
    Verdict.unknown: (
        "Không tìm thấy mã tem: hãy kiểm tra lại mã, có thể là hàng giả",
        "Code not found: check the code again — the product may be counterfeit",
    ),
}
