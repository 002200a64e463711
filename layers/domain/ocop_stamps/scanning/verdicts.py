"""Verdict rules: what a scan concludes, all that apply, most serious first."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from ocop_stamps.core import words
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
    claimed: bool = False  # issue 14: a buyer already confirmed the stamp's scratch-off PIN


def judge(facts: StampFacts, today: dt.date) -> list[Verdict]:
    """Every verdict that applies, most serious first; ``repeat`` only past the scanner threshold."""
    found: list[Verdict] = []
    if facts.recalled:
        found.append(Verdict.recalled)
    if facts.void:
        found.append(Verdict.void)
    if facts.claimed:
        found.append(Verdict.claimed)
    if facts.expiry_date is not None and today > facts.expiry_date:
        found.append(Verdict.expired)
    if not facts.activated:
        found.append(Verdict.not_activated)
    if facts.scanners > facts.repeat_threshold:
        found.append(Verdict.repeat)
    return sorted(found, key=SEVERITY.__getitem__) or [Verdict.genuine]


KEYBOARD_ADVICE = words.pair("verdict.keyboard")
"""The message of an ``unknown`` answer with hint ``keyboard`` (issue 11): not a fake, a keyboard."""

MESSAGES: dict[Verdict, tuple[str, str]] = {v: words.pair(f"verdict.{v.value}") for v in Verdict}
"""The sentence of each verdict in a scan's answer (``message``), (Vietnamese, English): core/words."""
